"""Two ways in, accepted by every operation: a bearer token (integrations) or the web session.

- ``Authorization: Bearer mct_…`` — a token made with ``motcua apitoken create``. A token that is
  presented but unknown, revoked or expired is refused with 401 at once (no fallback to a session).
- The Django session cookie of the web pages. Unsafe methods (POST …) then need the CSRF token
  (``X-CSRFToken`` header, as the web pages send it); a missing or wrong one is 403 ``csrf``.
"""

from __future__ import annotations

from django.conf import settings
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from motcua.api.errors import ApiError
from motcua.api.tokens import user_for_token

__all__ = ["BearerToken", "Session", "AUTH"]


class BearerToken(HttpBearer):
    openapi_bearerFormat = "mct_<prefix>_<secret>"

    def authenticate(self, request, token: str):
        user = user_for_token(token.strip())
        if user is None:
            raise ApiError(401, "invalid_token", "Mã truy cập API không hợp lệ, đã hết hạn hoặc đã bị thu hồi.")
        request.user = user
        return user


class Session(APIKeyCookie):
    """Django session authentication; CSRF is checked only once a session user is known, so an
    anonymous request gets 401 (not a CSRF 403)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self):
        super().__init__(csrf=True)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if check_csrf(request):
            raise ApiError(403, "csrf", "Thiếu hoặc sai mã CSRF (gửi tiêu đề X-CSRFToken khi dùng phiên đăng nhập).")
        return user

    def authenticate(self, request, key):  # pragma: no cover - __call__ does the work
        return None


AUTH = [BearerToken(), Session()]
