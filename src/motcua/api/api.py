"""The REST API under /api/v1: catalogue, dossiers and their commands (django-ninja, OpenAPI 3).

The schema is served at /api/v1/openapi.json. No documentation UI is mounted: ninja's Swagger page
loads its assets from a CDN, and MotCua serves nothing from a CDN (offline intranets).
"""

from __future__ import annotations

import json

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from motcua.api import catalog, dossiers
from motcua.api.auth import AUTH
from motcua.api.errors import STATUS_TEXT, install

DESCRIPTION = """\
REST API của MotCua — hệ thống một cửa điện tử.

* Xác thực: `Authorization: Bearer mct_…` (tạo bằng `motcua apitoken create TÊN_ĐĂNG_NHẬP --name …`)
  hoặc phiên đăng nhập web (cookie `sessionid`; phương thức POST cần tiêu đề `X-CSRFToken`).
* Mọi lỗi có cùng một dạng: `{"error": {"code", "message", "field", "details"}}`.
  """ + "\n".join(f"  - {code}: {text}" for code, text in STATUS_TEXT.items()) + """
* Đồng thời: gửi `version` (từ chi tiết hồ sơ) cùng mỗi thao tác để nhận 409 thay vì ghi đè.
* Phân trang theo trang: `page` (từ 1), `page_size` (≤ 100); kết quả có `count`.

Xem docs/api.md.
"""

class Utf8JSON(JSONRenderer):
    """JSON with Vietnamese letters as they are (not \\u escapes)."""

    def render(self, request, data, *, response_status):
        text = json.dumps(data, cls=self.encoder_class, ensure_ascii=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate somewhere: fall back to escapes
            return json.dumps(data, cls=self.encoder_class).encode("ascii")


api = NinjaAPI(
    title="MotCua API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=AUTH,
    docs_url=None,
    renderer=Utf8JSON(),
)
install(api)
api.add_router("/catalog", catalog.router)
api.add_router("/dossiers", dossiers.router)
