"""Biểu 07b from the catalogue: the procedures in force on the period's last day, for a scope.

The catalogue is small (thousands of procedures): one aggregate query over the versions in force,
plus three narrow reads (workflow-step units of those versions, the active desks' units, the
communes), combined by the pure rules of ``bieu07b``.

Scope: ``--unit`` keeps the procedures whose competent unit is that unit or under it, and the
commune-level procedures without a competent unit (every commune resolves them) when the subtree
holds a commune; ``--sector``, ``--procedure`` and ``--level`` filter the procedures.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q

from motcua.catalog.models import Level, WorkflowStep
from motcua.catalog.search import versions_in_force
from motcua.org.models import Desk, OrgUnit, UnitKind
from motcua.reports.bieu07b import (
    ProcedureFacts, Report07b, build, is_interagency, is_served_by_desk, own_agencies,
)
from motcua.reports.bieu06 import ReportError
from motcua.reports.queries import Scope

__all__ = ["GROUPINGS_07B", "facts", "bieu07b"]

_PROC = "procedure"
# Grouping → the two columns (code, name) of a row's key.
GROUPINGS_07B = {
    "level": (f"{_PROC}__level", None),
    "sector": (f"{_PROC}__sector__code", f"{_PROC}__sector__name"),
}


def _scoped(scope: Scope, communes_in_scope: bool) -> Q:
    q = Q()
    if scope.unit is not None:
        mine = Q(**{f"{_PROC}__competent_unit__path__startswith": scope.unit.path})
        if communes_in_scope:
            mine |= Q(**{f"{_PROC}__competent_unit__isnull": True, f"{_PROC}__level": Level.COMMUNE})
        q &= mine
    if scope.sector is not None:
        q &= Q(**{f"{_PROC}__sector": scope.sector})
    if scope.procedure is not None:
        q &= Q(**{_PROC: scope.procedure})
    if scope.level:
        q &= Q(**{f"{_PROC}__level": scope.level})
    return q


def facts(on: dt.date, scope: Scope, by: str) -> list[ProcedureFacts]:
    if by not in GROUPINGS_07B:
        raise ReportError(f"Cách nhóm “{by}” không hợp lệ với Biểu 07b ({', '.join(GROUPINGS_07B)}).")
    communes = OrgUnit.objects.filter(kind=UnitKind.COMMUNE)
    if scope.unit is not None:
        communes = communes.filter(path__startswith=scope.unit.path)
    commune_paths = list(communes.values_list("path", flat=True))
    code_col, name_col = GROUPINGS_07B[by]
    versions = list(
        versions_in_force(on).filter(_scoped(scope, bool(commune_paths)))
        .annotate(variant_count=Count("variants", distinct=True),
                  with_steps=Count("variants", filter=Q(variants__steps__isnull=False), distinct=True))
        .order_by(f"{_PROC}_id", "-number")
        .values_list("id", f"{_PROC}_id", f"{_PROC}__level", f"{_PROC}__competent_unit__path", "online_mode",
                     "variant_count", "with_steps", code_col, *([name_col] if name_col else [])))
    latest = {}
    for v in versions:  # two versions in force on one day (an overlap): the newest counts
        latest.setdefault(v[1], v)
    step_paths = defaultdict(set)
    for version_id, path in (WorkflowStep.objects.filter(variant__version_id__in=[v[0] for v in latest.values()],
                                                         unit__isnull=False)
                             .values_list("variant__version_id", "unit__path").distinct()):
        step_paths[version_id].add(path)
    desks = list(Desk.objects.filter(is_active=True, serves__isnull=False).values_list("serves__path", flat=True))
    out = []
    for v in latest.values():
        version_id, _, level, competent, online_mode, variants, with_steps = v[:7]
        own = own_agencies(competent, level, commune_paths)
        out.append(ProcedureFacts(
            level=level,
            at_desk=is_served_by_desk(own, desks),
            interagency=is_interagency(own, step_paths[version_id]),
            with_workflow=variants > 0 and with_steps == variants,
            online_mode=online_mode,
            group=(level, str(Level(level).label)) if by == "level" else (v[7], v[8]),
        ))
    return out


def bieu07b(on: dt.date, scope: Scope = Scope(), by: str = "level") -> Report07b:
    """The summary on date ``on``; by level, every level of the catalogue is a row (0 when empty)."""
    fixed = [(value, label) for value, label in Level.choices
             if not scope.level or value == scope.level] if by == "level" else []
    return build(facts(on, scope, by), on, [(v, str(label)) for v, label in fixed])
