"""Citizen-evaluation scores, TT 01/2018/TT-VPCP Điều 13–15: the points of one dossier and of one
unit, from plain facts. Pure Python (no Django); ``reports.scores`` reads the facts from the tables.

A dossier's points come from the information system where it knows the fact, else from the
applicant's rating (``feedback.Evaluation``):

- 1 (total time vs the legal time): the finish against the due instant *without* the apology's new
  date (an apology extends the appointment, not the legal time) — early 2, equal 1, later 0;
- 2 (each agency's time vs its allotment): every timed workflow step and inter-agency task — all
  early 2, any late 0, else 1; the rating when no step carries a due instant;
- 3 (contacts to complete the dossier): the supplement requests (at intake and during processing) —
  none 2, one 1, more 0 (the law's "guidance once and in full" makes a second request the agency's
  fault);
- 4 (agencies contacted) and 6 (publicity): only the applicant knows — the rating;
- 7 (attitude): a founded complaint about conduct on the dossier is 0 whatever the rating; else the
  rating; else the finish (early 2, on time 1, late 0 — option 1 requires "đúng thời hạn").

A unit's 8 (feedback handling) and 9 (online service) come from its data; 5 (the share of
procedures decided at the one-stop desk) needs facts MotCua does not record and is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from motcua.calendar.deadline import EARLY, LATE, ON_TIME, classify_finished
from motcua.feedback.scoring import (STAFF_INDICATORS, classify_staff, classify_unit, indicator_score,
                                     staff_total, unit_total)

__all__ = ["DossierFacts", "dossier_points", "FeedbackFacts", "indicator8", "OnlineFacts", "indicator9",
           "Scores", "aggregate", "PER_DOSSIER", "UNIT_INDICATORS", "STAFF_MAX", "UNIT_MAX"]

PER_DOSSIER = (1, 2, 3, 4, 6, 7)
UNIT_INDICATORS = (1, 2, 3, 4, 5, 6, 7, 8, 9)
STAFF_MAX, UNIT_MAX = 10, 18
_POINTS = {EARLY: 2, ON_TIME: 1, LATE: 0}


@dataclass(frozen=True)
class DossierFacts:
    """What scoring needs of one resolved dossier. ``timings`` are (finished, due) of its timed
    steps and inter-agency tasks; ``rating`` the applicant's points by indicator (empty: not rated)."""

    finished_at: dt.datetime
    legal_due_at: dt.datetime | None
    timings: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
    supplements: int = 0
    founded_complaint: bool = False
    rating: Mapping[int, int | None] = field(default_factory=dict)


def _timeliness(finished: dt.datetime, due: dt.datetime | None, granularity: str) -> str | None:
    return None if due is None else classify_finished(finished, due, granularity)


def dossier_points(f: DossierFacts, granularity: str = "date") -> dict[int, int | None]:
    """The dossier's points on indicators 1, 2, 3, 4, 6, 7 (None: no data, left out)."""
    rated = {i: f.rating.get(i) for i in PER_DOSSIER}
    timeliness = _timeliness(f.finished_at, f.legal_due_at, granularity)
    p1 = _POINTS[timeliness] if timeliness else rated[1]
    steps = [classify_finished(done, due, granularity) for done, due in f.timings]
    if not steps:
        p2 = rated[2]
    elif LATE in steps:
        p2 = 0
    else:
        p2 = 2 if all(s == EARLY for s in steps) else 1
    p3 = 2 if f.supplements == 0 else 1 if f.supplements == 1 else 0
    if f.founded_complaint:
        p7 = 0
    elif rated[7] is not None:
        p7 = rated[7]
    else:
        p7 = _POINTS[timeliness] if timeliness else None
    return {1: p1, 2: p2, 3: p3, 4: rated[4], 6: rated[6], 7: p7}


@dataclass(frozen=True)
class FeedbackFacts:
    """A unit's feedback (PAKN) sent in the period, as of the period's end: ``judged`` the ones that
    can be judged (answered or declined by then, or still open past their due instant), ``on_time``
    the ones closed by their due instant, ``prolonged`` the ones still open past it."""

    judged: int = 0
    on_time: int = 0
    prolonged: int = 0


def indicator8(f: FeedbackFacts) -> int:
    """Điều 13 indicator 8: none, or all on time and none prolonged 2; ≥ 90% on time and none
    prolonged 1; else 0."""
    if f.judged == 0:
        return 2
    if f.prolonged:
        return 0
    if f.on_time == f.judged:
        return 2
    return 1 if Decimal(f.on_time) / f.judged >= Decimal("0.9") else 0


@dataclass(frozen=True)
class OnlineFacts:
    """A unit's online service in the period: its procedures (``procedures``, of which ``online`` at
    level 3–4: partly or fully online), the dossiers it received (``received``, of which
    ``received_online``), and its online dossiers finished late or still open past due (``online_late``)."""

    procedures: int = 0
    online: int = 0
    received: int = 0
    received_online: int = 0
    online_late: int = 0


def indicator9(f: OnlineFacts) -> int | None:
    """Điều 13 indicator 9: ≥ 20% of procedures at level 3–4, ≥ 30% of dossiers online and no online
    dossier late 2; level 3–4 deployed, ≥ 15% online and none late 1; else 0. None without received
    dossiers (nothing to judge). ≥ 30% online with under 20% of procedures online earns 1: it meets
    every condition of 1 but not all of 2."""
    if f.received == 0:
        return None
    share = Decimal(f.received_online) / f.received
    if f.online == 0 or f.online_late or share < Decimal("0.15"):
        return 0
    if share >= Decimal("0.3") and f.procedures and Decimal(f.online) / f.procedures >= Decimal("0.2"):
        return 2
    return 1


@dataclass
class Scores:
    """Indicator scores (None: left out), the total, the maximum reachable with the indicators that
    have data, and the classification."""

    dossiers: int
    indicators: dict[int, Decimal | None]
    total: Decimal | None
    reachable: int
    classification: str


def _means(points: Iterable[Mapping[int, int | None]], numbers: Iterable[int]) -> dict[int, Decimal | None]:
    points = list(points)
    return {i: indicator_score(p.get(i) for p in points) for i in numbers}


def aggregate(points: Iterable[Mapping[int, int | None]], unit_points: Mapping[int, int | None] | None = None
              ) -> Scores:
    """Staff scores when ``unit_points`` is None (indicators 1, 2, 3, 4, 7; maximum 10), else unit
    scores (the dossier means plus the unit's own 5, 8, 9; maximum 18). Indicator 6 of a unit is
    the mean of its dossiers' ratings."""
    points = list(points)
    if unit_points is None:
        scores = _means(points, STAFF_INDICATORS)
        total = staff_total(scores)
        label = classify_staff(total) if total is not None else "Chưa có dữ liệu"
    else:
        scores = _means(points, PER_DOSSIER)
        for i in (5, 8, 9):
            value = unit_points.get(i)
            scores[i] = None if value is None else Decimal(value).quantize(Decimal("0.1"))
        scores = {i: scores[i] for i in UNIT_INDICATORS}
        total = unit_total(scores)
        label = classify_unit(total) if total is not None else "Chưa có dữ liệu"
    reachable = 2 * sum(1 for v in scores.values() if v is not None)
    return Scores(len(points), scores, total, reachable, label)
