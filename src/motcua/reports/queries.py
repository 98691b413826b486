"""Biểu 06 from the dossier tables: one query of plain values for a scope, fed to ``bieu06``.

The scope is the resolving agency (Biểu 06 counts "tại cơ quan, đơn vị trực tiếp giải quyết"): a
unit and everything under it (its materialised ``path`` as a prefix), and/or a sector, a procedure,
a level. Rows are grouped by sector, resolving unit or procedure.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, Subquery

from motcua.catalog.models import Level, Procedure, Sector
from motcua.dossiers.models import Dossier, Payment, PaymentMethod, State, SupplementRequest, SupplementStage
from motcua.org.models import OrgUnit
from motcua.reports.bieu06 import Facts, Period, Policy, Report, ReportError, build

__all__ = ["Scope", "GROUPINGS", "resolve_scope", "facts", "bieu06"]

_PROC = "procedure_version__procedure"
# Grouping → the two columns (code, name) that make a row's key.
GROUPINGS = {
    "sector": (f"{_PROC}__sector__code", f"{_PROC}__sector__name"),
    "unit": ("resolving_unit__identifier", "resolving_unit__name"),
    "procedure": (f"{_PROC}__code", f"{_PROC}__name"),
}
# Ended without a resolution: counted on time and shown apart (the TT 02/2017 note).
WITHDRAWN_STATES = {State.WITHDRAWN.value, State.STOPPED.value}


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


def facts(period: Period, scope: Scope, by: str) -> list[Facts]:
    """The facts of every dossier the period's report counts, read in ONE query."""
    if by not in GROUPINGS:
        raise ReportError(f"Cách nhóm “{by}” không hợp lệ ({', '.join(GROUPINGS)}).")
    starts, ends = period.starts, period.ends
    waiting = SupplementRequest.objects.filter(
        Q(completed_at__isnull=True) | Q(completed_at__gte=ends),
        dossier=OuterRef("pk"), stage=SupplementStage.PROCESSING, requested_at__lt=ends)
    paid_online = (Payment.objects.filter(dossier=OuterRef("pk"), method=PaymentMethod.ONLINE)
                   .order_by("paid_at").values("paid_at")[:1])
    rows = (Dossier.objects
            .filter(_scoped(scope), received_at__isnull=False, received_at__lt=ends)
            .filter(Q(finished_at__isnull=True) | Q(finished_at__gte=starts))
            .annotate(waiting=Exists(waiting), paid_online_at=Subquery(paid_online))
            .order_by()
            .values_list("received_at", "channel", "finished_at", "due_at", "original_due_at", "state",
                         "waiting", "paid_online_at", *GROUPINGS[by]))
    return [Facts(received_at=r[0], channel=r[1], finished_at=r[2], due_at=r[3], original_due_at=r[4],
                  withdrawn=r[5] in WITHDRAWN_STATES, awaiting_supplement=bool(r[6]), paid_online_at=r[7],
                  group=(r[8], r[9]))
            for r in rows.iterator(chunk_size=5000)]


def bieu06(period: Period, policy: Policy, scope: Scope = Scope(), by: str = "sector") -> Report:
    return build(facts(period, scope, by), period, policy)
