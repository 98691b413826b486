"""One small HTTP POST over the standard library, shared by webhooks and the HTTP SMS gateway."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from motcua.notify.errors import DeliveryError

__all__ = ["post"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not a delivery: the 3xx is reported as a failure, never followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """POST ``body``; return the 2xx status, else raise DeliveryError with what went wrong."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise DeliveryError(f"URL không hợp lệ (chỉ nhận http/https): {url}", permanent=True)
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
            response.read(4096)
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace").strip()
        raise DeliveryError(f"HTTP {exc.code} từ {url}" + (f": {detail}" if detail else "")) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"Không kết nối được tới {url}: {reason}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status} từ {url}")
    return status
