"""Set-based visibility and authority: which units a staff user reaches, as ONE SQL predicate.

A role held in a unit reaches that unit and every unit under it (its path is a prefix of theirs).
Scope is per permission: only the memberships whose role grants the permission count, so an
inspector role at the province and an administrator role in one commune never combine into the
right to edit the province. ``visible_units`` is a lazy subquery — no query runs until the list it
filters is evaluated, and lists never loop per row, per unit or per procedure type.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.lookups import StartsWith

from motcua.accounts.models import StaffMembership
from motcua.accounts.permissions import roles_granting
from motcua.org.models import OrgUnit

__all__ = ["sees_everything", "visible_units", "scoped", "can", "can_edit_shared", "viewable_users",
           "editable_users", "may_grant"]


def sees_everything(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def visible_units(user, perm: str | None = None, roles=None) -> QuerySet[OrgUnit]:
    """Units reached by the user's active roles — only the roles granting ``perm``, or those in
    ``roles``, when given."""
    if sees_everything(user):
        return OrgUnit.objects.all()
    if not (user.is_authenticated and user.is_active):
        return OrgUnit.objects.none()
    memberships = StaffMembership.objects.filter(user_id=user.pk, is_active=True)
    if perm is not None:
        memberships = memberships.filter(role__in=roles_granting(perm))
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    reaching = memberships.filter(StartsWith(OuterRef("path"), F("unit__path")))
    return OrgUnit.objects.filter(Exists(reaching))


def scoped(queryset: QuerySet, user, *unit_fields: str, perm: str | None = None,
           include_unassigned: bool = False) -> QuerySet:
    """``queryset`` restricted to rows whose unit (any of ``unit_fields``) the user reaches.

    ``include_unassigned`` keeps rows whose unit is empty (commune-level procedures shared by every
    commune): readable by all staff; ``can_edit_shared`` says who may change them."""
    if sees_everything(user):
        return queryset
    units = visible_units(user, perm).values("pk")
    predicate = Q()
    for field in unit_fields:
        predicate |= Q(**{f"{field}__in": units})
        if include_unassigned:
            predicate |= Q(**{f"{field}__isnull": True})
    return queryset.filter(predicate)


def can_edit_shared(user, perm: str) -> bool:
    """Records without a unit are the province's: only a role granting ``perm`` at a root unit may change them."""
    if sees_everything(user):
        return True
    return visible_units(user, perm).filter(parent__isnull=True).exists()


def can(user, perm: str, unit: OrgUnit | None) -> bool:
    """May ``user`` exercise ``perm`` on a record of ``unit`` (None: a shared record)?"""
    if not (user.is_authenticated and user.is_active and user.has_perm(perm)):
        return False
    if unit is None:
        return can_edit_shared(user, perm)
    return sees_everything(user) or visible_units(user, perm).filter(pk=unit.pk).exists()


def viewable_users(user) -> QuerySet:
    """Staff with an active role in a unit the user may see staff of."""
    from motcua.accounts.models import User

    if sees_everything(user):
        return User.objects.all()
    scope = visible_units(user, "accounts.view_user").values("pk")
    return User.objects.filter(Exists(StaffMembership.objects.filter(user_id=OuterRef("pk"), is_active=True,
                                                                     unit__in=scope)))


def editable_users(user) -> QuerySet:
    """Staff the user may edit: every active role of theirs lies within the user's reach, and they
    are not superusers — so nobody takes over an account that also serves elsewhere."""
    from motcua.accounts.models import User

    if sees_everything(user):
        return User.objects.all()
    scope = visible_units(user, "accounts.change_user").values("pk")
    active = StaffMembership.objects.filter(user_id=OuterRef("pk"), is_active=True)
    return User.objects.filter(Exists(active.filter(unit__in=scope)), ~Exists(active.exclude(unit__in=scope)),
                               is_superuser=False)


def may_grant(actor, unit: OrgUnit, role: str) -> bool:
    """May ``actor`` give ``role`` in ``unit``? Only roles below their own (permissions.GRANTABLE_BY)."""
    from motcua.accounts.permissions import GRANTABLE_BY

    if sees_everything(actor):
        return True
    granting = [r for r, grantable in GRANTABLE_BY.items() if role in grantable]
    return visible_units(actor, roles=granting).filter(pk=unit.pk).exists()
