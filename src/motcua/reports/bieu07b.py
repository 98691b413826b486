"""Biểu 07b – "Tổng hợp số lượng TTHC" (the procedure summary) as arithmetic over plain facts.

Pure Python, no Django: ``queries07b`` reads one fact per procedure in force on the period's last
day; this module decides what each procedure counts in and checks the identities
(shared/domain.md §4.2, the 07b paragraph). Rows are the catalogue's levels (bộ / tỉnh / xã: the
districts were abolished on 01/7/2025, so the catalogue holds no "cấp huyện") or its sectors.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field, fields

__all__ = ["ProcedureFacts", "Counts07b", "Row07b", "Report07b", "COLUMNS_07B", "classify", "build", "check",
           "is_interagency", "is_served_by_desk", "own_agencies"]

FULL, PARTIAL = "full", "partial"     # catalog.models.OnlineMode values
COMMUNE = "commune"                  # catalog.models.Level.COMMUNE

# Column number → (key, Vietnamese heading); columns 1–2 are STT and the row's name.
COLUMNS_07B = {
    3: ("procedures", "Tổng số TTHC"),
    4: ("at_desk", "Tiếp nhận tại Bộ phận Một cửa – Tổng số"),
    5: ("one_stop", "Trong đó: một cửa"),
    6: ("interagency", "Trong đó: một cửa liên thông"),
    7: ("with_workflow", "Có quy trình nội bộ được phê duyệt"),
    8: ("online_full", "Dịch vụ công trực tuyến toàn trình"),
    9: ("online_partial", "Dịch vụ công trực tuyến một phần"),
}


def own_agencies(competent_path: str | None, level: str, commune_paths: Iterable[str]) -> tuple[str, ...]:
    """The tree paths of the agencies that resolve a procedure themselves: its competent unit, or —
    for a commune-level procedure without one (every commune resolves it) — the scope's communes."""
    if competent_path:
        return (competent_path,)
    return tuple(commune_paths) if level == COMMUNE else ()


def is_interagency(own: tuple[str, ...], step_paths: Iterable[str]) -> bool:
    """Handled "liên thông": a step of the internal workflow is done by another agency — a step
    unit outside every own agency's subtree. Steps without a unit are the competent agency's own."""
    return any(not p.startswith(own) for p in step_paths)


def is_served_by_desk(own: tuple[str, ...], desk_paths: Iterable[str]) -> bool:
    """Received at a one-stop desk (Bộ phận Một cửa / TTPVHCC): an active desk serves an own agency
    or a unit above it (the rule of ``catalog.search.receiving_desks``)."""
    desks = tuple(desk_paths)
    return bool(desks) and any(o.startswith(desks) for o in own)


@dataclass(frozen=True)
class ProcedureFacts:
    """One procedure as 07b sees it, from its version in force on the period's last day."""

    level: str
    at_desk: bool
    interagency: bool
    with_workflow: bool      # every case (trường hợp) of the version has workflow steps
    online_mode: str
    group: Hashable = ()


@dataclass
class Counts07b:
    procedures: int = 0
    at_desk: int = 0
    one_stop: int = 0
    interagency: int = 0
    with_workflow: int = 0
    online_full: int = 0
    online_partial: int = 0

    def add(self, other: Counts07b) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def column(self, number: int) -> int:
        return getattr(self, COLUMNS_07B[number][0])


@dataclass
class Row07b:
    key: Hashable
    counts: Counts07b = field(default_factory=Counts07b)


@dataclass
class Report07b:
    on: object          # the date the catalogue is read at (the period's last day)
    rows: list[Row07b]
    total: Counts07b


def classify(f: ProcedureFacts) -> Counts07b:
    return Counts07b(
        procedures=1,
        at_desk=int(f.at_desk),
        one_stop=int(f.at_desk and not f.interagency),
        interagency=int(f.at_desk and f.interagency),
        with_workflow=int(f.with_workflow),
        online_full=int(f.online_mode == FULL),
        online_partial=int(f.online_mode == PARTIAL),
    )


def build(facts: Iterable[ProcedureFacts], on, fixed_keys: Sequence[Hashable] = ()) -> Report07b:
    """Rows per group key; ``fixed_keys`` (the form's level rows) are shown, in that order, even
    when empty; other keys follow sorted."""
    rows: dict[Hashable, Row07b] = {k: Row07b(k) for k in fixed_keys}
    total = Counts07b()
    for f in facts:
        c = classify(f)
        rows.setdefault(f.group, Row07b(f.group)).counts.add(c)
        total.add(c)
    extra = sorted((k for k in rows if k not in fixed_keys), key=lambda k: tuple(str(v) for v in k))
    return Report07b(on, [rows[k] for k in [*fixed_keys, *extra]], total)


def _identities(c: Counts07b) -> list[str]:
    problems = []
    if c.at_desk != c.one_stop + c.interagency:
        problems.append(f"cột 4 = 5 + 6: {c.at_desk} ≠ {c.one_stop + c.interagency}")
    for number in (4, 7):
        if c.column(number) > c.procedures:
            problems.append(f"cột {number} {c.column(number)} > cột 3 {c.procedures}")
    if c.online_full + c.online_partial > c.procedures:
        problems.append(f"cột 8 + 9 {c.online_full + c.online_partial} > cột 3 {c.procedures}")
    return problems


def check(report: Report07b) -> list[str]:
    """The identities in every row and the total, and the total = the sum of the rows (Vietnamese)."""
    problems = []
    for row in report.rows:
        problems += [f"dòng {row.key}: {p}" for p in _identities(row.counts)]
    problems += [f"tổng: {p}" for p in _identities(report.total)]
    summed = Counts07b()
    for row in report.rows:
        summed.add(row.counts)
    if summed != report.total:
        problems.append(f"tổng {report.total.as_dict()} ≠ tổng các dòng {summed.as_dict()}")
    return problems
