"""The national calendars: official yearly schedules as data, the ``holidays`` package beyond them.

``data/vn_official_days.json`` holds every holiday, compensatory day off (nghỉ bù), swapped day
off (hoán đổi) and make-up working Saturday (làm bù) of 2020–2026 with the document that decided
it (sources in ``data/SOURCES.md``). For a year it covers, it is the whole truth; for other years
the ``holidays`` package (Vietnam, ``language="vi"``) supplies the statutory holidays until the
government's schedule for that year is entered.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from motcua.calendar.core import CalendarError, DayKind, SpecialDay, WorkCalendar

__all__ = ["OFFICIAL_DAYS_FILE", "CIVIL_SERVICE", "BUSINESS", "official_days", "statutory_holidays",
           "national_calendar", "civil_service", "business"]

OFFICIAL_DAYS_FILE = Path(__file__).resolve().parent / "data" / "vn_official_days.json"
CIVIL_SERVICE = "civil_service"  # cán bộ, công chức, viên chức: the government's yearly schedule
BUSINESS = "business"            # employers under the Labour Code: statutory days, no swaps


def official_days(calendar: str, path: Path = OFFICIAL_DAYS_FILE) -> list[SpecialDay]:
    """The rows of the official schedule that belong to ``calendar``."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = []
    for i, entry in enumerate(doc["entries"]):
        try:
            day = dt.date.fromisoformat(entry["date"])
        except (KeyError, ValueError) as exc:
            raise CalendarError(f"{Path(path).name}: dòng {i}: ngày không hợp lệ.") from exc
        if calendar in entry.get("calendars", ()):
            rows.append(SpecialDay(day, entry["kind"], entry["name"], entry.get("document", "")))
    return rows


def statutory_holidays(year: int) -> dict[dt.date, str]:
    import holidays  # imported on first use: only years without an official schedule need it

    return dict(holidays.country_holidays("VN", years=year, language="vi"))


def national_calendar(name: str, rows: Iterable[SpecialDay], **options) -> WorkCalendar:
    return WorkCalendar(name, special_days=rows, statutory=statutory_holidays, **options)


@lru_cache(maxsize=None)
def civil_service() -> WorkCalendar:
    """Government offices: Monday–Friday 07:30–11:30 and 13:30–17:00, the official schedules."""
    return national_calendar(CIVIL_SERVICE, official_days(CIVIL_SERVICE),
                             title="lịch làm việc của cơ quan hành chính nhà nước")


@lru_cache(maxsize=None)
def business() -> WorkCalendar:
    """Businesses: the statutory holidays and compensatory days, without the civil-service swaps."""
    return national_calendar(BUSINESS, official_days(BUSINESS),
                             title="lịch làm việc của doanh nghiệp (Bộ luật Lao động, không hoán đổi ngày)")


def check_rows(rows: Iterable[SpecialDay]) -> None:
    """Sanity of a schedule: make-up working days fall on weekends, days off on weekdays."""
    for row in rows:
        if row.kind == DayKind.WORKING_DAY and row.date.weekday() < 5:
            raise CalendarError(f"{row.date:%d/%m/%Y}: ngày làm bù phải là thứ Bảy hoặc Chủ nhật.")
        if row.kind == DayKind.DAY_OFF and row.date.weekday() >= 5:
            raise CalendarError(f"{row.date:%d/%m/%Y}: ngày nghỉ bù/hoán đổi phải là ngày trong tuần.")
