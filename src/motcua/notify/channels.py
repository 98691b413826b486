"""How each channel delivers one outbox message: a tiny typed registry, channel -> sender.

A sender returns on success and raises DeliveryError on failure; anything else it raises is treated
as a failure too by the worker. Senders run outside any database transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from email.utils import parseaddr
from typing import Any, Callable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from motcua.notify.errors import DeliveryError
from motcua.notify.models import Channel, OutboxMessage
from motcua.notify.sms import sms_gateway
from motcua.notify.transport import post

__all__ = ["Sender", "CHANNELS", "register_channel", "deliver", "webhook_body", "sign"]

Sender = Callable[[OutboxMessage], None]
CHANNELS: dict[str, Sender] = {}


def register_channel(channel: str) -> Callable[[Sender], Sender]:
    def decorator(sender: Sender) -> Sender:
        CHANNELS[channel] = sender
        return sender
    return decorator


def deliver(message: OutboxMessage) -> None:
    try:
        sender = CHANNELS[message.channel]
    except KeyError:
        raise DeliveryError(f"Kênh gửi không tồn tại: {message.channel!r}", permanent=True) from None
    sender(message)


# --- e-mail -------------------------------------------------------------------------------------

def _message_id(message: OutboxMessage) -> str:
    """The same Message-ID on every retry, so a resent e-mail can be recognised as a duplicate."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "motcua.invalid"
    return f"<motcua-outbox-{message.pk}@{domain}>"


@register_channel(Channel.EMAIL)
def send_email(message: OutboxMessage) -> None:
    email = EmailMessage(
        subject=message.subject, body=message.body, from_email=settings.DEFAULT_FROM_EMAIL, to=[message.recipient],
        headers={"Message-ID": _message_id(message), "X-MotCua-Topic": message.topic},
        connection=get_connection(fail_silently=False),
    )
    try:
        sent = email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        # 5xx for every recipient: the address does not exist; 4xx (greylisting, full box) is retried.
        codes = [code for code, _text in exc.recipients.values()]
        raise DeliveryError(f"Máy chủ thư từ chối người nhận: {exc.recipients}",
                            permanent=bool(codes) and all(code >= 500 for code in codes)) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"Lỗi gửi thư điện tử: {type(exc).__name__}: {exc}") from None
    if sent != 1:
        raise DeliveryError("Máy chủ thư không nhận thư.")


# --- SMS ----------------------------------------------------------------------------------------

@register_channel(Channel.SMS)
def send_sms(message: OutboxMessage) -> None:
    sms_gateway().send(message.recipient, message.body, message.pk)


# --- webhooks -----------------------------------------------------------------------------------

def webhook_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes POSTed (and signed): compact UTF-8 JSON with sorted keys."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@register_channel(Channel.WEBHOOK)
def send_webhook(message: OutboxMessage) -> None:
    subscription = message.subscription
    if subscription is None:
        raise DeliveryError("Đăng ký webhook đã bị xóa.", permanent=True)
    if not subscription.is_active:
        raise DeliveryError("Đăng ký webhook đang tạm ngừng.", permanent=True)
    body = webhook_body(message.payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "MotCua-Webhook/1",
        "X-MotCua-Topic": message.topic,
        "X-MotCua-Delivery": str(message.pk),
        "X-MotCua-Signature": sign(subscription.secret, body),
    }
    post(message.recipient, body, headers, timeout=settings.MOTCUA_WEBHOOK_TIMEOUT)
