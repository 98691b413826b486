"""Periods as users name them: a year "2026", a quarter "2026-Q1", a month "2026-03" (pure)."""

from __future__ import annotations

import datetime as dt
import re

from motcua.reports.bieu06 import Period, ReportError

__all__ = ["parse_period", "name_of", "current_quarter"]

_YEAR, _QUARTER, _MONTH = re.compile(r"(\d{4})"), re.compile(r"(\d{4})-[Qq]([1-4])"), re.compile(r"(\d{4})-(\d{2})")


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def parse_period(text: str) -> Period:
    text = (text or "").strip()
    if m := _YEAR.fullmatch(text):
        y = int(m[1])
        return Period(dt.date(y, 1, 1), dt.date(y, 12, 31))
    if m := _QUARTER.fullmatch(text):
        y, q = int(m[1]), int(m[2])
        return Period(dt.date(y, 3 * q - 2, 1), _month_end(y, 3 * q))
    if (m := _MONTH.fullmatch(text)) and 1 <= int(m[2]) <= 12:
        y, mo = int(m[1]), int(m[2])
        return Period(dt.date(y, mo, 1), _month_end(y, mo))
    raise ReportError(f"Kỳ “{text}” không hợp lệ: dùng năm (2026), quý (2026-Q1) hoặc tháng (2026-03).")


def name_of(period: Period) -> str:
    s, e = period.start, period.end
    if s.day == 1 and e == _month_end(e.year, e.month):
        if s.month == 1 and e.month == 12 and s.year == e.year:
            return f"Năm {s.year}"
        if s.year == e.year and e.month == s.month + 2 and s.month % 3 == 1:
            return f"Quý {(s.month + 2) // 3}/{s.year}"
        if (s.year, s.month) == (e.year, e.month):
            return f"Tháng {s.month:02d}/{s.year}"
    return f"Từ {s:%d/%m/%Y} đến {e:%d/%m/%Y}"


def current_quarter(today: dt.date) -> str:
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
