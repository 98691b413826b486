"""Staff sessions end after ``MOTCUA_IDLE_MINUTES`` without a request (a desk computer left alone)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get("last_seen")
            if last is not None and now - last > settings.MOTCUA_IDLE_MINUTES * 60:
                logout(request)
                messages.info(request, "Phiên làm việc đã hết hạn do không hoạt động; vui lòng đăng nhập lại.")
            elif last is None or now - last >= 60:
                # a minute's precision is plenty, and spares a session write on every request (the
                # desk's search-as-you-type and previews send many)
                request.session["last_seen"] = now
        return self.get_response(request)
