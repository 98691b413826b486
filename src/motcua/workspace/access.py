"""Who may open what in the workspace.

A dossier page opens for the staff who may see the dossier — the same single SQL predicate the API
uses (``api.queries.visible_dossiers``: resolving, receiving or returning unit, the current step's
unit or an inter-agency task's unit within the user's reach). Anyone else gets 403, also for its
files and forms. Pages for one kind of work (the desk, the return desk, the leader's views) need
the matching role somewhere.
"""

from __future__ import annotations

import uuid
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import render

from motcua.accounts.models import Role
from motcua.accounts.scope import visible_units
from motcua.api.queries import visible_dossiers
from motcua.dossiers.models import Dossier
from motcua.dossiers.rules import CODE_PATTERN
from motcua.org.models import Desk, OrgUnit
from motcua.workspace.menu import roles_of

__all__ = ["visible_dossiers", "dossier_for", "lookup", "requires_role", "units_where", "desks_of"]


def lookup(ident: str) -> dict | None:
    """The field to find a dossier by: its code once received, else its reference (UUID)."""
    ident = (ident or "").strip()
    if CODE_PATTERN.match(ident):
        return {"code": ident}
    try:
        return {"reference": uuid.UUID(ident)}
    except ValueError:
        return None


def dossier_for(user, ident: str, queryset: QuerySet[Dossier] | None = None) -> Dossier:
    """The dossier named ``ident`` when the user may see it; 404 when there is none, 403 when it is
    another unit's."""
    where = lookup(ident)
    if where is None:
        raise Http404("Không tìm thấy hồ sơ.")
    qs = Dossier.objects.all() if queryset is None else queryset
    found = visible_dossiers(user).filter(**where).values_list("pk", flat=True).first()
    if found is None:
        if Dossier.objects.filter(**where).exists():
            raise PermissionDenied("Hồ sơ này không thuộc phạm vi đơn vị của bạn.")
        raise Http404("Không tìm thấy hồ sơ.")
    return qs.get(pk=found)


def units_where(user, *roles: str) -> QuerySet[OrgUnit]:
    """Units the user reaches through one of ``roles`` (a lazy subquery)."""
    return visible_units(user, roles=list(roles))


def desks_of(user) -> list[Desk]:
    """Active desks whose host unit the user serves as receptionist."""
    return list(Desk.objects.filter(is_active=True, host_unit__in=units_where(user, Role.RECEPTIONIST).values("pk"))
                .select_related("host_unit").order_by("name"))


def requires_role(*roles: str):
    """A staff page for ``roles`` only: others get a clear 403 page (the menu hides it from them)."""
    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not roles_of(request.user) & set(roles):
                return render(request, "workspace/forbidden.html", {"roles": [Role(r).label for r in roles]},
                              status=403)
            return view(request, *args, **kwargs)
        return wrapped
    return decorate
