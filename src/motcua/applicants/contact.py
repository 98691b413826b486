"""Login identifiers and contact details as people type them. Pure Python, no Django import.

A login is an e-mail address or a Vietnamese mobile number. Phones are kept in the national form
``0xxxxxxxxx`` (10 digits, as the 2018 renumbering left every mobile number), whatever the user
typed: ``+84 912 345 678``, ``84912345678``, ``0912.345.678``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["ContactError", "Login", "normalize_phone", "normalize_email", "parse_login", "mask"]

_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
# Mobile prefixes in use since the 2018 renumbering: 03x, 05x, 07x, 08x, 09x.
_MOBILE = re.compile(r"0[35789]\d{8}")
# Deliberately plain: the mail server is the real judge; this only catches typing slips.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")


class ContactError(ValueError):
    """A phone or e-mail that cannot be right; the message is for the user."""


def normalize_phone(raw: str) -> str:
    value = _PHONE_SEPARATORS.sub("", raw or "")
    if value.startswith("+84"):
        value = "0" + value[3:]
    elif value.startswith("84") and len(value) == 11:
        value = "0" + value[2:]
    if not _MOBILE.fullmatch(value):
        raise ContactError("Số điện thoại di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 "
                           "(ví dụ 0912345678 hoặc +84912345678).")
    return value


def normalize_email(raw: str) -> str:
    # Lower-cased whole: nobody expects Nam@… and nam@… to be two different citizens.
    value = unicodedata.normalize("NFC", raw or "").strip().lower()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ContactError("Địa chỉ thư điện tử không hợp lệ (ví dụ: ten@example.vn).")
    return value


@dataclass(frozen=True)
class Login:
    kind: str  # "email" or "phone"
    value: str


def parse_login(raw: str) -> Login:
    """An e-mail when it contains "@", else a phone number."""
    raw = (raw or "").strip()
    if not raw:
        raise ContactError("Nhập địa chỉ thư điện tử hoặc số điện thoại.")
    if "@" in raw:
        return Login("email", normalize_email(raw))
    try:
        return Login("phone", normalize_phone(raw))
    except ContactError:
        raise ContactError("Nhập địa chỉ thư điện tử (ví dụ ten@example.vn) hoặc số điện thoại di động "
                           "10 chữ số (ví dụ 0912345678).") from None


def mask(login: str) -> str:
    """What a page may show of where a code went: ``ng***@example.vn``, ``091****678``."""
    if "@" in login:
        name, _, domain = login.partition("@")
        return f"{name[:2]}***@{domain}"
    return f"{login[:3]}****{login[-3:]}"
