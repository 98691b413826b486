"""Biểu 07b as JSON or CSV text (pure: a Report07b plus its labels in, text out)."""

from __future__ import annotations

import csv
import io
import json

from motcua.reports.bieu07b import COLUMNS_07B, Report07b

__all__ = ["TITLE_07B", "to_json", "to_csv"]

TITLE_07B = "Biểu số 07b/VPCP/KSTT – Tổng hợp số lượng thủ tục hành chính"
ROW_HEADINGS = {"level": "Cấp thực hiện", "sector": "Lĩnh vực"}


def to_json(report: Report07b, scope: str, by: str, start, end) -> str:
    data = {
        "report": "bieu07b", "title": TITLE_07B, "from": start.isoformat(), "to": end.isoformat(),
        "on": report.on.isoformat(), "scope": scope, "by": by,
        "columns": {str(n): {"key": key, "heading": heading} for n, (key, heading) in COLUMNS_07B.items()},
        "rows": [{"no": i, "code": row.key[0], "name": row.key[1], **row.counts.as_dict()}
                 for i, row in enumerate(report.rows, 1)],
        "total": report.total.as_dict(),
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_csv(report: Report07b, scope: str, by: str, start, end) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    keys = [key for key, _ in COLUMNS_07B.values()]
    w.writerow(["STT", f"Mã {ROW_HEADINGS[by].lower()}", ROW_HEADINGS[by]]
               + [f"({n}) {heading}" for n, (_, heading) in COLUMNS_07B.items()])
    for i, row in enumerate(report.rows, 1):
        counts = row.counts.as_dict()
        w.writerow([i, row.key[0], row.key[1]] + [counts[k] for k in keys])
    total = report.total.as_dict()
    w.writerow(["", "", "Tổng cộng"] + [total[k] for k in keys])
    w.writerow([f"Kỳ báo cáo: {start:%d/%m/%Y} – {end:%d/%m/%Y}; danh mục TTHC có hiệu lực ngày "
                f"{report.on:%d/%m/%Y}. Phạm vi: {scope}."])
    return out.getvalue()
