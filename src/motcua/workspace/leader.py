"""Leaders' views: results waiting for their approval, overdue and at-risk dossiers of the units
below, the workload of each officer — every number one click from the dossiers behind it (the
dossier list, which any officer also uses to look dossiers up).

Counts are SQL aggregates over the open dossiers and open steps of the leader's units. "At risk" is
derived from working time (``Clock``, the same rule as ``progress.standing``), so it is computed
over the open, not yet overdue dossiers of those units — a few thousand at province scale.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from motcua.accounts.models import Role, User
from motcua.dossiers.models import OPEN_STATES, Channel, Dossier, DossierStep, State
from motcua.org.models import OrgUnit
from motcua.reports import drill
from motcua.reports.bieu06 import ReportError
from motcua.workspace.access import lookup, requires_role, units_where, visible_dossiers
from motcua.workspace.clock import Clock
from motcua.workspace.inbox import Filters, Page, page_of
from motcua.workspace.menu import WORK_ROLES, roles_of

__all__ = ["overview", "dossiers", "ListFilters"]

STANDINGS = {"qua_han": "Quá hạn", "sap_den_han": "Sắp đến hạn", "trong_han": "Trong hạn"}
OPEN = "mo"  # the state filter "still being resolved" (every open state), the list's default


def _rows(qs: QuerySet[Dossier]) -> QuerySet[Dossier]:
    return qs.select_related("procedure_version__procedure", "applicant", "resolving_unit", "current_step__unit",
                             "current_step__assignee")


def _in_order(ids: list[int]) -> list[Dossier]:
    by_id = {d.pk: d for d in _rows(Dossier.objects.filter(pk__in=ids))}
    return [by_id[pk] for pk in ids if pk in by_id]


@requires_role(Role.LEADER)
def overview(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    clock = Clock(now)
    mine = units_where(request.user, Role.LEADER)
    scope = mine.values("pk")
    open_dossiers = Dossier.objects.filter(resolving_unit__in=scope, state__in=OPEN_STATES)

    # results waiting for my approval: open leader steps of my units, free or mine
    approvals = (DossierStep.objects.filter(finished_at__isnull=True, role=Role.LEADER, unit__in=scope)
                 .filter(Q(assignee__isnull=True) | Q(assignee_id=request.user.pk))
                 .select_related("dossier__procedure_version__procedure", "dossier__applicant", "unit")
                 .order_by("due_at", "id"))
    approval_count = approvals.count()
    approval_rows = []
    for step in approvals[:10]:
        step.dossier.current_step = step
        approval_rows.append((step, clock.standing(step.dossier)))

    # per unit: open, overdue, at risk
    risky = clock.at_risk(open_dossiers)
    risk_by_unit = defaultdict(int)
    for _, unit_id in risky:
        risk_by_unit[unit_id] += 1
    per_unit = (open_dossiers.values("resolving_unit").annotate(
        open=Count("id"), over=Count("id", filter=Q(due_at__lt=now))).order_by())
    names = dict(OrgUnit.objects.filter(pk__in=[r["resolving_unit"] for r in per_unit]).values_list("pk", "name"))
    units = sorted(({"pk": r["resolving_unit"], "name": names.get(r["resolving_unit"], ""), "open": r["open"],
                     "over": r["over"], "risk": risk_by_unit[r["resolving_unit"]]} for r in per_unit),
                   key=lambda u: (-u["over"], -u["risk"], u["name"]))

    # workload per officer: open steps of my units by who holds them
    steps = DossierStep.objects.filter(finished_at__isnull=True, unit__in=scope)
    per_officer = list(steps.filter(assignee__isnull=False).values("assignee").annotate(
        open=Count("id"), over=Count("id", filter=Q(due_at__lt=now))).order_by("-open"))
    people = {u.pk: u for u in User.objects.filter(pk__in=[r["assignee"] for r in per_officer])}
    officers = [{"user": people[r["assignee"]], "open": r["open"], "over": r["over"]} for r in per_officer]
    unclaimed = list(steps.filter(assignee__isnull=True).values("unit__name", "unit", "role")
                     .annotate(n=Count("id")).order_by("-n"))
    for row in unclaimed:
        row["role_label"] = Role(row["role"]).label

    overdue_rows = [(d, clock.standing(d)) for d in _rows(open_dossiers.filter(due_at__lt=now))
                    .order_by("due_at", "id")[:10]]
    return render(request, "workspace/leader.html", {
        "approval_rows": approval_rows, "approval_count": approval_count, "units": units, "officers": officers,
        "unclaimed": unclaimed, "overdue_rows": overdue_rows, "overdue_count": sum(u["over"] for u in units),
        "risk_rows": [(d, clock.standing(d)) for d in _in_order([pk for pk, _ in risky[:10]])],
        "risk_count": len(risky),
        "open_count": sum(u["open"] for u in units),
    })


# --- the dossier list (drill-down and look-up) ----------------------------------------------------------------


@dataclass
class ListFilters:
    common: Filters
    standing: str = ""
    unit: OrgUnit | None = None
    officer: User | None = None
    code: str = ""

    open_states: bool = False

    @classmethod
    def read(cls, data) -> "ListFilters":
        f = cls(Filters.read(data))
        f.open_states = data.get("trang_thai") == OPEN or not data
        f.standing = data.get("tinh_trang") if data.get("tinh_trang") in STANDINGS else ""
        if str(data.get("don_vi", "")).isdigit():
            f.unit = OrgUnit.objects.filter(pk=int(data["don_vi"])).first()
        if data.get("can_bo"):
            f.officer = User.objects.filter(username=data["can_bo"].strip()[:150]).first()
        f.code = (data.get("ma") or "").strip()[:80]
        return f

    def query(self) -> dict:
        q = self.common.query()
        if self.open_states:
            q["trang_thai"] = OPEN
        q.update({k: v for k, v in {"tinh_trang": self.standing, "don_vi": self.unit.pk if self.unit else "",
                                     "can_bo": self.officer.username if self.officer else ""}.items() if v})
        return q

    @property
    def open_only(self) -> bool:
        return bool(self.standing or self.officer or self.open_states or self.common.state in OPEN_STATES)


def _scope(user) -> QuerySet[Dossier]:
    return visible_dossiers(user)


@login_required
def dossiers(request: HttpRequest) -> HttpResponse:
    if not roles_of(request.user) & (WORK_ROLES | {Role.INSPECTOR}) and not request.user.is_superuser:
        return render(request, "workspace/forbidden.html", {"message": "Trang này dành cho cán bộ xử lý hồ sơ."},
                      status=403)
    f = ListFilters.read(request.GET)
    if f.code:
        where = lookup(f.code)
        if where is not None and _scope(request.user).filter(**where).exists():
            return redirect("workspace:dossier", f.code)
    now = timezone.now()
    clock = Clock(now)
    after = request.GET.get("sau")
    figure = None
    try:  # a figure of the statistics pages: exactly its dossiers (motcua.reports.drill)
        figure = drill.read(request.GET, request.user)
    except ReportError as exc:
        f.common.errors.append(str(exc))
    if request.GET.get("bc"):
        ids = figure.dossier_ids() if figure is not None else []
        page = _page_list([(pk, None) for pk in ids], after)
        return render(request, "workspace/dossiers.html", {
            "rows": [(d, clock.standing(d)) for d in page.rows], "next_key": page.next_key, "count": len(ids),
            "f": f, "filters": f.common, "figure": figure,
            "filter_query": urlencode(figure.query() if figure else {}), "standings": STANDINGS,
            "channels": Channel.choices, "states": [(OPEN, "Đang giải quyết (chưa xong)"), *State.choices],
            "not_found": ""})
    qs = _scope(request.user)
    if f.unit is not None:
        qs = qs.filter(resolving_unit__path__startswith=f.unit.path)
    if f.officer is not None:
        qs = qs.filter(current_step__assignee=f.officer, current_step__finished_at__isnull=True)
    qs = f.common.apply(qs, prefix="", now=now)
    if f.open_only or f.standing:
        qs = qs.filter(state__in=OPEN_STATES)
    if f.standing == "sap_den_han":
        risky = clock.at_risk(qs)
        page = _page_list(risky, after)
        count = len(risky)
    else:
        if f.standing == "qua_han":
            qs = qs.filter(due_at__lt=now)
        elif f.standing == "trong_han":
            qs = qs.filter(due_at__gte=now)
        if f.open_only:
            page = page_of(_rows(qs), after, field="due_at")
            count = qs.count()
        else:  # everything one may see, newest first: walks the primary key, never sorts the table
            page = page_by_id(_rows(qs), after)
            count = None
    rows = [(d, clock.standing(d)) for d in page.rows]
    return render(request, "workspace/dossiers.html", {
        "rows": rows, "next_key": page.next_key, "count": count, "f": f, "filters": f.common,
        "filter_query": urlencode(f.query()), "standings": STANDINGS, "channels": Channel.choices,
        "states": [(OPEN, "Đang giải quyết (chưa xong)"), *State.choices], "not_found": f.code if f.code else "",
    })


def _page_list(risky: list[tuple[int, int]], after: str | None, size: int = 25) -> Page:
    """A page of the at-risk list (computed in Python, sorted by due instant and id); the key is the
    position in that order."""
    start = int(after) if after and after.isdigit() else 0
    shown = risky[start:start + size]
    more = len(risky) > start + size
    return Page(_in_order([pk for pk, _ in shown]), str(start + size) if more else None)


def page_by_id(qs: QuerySet[Dossier], after: str | None, size: int = 25) -> Page:
    qs = qs.order_by("-id")
    if after and after.isdigit():
        qs = qs.filter(id__lt=int(after))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, str(rows[-1].pk) if more and rows else None)
