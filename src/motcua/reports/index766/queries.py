"""The QĐ 766 facts from the tables, aggregated in SQL: one GROUP BY query per source (dossiers,
feedback, the catalogue, online procedures used), each with conditional counts per resolving unit.
The results are small (a row per unit, or per procedure of the catalogue) and are rolled up over
the unit tree in ``compute``.

Every condition is a ``Q`` built here once and used twice: inside the counts, and — negated — by
the drill-down that lists the dossiers or feedback that cost points, so both always agree.

Dossiers counted: received (``received_at``) within the period, at the resolving unit. "As of" is
the period's end, or now when the period is still running (``cutoff``): what happened later is not
seen (a dossier finished after the cutoff is still open at it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, FloatField, Func, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from motcua.catalog.models import FeeItem, LegalBasis, Level, OnlineMode, ProcedureVersion, ProcedureVariant, VersionStatus
from motcua.dossiers.models import (Channel, DocumentStage, Dossier, DossierDocument, Outcome, Payment,
                                    PaymentMethod, SupplementRequest, SupplementStage)
from motcua.feedback.models import Evaluation, Feedback, FeedbackState

__all__ = ["Window", "DOSSIER_COUNTS", "FEEDBACK_COUNTS", "dossier_base", "dossier_counts", "feedback_base",
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


class Seconds(Func):
    """Seconds from ``b`` to ``a`` (a float), on SQLite and PostgreSQL without Python callbacks."""

    output_field = FloatField()

    def __init__(self, a, b):
        super().__init__(a, b)

    def as_sql(self, compiler, connection, **extra):
        a, b = (compiler.compile(e) for e in self.source_expressions)
        sql = "((julianday(%s) - julianday(%s)) * 86400.0)" % (a[0], b[0])
        return sql, (*a[1], *b[1])

    def as_postgresql(self, compiler, connection, **extra):
        a, b = (compiler.compile(e) for e in self.source_expressions)
        return "EXTRACT(EPOCH FROM (%s - %s))::float8" % (a[0], b[0]), (*a[1], *b[1])


def _supplements(w: Window):
    return SupplementRequest.objects.filter(dossier=OuterRef("pk"), stage=SupplementStage.PROCESSING,
                                            requested_at__lt=w.cutoff)


def _annotated(qs, w: Window):
    """The per-dossier facts the conditions read (subqueries; aliases, so they are not grouped by)."""
    # two supplement requests during processing: one with another, earlier-numbered one beside it
    second = _supplements(w).filter(Exists(SupplementRequest.objects.filter(
        dossier=OuterRef("dossier"), stage=SupplementStage.PROCESSING, requested_at__lt=w.cutoff,
        pk__lt=OuterRef("pk"))))
    waiting_at = Subquery(_supplements(w).filter(Q(completed_at__isnull=True) | Q(completed_at__gte=w.cutoff))
                          .order_by("-requested_at").values("requested_at")[:1])
    docs = DossierDocument.objects.filter(dossier=OuterRef("pk"), added_at__lt=w.cutoff).exclude(sha256="")
    earlier = DossierDocument.objects.filter(
        sha256=OuterRef("sha256"), dossier__applicant_id=OuterRef("dossier__applicant_id"),
        dossier__submitted_at__lt=OuterRef("dossier__submitted_at"))
    return qs.alias(
        supp_again=Exists(second),
        waiting_at=waiting_at,
        paid_online=Exists(Payment.objects.filter(dossier=OuterRef("pk"), method=PaymentMethod.ONLINE,
                                                  paid_at__lt=w.cutoff)),
        e_result=Exists(docs.filter(stage=DocumentStage.RESULT)),
        e_intake=Exists(docs.exclude(stage=DocumentStage.RESULT)),
        reused=Exists(docs.exclude(stage=DocumentStage.RESULT).filter(Exists(earlier))),
        has_feedback=Exists(Feedback.objects.filter(dossier=OuterRef("pk"), submitted_at__lt=w.cutoff)),
        disliked=Exists(Evaluation.objects.filter(dossier=OuterRef("pk"), satisfaction__lte=2,
                                                  rated_at__lt=w.cutoff)),
    )


def dossier_base(w: Window, unit_ids=None):
    """Dossiers the index counts: received in the period (optionally at the given resolving units)."""
    qs = Dossier.objects.filter(received_at__gte=w.starts, received_at__lt=min(w.ends, w.cutoff))
    if unit_ids is not None:
        qs = qs.filter(resolving_unit_id__in=unit_ids)
    return _annotated(qs.order_by(), w)


def _conditions(w: Window) -> dict[str, Q]:
    c = w.cutoff
    finished = Q(finished_at__lt=c)                      # processing ended by the cutoff
    granted = finished & Q(outcome=Outcome.GRANTED)      # with a result
    open_ = Q(finished_at__isnull=True) | Q(finished_at__gte=c)
    # 2.1: the end is the first terminal status; while waiting for a supplement, the request's time;
    # otherwise the cutoff. More than one supplement request during processing is late by rule.
    late = Q(supp_again=True) | (Q(due_at__isnull=False) & (
        (finished & Q(finished_at__gt=F("due_at")))
        | (open_ & Q(waiting_at__isnull=False) & Q(waiting_at__gt=F("due_at")))
        | (open_ & Q(waiting_at__isnull=True) & Q(due_at__lt=c))))
    return {
        "late": late,
        "granted": granted,
        "timed": granted & Q(due_at__isnull=False),
        "slow": granted & Q(due_at__isnull=False, finished_at__gt=F("due_at")),
        "online": Q(channel=Channel.ONLINE),
        "fee": Q(fee_total__gt=0),
        "paid_online": Q(fee_total__gt=0, paid_online=True),
        "e_result": granted & Q(e_result=True),
        # 4.2: the lodged components are electronic, and so is the result when there is one
        "digitised": Q(e_intake=True) & (~granted | Q(e_result=True)),
        "reused": Q(reused=True),
        "complained": Q(has_feedback=True) | Q(disliked=True),
    }


# Counter names (besides "received") that dossier_counts returns per unit.
DOSSIER_COUNTS = ("late", "granted", "timed", "slow", "online", "fee", "paid_online", "e_result", "digitised",
                  "reused", "complained")


def dossier_condition(name: str, w: Window) -> Q:
    return _conditions(w)[name]


def dossier_counts(w: Window, unit_ids=None) -> dict[int, dict[str, float]]:
    """{resolving unit id: {received, late, …, elapsed, allowed}} in ONE grouped query."""
    cond = _conditions(w)
    start = Coalesce("clock_start", "received_at")
    # Output names carry a prefix: an aggregate named like an alias would shadow it in the filters.
    aggregates = {f"n_{name}": Count("pk", filter=cond[name]) for name in DOSSIER_COUNTS}
    aggregates["n_elapsed"] = Sum(Seconds(F("finished_at"), start), filter=cond["timed"])
    aggregates["n_allowed"] = Sum(Seconds(F("due_at"), start), filter=cond["timed"])
    rows = dossier_base(w, unit_ids).values("resolving_unit_id").annotate(n_received=Count("pk"), **aggregates)
    return {r.pop("resolving_unit_id"): {k[2:]: (v or 0) for k, v in r.items()} for r in rows}


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
    return set(qs.order_by().values_list("resolving_unit_id", "procedure_version__procedure_id").distinct())
