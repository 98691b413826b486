"""Read side of the API: which dossiers a user may see, the list filters, and the catalogue in force.

Visibility is one SQL predicate (no per-row check): a staff user sees the dossiers whose resolving,
receiving or returning unit — or the unit of one of its inter-agency tasks or of its current step —
lies in ``visible_units(user)``; an applicant sees the dossiers lodged in their own name.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from motcua.accounts.scope import sees_everything, visible_units
from motcua.catalog.models import Procedure, VersionStatus
from motcua.dossiers.errors import DossierError, NotFound
from motcua.dossiers.models import OPEN_STATES, AgencyTask, Dossier, DossierStep
from motcua.dossiers.rules import CODE_PATTERN
from motcua.org.models import OrgUnit

__all__ = ["visible_dossiers", "find_dossier", "filter_dossiers", "detail_queryset", "procedures_in_force",
           "unit_by_identifier", "overdue_q"]

IN_FORCE = (VersionStatus.PUBLISHED, VersionStatus.RETIRED)


def visible_dossiers(user) -> QuerySet[Dossier]:
    if sees_everything(user):
        return Dossier.objects.all()
    if not (user.is_authenticated and user.is_active):
        return Dossier.objects.none()
    units = visible_units(user).values("pk")
    return Dossier.objects.filter(
        Q(applicant__user_id=user.pk)
        | Q(resolving_unit__in=units) | Q(receiving_unit__in=units) | Q(returning_unit__in=units)
        | Q(current_step__unit__in=units)
        | Exists(AgencyTask.objects.filter(dossier_id=OuterRef("pk"), unit__in=units))
    )


def find_dossier(user, ident: str, queryset: QuerySet[Dossier] | None = None) -> Dossier:
    """A dossier by its code or its reference (UUID), among those the user sees; otherwise 404 —
    a dossier outside the user's reach is answered exactly like one that does not exist."""
    qs = visible_dossiers(user) if queryset is None else queryset
    ident = (ident or "").strip()
    if CODE_PATTERN.match(ident):
        lookup = {"code": ident}
    else:
        try:
            lookup = {"reference": uuid.UUID(ident)}
        except ValueError:
            raise NotFound("Không tìm thấy hồ sơ.") from None
    found = qs.filter(**lookup).first()
    if found is None:
        raise NotFound("Không tìm thấy hồ sơ.")
    return found


def unit_by_identifier(identifier: str, field: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(identifier=identifier.strip()).first()
    if unit is None:
        raise DossierError(f"Không có đơn vị mang mã định danh “{identifier}”.", code="unknown_unit", field=field)
    return unit


def overdue_q(now: dt.datetime) -> Q:
    """Overdue is derived, never stored: the due instant has passed and the dossier is still open."""
    return Q(due_at__lt=now, state__in=OPEN_STATES)


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_dossiers(qs: QuerySet[Dossier], f, now: dt.datetime) -> QuerySet[Dossier]:
    if f.unit:
        unit = unit_by_identifier(f.unit, "unit")
        qs = qs.filter(Q(resolving_unit__path__startswith=unit.path) | Q(receiving_unit__path__startswith=unit.path))
    if f.procedure:
        qs = qs.filter(procedure_version__procedure__code=f.procedure.strip())
    if f.state:
        qs = qs.filter(state__in=f.state)
    if f.overdue is True:
        qs = qs.filter(overdue_q(now))
    elif f.overdue is False:
        qs = qs.exclude(overdue_q(now))
    if f.due_before:
        qs = qs.filter(due_at__lt=f.due_before)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.received_from:
        qs = qs.filter(received_at__gte=_local_midnight(f.received_from))
    if f.received_to:
        qs = qs.filter(received_at__lt=_local_midnight(f.received_to + dt.timedelta(days=1)))
    return qs


def summary_queryset(qs: QuerySet[Dossier]) -> QuerySet[Dossier]:
    return qs.select_related("procedure_version__procedure", "applicant", "resolving_unit")


def detail_queryset(qs: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    qs = Dossier.objects.all() if qs is None else qs
    return qs.select_related(
        "procedure_version__procedure", "variant", "applicant", "resolving_unit", "receiving_unit",
        "returning_unit", "receiving_desk", "extension",
    ).prefetch_related(
        Prefetch("steps", DossierStep.objects.select_related("unit", "assignee", "finished_by").order_by("seq")),
        Prefetch("tasks", AgencyTask.objects.select_related("unit").order_by("batch", "sequence_no")),
        "supplements", "documents", "fees", "payments",
    )


def procedures_in_force(on: dt.date) -> QuerySet[Procedure]:
    from motcua.catalog.models import ProcedureVersion

    in_force = ProcedureVersion.objects.filter(procedure_id=OuterRef("pk"), status__in=IN_FORCE, valid_from__lte=on) \
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    return Procedure.objects.filter(Exists(in_force)).select_related("sector", "competent_unit")
