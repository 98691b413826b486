"""``motcua scores``: citizen-evaluation scores (TT 01/2018 Điều 13–15) of a quarter or a year, per
unit (or per officer with --staff), as JSON or CSV. Bad input: a Vietnamese message, exit 2."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from motcua.reports import score_render, scores
from motcua.reports.bieu06 import ReportError
from motcua.reports.queries import resolve_scope


class Command(BaseCommand):
    help = ("Điểm đánh giá việc giải quyết TTHC (Thông tư 01/2018/TT-VPCP) theo quý hoặc năm, "
            "của từng cơ quan (hoặc từng cán bộ với --staff), dạng JSON hoặc CSV.")

    def add_arguments(self, parser):
        parser.add_argument("--year", metavar="YYYY", help="năm đánh giá")
        parser.add_argument("--quarter", metavar="1-4", help="quý (bỏ trống: cả năm)")
        parser.add_argument("--unit", metavar="CODE", help="mã định danh của cơ quan: cơ quan đó và các đơn vị trực thuộc")
        parser.add_argument("--staff", action="store_true", help="điểm của từng cán bộ, công chức (CSV); JSON có cả hai")
        parser.add_argument("--format", dest="fmt", default="json", metavar="json|csv", help="định dạng (mặc định json)")

    def handle(self, *args, **o):
        try:
            if not o["year"]:
                raise ReportError("Thiếu --year (năm đánh giá, ví dụ --year 2026).")
            period = scores.score_period(o["year"], o["quarter"])
            if o["fmt"] not in score_render.FORMATS:
                raise ReportError(f"Định dạng --format “{o['fmt']}” không hợp lệ (json, csv).")
            scope = resolve_scope(unit=o["unit"])
        except ReportError as exc:
            self.stderr.write(str(exc))
            sys.exit(2)
        report = scores.compute(period, unit=scope.unit)
        self.stdout.write(score_render.render(report, o["fmt"], scope.describe(), staff=o["staff"]), ending="")
