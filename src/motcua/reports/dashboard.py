"""The figures of the leaders' and inspectors' dashboard for a period and a unit's subtree.

- trend by month: received in the month (Biểu 06 cols 4 + 5), resolved (col 7), on-time rate
  ((8 + 9) / 7) — Biểu 06 counted by the database, one query per month;
- on-time rate by resolving unit over the period (Biểu 06 grouped by unit);
- channel mix of the dossiers received in the period (one GROUP BY);
- slowest procedures (working time from the clock start to the end of processing of the dossiers
  resolved in the period) and slowest workflow steps (working time from taking the step to finishing
  it, steps finished in the period), each with its median and 90th percentile (nearest rank), in
  the working calendar of the resolving unit or the step's unit (``workspace.clock.Clock``);
- apologies (Mẫu 04) made in the period, by unit.
Every figure carries the link to its dossiers (``drill.link``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from motcua.calendar.deadline import format_working_time
from motcua.dossiers.models import Channel, Dossier, DossierStep, Extension
from motcua.org.models import OrgUnit
from motcua.reports import queries
from motcua.reports.bieu06 import Period, Policy, ReportError
from motcua.reports.drill import NEW, link
from motcua.workspace.clock import Clock

__all__ = ["Dashboard", "build", "months_of", "percentile", "MAX_MONTHS"]

MAX_MONTHS = 24
TOP = 10


def months_of(period: Period) -> list[Period]:
    """The calendar months the period touches, each cut to the period."""
    found, first = [], period.start.replace(day=1)
    while first <= period.end:
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        found.append(Period(max(first, period.start), min(following - dt.timedelta(days=1), period.end)))
        first = following
    return found


def percentile(values: list[int], p: int) -> int:
    """Nearest-rank percentile of a non-empty list (the median is p = 50)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _rate(on_time: int, resolved: int) -> float | None:
    return None if resolved == 0 else round(100 * on_time / resolved, 1)


@dataclass
class Dashboard:
    period: Period
    unit: OrgUnit
    trend: list[dict]
    units: list[dict]
    channels: list[dict]
    procedures: list[dict]
    steps: list[dict]
    apologies: list[dict]


def _timing(values: list[tuple[int, int]]) -> dict:
    seconds = [s for s, _ in values]
    per_day = values[0][1]
    median, p90 = percentile(seconds, 50), percentile(seconds, 90)
    return {"count": len(values), "median": median, "p90": p90, "median_days": round(median / per_day, 2),
            "p90_days": round(p90 / per_day, 2), "median_text": format_working_time(median, per_day),
            "p90_text": format_working_time(p90, per_day)}


