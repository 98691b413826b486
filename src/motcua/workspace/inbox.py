"""The task inbox: the open steps a staff user holds, and the unclaimed ones of their units.

Only a dossier's current step is unfinished, so open steps are the tasks. Both lists are one
query each with a set-based predicate over the user's memberships (never a loop per row), sorted by
the step's due instant and paged by key (due instant, id) so a page costs the same at any depth.
Open steps have their own partial indexes (workspace migration 0002), so neither the lists nor
their counts grow with history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone

from motcua.accounts.models import StaffMembership
from motcua.catalog.services import search_procedures
from motcua.dossiers.models import Channel, DossierStep, State

__all__ = ["TABS", "Filters", "task_queryset", "Page", "page_of", "local_midnight", "parse_day"]

TABS = {"mine": "Việc của tôi", "unit": "Chưa ai nhận trong đơn vị"}
STATE_CHOICES = [(s.value, s.label) for s in (State.RECEIVED, State.PROCESSING, State.AWAITING_SUPPLEMENT,
                                              State.AWAITING_PAYMENT, State.RESULT_READY, State.REFUSED)]


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def parse_day(text: str) -> dt.date | None:
    """A date typed as 2025-09-15 (the date input) or 15/09/2025; None when empty; ValueError when wrong."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


@dataclass
class Filters:
    """The inbox's filters, read from the query string; ``errors`` says what could not be read."""

    procedure: str = ""
    channel: str = ""
    state: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    overdue: bool = False
    errors: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, data) -> "Filters":
        f = cls(procedure=(data.get("thu_tuc") or "").strip()[:200],
                channel=data.get("kenh") if data.get("kenh") in Channel.values else "",
                state=data.get("trang_thai") if data.get("trang_thai") in State.values else "",
                overdue=data.get("qua_han") == "1")
        for attr, key, label in (("received_from", "tu_ngay", "Từ ngày"), ("received_to", "den_ngay", "Đến ngày")):
            try:
                setattr(f, attr, parse_day(data.get(key, "")))
            except ValueError:
                f.errors.append(f"{label}: “{data.get(key)}” không phải ngày hợp lệ (dd/mm/yyyy).")
        if f.received_from and f.received_to and f.received_from > f.received_to:
            f.errors.append("Từ ngày phải trước hoặc bằng đến ngày.")
            f.received_to = None
        return f

    @property
    def active(self) -> bool:
        return bool(self.procedure or self.channel or self.state or self.received_from or self.received_to
                    or self.overdue)

    def query(self) -> dict[str, str]:
        """The filters as query-string parameters (for links that keep them)."""
        pairs = {"thu_tuc": self.procedure, "kenh": self.channel, "trang_thai": self.state,
                 "tu_ngay": self.received_from.isoformat() if self.received_from else "",
                 "den_ngay": self.received_to.isoformat() if self.received_to else "",
                 "qua_han": "1" if self.overdue else ""}
        return {k: v for k, v in pairs.items() if v}

    def apply(self, qs: QuerySet, prefix: str = "dossier__", now: dt.datetime | None = None) -> QuerySet:
        if self.procedure:
            qs = qs.filter(**{f"{prefix}procedure_version__procedure__in": search_procedures(self.procedure)
                              .values("pk")})
        if self.channel:
            qs = qs.filter(**{f"{prefix}channel": self.channel})
        if self.state:
            qs = qs.filter(**{f"{prefix}state": self.state})
        if self.received_from:
            qs = qs.filter(**{f"{prefix}received_at__gte": local_midnight(self.received_from)})
        if self.received_to:
            qs = qs.filter(**{f"{prefix}received_at__lt": local_midnight(self.received_to + dt.timedelta(days=1))})
        if self.overdue:
            qs = qs.filter(**{f"{prefix}due_at__lt": now or timezone.now()})
        return qs


def _reach(user, roles=None) -> Q:
    """Steps whose role the user holds in the step's unit or a unit above it."""
    q = Q(pk__in=[])
    memberships = StaffMembership.objects.filter(user_id=user.pk, is_active=True)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    for role, path in memberships.values_list("role", "unit__path"):
        q |= Q(role=role, unit__path__startswith=path)
    return q


def task_queryset(user, tab: str, filters: Filters | None = None) -> QuerySet[DossierStep]:
    open_steps = DossierStep.objects.filter(finished_at__isnull=True)
    if tab == "mine":
        qs = open_steps.filter(assignee_id=user.pk)
    else:
        qs = open_steps.filter(_reach(user), assignee__isnull=True)
    if filters is not None:
        qs = filters.apply(qs)
    return qs.select_related("dossier__procedure_version__procedure", "dossier__applicant", "dossier__resolving_unit",
                             "unit")


@dataclass
class Page:
    rows: list
    next_key: str | None


def page_of(qs: QuerySet, after: str | None, size: int = 25, field: str = "due_at", descending: bool = False) -> Page:
    """Keyset paging on (``field``, id), ascending or descending: ``after`` is the key of the last row
    of the previous page, so a page costs the same at any depth."""
    qs = qs.order_by(f"-{field}", "-id") if descending else qs.order_by(field, "id")
    if after:
        try:
            due_text, pk_text = after.rsplit("_", 1)
            due, pk = dt.datetime.fromisoformat(due_text), int(pk_text)
            beyond, then = ("lt", "lt") if descending else ("gt", "gt")
            qs = qs.filter(Q(**{f"{field}__{beyond}": due}) | Q(**{field: due, f"id__{then}": pk}))
        except ValueError:
            pass  # a mangled key starts from the first page
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    last = getattr(rows[-1], field) if rows else None
    key = f"{last.isoformat()}_{rows[-1].pk}" if more and last else None
    return Page(rows, key)
