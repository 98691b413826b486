"""Standing of many dossiers at one moment, for lists.

``dossiers.progress.standing`` looks the resolving agency's calendar up for every dossier (three
queries each); a list of 25 rows would spend most of its time there. ``Clock`` gives the same
answer (tests/test_workspace.py checks it against ``progress.standing``) with one calendar lookup
per agency, then only arithmetic.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from motcua.calendar.deadline import LABELS, classify_finished
from motcua.dossiers.models import OPEN_STATES, Dossier
from motcua.dossiers.progress import Standing, granularity, step_standing
from motcua.org.models import OrgUnit
from motcua.worktime.services import calendar_of_unit

__all__ = ["Clock"]


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now
        self._calendars: dict[int, object] = {}  # by unit id
        self._by_holder: dict[int | None, object] = {}
        self._units: dict[int, tuple[str, int | None]] | None = None

    def calendar(self, unit):
        return self.calendar_of_unit_id(unit.pk)

    def calendar_of_unit_id(self, unit_id: int):
        """The unit's working calendar (``calendar_of_unit``), looked up once per calendar, not per unit."""
        if unit_id not in self._calendars:
            if self._units is None:
                self._units = {pk: (path, cal) for pk, path, cal in OrgUnit.objects.values_list("pk", "path", "calendar")}
            path = self._units[unit_id][0]
            ancestors = [int(x) for x in path.strip("/").split("/") if x]
            holder = next((self._units[pk][1] for pk in reversed(ancestors) if self._units[pk][1]), None)
            if holder not in self._by_holder:
                self._by_holder[holder] = calendar_of_unit(OrgUnit(pk=unit_id, path=path))
            self._calendars[unit_id] = self._by_holder[holder]
        return self._calendars[unit_id]

    def at_risk(self, qs) -> list[tuple[int, int]]:
        """(id, resolving unit id) of the dossiers of ``qs`` that ``standing`` calls at risk, by due
        instant — read as plain values (no model instances), so thousands cost milliseconds."""
        rows = (qs.filter(state__in=OPEN_STATES, due_at__gte=self.now, current_step__due_at__isnull=False,
                          current_step__finished_at__isnull=True)
                .order_by("due_at", "id")
                .values_list("id", "resolving_unit_id", "current_step__due_at", "current_step__started_at"))
        found = []
        step = SimpleNamespace(due_at=None, started_at=None, finished_at=None)
        for pk, unit_id, step.due_at, step.started_at in rows:
            if step_standing(step, self.now, self.calendar_of_unit_id(unit_id)).status == "at_risk":
                found.append((pk, unit_id))
        return found

    def standing(self, d: Dossier) -> Standing:
        """As ``progress.standing(d, now)``."""
        if d.due_at is None:
            return Standing("none", "chưa có hạn", None, "")
        if d.finished_at is not None:
            status = classify_finished(d.finished_at, d.due_at, granularity())
            return Standing(status, LABELS[status], None, "")
        if d.state not in OPEN_STATES:
            return Standing("none", "", None, "")
        cal = self.calendar_of_unit_id(d.resolving_unit_id)
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
