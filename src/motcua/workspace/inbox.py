"""The task inbox: the open steps a staff user holds, and the unclaimed ones of their units.

Only a dossier's current step is unfinished, so open steps are the tasks. Both lists are one
query each with a set-based predicate over the user's memberships (never a loop per row), sorted by
the step's due instant and paged by key (due instant, id) so a page costs the same at any depth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from motcua.accounts.models import StaffMembership
from motcua.dossiers.models import DossierStep

__all__ = ["TABS", "task_queryset", "Page", "page_of"]

TABS = {"mine": "Việc của tôi", "unit": "Chưa ai nhận trong đơn vị"}


def _reach(user) -> Q:
    """Steps whose role the user holds in the step's unit or a unit above it."""
    q = Q(pk__in=[])
    for role, path in StaffMembership.objects.filter(user_id=user.pk, is_active=True).values_list("role", "unit__path"):
        q |= Q(role=role, unit__path__startswith=path)
    return q


def task_queryset(user, tab: str) -> QuerySet[DossierStep]:
    open_steps = DossierStep.objects.filter(finished_at__isnull=True)
    if tab == "mine":
        qs = open_steps.filter(assignee_id=user.pk)
    else:
        qs = open_steps.filter(_reach(user), assignee__isnull=True)
    return qs.select_related("dossier__procedure_version__procedure", "dossier__applicant", "unit")


@dataclass
class Page:
    rows: list
    next_key: str | None


def page_of(qs: QuerySet[DossierStep], after: str | None, size: int = 25) -> Page:
    """Keyset paging on (due_at, id): ``after`` is the key of the last row of the previous page."""
    qs = qs.order_by("due_at", "id")
    if after:
        try:
            due_text, pk_text = after.rsplit("_", 1)
            due, pk = dt.datetime.fromisoformat(due_text), int(pk_text)
            qs = qs.filter(Q(due_at__gt=due) | Q(due_at=due, id__gt=pk))
        except ValueError:
            pass  # a mangled key starts from the first page
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    key = f"{rows[-1].due_at.isoformat()}_{rows[-1].pk}" if more and rows and rows[-1].due_at else None
    return Page(rows, key)
