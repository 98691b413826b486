"""Evaluation scores as JSON or CSV text (pure: a ScoreReport in, text out)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from motcua.reports.score_rules import STAFF_MAX, UNIT_INDICATORS, UNIT_MAX
from motcua.reports.scores import ScoreReport

__all__ = ["FORMATS", "render", "TITLE", "period_label"]

TITLE = "Kết quả đánh giá việc giải quyết thủ tục hành chính (Thông tư 01/2018/TT-VPCP, Điều 13–15)"
STAFF_COLUMNS = (1, 2, 3, 4, 7)


def period_label(report: ScoreReport) -> str:
    p = report.period
    if p.start.month == 1 and p.end.month == 12:
        return f"Năm {p.start.year}"
    return f"Quý {(p.start.month - 1) // 3 + 1} năm {p.start.year}"


def _num(value: Decimal | None):
    return None if value is None else float(value)


def _text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.1f}"


def to_json(report: ScoreReport, scope: str) -> str:
    data = {
        "report": "scores", "title": TITLE, "period": period_label(report), "from": report.period.start.isoformat(),
        "to": report.period.end.isoformat(), "scope": scope, "granularity": report.granularity,
        "units": [{"code": r.unit.identifier, "name": r.unit.name, "dossiers": r.scores.dossiers,
                   "indicators": {str(i): _num(r.scores.indicators[i]) for i in UNIT_INDICATORS},
                   "total": _num(r.scores.total), "reachable": r.scores.reachable, "maximum": UNIT_MAX,
                   "classification": r.scores.classification} for r in report.units],
        "staff": [{"username": r.user.username, "name": r.user.get_full_name() or r.user.username,
                   "units": r.unit_names, "dossiers": r.scores.dossiers,
                   "indicators": {str(i): _num(r.scores.indicators[i]) for i in STAFF_COLUMNS},
                   "total": _num(r.scores.total), "reachable": r.scores.reachable, "maximum": STAFF_MAX,
                   "classification": r.scores.classification} for r in report.staff],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_csv(report: ScoreReport, scope: str, staff: bool = False) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    if staff:
        w.writerow(["STT", "Tài khoản", "Họ và tên", "Đơn vị", "Số hồ sơ"] + [f"Chỉ số {i}" for i in STAFF_COLUMNS]
                   + ["Tổng điểm", "Điểm tối đa có dữ liệu", "Xếp loại"])
        for n, r in enumerate(report.staff, 1):
            w.writerow([n, r.user.username, r.user.get_full_name() or r.user.username, r.unit_names, r.scores.dossiers]
                       + [_text(r.scores.indicators[i]) for i in STAFF_COLUMNS]
                       + [_text(r.scores.total), r.scores.reachable, r.scores.classification])
    else:
        w.writerow(["STT", "Mã định danh", "Cơ quan, đơn vị", "Số hồ sơ"] + [f"Chỉ số {i}" for i in UNIT_INDICATORS]
                   + ["Tổng điểm", "Điểm tối đa có dữ liệu", "Xếp loại"])
        for n, r in enumerate(report.units, 1):
            w.writerow([n, r.unit.identifier, r.unit.name, r.scores.dossiers]
                       + [_text(r.scores.indicators[i]) for i in UNIT_INDICATORS]
                       + [_text(r.scores.total), r.scores.reachable, r.scores.classification])
    w.writerow([f"{TITLE}. Kỳ: {period_label(report)} ({report.period.start:%d/%m/%Y} – {report.period.end:%d/%m/%Y}). "
                f"Phạm vi: {scope}. Chỉ số không có dữ liệu để trống và không tính vào tổng điểm."])
    return out.getvalue()


FORMATS = ("json", "csv")


def render(report: ScoreReport, fmt: str, scope: str, staff: bool = False) -> str:
    return to_json(report, scope) if fmt == "json" else to_csv(report, scope, staff)
