"""Where a dossier stands against its clock — derived from due instants at a moment, never stored.

Overdue: the due instant has passed and the dossier is not finished. At risk: the open step has
less than ``MOTCUA_AT_RISK_SHARE`` of the working time it was given left. Classification of
finished steps and dossiers follows ``MOTCUA_ON_TIME_GRANULARITY`` (date, as most reports, or instant).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from motcua.calendar.deadline import LABELS, classify_finished, classify_open, format_working_time
from motcua.dossiers.models import OPEN_STATES, Dossier, DossierStep

__all__ = ["overdue_q", "Standing", "standing", "step_standing", "control_sheet", "granularity"]


def granularity() -> str:
    return getattr(settings, "MOTCUA_ON_TIME_GRANULARITY", "date")


def overdue_q(now: dt.datetime) -> Q:
    """Dossiers over their due instant at ``now`` (a filter, so lists stay one query)."""
    return Q(state__in=OPEN_STATES, due_at__lt=now)


@dataclass(frozen=True)
class Standing:
    status: str               # within / over / at_risk / early / on_time / late / none
    label: str                # Vietnamese
    remaining_seconds: int | None
    remaining_text: str       # “còn 1 ngày 3 giờ làm việc” / “quá 2 giờ làm việc”


def _calendar(d: Dossier):
    from motcua.dossiers.services import calendar_of

    return calendar_of(d)


def standing(d: Dossier, now: dt.datetime) -> Standing:
    """The dossier as a whole: finished → early / on time / late; open → within / at risk / over."""
    if d.due_at is None:
        return Standing("none", "chưa có hạn", None, "")
    if d.finished_at is not None:
        status = classify_finished(d.finished_at, d.due_at, granularity())
        return Standing(status, LABELS[status], None, "")
    if d.state not in OPEN_STATES:
        return Standing("none", "", None, "")
    cal = _calendar(d)
    remaining = cal.working_seconds(now, d.due_at)
    text = _remaining_text(remaining, cal.hours_per_day)
    if now > d.due_at:
        return Standing("over", LABELS["over"], remaining, text)
    step = d.current_step
    if step is not None and step.due_at is not None and step_standing(step, now, cal).status == "at_risk":
        return Standing("at_risk", "sắp đến hạn", remaining, text)
    return Standing("within", LABELS["within"], remaining, text)


def _remaining_text(seconds: int, hours_per_day: int) -> str:
    words = format_working_time(seconds, hours_per_day)
    return words if seconds < 0 else f"còn {words}"


def step_standing(step: DossierStep, now: dt.datetime, cal) -> Standing:
    """One step: finished → early / on time / late against its due instant; open → within / at risk / over."""
    if step.due_at is None:
        return Standing("none", "", None, "")
    if step.finished_at is not None:
        status = classify_finished(step.finished_at, step.due_at, granularity())
        return Standing(status, LABELS[status], None, "")
    remaining = cal.working_seconds(now, step.due_at)
    text = _remaining_text(remaining, cal.hours_per_day)
    if now > step.due_at:
        return Standing("over", LABELS["over"], remaining, text)
    allotted = max(cal.working_seconds(step.started_at, step.due_at), 1)
    if remaining < allotted * float(getattr(settings, "MOTCUA_AT_RISK_SHARE", 0.2)):
        return Standing("at_risk", "sắp đến hạn", remaining, text)
    status = classify_open(now, step.due_at, granularity())
    return Standing(status, LABELS[status], remaining, text)


def control_sheet(d: Dossier, now: dt.datetime) -> list[dict]:
    """The process control sheet (Phiếu kiểm soát): one row per hand-off, with its timeliness."""
    cal = _calendar(d) if d.clock_start else None
    rows, previous = [], None
    for step in d.steps.select_related("unit", "assignee", "finished_by").order_by("seq"):
        result = step_standing(step, now, cal) if cal else Standing("none", "", None, "")
        rows.append({
            "seq": step.seq, "order": step.order, "agency": step.unit.name, "task": step.name, "role": step.role,
            "handed_at": step.started_at, "handed_by": _name(previous.finished_by) if previous else "",
            "received_by": _name(step.assignee), "due_at": step.due_at, "finished_at": step.finished_at,
            "outcome": step.outcome, "status": result.status, "result_label": result.label, "note": step.note,
        })
        previous = step
    return rows


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""
