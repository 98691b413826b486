"""Standing of many dossiers at one moment, for lists.

``dossiers.progress.standing`` looks the resolving agency's calendar up for every dossier (three
queries each); a list of 25 rows would spend most of its time there. ``Clock`` gives the same
answer (tests/test_workspace.py checks it against ``progress.standing``) with one calendar lookup
per agency, then only arithmetic.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from motcua.calendar.deadline import LABELS, classify_finished
from motcua.dossiers.models import OPEN_STATES, Dossier
from motcua.dossiers.progress import Standing, granularity, step_standing
from motcua.worktime.services import calendar_of_unit

__all__ = ["Clock"]


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now
        self._calendars: dict[int, object] = {}

    def calendar(self, unit):
        if unit.pk not in self._calendars:
            self._calendars[unit.pk] = calendar_of_unit(unit)
        return self._calendars[unit.pk]

    def standing(self, d: Dossier) -> Standing:
        """As ``progress.standing(d, now)``."""
        if d.due_at is None:
            return Standing("none", "chưa có hạn", None, "")
        if d.finished_at is not None:
            status = classify_finished(d.finished_at, d.due_at, granularity())
            return Standing(status, LABELS[status], None, "")
        if d.state not in OPEN_STATES:
            return Standing("none", "", None, "")
        cal = self.calendar(d.resolving_unit)
        remaining = cal.working_seconds(self.now, d.due_at)
        text = self.remaining_text(remaining, cal.hours_per_day)
        if self.now > d.due_at:
            return Standing("over", LABELS["over"], remaining, text)
        step = d.current_step
        if step is not None and step.due_at is not None and step_standing(step, self.now, cal).status == "at_risk":
            return Standing("at_risk", "sắp đến hạn", remaining, text)
        return Standing("within", LABELS["within"], remaining, text)

    @staticmethod
    def remaining_text(seconds: int, hours_per_day: int) -> str:
        from motcua.dossiers.progress import _remaining_text

        return _remaining_text(seconds, hours_per_day)

    def step_at_risk(self, step, d: Dossier) -> bool:
        return step_standing(step, self.now, self.calendar(d.resolving_unit)).status == "at_risk"

    @staticmethod
    def at_risk_share() -> float:
        return float(getattr(settings, "MOTCUA_AT_RISK_SHARE", 0.2))
