"""The public catalogue search: published procedures only, folded text, ranked, filtered, paged.

Ranking (best first), all computed in SQL on ``Procedure.search_key`` ("<code> <folded name>"):
  0. the query is the procedure's code;
  1. the name starts with the whole query phrase;
  2. the whole phrase appears in the name, starting at a word;
  3. every word appears somewhere (scattered).
Ties: the shorter name first (the general procedure before its long special cases), then the code.

A page is one SQL query: the total comes from a window count over the same rows, and sector, unit
and the in-force version's online mode are joined or sub-selected, never read per row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import (
    Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When, Window,
)
from django.db.models.functions import Concat, Length, Lower

from motcua.catalog.models import Level, OnlineMode, Procedure, ProcedureVersion, VersionStatus
from motcua.org.models import Desk, OrgUnit, UnitKind
from motcua.text import fold

__all__ = ["CatalogueQuery", "CataloguePage", "search_catalogue", "in_force_versions", "normalise_query",
           "published_procedures", "receiving_desks", "versions_in_force"]

IN_FORCE = (VersionStatus.PUBLISHED, VersionStatus.RETIRED)
PAGE_SIZE = 20
MAX_PAGE = 10_000
# Punctuation separates words; the dot stays because procedure codes (1.001193) contain it.
_NOT_WORD = re.compile(r"[^0-9a-z.]+")


def normalise_query(query: str) -> str:
    """Folded (case, accents, đ), punctuation to spaces, at most 200 characters, single-spaced."""
    return " ".join(_NOT_WORD.sub(" ", fold(query or "")[:200]).split()).strip(".")


def versions_in_force(on: dt.date) -> QuerySet[ProcedureVersion]:
    """Versions in force on ``on`` (a retired one too, for a date within its period)."""
    return (ProcedureVersion.objects.filter(status__in=IN_FORCE, valid_from__lte=on)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on)))


def in_force_versions(on: dt.date) -> QuerySet[ProcedureVersion]:
    """Versions in force on ``on``, correlated to the outer procedure."""
    return versions_in_force(on).filter(procedure_id=OuterRef("pk"))


def published_procedures(on: dt.date) -> QuerySet[Procedure]:
    """Procedures with a version in force on ``on``, annotated with that version's online mode."""
    current = in_force_versions(on).order_by("-number")
    return (Procedure.objects.filter(Exists(current))
            .annotate(online_mode=Subquery(current.values("online_mode")[:1])))


def receiving_desks(unit: OrgUnit | None, level: str):
    """Active desks that receive dossiers of a procedure whose competent unit is ``unit``
    (None: a commune-level procedure, received at every commune's desk)."""
    desks = Desk.objects.filter(is_active=True).select_related("host_unit")
    if unit is None:
        return desks.filter(serves__kind=UnitKind.COMMUNE).distinct() if level == Level.COMMUNE else desks.none()
    return desks.filter(serves__path__in=_ancestor_paths(unit.path)).distinct()


def _ancestor_paths(path: str) -> list[str]:
    """"/1/5/12/" → ["/1/", "/1/5/", "/1/5/12/"]: a desk serving any of them receives for the unit."""
    ids = [p for p in path.split("/") if p]
    return ["/" + "/".join(ids[:i]) + "/" for i in range(1, len(ids) + 1)]


def _unit_filter(unit: OrgUnit) -> Q:
    """Procedures of ``unit`` as competent unit (or a unit under it), or received at a desk it hosts."""
    served = list(Desk.objects.filter(host_unit=unit, is_active=True).values_list("serves__path", "serves__kind"))
    q = Q(competent_unit__path__startswith=unit.path)
    for path, _kind in served:
        if path:
            q |= Q(competent_unit__path__startswith=path)
    if unit.kind == UnitKind.COMMUNE or any(kind == UnitKind.COMMUNE for _path, kind in served):
        q |= Q(competent_unit__isnull=True, level=Level.COMMUNE)
    return q


@dataclass(frozen=True)
class CatalogueQuery:
    text: str = ""
    sector: str = ""            # Sector.code
    unit: OrgUnit | None = None
    level: str = ""             # Level value
    online: str = ""            # OnlineMode value
    page: int = 1

    def __post_init__(self):
        if self.level and self.level not in Level.values:
            raise ValueError(self.level)
        if self.online and self.online not in OnlineMode.values:
            raise ValueError(self.online)


@dataclass
class CataloguePage:
    procedures: list[Procedure]
    total: int
    page: int
    size: int
    words: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _ranked(qs: QuerySet[Procedure], phrase: str) -> QuerySet[Procedure]:
    words = phrase.split()
    for word in words:
        qs = qs.filter(search_key__contains=word)
    name_start = Concat(Lower("code"), Value(" " + phrase))
    rank = Case(
        When(code__iexact=phrase, then=Value(0)),
        When(search_key__startswith=name_start, then=Value(1)),
        When(search_key__contains=" " + phrase, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by("rank", Length("name"), "code")


def search_catalogue(query: CatalogueQuery, on: dt.date, size: int = PAGE_SIZE) -> CataloguePage:
    """One page of published procedures matching ``query`` on date ``on``: one SQL query."""
    qs = published_procedures(on).select_related("sector", "competent_unit")
    if query.sector:
        qs = qs.filter(sector__code=query.sector)
    if query.level:
        qs = qs.filter(level=query.level)
    if query.online:
        qs = qs.filter(online_mode=query.online)
    if query.unit is not None:
        qs = qs.filter(_unit_filter(query.unit))
    phrase = normalise_query(query.text)
    qs = _ranked(qs, phrase) if phrase else qs.order_by("code")
    page = min(max(1, query.page), MAX_PAGE)
    start = (page - 1) * size
    rows = list(qs.annotate(total=Window(Count("pk")))[start:start + size])
    total = rows[0].total if rows else (0 if page == 1 else qs.count())
    return CataloguePage(procedures=rows, total=total, page=page, size=size, words=phrase.split())