def build(period: Period, unit: OrgUnit, policy: Policy, now: dt.datetime) -> Dashboard:
    months = months_of(period)
    if len(months) > MAX_MONTHS:
        raise ReportError(f"Bảng điều khiển xem tối đa {MAX_MONTHS} tháng; hãy chọn kỳ ngắn hơn.")
    scope = queries.Scope(unit=unit)
    clock = Clock(now)

    trend = []
    for month in months:
        t = queries.bieu06(month, policy, scope, "unit").total
        received = t.received_online + t.received_direct
        trend.append({"label": f"{month.start:%m/%Y}", "received": received, "resolved": t.resolved,
                      "on_time": t.resolved_early + t.resolved_on_time, "late": t.resolved_late,
                      "rate": _rate(t.resolved_early + t.resolved_on_time, t.resolved),
                      "received_href": link("b06", month, unit, policy, nhom="unit", cot=NEW),
                      "resolved_href": link("b06", month, unit, policy, nhom="unit", cot=7),
                      "late_href": link("b06", month, unit, policy, nhom="unit", cot=10)})

    by_unit = []
    for row in queries.bieu06(period, policy, scope, "unit").rows:
        c, code = row.counts, row.key[0]
        if c.resolved == 0:
            continue
        by_unit.append({"code": code, "name": row.key[1], "resolved": c.resolved, "late": c.resolved_late,
                        "rate": _rate(c.resolved_early + c.resolved_on_time, c.resolved),
                        "resolved_href": link("b06", period, unit, policy, nhom="unit", cot=7, ma=code),
                        "late_href": link("b06", period, unit, policy, nhom="unit", cot=10, ma=code)})
    by_unit.sort(key=lambda r: (r["rate"], r["name"]))

    in_scope = Dossier.objects.filter(resolving_unit__path__startswith=unit.path)
    counted = dict(in_scope.filter(received_at__gte=period.starts, received_at__lt=period.ends)
                   .values("channel").order_by().annotate(n=Count("pk")).values_list("channel", "n"))
    total = sum(counted.values())
    channels = [{"code": code, "name": label, "count": counted.get(code, 0),
                 "share": round(100 * counted.get(code, 0) / total, 1) if total else None,
                 "href": link("b06", period, unit, policy, nhom="unit", cot=NEW, kenh=code)}
                for code, label in Channel.choices]

    per_procedure = defaultdict(list)
    names = {}
    resolved = (in_scope.filter(finished_at__gte=period.starts, finished_at__lt=period.ends, received_at__isnull=False)
                .values_list("procedure_version__procedure__code", "procedure_version__procedure__name",
                             "resolving_unit_id", "clock_start", "received_at", "finished_at"))
    for code, name, unit_id, start, received, finished in resolved.iterator(chunk_size=5000):
        cal = clock.calendar_of_unit_id(unit_id)
        per_procedure[code].append((cal.working_seconds(start or received, finished), cal.hours_per_day))
        names[code] = name
    procedures = [{"code": code, "name": names[code], **_timing(values),
                   "href": link("b06", period, unit, policy, nhom="procedure", cot=7, ma=code)}
                  for code, values in per_procedure.items()]
    procedures.sort(key=lambda r: (-r["median_days"], -r["p90_days"], r["code"]))

    per_step = defaultdict(list)
    step_names = {}
    steps = (DossierStep.objects.filter(finished_at__gte=period.starts, finished_at__lt=period.ends,
                                        dossier__resolving_unit__path__startswith=unit.path)
             .values_list("dossier__procedure_version__procedure__code", "order", "name", "unit_id", "started_at",
                          "finished_at", "dossier_id"))
    step_dossiers = defaultdict(set)   # a step sent back is passed again: passes ≥ dossiers
    for code, order, name, unit_id, started, finished, dossier_id in steps.iterator(chunk_size=5000):
        cal = clock.calendar_of_unit_id(unit_id)
        per_step[(code, order)].append((cal.working_seconds(started, finished), cal.hours_per_day))
        step_names[(code, order)] = name
        step_dossiers[(code, order)].add(dossier_id)
    step_rows = [{"code": code, "order": order, "name": step_names[(code, order)], **_timing(values),
                  "dossiers": len(step_dossiers[(code, order)]), "href": link("buoc", period, unit, tt=code, buoc=order)}
                 for (code, order), values in per_step.items()]
    step_rows.sort(key=lambda r: (-r["median"], -r["p90"], r["code"], r["order"]))

    apologies = (Extension.objects.filter(requested_at__gte=period.starts, requested_at__lt=period.ends,
                                          dossier__resolving_unit__path__startswith=unit.path)
                 .values("dossier__resolving_unit__identifier", "dossier__resolving_unit__name").order_by()
                 .annotate(n=Count("pk")))
    apology_rows = sorted(({"code": r["dossier__resolving_unit__identifier"], "name": r["dossier__resolving_unit__name"],
                            "count": r["n"]} for r in apologies), key=lambda r: (-r["count"], r["name"]))
    by_pk = {u.identifier: u for u in OrgUnit.objects.filter(identifier__in=[r["code"] for r in apology_rows])}
    for r in apology_rows:
        r["href"] = link("xl", period, by_pk[r["code"]]) if r["code"] in by_pk else ""
    return Dashboard(period, unit, trend, by_unit, channels, procedures[:TOP], step_rows[:TOP], apology_rows)
