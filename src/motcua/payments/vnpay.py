"""VNPay's payment protocol, version 2.1.0, as pure functions (no Django): shared by the provider
that signs our redirects and checks the gateway's callbacks, and by the local fake gateway.

The signature is HMAC-SHA512 (hex) with the merchant's secret over the ``vnp_*`` parameters other
than the hash itself, sorted by key, values URL-encoded with ``quote_plus``, joined as a query
string; empty values are left out (as VNPay's reference code does).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata
from typing import Mapping
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

__all__ = [
    "VERSION", "GMT7", "HASH_FIELDS", "SUCCESS", "CANCELLED", "RSP_OK", "RSP_NOT_FOUND", "RSP_ALREADY",
    "RSP_AMOUNT", "RSP_SIGNATURE", "RSP_UNKNOWN", "RSP_MESSAGES",
    "canonical", "sign", "verify", "signed_query", "stamp", "parse_stamp", "to_gateway_amount",
    "from_gateway_amount", "ascii_text",
]

VERSION = "2.1.0"
# vnp_CreateDate, vnp_ExpireDate and vnp_PayDate are wall-clock times in Vietnam (GMT+7).
GMT7 = ZoneInfo("Asia/Ho_Chi_Minh")
HASH_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")
SUCCESS = "00"  # vnp_ResponseCode and vnp_TransactionStatus of a paid transaction
CANCELLED = "24"  # vnp_ResponseCode: the customer cancelled on the gateway's page

# The merchant's answer to the IPN, {"RspCode": ..., "Message": ...}; VNPay stops retrying on 00 and 02.
RSP_OK, RSP_NOT_FOUND, RSP_ALREADY, RSP_AMOUNT, RSP_SIGNATURE, RSP_UNKNOWN = "00", "01", "02", "04", "97", "99"
RSP_MESSAGES = {
    RSP_OK: "Confirm Success",
    RSP_NOT_FOUND: "Order not found",
    RSP_ALREADY: "Order already confirmed",
    RSP_AMOUNT: "Invalid amount",
    RSP_SIGNATURE: "Invalid signature",
    RSP_UNKNOWN: "Unknown error",
}


def canonical(params: Mapping[str, str]) -> str:
    """The exact text that is signed; it is also the query string sent (hash appended last)."""
    items = sorted((k, str(v)) for k, v in params.items()
                   if k.startswith("vnp_") and k not in HASH_FIELDS and v is not None and str(v) != "")
    return "&".join(f"{k}={quote_plus(v)}" for k, v in items)


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), canonical(params).encode("utf-8"), hashlib.sha512).hexdigest()


def verify(params: Mapping[str, str], secret: str) -> bool:
    """True when ``vnp_SecureHash`` is the signature of the other parameters (constant-time compare)."""
    given = str(params.get("vnp_SecureHash") or "").lower()
    return bool(secret) and bool(given) and hmac.compare_digest(given, sign(params, secret))


def signed_query(params: Mapping[str, str], secret: str) -> str:
    return f"{canonical(params)}&vnp_SecureHash={sign(params, secret)}"


def stamp(moment: dt.datetime) -> str:
    """yyyyMMddHHmmss in GMT+7."""
    return moment.astimezone(GMT7).strftime("%Y%m%d%H%M%S")


def parse_stamp(text: str) -> dt.datetime:
    """The reverse of ``stamp``; ValueError when it is not 14 digits of a real instant."""
    if len(text or "") != 14 or not text.isdigit():
        raise ValueError(f"not a yyyyMMddHHmmss stamp: {text!r}")
    return dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=GMT7)


def to_gateway_amount(dong: int) -> str:
    """VNPay counts in 1/100 đồng: 10.000 đồng is sent as 1000000."""
    return str(int(dong) * 100)


def from_gateway_amount(text: str) -> int:
    """đồng from vnp_Amount; ValueError unless it is a whole number of đồng."""
    if not (text or "").isdigit() or len(text) > 14 or int(text) % 100:
        raise ValueError(f"not a VNPay amount: {text!r}")
    return int(text) // 100


def ascii_text(value: str, limit: int = 255) -> str:
    """VNPay asks for vnp_OrderInfo in Vietnamese without accents (its servers read it as ASCII)."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch for ch in plain if " " <= ch <= "~")[:limit].strip()
