"""The index as JSON or CSV text (pure: an IndexResult in, text out)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from motcua.calendar.core import TZ
from motcua.reports.index766.compute import IndexResult, UnitRow
from motcua.reports.index766.periods import name_of
from motcua.reports.index766.scoring import GROUPS, INDICATORS

__all__ = ["FORMATS", "render", "TITLE"]

TITLE = "Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg)"


def _num(value):
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) and value != value.to_integral() else (
        int(value) if isinstance(value, (int, Decimal)) else value)


def _row(row: UnitRow, scope_name: str) -> dict:
    s = row.score
    unit = row.unit
    return {
        "unit": None if unit is None else {"identifier": unit.identifier, "name": unit.name, "kind": unit.kind},
        "scope": scope_name if unit is None else f"{unit.name} và các đơn vị trực thuộc",
        "rank": s.rank, "total": _num(s.total), "raw_points": _num(s.raw), "measured_max": _num(s.measured_max),
        "groups": {code: {"name": g.group.name, "max": _num(g.max), "points": _num(g.points)}
                   for code, g in s.groups.items()},
        "indicators": {k: {"name": i.indicator.name, "group": i.indicator.group, "status": i.status,
                           "numerator": _num(i.numerator), "denominator": _num(i.denominator),
                           "rate": _num(i.rate), "threshold": _num(i.threshold), "max": _num(i.max),
                           "points": _num(i.points), "note": i.note}
                       for k, i in s.indicators.items()},
    }


def to_json(result: IndexResult, scope_name: str) -> str:
    p = result.period
    data = {"report": "index766", "title": TITLE, "period": name_of(p), "from": p.start.isoformat(),
            "to": p.end.isoformat(), "as_of": result.as_of.astimezone(TZ).isoformat(), "weights": result.weights.label,
            "total": _row(result.total, scope_name), "units": [_row(r, scope_name) for r in result.rows]}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_csv(result: IndexResult, scope_name: str) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Hạng", "Mã định danh", "Cơ quan, đơn vị", "Loại", "Tổng điểm (/100)"]
               + [f"{g.name} (/{result.weights.group_max[g.code].normalize():f})" for g in GROUPS]
               + [f"{i.id} tỷ lệ (%)" for i in INDICATORS] + [f"{i.id} điểm" for i in INDICATORS])

    def line(row: UnitRow, rank, ident, name, kind):
        s = row.score
        w.writerow([rank, ident, name, kind, "" if s.total is None else s.total]
                   + ["" if s.groups[g.code].points is None else s.groups[g.code].points for g in GROUPS]
                   + ["" if s.indicators[i.id].rate is None else s.indicators[i.id].rate for i in INDICATORS]
                   + ["" if s.indicators[i.id].points is None else s.indicators[i.id].points for i in INDICATORS])

    for r in result.rows:
        line(r, r.score.rank or "", r.unit.identifier, r.unit.name, r.unit.get_kind_display())
    line(result.total, "", "", f"Tổng: {scope_name}", "")
    p = result.period
    w.writerow([f"{TITLE}. Kỳ: {name_of(p)} ({p.start:%d/%m/%Y} – {p.end:%d/%m/%Y}), số liệu đến "
                f"{result.as_of.astimezone(TZ):%d/%m/%Y %H:%M}. Trọng số {result.weights.label}. Chỉ số không có dữ liệu "
                "hoặc mẫu số bằng 0 không tính; điểm nhóm và tổng điểm được quy đổi theo phần đo được."])
    return out.getvalue()


FORMATS = {"json": to_json, "csv": to_csv}


def render(result: IndexResult, fmt: str, scope_name: str) -> str:
    return FORMATS[fmt](result, scope_name)
