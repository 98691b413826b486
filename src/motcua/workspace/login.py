"""Staff login with lockout: after ``MOTCUA_LOGIN_MAX_FAILURES`` failed attempts for one username
within ``MOTCUA_LOGIN_LOCK_MINUTES``, that username is refused for the rest of the window — the
correct password included, so guessing cannot go on."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone

from motcua.text import nfc
from motcua.workspace.models import LoginAttempt

__all__ = ["LoginRefused", "staff_login", "locked_until"]


class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.MOTCUA_LOGIN_LOCK_MINUTES)


def locked_until(username: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the lock on ``username`` ends, or None when it may try."""
    now = now or timezone.now()
    since = now - _window()
    last_success = (LoginAttempt.objects.filter(username=username, success=True, at__gte=since)
                    .order_by("-at").values_list("at", flat=True).first())
    failures = LoginAttempt.objects.filter(username=username, success=False, at__gte=last_success or since)
    if failures.count() < settings.MOTCUA_LOGIN_MAX_FAILURES:
        return None
    return failures.order_by("-at").values_list("at", flat=True).first() + _window()


def staff_login(request, username: str, password: str):
    """The authenticated staff user, or LoginRefused with the Vietnamese reason."""
    username = nfc(username or "").strip()[:150]
    ip = request.META.get("REMOTE_ADDR") or None
    now = timezone.now()
    if not username or not password:
        raise LoginRefused("Nhập tên đăng nhập và mật khẩu.")
    until = locked_until(username, now)
    if until is not None:
        raise LoginRefused(f"Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau "
                           f"{timezone.localtime(until):%H:%M}.")
    user = authenticate(request, username=username, password=password)
    ok = user is not None and user.is_active and user.is_staff
    LoginAttempt.objects.create(username=username, ip=ip, at=now, success=ok)
    if not ok:
        left = settings.MOTCUA_LOGIN_MAX_FAILURES - LoginAttempt.objects.filter(
            username=username, success=False, at__gte=now - _window()).count()
        hint = f" Còn {left} lần thử trước khi tài khoản bị tạm khóa." if 0 < left <= 2 else ""
        raise LoginRefused("Tên đăng nhập hoặc mật khẩu không đúng." + hint)
    return user
