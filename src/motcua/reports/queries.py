"""Biểu 06 from the dossier tables, for a scope, fed to ``bieu06``.

The scope is the resolving agency (Biểu 06 counts "tại cơ quan, đơn vị trực tiếp giải quyết"): a
unit and everything under it (its materialised ``path`` as a prefix), and/or a sector, a procedure,
a level. Rows are grouped by sector, resolving unit or procedure.

Two readings of the same tables: ``bieu06`` counts in the database (``bieu06_sql``: one GROUP BY
query, fast at millions of dossiers) — the entry point; ``facts`` reads each dossier's plain facts
in one query for ``bieu06.build`` — the definition, used by the tests and by ``report --verify`` to
name the dossiers behind a difference. Both take the due instant *in force at the period's end*
(``due_in_force``), so an apology or a supplement after the period never changes its counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce

from motcua.catalog.models import Level, Procedure, ProcedureVersion, Sector
from motcua.dossiers.models import (
    Dossier, Extension, Payment, PaymentMethod, SupplementRequest, SupplementStage,
)
from motcua.dossiers import timeliness
from motcua.org.models import OrgUnit
from motcua.reports import bieu06_sql
from motcua.reports.bieu06 import Counts, Facts, Period, Policy, Report, ReportError, Row, _sort_key, build

__all__ = ["Scope", "GROUPINGS", "resolve_scope", "counted", "facts", "dossier_facts", "due_in_force", "bieu06",
           "bieu06_python"]

_PROC = "procedure_version__procedure"
# Grouping → the two columns (code, name) that make a row's key.
GROUPINGS = {
    "sector": (f"{_PROC}__sector__code", f"{_PROC}__sector__name"),
    "unit": ("resolving_unit__identifier", "resolving_unit__name"),
    "procedure": (f"{_PROC}__code", f"{_PROC}__name"),
}
# Ended without a resolution: counted on time and shown apart (the TT 02/2017 note).
WITHDRAWN_STATES = set(timeliness.WITHDRAWN)


@dataclass(frozen=True)
class Scope:
    unit: OrgUnit | None = None
    sector: Sector | None = None
    procedure: Procedure | None = None
    level: str | None = None

    def describe(self) -> str:
        parts = [f"{self.unit.name} và các đơn vị trực thuộc" if self.unit else "Toàn bộ các cơ quan"]
        parts += [f"lĩnh vực {self.sector.name}"] if self.sector else []
        parts += [f"thủ tục {self.procedure.code} – {self.procedure.name}"] if self.procedure else []
        parts += [Level(self.level).label] if self.level else []
        return "; ".join(str(p) for p in parts)


def resolve_scope(*, unit: str | None = None, sector: str | None = None, procedure: str | None = None,
                  level: str | None = None) -> Scope:
    """Codes as typed by a user → the scope; an unknown code is a ReportError naming it."""
    found_unit = found_sector = found_procedure = None
    if unit:
        found_unit = (OrgUnit.objects.filter(identifier=unit).first()
                      or OrgUnit.objects.filter(admin_unit_code=unit).order_by("path").first())
        if found_unit is None:
            raise ReportError(f"Không tìm thấy cơ quan, đơn vị có mã “{unit}” (mã định danh hoặc mã đơn vị hành chính).")
    if sector:
        found_sector = Sector.objects.filter(code=sector).first()
        if found_sector is None:
            raise ReportError(f"Không tìm thấy lĩnh vực có mã “{sector}”.")
    if procedure:
        found_procedure = Procedure.objects.filter(code=procedure).first()
        if found_procedure is None:
            raise ReportError(f"Không tìm thấy thủ tục có mã “{procedure}”.")
    if level and level not in Level.values:
        raise ReportError(f"Cấp “{level}” không hợp lệ ({', '.join(Level.values)}).")
    return Scope(found_unit, found_sector, found_procedure, level or None)


def _scoped(scope: Scope):
    q = Q()
    if scope.unit is not None:
        q &= Q(resolving_unit__path__startswith=scope.unit.path)
    if scope.sector is not None:
        q &= Q(**{f"{_PROC}__sector": scope.sector})
    if scope.procedure is not None:
        q &= Q(**{_PROC: scope.procedure})
    if scope.level:
        q &= Q(**{f"{_PROC}__level": scope.level})
    return q


def due_in_force(ends):
    """The due instant in force just before ``ends``, as an ORM expression over the dossier's rows.

    Due instants move only when a processing supplement is completed (the clock resumes or restarts)
    and with the apology's new date (services ``record_supplement``, ``apologise``; once each), and
    only ever later. A dossier finished before ``ends`` or whose due instant never moved has its
    current ``due_at``; otherwise: apologised before ``ends`` → the apology's new date; else
    supplemented before ``ends`` → what that supplement left (the ``previous_due_at`` a later
    apology replaced, or the current ``due_at``); else the original due instant."""
    extension = Extension.objects.filter(dossier=OuterRef("pk"))
    supplemented = SupplementRequest.objects.filter(dossier=OuterRef("pk"), stage=SupplementStage.PROCESSING,
                                                    completed_at__lt=ends)
    return Case(
        When(Q(finished_at__lt=ends) | Q(original_due_at__isnull=True) | Q(due_at=F("original_due_at")),
             then=F("due_at")),
        When(Exists(extension.filter(requested_at__lt=ends)), then=Subquery(extension.values("new_due_at")[:1])),
        When(Exists(supplemented), then=Coalesce(Subquery(extension.values("previous_due_at")[:1]), F("due_at"))),
        default=F("original_due_at"))


def counted(period: Period, scope: Scope):
    """The dossiers the period's report counts in the scope: received before its end, processing not
    ended before its start."""
    return (Dossier.objects.filter(_scoped(scope), received_at__isnull=False, received_at__lt=period.ends)
            .filter(Q(finished_at__isnull=True) | Q(finished_at__gte=period.starts)))


def _rows(period: Period, scope: Scope, by: str):
    if by not in GROUPINGS:
        raise ReportError(f"Cách nhóm “{by}” không hợp lệ ({', '.join(GROUPINGS)}).")
    ends = period.ends
    waiting = SupplementRequest.objects.filter(
        Q(completed_at__isnull=True) | Q(completed_at__gte=ends),
        dossier=OuterRef("pk"), stage=SupplementStage.PROCESSING, requested_at__lt=ends)
    paid_online = (Payment.objects.filter(dossier=OuterRef("pk"), method=PaymentMethod.ONLINE)
                   .order_by("paid_at").values("paid_at")[:1])
    return (counted(period, scope)
            .annotate(waiting=Exists(waiting), first_online_payment=Subquery(paid_online), due_then=due_in_force(ends))
            .order_by()
            .values_list("received_at", "channel", "finished_at", "due_then", "original_due_at", "state",
                         "waiting", "first_online_payment", *GROUPINGS[by], "pk", "code"))


def dossier_facts(period: Period, scope: Scope, by: str) -> list[tuple[int, str | None, Facts]]:
    """(primary key, code, facts) of every dossier the period's report counts, read in ONE query."""
    return [(r[10], r[11], Facts(received_at=r[0], channel=r[1], finished_at=r[2], due_at=r[3], original_due_at=r[4],
                                 withdrawn=r[5] in WITHDRAWN_STATES, awaiting_supplement=bool(r[6]),
                                 paid_online_at=r[7], group=(r[8], r[9])))
            for r in _rows(period, scope, by).iterator(chunk_size=5000)]


