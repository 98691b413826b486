"""Pages of the QĐ 766 index under /bao-cao/chi-so-766/: the units × groups table with the ranking,
a unit's indicators, and the drill-down from an indicator to what cost the points."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from motcua.org.models import OrgUnit
from motcua.reports.access import report_units, reports_required
from motcua.reports.bieu06 import Period, ReportError
from motcua.reports.index766 import compute
from motcua.reports.index766.drilldown import drilldown
from motcua.reports.index766.periods import current_quarter, name_of, parse_period
from motcua.reports.index766.scoring import GROUPS, INDICATOR_BY_ID, INDICATORS

LIST_LIMIT = 500   # rows shown in a drill-down (the count is always complete)


def _period(request: HttpRequest) -> tuple[Period | None, str, dict]:
    """The period asked for (?ky=2026-Q1, or ?tu=&den=), the error if any, and the form's values."""
    ky, tu, den = (request.GET.get(k, "").strip() for k in ("ky", "tu", "den"))
    form = {"ky": ky, "tu": tu, "den": den}
    try:
        if tu or den:
            try:
                start, end = dt.date.fromisoformat(tu), dt.date.fromisoformat(den)
            except ValueError:
                raise ReportError("Ngày bắt đầu và ngày kết thúc phải là ngày hợp lệ.") from None
            return Period(start, end), "", form
        if not ky:
            form["ky"] = ky = current_quarter(timezone.localdate())
        return parse_period(ky), "", form
    except ReportError as exc:
        return None, str(exc), form


def _query(form: dict) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in form.items() if v})


def _reached(request, identifier: str) -> OrgUnit | None:
    return report_units(request.user).filter(identifier=identifier).first()


@reports_required
def index(request: HttpRequest) -> HttpResponse:
    period, error, form = _period(request)
    ctx = {"form": form, "error": error, "groups": GROUPS, "query": _query(form)}
    if period is None:
        return render(request, "reports/index766.html", ctx, status=400)
    units = list(report_units(request.user))
    result = compute(period, units)
    peers: dict[str, list] = {}
    for row in result.rows:
        peers.setdefault(row.unit.get_kind_display(), []).append(row)
    ctx.update(result=result, period=period, period_name=name_of(period), peers=peers,
               indicators=INDICATORS, as_of=timezone.localtime(result.as_of))
    return render(request, "reports/index766.html", ctx)


@reports_required
def unit(request: HttpRequest, identifier: str) -> HttpResponse:
    period, error, form = _period(request)
    target = _reached(request, identifier)
    if target is None:
        return render(request, "workspace/forbidden.html",
                      {"message": "Đơn vị này không thuộc phạm vi anh/chị được xem số liệu."}, status=404)
    ctx = {"form": form, "error": error, "unit": target, "query": _query(form)}
    if period is None:
        return render(request, "reports/index766_unit.html", ctx, status=400)
    row = compute(period, [target]).rows[0]
    ctx.update(period=period, period_name=name_of(period), row=row, groups=GROUPS,
               by_group=[(g, row.score.groups[g.code], [s for s in row.score.indicators.values()
                                                         if s.indicator.group == g.code]) for g in GROUPS])
    return render(request, "reports/index766_unit.html", ctx)


@reports_required
def drill(request: HttpRequest, identifier: str, indicator: str) -> HttpResponse:
    period, error, form = _period(request)
    target = _reached(request, identifier)
    if target is None or indicator not in INDICATOR_BY_ID:
        return render(request, "workspace/forbidden.html",
                      {"message": "Không tìm thấy đơn vị hoặc chỉ số trong phạm vi anh/chị được xem."}, status=404)
    ctx = {"form": form, "error": error, "unit": target, "query": _query(form)}
    if period is None:
        return render(request, "reports/index766_drill.html", ctx, status=400)
    score = compute(period, [target]).rows[0].score.indicators[indicator]
    d = drilldown(period, target, indicator)
    items = d.items
    count = items.count() if hasattr(items, "count") and not isinstance(items, list) else len(items)
    ctx.update(period=period, period_name=name_of(period), score=score, d=d, count=count,
               items=list(items[:LIST_LIMIT]), limit=LIST_LIMIT)
    return render(request, "reports/index766_drill.html", ctx)
