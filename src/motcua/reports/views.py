"""Statistics pages (/bao-cao/): the home page, Biểu 06 on screen and as downloads, the dashboard and
the evaluation scores. Each reads the period and a unit among the reader's (``report_units``); bad
input is a Vietnamese message on the page (status 400), never a partial table."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from motcua.reports import charts, dashboard, drill, exports, queries, score_render, scores
from motcua.reports.access import report_units, reports_required
from motcua.reports.bieu06 import COLUMNS, EXTRA, Period, Policy, ReportError, check

__all__ = ["home", "bieu06", "dashboard_page", "scores_page"]

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "pdf": "application/pdf"}
GROUPS = {"sector": "Lĩnh vực", "unit": "Cơ quan giải quyết", "procedure": "Thủ tục"}


def _units(user):
    return list(report_units(user).order_by("path").only("pk", "identifier", "name", "depth", "path"))


def _unit(data, units):
    code = (data.get("don_vi") or "").strip()
    if not code:
        return units[0] if units else None
    found = next((u for u in units if u.identifier == code), None)
    if found is None:
        raise ReportError(f"Cơ quan “{code[:40]}” không có hoặc không thuộc phạm vi báo cáo của bạn.")
    return found


def _day(value: str, label: str, default: dt.date) -> dt.date:
    value = (value or "").strip()
    if not value:
        return default
    for parse in (dt.date.fromisoformat, lambda v: dt.datetime.strptime(v, "%d/%m/%Y").date()):
        try:
            return parse(value)
        except ValueError:
            pass
    raise ReportError(f"{label} “{value[:20]}” không phải ngày hợp lệ (dd/mm/yyyy).")


def _period(data) -> Period:
    today = timezone.localdate()
    return Period(_day(data.get("tu"), "Từ ngày", today.replace(month=1, day=1)),
                  _day(data.get("den"), "Đến ngày", today))


def _policy(data) -> Policy:
    return Policy(data.get("so_sanh") or settings.MOTCUA_ON_TIME_GRANULARITY, data.get("han") or "extended")


def _index766_url() -> str:
    try:
        return reverse("reports:index766")
    except NoReverseMatch:
        return "/bao-cao/chi-so-766/"


@reports_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/home.html", {"index766_url": _index766_url()})


@reports_required
def bieu06(request: HttpRequest) -> HttpResponse:
    units = _units(request.user)
    context = {"units": units, "groups": GROUPS, "formats": list(exports.FORMATS), "v": request.GET}
    try:
        period, unit, policy = _period(request.GET), _unit(request.GET, units), _policy(request.GET)
        by = request.GET.get("nhom") or "sector"
        if by not in GROUPS:
            raise ReportError(f"Cách nhóm “{by[:20]}” không hợp lệ (lĩnh vực, cơ quan hoặc thủ tục).")
        fmt = request.GET.get("format") or ""
        if fmt and fmt not in exports.FORMATS:
            raise ReportError(f"Định dạng “{fmt[:20]}” không hợp lệ ({', '.join(exports.FORMATS)}).")
        if unit is None:
            raise ReportError("Bạn chưa được giao cơ quan nào để xem báo cáo.")
    except ReportError as exc:
        return render(request, "reports/bieu06.html", {**context, "error": str(exc)}, status=400)
    scope = queries.Scope(unit=unit)
    report = queries.bieu06(period, policy, scope, by)
    problems = check(report)
    if problems:  # never expected: refuse to show numbers that do not add up
        return render(request, "reports/bieu06.html", {**context, "error": "Báo cáo không cân đối: " + "; ".join(problems)},
                      status=500)
    if fmt:
        body = exports.render_06(report, fmt, scope, by)  # the same files as `motcua report`
        if isinstance(body, str):
            body = body.encode("utf-8-sig" if fmt == "csv" else "utf-8")
        response = HttpResponse(body, content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"))
        response["Content-Disposition"] = (f'attachment; filename="bieu06_{period.start:%Y%m%d}_{period.end:%Y%m%d}'
                                           f'_{unit.identifier or unit.pk}.{fmt}"')
        return response

    def cell(counts, key, number):
        return {"value": counts.column(number),
                "href": drill.link("b06", period, unit, policy, nhom=by, cot=number, ma=key)}

    numbers = list(COLUMNS)
    rows = [{"code": r.key[0], "name": r.key[1], "cells": [cell(r.counts, r.key[0], n) for n in numbers],
             "extra": [r.counts.as_dict()[k] for k in EXTRA]} for r in report.rows]
    total = {"cells": [cell(report.total, "", n) for n in numbers], "extra": [report.total.as_dict()[k] for k in EXTRA]}
    downloads = {fmt: request.GET.copy() for fmt in exports.FORMATS}
    for fmt, query in downloads.items():
        query["format"] = fmt
    return render(request, "reports/bieu06.html", {
        **context, "report": report, "rows": rows, "total": total, "columns": COLUMNS, "extra": EXTRA,
        "scope": scope.describe(), "unit": unit, "by": by, "period": period, "group_heading": GROUPS[by],
        "downloads": {fmt: q.urlencode() for fmt, q in downloads.items()}, "footnote": policy.footnote()})


@reports_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    units = _units(request.user)
    context = {"units": units, "v": request.GET}
    try:
        period, unit, policy = _period(request.GET), _unit(request.GET, units), _policy(request.GET)
        if unit is None:
            raise ReportError("Bạn chưa được giao cơ quan nào để xem báo cáo.")
        board = dashboard.build(period, unit, policy, timezone.now())
    except ReportError as exc:
        return render(request, "reports/dashboard.html", {**context, "error": str(exc)}, status=400)
    Bar = charts.Bar
    trend_chart = charts.vbars(
        "Hồ sơ tiếp nhận và đã giải quyết theo tháng", [m["label"] for m in board.trend],
        [("Tiếp nhận trong tháng", [Bar(m["label"], m["received"], m["received_href"], f"{m['received']} hồ sơ")
                                    for m in board.trend]),
         ("Đã giải quyết", [Bar(m["label"], m["resolved"], m["resolved_href"], f"{m['resolved']} hồ sơ")
                            for m in board.trend])])
    rate_chart = charts.hbars("Tỷ lệ giải quyết đúng hạn theo cơ quan", [
        Bar(u["name"], u["rate"], u["resolved_href"], f"{u['rate']:.1f} % ({u['resolved']} hồ sơ)".replace(".", ","))
        for u in board.units], maximum=100, colour=charts.COLOURS[1])
    channel_chart = charts.hbars("Kênh tiếp nhận hồ sơ", [
        Bar(c["name"], c["count"], c["href"], f"{c['count']} hồ sơ") for c in board.channels])
    procedure_chart = charts.hbars("Thủ tục giải quyết lâu nhất (trung vị, ngày làm việc)", [
        Bar(f"{p['code']} {p['name']}", p["median_days"], p["href"], f"{p['median_days']:.2f} ngày".replace(".", ","))
        for p in board.procedures], colour=charts.COLOURS[2])
    step_chart = charts.hbars("Bước xử lý lâu nhất (trung vị, ngày làm việc)", [
        Bar(f"{s['code']} · {s['order']}. {s['name']}", s["median_days"], s["href"], f"{s['median_days']:.2f} ngày".replace(".", ","))
        for s in board.steps], colour=charts.COLOURS[3])
    return render(request, "reports/dashboard.html", {
        **context, "board": board, "unit": unit, "period": period, "trend_chart": trend_chart,
        "rate_chart": rate_chart, "channel_chart": channel_chart, "procedure_chart": procedure_chart,
        "step_chart": step_chart})


@reports_required
def scores_page(request: HttpRequest) -> HttpResponse:
    units = _units(request.user)
    year = request.GET.get("nam") or str(timezone.localdate().year)
    quarter = request.GET.get("quy") or ""
    context = {"units": units, "v": request.GET, "year": year, "quarter": quarter, "quarters": ("1", "2", "3", "4")}
    try:
        period = scores.score_period(year, quarter)
        unit = _unit(request.GET, units)
        if unit is None:
            raise ReportError("Bạn chưa được giao cơ quan nào để xem báo cáo.")
    except ReportError as exc:
        return render(request, "reports/scores.html", {**context, "error": str(exc)}, status=400)
    report = scores.compute(period, unit=unit, units=report_units(request.user))
    for row in report.units:
        row.href = drill.link("diem", period, row.unit)
        row.values = [row.scores.indicators[i] for i in range(1, 10)]
    for row in report.staff:
        row.values = [row.scores.indicators[i] for i in (1, 2, 3, 4, 7)]
    return render(request, "reports/scores.html", {
        **context, "report": report, "unit": unit, "label": score_render.period_label(report),
        "indicators": (1, 2, 3, 4, 5, 6, 7, 8, 9), "staff_indicators": (1, 2, 3, 4, 7)})

