"""API tokens: create (the secret is returned once), revoke, and resolve a presented token.

A token reads ``mct_<prefix>_<secret>``: the prefix (8 hex digits) names it for people, the secret
(43 URL-safe characters, 256 bits) proves it. Only SHA-256 of the whole string is stored, so a
stolen database does not yield working tokens; lookup is by that hash (a unique index).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.api.models import ApiToken
from motcua.text import nfc

__all__ = ["create_token", "revoke_token", "user_for_token", "hash_token", "TokenError"]

SCHEME = "mct"
# Writing last_used_at on every request would turn each GET into a write; once a minute is enough.
TOUCH_EVERY = dt.timedelta(minutes=1)


class TokenError(ValueError):
    """A token command refused; the message is Vietnamese."""


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(user, name: str, *, expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the secret token string (shown once, never stored)."""
    name = nfc(name or "")
    if not name:
        raise TokenError("Đặt tên gợi nhớ cho mã truy cập (ví dụ: tên hệ thống tích hợp).")
    if len(name) > 100:
        raise TokenError("Tên gợi nhớ dài tối đa 100 ký tự.")
    if expires_at is not None and expires_at <= timezone.now():
        raise TokenError("Thời điểm hết hạn phải ở tương lai.")
    for _ in range(5):  # a prefix collision (1 in 4 billion) just draws again
        prefix = secrets.token_hex(4)
        raw = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=hash_token(raw),
                                                expires_at=expires_at)
            return token, raw
        except IntegrityError:
            continue
    raise TokenError("Không tạo được mã truy cập; hãy thử lại.")


def revoke_token(prefix: str) -> ApiToken:
    """Revoke the token with this prefix (also accepts the whole token string)."""
    prefix = (prefix or "").strip()
    if prefix.startswith(f"{SCHEME}_"):
        prefix = prefix.split("_")[1] if prefix.count("_") >= 2 else ""
    token = ApiToken.objects.filter(prefix=prefix).first()
    if token is None:
        raise TokenError(f"Không có mã truy cập nào có tiền tố “{prefix}”.")
    if token.is_active:
        token.is_active, token.revoked_at = False, timezone.now()
        token.save(update_fields=["is_active", "revoked_at"])
    return token


def user_for_token(raw: str):
    """The active user behind an active, unexpired token; None otherwise."""
    if not raw or len(raw) > 200 or not raw.startswith(f"{SCHEME}_"):
        return None
    token = (ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw), is_active=True).first())
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
