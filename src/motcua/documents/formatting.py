"""How values are written on the forms: Vietnamese date and time wording, money, the place-and-date
line. Every instant is shown in Asia/Ho_Chi_Minh whatever zone it arrives in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from motcua.calendar import TZ

__all__ = ["Instant", "vn_time", "vn_date", "vn_clock", "vn_money", "place_date"]


def _local(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"a naive datetime cannot be placed in Asia/Ho_Chi_Minh: {value!r}")
    return value.astimezone(TZ)


def vn_time(value: dt.datetime) -> str:
    """``10 giờ 00 phút, ngày 24/01/2025``."""
    v = _local(value)
    return f"{v.hour:02d} giờ {v.minute:02d} phút, ngày {v:%d/%m/%Y}"


def vn_date(value: dt.datetime) -> str:
    """``24/01/2025``."""
    return f"{_local(value):%d/%m/%Y}"


def vn_clock(value: dt.datetime) -> str:
    """``10 giờ 00`` — the time of day alone, for narrow table columns."""
    v = _local(value)
    return f"{v.hour:02d} giờ {v.minute:02d}"


def vn_money(amount: int) -> str:
    """``50.000 đồng`` — dot as the thousands separator."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def place_date(place: str, value: dt.datetime) -> str:
    """``Thanh Hóa, ngày 21 tháng 11 năm 2026``.

    Days below 10 and the months 1 and 2 take a leading zero, as NĐ 30/2020/NĐ-CP (Phụ lục I)
    prescribes for administrative documents ("ngày 05 tháng 02", but "tháng 3") [S].
    """
    v = _local(value)
    month = f"{v.month:02d}" if v.month <= 2 else str(v.month)
    return f"{place}, ngày {v.day:02d} tháng {month} năm {v.year}"


@dataclass(frozen=True)
class Instant:
    """An aware datetime as templates see it: ``{{ x }}`` is the full wording (``vn_time``),
    ``{{ x.date }}`` the date and ``{{ x.clock }}`` the time of day."""

    value: dt.datetime

    def __post_init__(self) -> None:
        _local(self.value)  # refuse naive values at once

    def __str__(self) -> str:
        return vn_time(self.value)

    @property
    def date(self) -> str:
        return vn_date(self.value)

    @property
    def clock(self) -> str:
        return vn_clock(self.value)
