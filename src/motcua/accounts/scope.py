"""Set-based visibility: which units a staff user may see, as ONE SQL predicate.

A role held in a unit reaches that unit and every unit under it (its path is a prefix of theirs).
``visible_units`` is a lazy subquery — no query runs until the list it filters is evaluated, and
lists never loop per row, per unit or per procedure type.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.lookups import StartsWith

from motcua.accounts.models import StaffMembership
from motcua.org.models import OrgUnit

__all__ = ["sees_everything", "visible_units", "scoped"]


def sees_everything(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def visible_units(user) -> QuerySet[OrgUnit]:
    if sees_everything(user):
        return OrgUnit.objects.all()
    if not (user.is_authenticated and user.is_active):
        return OrgUnit.objects.none()
    reaching = StaffMembership.objects.filter(user_id=user.pk, is_active=True).filter(
        StartsWith(OuterRef("path"), F("unit__path"))
    )
    return OrgUnit.objects.filter(Exists(reaching))


def scoped(queryset: QuerySet, user, *unit_fields: str, include_unassigned: bool = False) -> QuerySet:
    """``queryset`` restricted to rows whose unit (any of ``unit_fields``) the user may see.

    ``include_unassigned`` keeps rows whose unit is empty (e.g. commune-level procedures shared by
    every commune)."""
    if sees_everything(user):
        return queryset
    units = visible_units(user).values("pk")
    predicate = Q()
    for field in unit_fields:
        predicate |= Q(**{f"{field}__in": units})
        if include_unassigned:
            predicate |= Q(**{f"{field}__isnull": True})
    return queryset.filter(predicate)
