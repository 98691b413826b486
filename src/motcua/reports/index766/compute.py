"""The QĐ 766 index of units for a period: the SQL facts of ``queries`` rolled up over the unit tree
(a unit = it and everything under it), scored by ``scoring`` with the weights in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from motcua.org.models import OrgUnit
from motcua.reports.bieu06 import Period
from motcua.reports.index766 import queries
from motcua.reports.index766.config import weights_for
from motcua.reports.index766.scoring import (HUNDRED, INDICATOR_BY_ID, INDICATORS, IndicatorScore, UnitScore,
                                              Weights, rank, rate, score_indicator, score_unit)

__all__ = ["IndexResult", "UnitRow", "compute", "window", "subtree_ids", "own_procedures", "gateway_configured"]

_DAY = Decimal(86400)
_CENT = Decimal("0.01")


@dataclass
class UnitRow:
    unit: OrgUnit
    score: UnitScore
    counts: dict = field(default_factory=dict)


@dataclass
class IndexResult:
    period: Period
    as_of: dt.datetime
    weights: Weights
    rows: list[UnitRow]          # ranked within each kind of unit (see scoring.rank)
    total: UnitRow | None        # the whole scope (the province when no units are given)

    def row(self, unit_id: int) -> UnitRow | None:
        return next((r for r in self.rows if r.unit.pk == unit_id), None)


def window(period: Period, now: dt.datetime | None = None) -> queries.Window:
    now = now or timezone.now()
    return queries.Window(period.starts, period.ends, min(period.ends, max(now, period.starts)))


def _tree() -> dict[int, OrgUnit]:
    return {u.pk: u for u in OrgUnit.objects.only("id", "name", "short_name", "kind", "path", "identifier",
                                                   "parent_id", "depth")}


def _ancestors(unit: OrgUnit) -> list[int]:
    return [int(x) for x in unit.path.strip("/").split("/") if x]


def subtree_ids(tree: dict[int, OrgUnit], roots) -> set[int]:
    paths = [r.path for r in roots]
    return {pk for pk, u in tree.items() if any(u.path.startswith(p) for p in paths)}


def own_procedures(tree: dict[int, OrgUnit], procs: dict[int, queries.ProcedureFacts]) -> dict[int, list[int]]:
    """{unit id: the procedures it provides}: those it is the competent agency for, and for every
    commune the commune-level procedures without a named agency (each commune resolves them)."""
    own: dict[int, list[int]] = {}
    shared = [p.id for p in procs.values() if p.competent_unit_id is None and p.level == "commune"]
    for p in procs.values():
        if p.competent_unit_id is not None:
            own.setdefault(p.competent_unit_id, []).append(p.id)
    for pk, u in tree.items():
        if u.kind == "commune":
            own.setdefault(pk, []).extend(shared)
    return own


def _add(into: dict, counts: dict) -> None:
    for k, v in counts.items():
        into[k] = into.get(k, 0) + v


def _indicators(c: dict, procs: list[queries.ProcedureFacts], used_procs: set[int], gateway: bool,
                weights: Weights) -> dict[str, IndicatorScore]:
    """Every indicator of one scope from its rolled-up counts (pure)."""
    s: dict[str, IndicatorScore] = {}
    g = c.get
    received = g("received", 0)
    for ind in INDICATORS:
        if not ind.held:
            s[ind.id] = score_indicator(ind, None, None, weights)
    complete = sum(1 for p in procs if not p.missing)
    online = [p for p in procs if p.online]
    fee = [p for p in procs if p.fee]
    s["1.3"] = score_indicator(INDICATOR_BY_ID["1.3"], complete, len(procs), weights)
    s["2.1"] = score_indicator(INDICATOR_BY_ID["2.1"], received - g("late", 0), received, weights)
    allowed = (Decimal(g("allowed", 0)) / _DAY).quantize(_CENT)
    elapsed = (Decimal(g("elapsed", 0)) / _DAY).quantize(_CENT)
    r22 = min(HUNDRED, rate(allowed, elapsed)) if elapsed > 0 else None
    s["2.2"] = score_indicator(INDICATOR_BY_ID["2.2"], allowed, elapsed if g("timed", 0) else 0, weights,
                               rate_value=r22, note=_average_note(c))
    s["3.1"] = score_indicator(INDICATOR_BY_ID["3.1"], len(online), len(procs), weights)
    s["3.2"] = score_indicator(INDICATOR_BY_ID["3.2"], sum(1 for p in online if p.id in used_procs), len(online),
                               weights)
    s["3.3"] = score_indicator(INDICATOR_BY_ID["3.3"], g("online", 0), received, weights)
    s["3.5"] = score_indicator(INDICATOR_BY_ID["3.5"], sum(1 for p in fee if p.online) if gateway else 0,
                               len(fee), weights,
                               note="" if gateway else "chưa cấu hình cổng thanh toán trực tuyến")
    s["3.6"] = score_indicator(INDICATOR_BY_ID["3.6"], g("paid_online", 0), g("fee", 0), weights)
    s["4.1"] = score_indicator(INDICATOR_BY_ID["4.1"], g("e_result", 0), g("granted", 0), weights)
    s["4.2"] = score_indicator(INDICATOR_BY_ID["4.2"], g("digitised", 0), received, weights)
    s["4.3"] = score_indicator(INDICATOR_BY_ID["4.3"], g("reused", 0), received, weights)
    fb = g("feedback", 0)
    s["5.1"] = score_indicator(INDICATOR_BY_ID["5.1"], g("classified", 0), fb, weights)
    s["5.2"] = score_indicator(INDICATOR_BY_ID["5.2"], fb - g("fb_late", 0), fb, weights)
    s["5.3"] = score_indicator(INDICATOR_BY_ID["5.3"], fb - g("fb_late", 0), fb, weights,
                               note="chưa ghi nhận lượt thích/không thích, phản ánh lại: chỉ trừ phản ánh trễ hạn")
    r54 = None
    if received:
        r54 = max(Decimal(0), HUNDRED - rate(g("late", 0), received) - rate(g("complained", 0), received))
    s["5.4"] = score_indicator(INDICATOR_BY_ID["5.4"], max(0, received - g("late", 0) - g("complained", 0)),
                               received, weights, rate_value=r54)
    return {ind.id: s[ind.id] for ind in INDICATORS}


def _average_note(c: dict) -> str:
    n = c.get("timed", 0)
    if not n:
        return ""
    used = Decimal(c.get("elapsed", 0)) / _DAY / n
    allowed = Decimal(c.get("allowed", 0)) / _DAY / n
    return (f"bình quân {used.quantize(_CENT)} ngày (lịch) / thời hạn bình quân {allowed.quantize(_CENT)} ngày, "
            f"{n} hồ sơ có kết quả")


def gateway_configured() -> bool:
    from motcua.payments.services import unavailable_reason

    return unavailable_reason() is None


def compute(period: Period, units=None, *, now: dt.datetime | None = None,
            weights: Weights | None = None) -> IndexResult:
    """The QĐ 766 index for ``period`` (a ``bieu06.Period`` of local dates, both included).

    ``units``: the OrgUnits to list (each scored over its whole subtree); None = every unit with any
    data. The total covers the union of their subtrees (None: the whole province). Units without any
    data are left out of the rows unless they were named. Real time: the facts are read as of the
    period's end or ``now`` (default: the current time), whichever is earlier. ``weights``: default
    the IndexConfig version in force on the period's last day.

    Cost: four grouped SQL queries (dossiers, feedback, online procedures used, the catalogue) plus
    the unit tree, whatever the number of dossiers; the roll-up loops over units, not dossiers.
    """
    w = window(period, now)
    weights = weights or weights_for(period.end)
    tree = _tree()
    named = list(units) if units is not None else None
    scope = subtree_ids(tree, named) if named is not None else None
    ids = sorted(scope) if scope is not None else None
    per_unit: dict[int, dict] = {}
    for source in (queries.dossier_counts(w, ids), queries.feedback_counts(w, ids)):
        for uid, counts in source.items():
            _add(per_unit.setdefault(uid, {}), counts)
    procs = queries.procedure_facts(w.as_of_day)
    used = queries.online_used(w, ids)
    own_procs = own_procedures(tree, procs)
    # Roll up: each unit's counts go to it and every ancestor (path = chain of ids).
    rolled: dict[int, dict] = {}
    rolled_procs: dict[int, set[int]] = {}
    rolled_used: dict[int, set[int]] = {}
    for uid in set(per_unit) | set(own_procs) | {u for u, _ in used}:
        unit = tree.get(uid)
        if unit is None or (scope is not None and uid not in scope):
            continue
        for anc in _ancestors(unit):
            _add(rolled.setdefault(anc, {}), per_unit.get(uid, {}))
            rolled_procs.setdefault(anc, set()).update(own_procs.get(uid, ()))
    for uid, pid in used:
        if uid in tree:
            for anc in _ancestors(tree[uid]):
                rolled_used.setdefault(anc, set()).add(pid)
    gateway = gateway_configured()

    def score(key, counts, proc_ids, used_ids):
        facts = [procs[p] for p in sorted(proc_ids)]
        return score_unit(key, _indicators(counts, facts, used_ids, gateway, weights), weights)

    listed = named if named is not None else [u for pk, u in tree.items() if pk in rolled]
    rows = []
    for unit in listed:
        counts, proc_ids = rolled.get(unit.pk, {}), rolled_procs.get(unit.pk, set())
        if named is not None and len(named) > 1 and not counts and not proc_ids:
            continue   # a unit without any data says nothing in a list of many
        rows.append(UnitRow(unit, score(unit, counts, proc_ids, rolled_used.get(unit.pk, set())), counts))
    by_key = {id(r.score): r for r in rows}
    ranked = rank([r.score for r in rows], peer=lambda u: u.kind, name=lambda u: u.name)
    rows = [by_key[id(s)] for s in ranked]
    # The total: every unit of the scope once.
    total_counts: dict = {}
    total_procs: set[int] = set()
    for uid in (scope if scope is not None else tree):
        _add(total_counts, per_unit.get(uid, {}))
        total_procs.update(own_procs.get(uid, ()))
    total_used = {pid for uid, pid in used if scope is None or uid in scope}
    total = UnitRow(None, score(None, total_counts, total_procs, total_used), total_counts)
    return IndexResult(period, w.cutoff, weights, rows, total)
