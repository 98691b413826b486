"""``motcua report --verify``: Biểu 06 from the tables against Biểu 06 from the ledger, cell by cell.

The table report is the one ``motcua report`` prints (``queries.bieu06``, counted by the database);
the ledger report is ``from_ledger.bieu06``. Any differing cell is an error; for each one the
dossiers behind it are named: those whose contribution to that row and column differs between the
per-dossier facts of the tables (``queries.dossier_facts``) and of the replayed ledger.

The table report reads facts stored on the dossier row (``dossiers.report_facts``: the finished
dossier's timeliness, the first online payment, the supplement requests after appraisal — the first
one's request and completion, a second one's request). ``stale_facts`` checks them against the fields
and rows they derive from, for every dossier the period counts: a row edited behind the services' back
(say its due instant) leaves them disagreeing even when the numbers still match the ledger. It checks
the QĐ 766 index's stored facts of those dossiers too (first electronic lodged file and result, reuse,
first feedback, a "not satisfied" rating, 2.2's durations), by the same definitions, one subquery each.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Subquery

from motcua.dossiers import report_facts, settled
from motcua.dossiers.models import DossierDocument, Payment, PaymentMethod, SupplementRequest
from motcua.feedback.models import Evaluation, Feedback
from motcua.reports import from_ledger, queries
from motcua.reports.bieu06 import COLUMNS, EXTRA, Counts, Period, Policy, Report, classify
from motcua.reports.queries import Scope

__all__ = ["Difference", "compare", "verify", "describe", "stale_facts"]

# Cell name → its label: the form's numbered columns, then the extra counts.
CELLS = {key: f"cột {n}" for n, (key, _) in COLUMNS.items()} | {key: f"“{label}”" for key, label in EXTRA.items()}
TOTAL = ("", "Tổng cộng")


@dataclass
class Difference:
    row: tuple           # the row key (code, name), or TOTAL
    cell: str            # a Counts field
    table: int
    ledger: int
    dossiers: list[str] = field(default_factory=list)   # codes (or "#id" when a dossier has no code)


def _cells(report: Report) -> dict[tuple, dict[str, int]]:
    cells = {row.key: row.counts.as_dict() for row in report.rows}
    cells[TOTAL] = report.total.as_dict()
    return cells


def compare(table: Report, ledger: Report) -> list[Difference]:
    """Every cell that differs (rows present on one side only count as zeros on the other)."""
    a, b = _cells(table), _cells(ledger)
    zero = Counts().as_dict()
    differences = []
    for row in sorted(a.keys() | b.keys(), key=lambda k: (k == TOTAL, tuple("" if v is None else str(v) for v in k))):
        left, right = a.get(row, zero), b.get(row, zero)
        differences += [Difference(row, cell, left[cell], right[cell]) for cell in CELLS if left[cell] != right[cell]]
    return differences


def _contributions(facts, period: Period, policy: Policy) -> dict[int, tuple[str | None, dict]]:
    """Dossier id → (code, {(row key, cell): 1}) of the cells the dossier counts in."""
    out = {}
    for pk, code, f in facts:
        counts = classify(f, period, policy)
        if counts is None:
            continue
        cells = {(row, cell): 1 for cell, value in counts.as_dict().items() if value for row in (f.group, TOTAL)}
        out[pk] = (code, cells)
    return out


def _blame(differences: list[Difference], period: Period, policy: Policy, scope: Scope, by: str) -> None:
    table = _contributions(queries.dossier_facts(period, scope, by), period, policy)
    ledger = _contributions(from_ledger.dossier_facts(period, scope, by), period, policy)
    behind = defaultdict(set)
    for pk in sorted(table.keys() | ledger.keys()):
        code_t, cells_t = table.get(pk, (None, {}))
        code_l, cells_l = ledger.get(pk, (None, {}))
        for cell in cells_t.keys() ^ cells_l.keys():
            behind[cell].add(code_t or code_l or f"#{pk}")
    for d in differences:
        d.dossiers = sorted(behind.get((d.row, d.cell), ()))


def verify(period: Period, policy: Policy, scope: Scope = Scope(), by: str = "sector") -> list[Difference]:
    """The differing cells between the two readings, each with the dossiers behind it (empty: they agree)."""
    differences = compare(queries.bieu06(period, policy, scope, by), from_ledger.bieu06(period, policy, scope, by))
    if differences:
        _blame(differences, period, policy, scope, by)
    return differences


def describe(d: Difference) -> str:
    """One line in Vietnamese: the row, the column, both values, the dossiers."""
    row = "Tổng cộng" if d.row == TOTAL else " – ".join(str(v) for v in d.row if v is not None) or "(không xác định)"
    who = ", ".join(d.dossiers) if d.dossiers else "không xác định được hồ sơ"
    return f"Dòng “{row}”, {CELLS[d.cell]}: theo bảng {d.table}, theo sổ cái {d.ledger}. Hồ sơ: {who}."


def _first(qs, field: str):
    """The least ``field`` of the rows of ``qs`` (filtered on the outer dossier), as a subquery: MIN's
    meaning (NULLs left out; SQLite would sort them first) without grouping the outer query."""
    return Subquery(qs.filter(**{f"{field}__isnull": False}).order_by(field).values(field)[:1])


def _stored_766_expected() -> dict:
    """The QĐ 766 facts by their definitions (``dossiers.report_facts``), one subquery each per dossier."""
    files = DossierDocument.objects.filter(dossier=OuterRef("pk"), sha256__gt="")   # a SHA-256: electronic
    lodged = files.exclude(stage=report_facts.RESULT)
    earlier = DossierDocument.objects.filter(   # the same file of the applicant's earlier-submitted dossier
        dossier__applicant_id=OuterRef(OuterRef("applicant_id")), dossier__submitted_at__lt=OuterRef(OuterRef("submitted_at")),
        sha256=OuterRef("sha256"), added_at__lte=OuterRef("added_at"))
    return {
        "x_e_intake_at": _first(lodged, "added_at"),
        "x_e_result_at": _first(files.filter(stage=report_facts.RESULT), "added_at"),
        "x_reused_at": _first(lodged.filter(Exists(earlier)), "added_at"),
        "x_feedback_at": _first(Feedback.objects.filter(dossier=OuterRef("pk")), "submitted_at"),
        "x_disliked_at": _first(Evaluation.objects.filter(dossier=OuterRef("pk"), satisfaction__lte=report_facts.DISLIKED),
                                "rated_at"),
        # kept by triggers (dossiers.settled): stale only if a trigger was lost or the row written around it
        "x_settled_at": settled.settled_expression(), "x_facts766": settled.facts_expression(),
    }


_STORED_766 = ("e_intake_at", "e_result_at", "reused_at", "feedback_at", "disliked_at", *settled.COMPUTED)


def stale_facts(period: Period, scope: Scope = Scope()) -> list[str]:
    """Codes of the dossiers the period counts whose stored report facts disagree with their sources:
    Biểu 06's (timeliness, first online payment, supplement pair) and the QĐ 766 index's (first
    electronic files, reuse, feedback, a "not satisfied" rating, 2.2's durations, the settled bits)."""
    counted = queries.counted(period, scope)
    requests = defaultdict(list)  # a few per cent of the dossiers have any
    for dossier_id, *request in (SupplementRequest.objects
                                 .filter(stage=report_facts.PROCESSING, dossier__in=counted.values("pk"))
                                 .values_list("dossier_id", "requested_at", "completed_at", "pk")):
        requests[dossier_id].append(request)
    rows = (counted
            .annotate(first_online=_first(Payment.objects.filter(dossier=OuterRef("pk"), method=PaymentMethod.ONLINE),
                                          "paid_at"),
                      **_stored_766_expected())
            .only("pk", "code", "finished_at", "due_at", "original_due_at", "state", "timeliness", "paid_online_at",
                  "supplement_at", "supplemented_at", "supplement_again_at", "received_at", "clock_start",
                  "elapsed_seconds", "allowed_seconds", *_STORED_766)
            .order_by("code", "pk"))
    return [d.code or f"#{d.pk}" for d in rows.iterator(chunk_size=5000)
            if d.timeliness != report_facts.timeliness_of(d) or d.paid_online_at != d.first_online
            or (d.supplement_at, d.supplemented_at, d.supplement_again_at)
            != report_facts.supplement_facts(requests.get(d.pk, ()))
            or any(getattr(d, name) != getattr(d, f"x_{name}") for name in _STORED_766)
            or (d.elapsed_seconds, d.allowed_seconds) != report_facts.seconds_of(d)]


def describe_stale(codes: list[str]) -> str:
    return ("Dữ liệu tổng hợp lưu trên hồ sơ (đúng hạn, thanh toán trực tuyến, yêu cầu bổ sung, tệp điện tử, tái sử dụng, "
            "phản ánh, đánh giá, thời gian giải quyết) không khớp với chính hồ sơ: "
            + ", ".join(codes) + ".")
