"""SMS gateways behind one small interface; ``MOTCUA_SMS_GATEWAY`` picks one by name.

Add a gateway (a telecom's brandname API, say) by subclassing ``SmsGateway`` and decorating it
with ``@register_sms_gateway("name")``.
"""

from __future__ import annotations

import abc
import json
import logging
from typing import Callable, TypeVar

from django.conf import settings

from motcua.notify.errors import DeliveryError
from motcua.notify.transport import post

__all__ = ["SmsGateway", "LogGateway", "HttpGateway", "register_sms_gateway", "sms_gateway", "GATEWAYS"]

logger = logging.getLogger("motcua.notify.sms")


class SmsGateway(abc.ABC):
    @abc.abstractmethod
    def send(self, to: str, text: str, message_id: int) -> None:
        """Deliver ``text`` to the phone number ``to``; raise DeliveryError on failure.
        ``message_id`` is the same on every retry, so a gateway may drop duplicates."""


GATEWAYS: dict[str, type[SmsGateway]] = {}
G = TypeVar("G", bound=type[SmsGateway])


def register_sms_gateway(name: str) -> Callable[[G], G]:
    def decorator(cls: G) -> G:
        GATEWAYS[name] = cls
        return cls
    return decorator


def sms_gateway() -> SmsGateway:
    name = settings.MOTCUA_SMS_GATEWAY
    try:
        return GATEWAYS[name]()
    except KeyError:
        raise DeliveryError(f"Cổng SMS không tồn tại: {name!r} (có: {', '.join(sorted(GATEWAYS))})") from None


@register_sms_gateway("log")
class LogGateway(SmsGateway):
    """Writes the SMS to the log instead of sending it (demo and development)."""

    def send(self, to: str, text: str, message_id: int) -> None:
        logger.warning("SMS #%s to %s: %s", message_id, to, text)


@register_sms_gateway("http")
class HttpGateway(SmsGateway):
    """POSTs {"to", "text", "id"} as JSON to MOTCUA_SMS_URL with a bearer token; 2xx = accepted."""

    def send(self, to: str, text: str, message_id: int) -> None:
        url = settings.MOTCUA_SMS_URL
        if not url:
            raise DeliveryError("Chưa cấu hình MOTCUA_SMS_URL cho cổng SMS http.")
        body = json.dumps({"to": to, "text": text, "id": message_id}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "MotCua-SMS/1"}
        if settings.MOTCUA_SMS_TOKEN:
            headers["Authorization"] = f"Bearer {settings.MOTCUA_SMS_TOKEN}"
        post(url, body, headers, timeout=settings.MOTCUA_SMS_TIMEOUT)
