"""Citizen-evaluation scores (TT 01/2018 Điều 13–15) of a quarter or a year, per resolving unit and
per officer, read from the tables.

The dossiers judged are those resolved in the period (a decision: result ready, returned, or
refused; a withdrawn or stopped dossier has no handling to judge), counted at their resolving unit.
Four queries whatever the size: the dossiers with their SQL-counted facts (supplements, founded
complaints, the rating by a join), their finished steps and inter-agency tasks, the units' feedback
counts (SQL aggregates) and the units' online counts (SQL aggregates). ``score_rules`` turns facts
into points; an officer's scores are the means over the dossiers they finished a step of.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate

from motcua.accounts.models import User
from motcua.catalog.models import OnlineMode
from motcua.calendar.core import TZ
from motcua.dossiers.models import AgencyTask, Channel, Dossier, DossierStep, State
from motcua.feedback.models import Feedback, FeedbackKind, FeedbackState
from motcua.org.models import OrgUnit
from motcua.reports.bieu06 import Period, ReportError
from motcua.reports.score_rules import (DossierFacts, FeedbackFacts, OnlineFacts, Scores, aggregate,
                                        dossier_points, indicator8, indicator9)

__all__ = ["score_period", "UnitScores", "StaffScores", "ScoreReport", "compute", "RESOLVED_STATES"]

RESOLVED_STATES = (State.RESULT_READY, State.REFUSED, State.RETURNED)
_RATING = ("evaluation__i1", "evaluation__i2", "evaluation__i3", "evaluation__i4", "evaluation__i6", "evaluation__i7")


def score_period(year, quarter=None) -> Period:
    """A quarter (1–4) of a year, or the whole year; bad input is a ReportError in Vietnamese."""
    text = str(year if year is not None else "").strip()
    if not text.isdigit() or not 2000 <= int(text) <= 2100:
        raise ReportError(f"Năm “{text}” không hợp lệ (bốn chữ số, từ 2000 đến 2100).")
    y = int(text)
    if quarter in (None, ""):
        return Period(dt.date(y, 1, 1), dt.date(y, 12, 31))
    q = str(quarter).strip()
    if q not in ("1", "2", "3", "4"):
        raise ReportError(f"Quý “{q}” không hợp lệ (1, 2, 3 hoặc 4).")
    first = dt.date(y, 3 * int(q) - 2, 1)
    last = dt.date(y + 1, 1, 1) if q == "4" else dt.date(y, 3 * int(q) + 1, 1)
    return Period(first, last - dt.timedelta(days=1))


@dataclass
class UnitScores:
    unit: OrgUnit
    scores: Scores
    feedback: FeedbackFacts
    online: OnlineFacts


@dataclass
class StaffScores:
    user: User
    unit_names: str
    scores: Scores


@dataclass
class ScoreReport:
    period: Period
    granularity: str
    units: list[UnitScores]
    staff: list[StaffScores]


def _resolving(units: QuerySet[OrgUnit] | None, unit: OrgUnit | None, field: str = "resolving_unit") -> Q:
    q = Q()
    if unit is not None:
        q &= Q(**{f"{field}__path__startswith": unit.path})
    if units is not None:
        q &= Q(**{f"{field}__in": units.values("pk")})
    return q


def resolved_dossiers(period: Period, unit: OrgUnit | None = None, units: QuerySet[OrgUnit] | None = None
                      ) -> QuerySet[Dossier]:
    """The dossiers the period's scores judge (also the drill-down of a score)."""
    return Dossier.objects.filter(_resolving(units, unit), received_at__isnull=False, state__in=RESOLVED_STATES,
                                  finished_at__gte=period.starts, finished_at__lt=period.ends)


def _dossier_facts(qs: QuerySet[Dossier]) -> dict[int, tuple[int, DossierFacts]]:
    complaint = Feedback.objects.filter(dossier=OuterRef("pk"), kind=FeedbackKind.CONDUCT, unfounded=False).exclude(
        state=FeedbackState.DECLINED)
    rows = (qs.annotate(legal_due=Coalesce("extension__previous_due_at", "due_at"),
                        n_supplements=Count("supplements"), complaint=Exists(complaint))
            .order_by().values_list("pk", "resolving_unit_id", "finished_at", "legal_due", "n_supplements",
                                    "complaint", *_RATING))
    found = {}
    for pk, unit_id, finished, due, supplements, complaint_, *rating in rows:
        points = dict(zip((1, 2, 3, 4, 6, 7), rating))
        found[pk] = (unit_id, DossierFacts(finished, due, (), supplements, complaint_,
                                           points if any(v is not None for v in rating) else {}))
    return found


def _timings(qs: QuerySet[Dossier]):
    """(dossier id → [(finished, due)]) of timed steps and tasks, and (dossier id → {officer ids})."""
    ids = qs.values("pk")
    timings, officers = defaultdict(list), defaultdict(set)
    for dossier_id, finished, due, who in (DossierStep.objects.filter(dossier__in=ids, finished_at__isnull=False)
                                           .order_by().values_list("dossier_id", "finished_at", "due_at", "finished_by_id")):
        if due is not None:
            timings[dossier_id].append((finished, due))
        if who is not None:
            officers[dossier_id].add(who)
    for dossier_id, finished, due in (AgencyTask.objects.filter(dossier__in=ids, completed_at__isnull=False)
                                      .order_by().values_list("dossier_id", "completed_at", "due_at")):
        timings[dossier_id].append((finished, due))
    return timings, officers


