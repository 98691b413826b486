"""``motcua report``: Biểu 06 (or 07b, ``--form 07b``) for a period and scope, as JSON, CSV, Excel or PDF,
to standard output or a file.

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

from motcua.reports import exports, queries
from motcua.reports.bieu06 import Period, Policy, ReportError, check

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
            "theo lĩnh vực, đơn vị hoặc thủ tục; hoặc Biểu 07b (tổng hợp số lượng TTHC); dạng JSON, CSV, Excel hoặc PDF.")

    def add_arguments(self, parser):
        parser.add_argument("--form", default="06", metavar="06|07b",
                            help="biểu: 06 (tình hình giải quyết hồ sơ, mặc định) hoặc 07b (tổng hợp số lượng TTHC)")
        parser.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="ngày đầu kỳ (tính cả ngày này)")
        parser.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="ngày cuối kỳ (tính cả ngày này)")
        parser.add_argument("--unit", metavar="CODE",
                            help="mã định danh (hoặc mã đơn vị hành chính) của cơ quan: cơ quan đó và các đơn vị trực thuộc")
        parser.add_argument("--sector", metavar="CODE", help="chỉ một lĩnh vực (mã lĩnh vực)")
        parser.add_argument("--procedure", metavar="CODE", help="chỉ một thủ tục (mã TTHC)")
        parser.add_argument("--level", metavar="LEVEL", help="chỉ thủ tục một cấp: ministry, province, commune")
        parser.add_argument("--by", metavar="sector|unit|procedure|level",
                            help="nhóm các dòng theo (Biểu 06: sector, unit, procedure, mặc định sector; "
                                 "Biểu 07b: level, sector, mặc định level)")
        parser.add_argument("--format", dest="fmt", default="json", metavar="json|csv|xlsx|pdf",
                            help="định dạng (mặc định json); xlsx, pdf: tệp nhị phân")
        parser.add_argument("--output", metavar="FILE", help="ghi vào tệp thay vì đầu ra chuẩn")
        parser.add_argument("--granularity", metavar="date|instant",
                            help="so sánh với hạn theo ngày hay theo thời điểm (mặc định MOTCUA_ON_TIME_GRANULARITY)")
        parser.add_argument("--due", default="extended", metavar="extended|original",
                            help="so với hạn hiện hành (extended, mặc định) hay hạn ban đầu trên giấy tiếp nhận")
        parser.add_argument("--verify", action="store_true",
                            help="tính lại báo cáo từ sổ cái (chỉ từ các sự kiện) và so với báo cáo từ bảng: "
                                 "in “khớp” (mã thoát 0) hoặc từng ô lệch và các hồ sơ gây lệch (mã thoát 1)")

    def handle(self, *args, **o):
        try:
            period = Period(_date(o["start"], "--from"), _date(o["end"], "--to"))
            form = _one_of(o["form"], exports.FORMS, "Biểu --form")
            by = _one_of(o["by"] or exports.DEFAULT_BY[form], exports.GROUPINGS[form], "Cách nhóm --by")
            fmt = _one_of(o["fmt"], exports.FORMATS, "Định dạng --format")
            policy = Policy(o["granularity"] or settings.MOTCUA_ON_TIME_GRANULARITY, o["due"])
            scope = queries.resolve_scope(unit=o["unit"], sector=o["sector"], procedure=o["procedure"],
                                          level=o["level"])
            if o["verify"] and form != "06":
                raise ReportError("--verify chỉ kiểm tra Biểu 06 (không dùng với --form 07b).")
            output = Path(o["output"]) if o["output"] else None
            if output is not None and not output.parent.is_dir():
                raise ReportError(f"Thư mục “{output.parent}” không tồn tại; không ghi được tệp {output.name}.")
        except ReportError as exc:
            self.stderr.write(str(exc))
            sys.exit(2)
        if form == "07b":
            done = exports.bieu07b(period, scope, by, fmt)
            if done.problems:
                self.stderr.write("Báo cáo không cân đối: " + "; ".join(done.problems))
                sys.exit(1)
            return self._emit(done.content, output, fmt, done.rows)
        if o["verify"]:
            _verify(self, period, policy, scope, by)
            return
        report = queries.bieu06(period, policy, scope, by)
        problems = check(report)
        if problems:  # never expected: the arithmetic guarantees them; refuse to publish wrong numbers
            self.stderr.write("Báo cáo không cân đối: " + "; ".join(problems))
            sys.exit(1)
        self._emit(exports.render_06(report, fmt, scope, by), output, fmt, len(report.rows))

    def _emit(self, content: str | bytes, output: Path | None, fmt: str, rows: int) -> None:
        if output is None:
            if isinstance(content, bytes):  # xlsx, pdf: the raw bytes, for a redirect or a pipe
                self.stdout.flush()
                stream = getattr(self.stdout._out, "buffer", None)
                if stream is None:
                    self.stderr.write("Đầu ra chuẩn không nhận dữ liệu nhị phân; dùng --output.")
                    sys.exit(2)
                stream.write(content)
                stream.flush()
            else:
                self.stdout.write(content, ending="")
            return
        try:
            _write_atomically(output, content, bom=fmt == "csv")
        except OSError as exc:
            self.stderr.write(f"Không ghi được tệp {output}: {exc.strerror or exc}.")
            sys.exit(2)
        self.stderr.write(f"Đã ghi {output} ({rows} dòng).")


def _write_atomically(path: Path, text: str | bytes, *, bom: bool) -> None:
    """A whole file or none: written beside the target, then renamed over it. CSV files carry a
    UTF-8 byte-order mark so that Excel reads the Vietnamese headings right."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as f:
                f.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
                f.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _verify(command: BaseCommand, period: Period, policy: Policy, scope, by: str) -> None:
    """``--verify``: the table report against the ledger replay, and the stored report facts against
    their sources (motcua.reports.verify)."""
    from motcua.reports.verify import describe, describe_stale, stale_facts, verify

    differences = verify(period, policy, scope, by)
    stale = stale_facts(period, scope)
    if not differences and not stale:
        command.stdout.write("khớp")
        return
    for difference in differences:
        command.stdout.write(describe(difference))
    if stale:
        command.stdout.write(describe_stale(stale))
    problems = [f"{len(differences)} ô lệch"] if differences else []
    problems += [f"{len(stale)} hồ sơ có dữ liệu tổng hợp lệch"] if stale else []
    command.stderr.write(f"Báo cáo từ bảng và từ sổ cái không khớp: {'; '.join(problems)}.")
    sys.exit(1)
