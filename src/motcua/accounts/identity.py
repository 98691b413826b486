"""Identity numbers of applicants. Pure Python, no Django import.

- CCCD (căn cước / căn cước công dân): 12 digits; the first 3 are the province code of the place
  of birth registration (TT 07/2016/TT-BCA, the 63 pre-2025 provinces), the 4th encodes sex and
  century, the 5th–6th the year of birth.
- Tax code (mã số thuế): 10 digits whose 10th is a check digit, or 13 = 10 + a 3-digit branch
  suffix, written ``0101234567-001`` (TT 105/2020/TT-BTC).
"""

from __future__ import annotations

import re

__all__ = ["IdentityError", "normalize_cccd", "normalize_tax_code", "CCCD_PROVINCE_CODES"]

# Province codes of TT 07/2016/TT-BCA (Hà Nội 001 … Cà Mau 096): the 63 provinces before 1/7/2025.
CCCD_PROVINCE_CODES = frozenset(
    f"{n:03d}"
    for n in (
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
        38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
        79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    )
)
_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


class IdentityError(ValueError):
    """An identity number that cannot be right; the message is for the user."""


def normalize_cccd(raw: str) -> str:
    value = re.sub(r"\s", "", raw or "")
    if not re.fullmatch(r"\d{12}", value):
        raise IdentityError("Số căn cước công dân phải gồm đúng 12 chữ số.")
    if value[:3] not in CCCD_PROVINCE_CODES:
        raise IdentityError(
            f"Số căn cước công dân {value}: 3 chữ số đầu “{value[:3]}” không phải mã tỉnh, thành phố hợp lệ."
        )
    return value


def normalize_tax_code(raw: str) -> str:
    value = re.sub(r"[\s.]", "", raw or "")
    match = re.fullmatch(r"(\d{10})-?(\d{3})?", value)
    if not match:
        raise IdentityError("Mã số thuế gồm 10 chữ số, hoặc 13 chữ số (10 chữ số, dấu “-”, 3 chữ số chi nhánh).")
    base, branch = match.groups()
    total = sum(int(d) * w for d, w in zip(base[:9], _TAX_WEIGHTS))
    check = 10 - total % 11
    if check == 10 or int(base[9]) != check:
        raise IdentityError(f"Mã số thuế {base}: chữ số kiểm tra không đúng; vui lòng kiểm tra lại.")
    if branch is not None and branch == "000":
        raise IdentityError("Mã số thuế chi nhánh có 3 chữ số cuối từ 001 đến 999.")
    return f"{base}-{branch}" if branch else base
