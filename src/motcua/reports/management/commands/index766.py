"""``motcua index766``: the QĐ 766 service index of a period, per unit (ranked) and in total, as JSON
or CSV on standard output. Bad input is refused in Vietnamese with exit status 2."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from motcua.org.models import OrgUnit
from motcua.reports import queries as report_queries
from motcua.reports.bieu06 import Period, ReportError
from motcua.reports.index766 import compute
from motcua.reports.index766.periods import parse_period
from motcua.reports.index766.render import FORMATS, render
from motcua.reports.index766.scoring import WeightsError
from motcua.reports.management.commands.report import _date, _one_of


class Command(BaseCommand):
    help = ("Bộ chỉ số 766 (QĐ 766/QĐ-TTg): điểm từng cơ quan, đơn vị (gồm các đơn vị trực thuộc) "
            "và xếp hạng trong một kỳ, dạng JSON hoặc CSV.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="ngày đầu kỳ (tính cả ngày này)")
        parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="ngày cuối kỳ (tính cả ngày này)")
        parser.add_argument("--period", metavar="2026|2026-Q1|2026-03", help="hoặc một năm, quý, tháng thay cho --from/--to")
        parser.add_argument("--unit", metavar="CODE",
                            help="mã định danh (hoặc mã đơn vị hành chính): đơn vị đó và các đơn vị trực thuộc")
        parser.add_argument("--format", dest="fmt", default="json", metavar="json|csv", help="định dạng (mặc định json)")

    def handle(self, *args, **o):
        try:
            if o["period"]:
                if o["start"] or o["end"]:
                    raise ReportError("Dùng --period hoặc --from/--to, không dùng cả hai.")
                period = parse_period(o["period"])
            else:
                period = Period(_date(o["start"], "--from"), _date(o["end"], "--to"))
            fmt = _one_of(o["fmt"], FORMATS, "Định dạng --format")
            scope = report_queries.resolve_scope(unit=o["unit"])
        except ReportError as exc:
            self.stderr.write(str(exc))
            sys.exit(2)
        if scope.unit is not None:
            units = list(OrgUnit.objects.filter(path__startswith=scope.unit.path))
            name = f"{scope.unit.name} và các đơn vị trực thuộc"
        else:
            units, name = None, "Toàn tỉnh (mọi cơ quan, đơn vị)"
        try:
            result = compute(period, units)
        except WeightsError as exc:
            self.stderr.write(f"Cấu hình trọng số Bộ chỉ số 766 không hợp lệ: {exc}")
            sys.exit(1)
        self.stdout.write(render(result, fmt, name), ending="")
