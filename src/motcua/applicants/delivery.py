"""Sending a one-time code to the account's login: by e-mail (Django's mail backend) or by SMS
(the notify SMS gateway).

Codes are sent directly, not through the outbox: the outbox keeps each message's text for the
record, and a code must not be kept in clear anywhere; it also lives only minutes, so the outbox's
hours of retries would not help — the applicant asks for a new one instead.
"""

from __future__ import annotations

import logging
import smtplib
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from motcua.applicants import conf
from motcua.applicants.models import CodePurpose
from motcua.notify.errors import DeliveryError
from motcua.notify.sms import sms_gateway

__all__ = ["DeliveryError", "send_code", "send_code_later", "wait_for_background"]

logger = logging.getLogger("motcua.applicants")
# One thread: a password-reset code goes out after the answer, so the answer takes the same time
# whether the account exists or not (no user enumeration by timing).
_background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="motcua-codes")
_pending: list = []

_TEXTS = {
    CodePurpose.VERIFY: ("Mã xác thực tài khoản Cổng dịch vụ công",
                         "Mã xác thực tài khoản của Ông/Bà là {code}. Mã có hiệu lực trong {ttl} phút."),
    CodePurpose.RESET: ("Mã đặt lại mật khẩu Cổng dịch vụ công",
                        "Mã đặt lại mật khẩu của Ông/Bà là {code}. Mã có hiệu lực trong {ttl} phút."),
}
_NOT_YOU = "Nếu Ông/Bà không yêu cầu mã này, xin bỏ qua tin này; không ai khác cần biết mã."


def send_code(login: str, purpose: str, code: str, message_id: int) -> None:
    """Deliver ``code`` to ``login`` (an e-mail address or a phone); DeliveryError says why not."""
    subject, line = _TEXTS[purpose]
    text = line.format(code=code, ttl=conf.get_int("MOTCUA_CODE_TTL_MINUTES"))
    if "@" in login:
        body = f"Kính gửi Ông/Bà,\n\n{text}\n{_NOT_YOU}\n\nĐây là thư tự động, xin vui lòng không trả lời thư này.\n"
        email = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[login],
                             connection=get_connection(fail_silently=False))
        try:
            email.send()
        except (smtplib.SMTPException, OSError) as exc:
            logger.warning("code e-mail to %s failed: %s: %s", login, type(exc).__name__, exc)
            raise DeliveryError("Chưa gửi được thư điện tử chứa mã; vui lòng thử gửi lại sau ít phút.") from None
    else:
        try:
            sms_gateway().send(login, f"{text} {_NOT_YOU}", message_id)
        except DeliveryError as exc:
            logger.warning("code SMS to %s failed: %s", login, exc)
            raise DeliveryError("Chưa gửi được tin nhắn chứa mã; vui lòng thử gửi lại sau ít phút.") from None


def _send_quietly(login: str, purpose: str, code: str, message_id: int) -> None:
    try:
        send_code(login, purpose, code, message_id)
    except DeliveryError:
        pass  # logged in send_code; the applicant asks again


def send_code_later(login: str, purpose: str, code: str, message_id: int) -> None:
    _pending.append(_background.submit(_send_quietly, login, purpose, code, message_id))
    del _pending[:-20]


def wait_for_background(timeout: float = 10) -> None:
    """Block until the codes queued so far are sent (tests)."""
    for future in list(_pending):
        future.result(timeout=timeout)
