"""Handling deadlines of feedback (PAKN), QĐ 766/QĐ-TTg indicator 5.2. Pure Python.

Indicator 5.2 counts a PAKN as handled on time when it was processed within 15 working days, or
refused within 2 working days, each measured from its submission or from its latest transfer to
another unit (shared/domain.md §5.2, [I/S]: kept here as data, one place to change). Working days
come from the responsible unit's calendar. Overdue is derived from these instants at a moment,
never stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from motcua.calendar import Duration, WorkCalendar

__all__ = ["ANSWER_DAYS", "REFUSAL_DAYS", "Dues", "dues", "standing"]

ANSWER_DAYS = 15
REFUSAL_DAYS = 2


@dataclass(frozen=True)
class Dues:
    answer: dt.datetime  # the answer is due by then
    refusal: dt.datetime  # declining to handle it is only timely until then


def dues(calendar: WorkCalendar, start: dt.datetime) -> Dues:
    return Dues(answer=calendar.due(start, Duration(ANSWER_DAYS, "working_days")),
                refusal=calendar.due(start, Duration(REFUSAL_DAYS, "working_days")))


def standing(*, due: dt.datetime, closed_at: dt.datetime | None, now: dt.datetime) -> str:
    """"on_time" / "late" once closed; "open" / "overdue" while open (at ``now``)."""
    if closed_at is not None:
        return "on_time" if closed_at <= due else "late"
    return "overdue" if now > due else "open"
