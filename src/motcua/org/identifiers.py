"""Electronic identifiers of agencies (QĐ 20/2020/QĐ-TTg). Pure Python, no Django import.

Grammar: at most 35 characters; groups of 0-9/A-Z separated by "."; the level-1 code MX1X2
(M a letter A–Y) stands at one end — first in the QĐ 20/2020 form (``H56.10.01``), last in the
older TT 10/2016 four-group form read right to left (``000.00.12.H56``). Enterprises are
identified by their tax code (10 digits, or 13 written with a dash).
"""

from __future__ import annotations

import re

__all__ = ["IdentifierError", "normalize_identifier"]

MAX_LENGTH = 35
_GROUP = re.compile(r"^[0-9A-Z]+$")
_LEVEL1 = re.compile(r"^[A-Y][0-9A-Z]{2}$")
_TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


class IdentifierError(ValueError):
    """An identifier that does not follow the QĐ 20/2020 grammar; the message is for the user."""


def normalize_identifier(raw: str) -> str:
    value = (raw or "").strip().upper()
    if not value:
        raise IdentifierError("Mã định danh điện tử không được để trống.")
    if len(value) > MAX_LENGTH:
        raise IdentifierError(
            f"Mã định danh điện tử dài {len(value)} ký tự; tối đa {MAX_LENGTH} ký tự (QĐ 20/2020/QĐ-TTg)."
        )
    if _TAX_CODE.match(value):
        return value
    groups = value.split(".")
    if any(not _GROUP.match(group) for group in groups):
        raise IdentifierError(
            f"Mã định danh điện tử “{raw.strip()}” chỉ gồm chữ số 0–9, chữ in hoa A–Z và các nhóm "
            "ngăn cách bằng dấu chấm (QĐ 20/2020/QĐ-TTg)."
        )
    if not (_LEVEL1.match(groups[0]) or _LEVEL1.match(groups[-1])):
        raise IdentifierError(
            f"Mã định danh điện tử “{raw.strip()}” thiếu mã cấp 1 dạng MX1X2 (một chữ cái A–Y và "
            "hai ký tự) ở đầu hoặc cuối (QĐ 20/2020/QĐ-TTg)."
        )
    return value
