"""One-time codes: 6 digits, stored only as a keyed hash, expiring, a few attempts each.

A 6-digit code has a million values, so a plain hash would fall to a table in a second: the hash is
keyed with SECRET_KEY (Django's salted HMAC), which a copy of the database alone does not give.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from motcua.applicants import conf
from motcua.applicants.models import Account, OneTimeCode

__all__ = ["CodeError", "Issued", "issue", "check", "digest"]


class CodeError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Issued:
    code: str  # the clear code: sent once, never stored
    row: OneTimeCode


def digest(account_id: int, purpose: str, code: str) -> str:
    return salted_hmac("motcua.applicants.code", f"{account_id}:{purpose}:{code}", algorithm="sha256").hexdigest()


def cooldown_left(account: Account, purpose: str, now: dt.datetime) -> int:
    """Seconds before another code may be sent (0: now)."""
    last = OneTimeCode.objects.filter(account=account, purpose=purpose).values_list("created_at", flat=True).first()
    if last is None:
        return 0
    wait = last + dt.timedelta(seconds=conf.get_int("MOTCUA_CODE_RESEND_SECONDS")) - now
    return max(0, int(wait.total_seconds() + 0.999))


def issue(account: Account, purpose: str, now: dt.datetime | None = None) -> Issued:
    """A new code replacing the previous one for ``purpose``. Run inside the caller's transaction;
    raises CodeError while the resend cooldown lasts."""
    assert connection.in_atomic_block, "issue() runs inside the command's transaction"
    now = now or timezone.now()
    left = cooldown_left(account, purpose, now)
    if left:
        raise CodeError(f"Mã vừa được gửi; vui lòng chờ {left} giây rồi mới yêu cầu gửi lại.")
    code = f"{secrets.randbelow(10**6):06d}"
    OneTimeCode.objects.filter(account=account, purpose=purpose).delete()
    row = OneTimeCode.objects.create(
        account=account, purpose=purpose, code_hash=digest(account.pk, purpose, code), created_at=now,
        expires_at=now + dt.timedelta(minutes=conf.get_int("MOTCUA_CODE_TTL_MINUTES")))
    return Issued(code, row)


def check(account: Account, purpose: str, code: str, now: dt.datetime | None = None) -> str | None:
    """None when ``code`` is the account's valid code for ``purpose`` (which is then used up), else the
    Vietnamese reason. A wrong code counts an attempt. Run inside the caller's transaction, which must
    commit even on a refusal so the attempt is counted."""
    assert connection.in_atomic_block, "check() runs inside the command's transaction"
    now = now or timezone.now()
    code = "".join((code or "").split())
    row = OneTimeCode.objects.select_for_update().filter(account=account, purpose=purpose).first()
    if row is None:
        return "Chưa có mã xác thực nào còn hiệu lực; hãy yêu cầu gửi mã mới."
    if row.expires_at <= now:
        return "Mã xác thực đã hết hạn; hãy yêu cầu gửi mã mới."
    limit = conf.get_int("MOTCUA_CODE_MAX_ATTEMPTS")
    if row.attempts >= limit:
        return "Mã xác thực đã bị nhập sai quá nhiều lần; hãy yêu cầu gửi mã mới."
    if not (len(code) == 6 and code.isdigit() and constant_time_compare(row.code_hash, digest(account.pk, purpose, code))):
        row.attempts += 1
        row.save(update_fields=["attempts"])
        left = limit - row.attempts
        if left <= 0:
            return "Mã xác thực không đúng. Mã này đã bị nhập sai quá nhiều lần; hãy yêu cầu gửi mã mới."
        return f"Mã xác thực không đúng (còn {left} lần thử)."
    row.delete()
    return None
