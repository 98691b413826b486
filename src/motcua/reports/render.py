"""Biểu 06 as JSON or CSV text (pure: a Report plus its labels in, text out)."""

from __future__ import annotations

import csv
import io
import json

from motcua.reports.bieu06 import COLUMNS, EXTRA, Report

__all__ = ["FORMATS", "render", "TITLE"]

TITLE = "Biểu số 06/VPCP/KSTT – Tình hình, kết quả giải quyết TTHC tại cơ quan, đơn vị trực tiếp giải quyết TTHC"
GROUP_HEADINGS = {"sector": "Lĩnh vực", "unit": "Cơ quan giải quyết", "procedure": "Thủ tục hành chính"}


def _meta(report: Report, scope: str, by: str) -> dict:
    p = report.period
    return {
        "report": "bieu06", "title": TITLE, "from": p.start.isoformat(), "to": p.end.isoformat(),
        "scope": scope, "by": by,
        "policy": {"granularity": report.policy.granularity, "due": report.policy.due},
        "footnote": report.policy.footnote(),
    }


def to_json(report: Report, scope: str, by: str) -> str:
    data = _meta(report, scope, by)
    data["columns"] = {str(n): {"key": key, "heading": heading} for n, (key, heading) in COLUMNS.items()}
    data["extra"] = EXTRA
    data["rows"] = [{"no": i, "code": row.key[0], "name": row.key[1], **row.counts.as_dict()}
                    for i, row in enumerate(report.rows, 1)]
    data["total"] = report.total.as_dict()
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_csv(report: Report, scope: str, by: str) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    keys = [key for key, _ in COLUMNS.values()] + list(EXTRA)
    w.writerow(["STT", f"Mã {GROUP_HEADINGS[by].lower()}", GROUP_HEADINGS[by]]
               + [f"({n}) {heading}" for n, (_, heading) in COLUMNS.items()] + list(EXTRA.values()))
    for i, row in enumerate(report.rows, 1):
        counts = row.counts.as_dict()
        w.writerow([i, row.key[0], row.key[1]] + [counts[k] for k in keys])
    total = report.total.as_dict()
    w.writerow(["", "", "Tổng cộng"] + [total[k] for k in keys])
    p = report.period
    w.writerow([f"Kỳ báo cáo: {p.start:%d/%m/%Y} – {p.end:%d/%m/%Y}. Phạm vi: {scope}. Ghi chú: {report.policy.footnote()}"])
    return out.getvalue()


FORMATS = {"json": to_json, "csv": to_csv}


def render(report: Report, fmt: str, scope: str, by: str) -> str:
    return FORMATS[fmt](report, scope, by)