def _feedback(period: Period, unit, units) -> dict[int, FeedbackFacts]:
    ends = period.ends
    closed = Q(closed_at__isnull=False, closed_at__lt=ends)
    prolonged = (Q(closed_at__isnull=True) | Q(closed_at__gte=ends)) & Q(answer_due_at__lt=ends)
    rows = (Feedback.objects.filter(_resolving(units, unit, "unit"), submitted_at__gte=period.starts,
                                    submitted_at__lt=ends)
            .values("unit").order_by()
            .annotate(judged=Count("pk", filter=closed | prolonged),
                      on_time=Count("pk", filter=closed & Q(closed_at__lte=F("answer_due_at"))),
                      prolonged=Count("pk", filter=prolonged)))
    return {r["unit"]: FeedbackFacts(r["judged"], r["on_time"], r["prolonged"]) for r in rows}


def _online(period: Period, granularity: str, unit, units) -> dict[int, OnlineFacts]:
    starts, ends = period.starts, period.ends
    scope = Dossier.objects.filter(_resolving(units, unit))
    online_mode = Q(procedure_version__online_mode__in=[OnlineMode.FULL, OnlineMode.PARTIAL])
    received = (scope.filter(received_at__gte=starts, received_at__lt=ends).values("resolving_unit").order_by()
                .annotate(procedures=Count("procedure_version__procedure", distinct=True),
                          online=Count("procedure_version__procedure", distinct=True, filter=online_mode),
                          received=Count("pk"), received_online=Count("pk", filter=Q(channel=Channel.ONLINE))))
    # An online dossier late in the period: finished in it after its due, or open past due at its end.
    if granularity == "date":
        finished_late = Q(finished_date__gt=F("due_date"))
        open_bound = ends - dt.timedelta(days=1)   # over when the due date is before the period's last day
    else:
        finished_late = Q(finished_at__gt=F("due_at"))
        open_bound = ends
    late = (scope.filter(channel=Channel.ONLINE, received_at__lt=ends, due_at__isnull=False)
            .annotate(finished_date=TruncDate("finished_at", tzinfo=TZ), due_date=TruncDate("due_at", tzinfo=TZ))
            .filter((Q(finished_at__gte=starts, finished_at__lt=ends) & finished_late)
                    | ((Q(finished_at__isnull=True) | Q(finished_at__gte=ends)) & Q(due_at__lt=open_bound)))
            .values("resolving_unit").order_by().annotate(n=Count("pk")))
    late_by_unit = {r["resolving_unit"]: r["n"] for r in late}
    found = {r["resolving_unit"]: OnlineFacts(r["procedures"], r["online"], r["received"], r["received_online"],
                                              late_by_unit.get(r["resolving_unit"], 0)) for r in received}
    for unit_id, n in late_by_unit.items():
        found.setdefault(unit_id, OnlineFacts(online_late=n))
    return found


def compute(period: Period, *, unit: OrgUnit | None = None, units: QuerySet[OrgUnit] | None = None,
            granularity: str | None = None) -> ScoreReport:
    """The scores of ``period`` for the resolving units under ``unit`` (all when None) that are among
    ``units`` (the reader's reach; all when None), and of the officers who worked on their dossiers."""
    granularity = granularity or settings.MOTCUA_ON_TIME_GRANULARITY
    qs = resolved_dossiers(period, unit, units)
    facts = _dossier_facts(qs)
    timings, officers = _timings(qs)
    per_unit, per_officer = defaultdict(list), defaultdict(list)
    officer_units = defaultdict(set)
    for pk, (unit_id, f) in facts.items():
        f = DossierFacts(f.finished_at, f.legal_due_at, tuple(timings.get(pk, ())), f.supplements,
                         f.founded_complaint, f.rating)
        points = dossier_points(f, granularity)
        per_unit[unit_id].append(points)
        for who in officers.get(pk, ()):
            per_officer[who].append(points)
            officer_units[who].add(unit_id)
    feedback = _feedback(period, unit, units)
    online = _online(period, granularity, unit, units)
    unit_ids = set(per_unit) | set(feedback) | set(online)
    by_pk = OrgUnit.objects.in_bulk(unit_ids | {u for s in officer_units.values() for u in s})
    unit_rows = []
    for unit_id in unit_ids:
        fb, on = feedback.get(unit_id, FeedbackFacts()), online.get(unit_id, OnlineFacts())
        own = {5: None, 8: indicator8(fb), 9: indicator9(on)}
        unit_rows.append(UnitScores(by_pk[unit_id], aggregate(per_unit.get(unit_id, []), own), fb, on))
    unit_rows.sort(key=lambda r: (-(r.scores.total or -1), by_pk[r.unit.pk].path))
    people = User.objects.in_bulk(per_officer)
    staff_rows = [StaffScores(people[who], ", ".join(sorted(by_pk[u].name for u in officer_units[who])),
                              aggregate(points)) for who, points in per_officer.items()]
    staff_rows.sort(key=lambda r: (-(r.scores.total or -1), r.user.username))
    return ScoreReport(period, granularity, unit_rows, staff_rows)