def facts(period: Period, scope: Scope, by: str) -> list[Facts]:
    """The facts of every dossier the period's report counts, read in ONE query."""
    return [f for _, _, f in dossier_facts(period, scope, by)]


def bieu06_python(period: Period, policy: Policy, scope: Scope = Scope(), by: str = "sector") -> Report:
    """The report by the pure arithmetic over ``facts`` (the definition the SQL is tested against)."""
    return build(facts(period, scope, by), period, policy)


def _scope_sql(scope: Scope) -> str:
    """The scope as a condition on the dossier alias ``d``: lists of ids read from the small tables
    (units, procedure versions), written as integer literals."""
    parts = []
    if scope.unit is not None:
        ids = OrgUnit.objects.filter(path__startswith=scope.unit.path).values_list("pk", flat=True)
        parts.append(f"d.resolving_unit_id IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})")
    versions = ProcedureVersion.objects.all()
    if scope.sector is not None:
        versions = versions.filter(procedure__sector=scope.sector)
    if scope.procedure is not None:
        versions = versions.filter(procedure=scope.procedure)
    if scope.level:
        versions = versions.filter(procedure__level=scope.level)
    if scope.sector is not None or scope.procedure is not None or scope.level:
        ids = versions.values_list("pk", flat=True)
        parts.append(f"d.procedure_version_id IN ({', '.join(str(int(i)) for i in ids) or 'NULL'})")
    return "".join(f" AND {p}" for p in parts)


def _group_keys(by: str, ids) -> dict:
    """Group value of the SQL (unit or procedure-version id) → the row key (code, name)."""
    if by == "unit":
        return {pk: (code, name) for pk, code, name in
                OrgUnit.objects.filter(pk__in=ids).values_list("pk", "identifier", "name")}
    prefix = "procedure__sector__" if by == "sector" else "procedure__"
    return {pk: (code, name) for pk, code, name in ProcedureVersion.objects.filter(pk__in=ids)
            .values_list("pk", f"{prefix}code", f"{prefix}name")}


def cell_dossiers(period: Period, policy: Policy, scope: Scope, by: str, column: str, row: str | None = None,
                  channel: str | None = None) -> list[int]:
    """The ids of the dossiers one cell of ``bieu06`` counts, ordered by code: ``column`` as in
    ``bieu06_sql.COLUMN_CONDITIONS``, ``row`` the row's code (None: the total), ``channel`` only
    dossiers of that channel. The same statement as the report with the cell's condition, so the
    list and the number agree (and it runs in the database at province scale)."""
    where, params = _scope_sql(scope), {}
    if channel:
        where += " AND d.channel = %(channel)s"
        params["channel"] = channel
    groups = None
    if row:
        if by == "unit":
            candidates = OrgUnit.objects.values_list("pk", flat=True)
        else:
            candidates = ProcedureVersion.objects.values_list("pk", flat=True)
        groups = [g for g, (code, _) in _group_keys(by, candidates).items() if code == row]
    picked = bieu06_sql.listing(period, policy, by, column, where, params, groups)
    return [pk for _, pk in sorted((code or "", pk) for code, pk in picked)]


def bieu06(period: Period, policy: Policy, scope: Scope = Scope(), by: str = "sector") -> Report:
    """Biểu 06 counted by the database (one GROUP BY query; the row labels in one more)."""
    if by not in GROUPINGS:
        raise ReportError(f"Cách nhóm “{by}” không hợp lệ ({', '.join(GROUPINGS)}).")
    counted = bieu06_sql.aggregate(period, policy, by, _scope_sql(scope))
    keys = _group_keys(by, [g for g in counted if g is not None])
    rows: dict = {}
    total = Counts()
    for group, counts in counted.items():
        key = keys.get(group, (None, None))
        rows.setdefault(key, Row(key)).counts.add(counts)
        total.add(counts)
    return Report(period, policy, [rows[k] for k in sorted(rows, key=_sort_key)], total)
