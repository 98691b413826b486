"""``motcua report``: Biểu 06 for a period and scope, as JSON or CSV, to standard output or a file.

Bad input is refused with a Vietnamese message and exit status 2 (argparse's own English messages
are avoided by validating here); a report whose identities do not hold is an error (exit 1).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from motcua.reports import queries
from motcua.reports.bieu06 import Period, Policy, ReportError, check
from motcua.reports.render import FORMATS, render

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: str | None, option: str) -> dt.date:
    if not value:
        raise ReportError(f"Thiếu {option} (ngày dạng YYYY-MM-DD).")
    try:
        if not DATE.fullmatch(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ReportError(f"{option} “{value}” không phải ngày hợp lệ dạng YYYY-MM-DD.") from None


def _one_of(value: str, allowed, what: str) -> str:
    if value not in allowed:
        raise ReportError(f"{what} “{value}” không hợp lệ ({', '.join(allowed)}).")
    return value


class Command(BaseCommand):
    help = ("Báo cáo Biểu 06 (TT 01/2020/TT-VPCP): tình hình, kết quả giải quyết TTHC trong một kỳ, "
            "theo lĩnh vực, đơn vị hoặc thủ tục, dạng JSON hoặc CSV.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="ngày đầu kỳ (tính cả ngày này)")
        parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="ngày cuối kỳ (tính cả ngày này)")
        parser.add_argument("--unit", metavar="CODE",
                            help="mã định danh (hoặc mã đơn vị hành chính) của cơ quan: cơ quan đó và các đơn vị trực thuộc")
        parser.add_argument("--sector", metavar="CODE", help="chỉ một lĩnh vực (mã lĩnh vực)")
        parser.add_argument("--procedure", metavar="CODE", help="chỉ một thủ tục (mã TTHC)")
        parser.add_argument("--level", metavar="LEVEL", help="chỉ thủ tục một cấp: ministry, province, commune")
        parser.add_argument("--by", default="sector", metavar="sector|unit|procedure", help="nhóm các dòng theo")
        parser.add_argument("--format", dest="fmt", default="json", metavar="json|csv", help="định dạng (mặc định json)")
        parser.add_argument("--output", metavar="FILE", help="ghi vào tệp thay vì đầu ra chuẩn")
        parser.add_argument("--granularity", metavar="date|instant",
                            help="so sánh với hạn theo ngày hay theo thời điểm (mặc định MOTCUA_ON_TIME_GRANULARITY)")
        parser.add_argument("--due", default="extended", metavar="extended|original",
                            help="so với hạn hiện hành (extended, mặc định) hay hạn ban đầu trên giấy tiếp nhận")

    def handle(self, *args, **o):
        try:
            period = Period(_date(o["start"], "--from"), _date(o["end"], "--to"))
            by = _one_of(o["by"], queries.GROUPINGS, "Cách nhóm --by")
            fmt = _one_of(o["fmt"], FORMATS, "Định dạng --format")
            policy = Policy(o["granularity"] or settings.MOTCUA_ON_TIME_GRANULARITY, o["due"])
            scope = queries.resolve_scope(unit=o["unit"], sector=o["sector"], procedure=o["procedure"],
                                          level=o["level"])
            output = Path(o["output"]) if o["output"] else None
            if output is not None and not output.parent.is_dir():
                raise ReportError(f"Thư mục “{output.parent}” không tồn tại; không ghi được tệp {output.name}.")
        except ReportError as exc:
            self.stderr.write(str(exc))
            sys.exit(2)
        report = queries.bieu06(period, policy, scope, by)
        problems = check(report)
        if problems:  # never expected: the arithmetic guarantees them; refuse to publish wrong numbers
            self.stderr.write("Báo cáo không cân đối: " + "; ".join(problems))
            sys.exit(1)
        text = render(report, fmt, scope.describe(), by)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            _write_atomically(output, text, bom=fmt == "csv")
        except OSError as exc:
            self.stderr.write(f"Không ghi được tệp {output}: {exc.strerror or exc}.")
            sys.exit(2)
        self.stderr.write(f"Đã ghi {output} ({len(report.rows)} dòng).")


def _write_atomically(path: Path, text: str, *, bom: bool) -> None:
    """A whole file or none: written beside the target, then renamed over it. CSV files carry a
    UTF-8 byte-order mark so that Excel reads the Vietnamese headings right."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            f.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
