"""The QĐ 766 facts from the tables, aggregated in SQL: one GROUP BY query per source (dossiers,
feedback, the catalogue, online procedures used), each with conditional counts per resolving unit.
The results are small (a row per unit, or per procedure of the catalogue) and are rolled up over
the unit tree in ``compute``.

Every condition is written once and used twice: inside the counts, and — negated — by the drill-down
that lists the dossiers or feedback that cost points, so both always agree. The dossier conditions
are SQL over one row of per-dossier facts (``facts_sql``: columns stored on the dossier row, no join);
the feedback ones are ``Q`` objects on the feedback table itself.

Dossiers counted: received (``received_at``) within the period, at the resolving unit. "As of" is
the period's end, or now when the period is still running (``cutoff``): what happened later is not
seen (a dossier finished after the cutoff is still open at it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL

from motcua.catalog.models import FeeItem, LegalBasis, Level, OnlineMode, ProcedureVersion, ProcedureVariant, VersionStatus
from motcua.dossiers.models import Channel, Dossier
from motcua.feedback.models import Feedback, FeedbackState
from motcua.org.models import OrgUnit
from motcua.reports import split
from motcua.reports.index766 import facts_sql

__all__ = ["Window", "DOSSIER_COUNTS", "FEEDBACK_COUNTS", "conditions", "dossier_base", "dossier_counts", "feedback_base",
           "feedback_counts", "ProcedureFacts", "procedure_facts", "online_used", "COMPLETENESS"]


@dataclass(frozen=True)
class Window:
    starts: dt.datetime     # first instant of the period
    ends: dt.datetime       # first instant after it
    cutoff: dt.datetime     # "as of": min(ends, now)

    @property
    def as_of_day(self) -> dt.date:
        from motcua.calendar.core import TZ
        return (self.cutoff - dt.timedelta(microseconds=1)).astimezone(TZ).date()


def dossier_base(w: Window, unit_ids=None, condition: str | None = None):
    """Dossiers the index counts: received in the period (optionally at the given resolving units),
    and when ``condition`` is given (SQL over the facts, see ``facts_sql.CONDITIONS``), only those
    for which it holds. A plain queryset: the facts are read once in a subquery, not per row."""
    qs = Dossier.objects.filter(received_at__gte=w.starts, received_at__lt=min(w.ends, w.cutoff))
    if unit_ids is not None:
        qs = qs.filter(resolving_unit_id__in=unit_ids)
    if condition is not None:
        qs = qs.filter(pk__in=RawSQL(*facts_sql.matching(w, unit_ids, condition)))
    return qs.order_by()


def conditions() -> dict[str, str]:
    """The dossier counters as SQL conditions over one facts row (``facts_sql``)."""
    return dict(facts_sql.CONDITIONS)


# Counter names (besides "received") that dossier_counts returns per unit.
DOSSIER_COUNTS = ("late", "granted", "timed", "slow", "online", "fee", "paid_online", "e_result", "digitised",
                  "reused", "complained")


def dossier_counts(w: Window, unit_ids=None) -> dict[int, dict[str, float]]:
    """{resolving unit id: {received, late, …, elapsed, allowed}}: the dossiers settled before the cutoff summed
    from their stored fact bits (``facts_sql.settled_counts``), the others worked out from their instants
    (``facts_sql.counts``, unsettled), added per unit. Two statements; on a large SQLite database the settled
    ones are cut into slices of the period taken by two connections (``split.in_parallel``)."""
    unsettled = (*facts_sql.counts(w, unit_ids, DOSSIER_COUNTS, unsettled=True), {})
    divisors = facts_sql.settled_divisors(DOSSIER_COUNTS)
    if split.worth_it():
        # the settled ones named by unit, so SQLite seeks every unit's range in the narrow index
        ids = sorted(unit_ids) if unit_ids is not None else list(OrgUnit.objects.order_by("pk").values_list("pk", flat=True))
        settled = [(*facts_sql.settled_counts(part, ids, DOSSIER_COUNTS), divisors)
                   for part in _slices(w, split.PARTS)]
        # the unsettled one (not sliced) first
        return _added(split.in_parallel([unsettled, *settled], lambda conn, s: _counted(conn, *s)))
    settled = (*facts_sql.settled_counts(w, unit_ids, DOSSIER_COUNTS), divisors)
    if connection.vendor != "postgresql":
        return _added([_counted(connection, *unsettled), _counted(connection, *settled)])
    with transaction.atomic():
        with connection.cursor() as cursor:
            # JIT compiles these statements for ~2 s at a province-year: more than it saves.
            cursor.execute("SELECT set_config('jit', 'off', true)")   # SET LOCAL
        found = _counted(connection, *unsettled)
        with connection.cursor() as cursor:
            # The planner prefers a parallel scan of the wide rows or a bitmap scan of the received-at index to
            # the parallel index-only scan of the narrow index (dossier_settled766).
            cursor.execute("SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)")
        return _added([found, _counted(connection, *settled)])


def _counted(conn, sql: str, params: list, divisors: dict[str, int]) -> dict[int, dict[str, float]]:
    """{unit: {name: value}} from a statement whose columns are the unit then ``n_<name>``…; a counter given in
    ``divisors`` was summed as that many times its count (a bit's value)."""
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0][2:] for c in cursor.description]
        rows = cursor.fetchall()
    return {row[0]: {k: (v or 0) // divisors[k] if k in divisors else (v or 0) for k, v in zip(names[1:], row[1:])}
            for row in rows}


def _added(parts: list[dict[int, dict[str, float]]]) -> dict[int, dict[str, float]]:
    """The parts' counts added per unit: every counter is a count or a sum."""
    result: dict[int, dict[str, float]] = {}
    for part in parts:
        for unit, counts in part.items():
            into = result.setdefault(unit, {})
            for name, value in counts.items():
                into[name] = into.get(name, 0) + value
    return result


def _slices(w: Window, parts: int) -> list[Window]:
    """The period up to its cutoff cut into ``parts`` consecutive windows of (nearly) equal length, each
    with the whole window's cutoff: the facts are still read as of the same instant."""
    starts, ends = w.starts, min(w.ends, w.cutoff)
    if ends <= starts:
        return [w]
    cuts = split.edges(starts, ends, parts)
    return [Window(lo, hi, w.cutoff) for lo, hi in zip(cuts, cuts[1:])]


# --- feedback (PAKN) ------------------------------------------------------------------------------

def feedback_base(w: Window, unit_ids=None):
    qs = Feedback.objects.filter(submitted_at__gte=w.starts, submitted_at__lt=min(w.ends, w.cutoff))
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    return qs.order_by()


def feedback_conditions(w: Window) -> dict[str, Q]:
    c = w.cutoff
    closed = Q(closed_at__lt=c)
    late = ((closed & Q(state=FeedbackState.ANSWERED, closed_at__gt=F("answer_due_at")))
            | (closed & Q(state=FeedbackState.DECLINED, closed_at__gt=F("refusal_due_at")))
            | ((Q(closed_at__isnull=True) | Q(closed_at__gte=c)) & Q(answer_due_at__lt=c)))
    from motcua.feedback.models import FeedbackKind
    return {"classified": Q(kind__in=FeedbackKind.values), "fb_late": late}


FEEDBACK_COUNTS = ("classified", "fb_late")


def feedback_counts(w: Window, unit_ids=None) -> dict[int, dict[str, int]]:
    cond = feedback_conditions(w)
    rows = feedback_base(w, unit_ids).values("unit_id").annotate(
        feedback=Count("pk"), **{n: Count("pk", filter=cond[n]) for n in FEEDBACK_COUNTS})
    return {r.pop("unit_id"): r for r in rows}


# --- the catalogue ---------------------------------------------------------------------------------

# NĐ 63/2010 Art 8 k2 a–g, as MotCua records them: (flag, what is missing).
COMPLETENESS = (
    ("no_variant", "thời hạn giải quyết, đối tượng (chưa có trường hợp nào)"),
    ("no_steps", "trình tự thực hiện (trường hợp chưa có quy trình)"),
    ("no_docs", "thành phần, số lượng hồ sơ (trường hợp chưa có thành phần)"),
    ("no_result", "kết quả thực hiện"),
    ("no_agency", "cơ quan thực hiện"),
    ("no_basis", "căn cứ pháp lý"),
)


@dataclass
class ProcedureFacts:
    id: int
    code: str
    name: str
    competent_unit_id: int | None
    level: str
    online: bool
    fee: bool
    missing: list[str] = field(default_factory=list)


def procedure_facts(day: dt.date) -> dict[int, ProcedureFacts]:
    """Procedures with a version published and in force on ``day`` (the latest such version), with
    what the indicators need; one query over the catalogue (one row per procedure version)."""
    variants = ProcedureVariant.objects.filter(version=OuterRef("pk"))
    rows = (ProcedureVersion.objects
            .filter(status=VersionStatus.PUBLISHED, valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
            .annotate(no_variant=~Exists(variants),
                      no_steps=Exists(variants.filter(steps__isnull=True)),
                      no_docs=Exists(variants.filter(documents__isnull=True)),
                      has_basis=Exists(LegalBasis.objects.filter(version=OuterRef("pk"))),
                      fee=Exists(FeeItem.objects.filter(variant__version=OuterRef("pk"))
                                 .filter(Q(amount__gt=0) | ~Q(formula=""))))
            .order_by("procedure_id", "number")
            .values_list("procedure_id", "procedure__code", "procedure__name", "procedure__competent_unit_id",
                         "procedure__level", "online_mode", "result_name", "no_variant", "no_steps", "no_docs",
                         "has_basis", "fee"))
    out: dict[int, ProcedureFacts] = {}
    labels = dict(COMPLETENESS)
    for (pid, code, name, unit_id, level, mode, result_name, no_variant, no_steps, no_docs, has_basis,
         fee) in rows:
        flags = {"no_variant": no_variant, "no_steps": no_steps and not no_variant,
                 "no_docs": no_docs and not no_variant, "no_result": not (result_name or "").strip(),
                 "no_agency": unit_id is None and level != Level.COMMUNE, "no_basis": not has_basis}
        out[pid] = ProcedureFacts(pid, code, name, unit_id, level, mode != OnlineMode.NONE, bool(fee),
                                  [labels[k] for k, v in flags.items() if v])   # the later version wins
    return out


def online_used(w: Window, unit_ids=None) -> set[tuple[int, int]]:
    """(resolving unit id, procedure id) pairs with an online dossier received in the period."""
    qs = (Dossier.objects.filter(received_at__gte=w.starts, received_at__lt=min(w.ends, w.cutoff),
                                 channel=Channel.ONLINE))
    if unit_ids is not None:
        qs = qs.filter(resolving_unit_id__in=unit_ids)
    # distinct versions from the online dossiers' index (dossier_online: one range, in pair order), then their
    # procedures: no join per dossier
    pairs = set(qs.order_by().values_list("resolving_unit_id", "procedure_version_id").distinct())
    procedure_of = dict(ProcedureVersion.objects.values_list("pk", "procedure_id"))
    return {(unit, procedure_of[version]) for unit, version in pairs}
