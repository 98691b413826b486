"""motcua.calendar — working time, due instants and their explanation. Pure Python, no Django.

>>> import datetime as dt
>>> from motcua.calendar import civil_service, Duration, TZ
>>> cal = civil_service()
>>> cal.due(dt.datetime(2025, 1, 24, 10, 0, tzinfo=TZ), Duration(3, "working_days")).isoformat()
'2025-02-05T10:00:00+07:00'
"""

from motcua.calendar.core import (
    DEFAULT_OFFICE_HOURS, TZ, CalendarError, DayKind, Duration, OfficeHours, SpecialDay, Unit, WorkCalendar,
)
from motcua.calendar.schedule import BUSINESS, CIVIL_SERVICE, business, civil_service, official_days

__all__ = [
    "TZ", "CalendarError", "DayKind", "Duration", "OfficeHours", "SpecialDay", "Unit", "WorkCalendar",
    "DEFAULT_OFFICE_HOURS", "BUSINESS", "CIVIL_SERVICE", "business", "civil_service", "official_days",
]
