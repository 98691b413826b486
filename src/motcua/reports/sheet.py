"""The official layout of a report as plain data: one description, drawn by ``excel`` and ``pdf``.

A ``Sheet`` holds the national header block, the form number, the title lines, the multi-row
header (cells with their row and column spans, as merged on the paper form), the column-number row
"(1) (2) …", the data rows, the total row, the policy footnote and the signature block. Building it
once keeps the Excel and the PDF showing exactly the same table. Pure Python, no Django.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from motcua.reports.bieu06 import COLUMNS, EXTRA, Report
from motcua.reports.bieu07b import COLUMNS_07B, Report07b

__all__ = ["Heading", "HeaderCell", "Sheet", "bieu06_sheet", "bieu07b_sheet", "STATE", "MOTTO", "DATE_LINE"]

STATE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
# Left blank on purpose: the head signs (and dates) the paper copy by hand.
DATE_LINE = "…, ngày … tháng … năm …"
SIGNERS = (("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"), ("THỦ TRƯỞNG ĐƠN VỊ", "(Ký tên, đóng dấu)"))
GROUP_LABELS = {"sector": "Lĩnh vực", "unit": "Cơ quan, đơn vị giải quyết", "procedure": "Thủ tục hành chính",
                "level": "Cấp thực hiện"}


@dataclass(frozen=True)
class Heading:
    """Who reports and on what: the agency (the scope's unit, or the deployment's root unit) and
    the scope in words."""

    agency: str
    scope: str
    parent_agency: str = ""


@dataclass(frozen=True)
class HeaderCell:
    text: str
    row: int          # 0-based, within the header block
    col: int          # 0-based
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class Sheet:
    form_number: str              # "Biểu số 06/VPCP/KSTT"
    basis: str                    # the circular that prescribes the form
    title: str
    heading: Heading
    lines: tuple[str, ...]        # period, scope, unit of count: under the title
    header: tuple[HeaderCell, ...]
    header_rows: int
    widths: tuple[float, ...]     # per column, in Excel character widths
    rows: tuple[tuple, ...]       # (STT, name, numbers…)
    total: tuple                  # ("", "Tổng cộng", numbers…)
    footnote: str
    extra_from: int | None = None  # first column (0-based) of the "theo dõi thêm" block
    date_line: str = DATE_LINE
    signers: tuple = SIGNERS

    @property
    def columns(self) -> int:
        return len(self.widths)

    @property
    def numbers(self) -> tuple[str, ...]:
        """The column-number row: (1), (2), …"""
        return tuple(f"({i})" for i in range(1, self.columns + 1))


def _period_line(start: dt.date, end: dt.date) -> str:
    return f"Kỳ báo cáo: từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


def _row_name(key, by: str) -> str:
    code, name = key
    return f"{code} – {name}" if by == "procedure" else str(name if name is not None else code)


def bieu06_sheet(report: Report, heading: Heading, by: str) -> Sheet:
    H = HeaderCell
    header = (
        H("STT", 0, 0, rowspan=4), H(GROUP_LABELS[by], 0, 1, rowspan=4),
        H("Số hồ sơ nhận giải quyết", 0, 2, colspan=4),
        H("Kết quả giải quyết", 0, 6, colspan=7),
        H("Ghi chú / theo dõi thêm", 0, 13, colspan=3),
        H("Tổng số", 1, 2, rowspan=3), H("Trong đó", 1, 3, rowspan=2, colspan=3),
        H("Số hồ sơ đã giải quyết", 1, 6, colspan=4), H("Số hồ sơ đang giải quyết", 1, 10, colspan=3),
        H("Chờ bổ sung (thuộc cột 12)", 1, 13, rowspan=3),
        H("Rút hồ sơ, dừng xử lý (thuộc cột 9)", 1, 14, rowspan=3),
        H("Nhận trong kỳ có thanh toán trực tuyến", 1, 15, rowspan=3),
        H("Tổng số", 2, 6, rowspan=2), H("Trong đó", 2, 7, colspan=3),
        H("Tổng số", 2, 10, rowspan=2), H("Trong đó", 2, 11, colspan=2),
        H("Trực tuyến", 3, 3), H("Trực tiếp, dịch vụ bưu chính", 3, 4), H("Từ kỳ trước", 3, 5),
        H("Trước hạn", 3, 7), H("Đúng hạn", 3, 8), H("Quá hạn", 3, 9),
        H("Trong hạn", 3, 11), H("Quá hạn", 3, 12),
    )
    keys = [key for key, _ in COLUMNS.values()] + list(EXTRA)

    def numbers(counts) -> tuple[int, ...]:
        values = counts.as_dict()
        return tuple(values[k] for k in keys)

    rows = tuple((i, _row_name(row.key, by), *numbers(row.counts)) for i, row in enumerate(report.rows, 1))
    p = report.period
    return Sheet(
        form_number="Biểu số 06/VPCP/KSTT",
        basis="Ban hành kèm theo Thông tư số 01/2020/TT-VPCP",
        title="TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC",
        heading=heading,
        lines=(_period_line(p.start, p.end), f"Phạm vi: {heading.scope}", "Đơn vị tính: số hồ sơ TTHC"),
        header=header, header_rows=4,
        widths=(5, 38) + (10.5,) * 11 + (13,) * 3,
        rows=rows, total=("", "Tổng cộng", *numbers(report.total)),
        footnote="Ghi chú: " + report.policy.footnote(),
        extra_from=13,
    )


def bieu07b_sheet(report: Report07b, heading: Heading, by: str, start: dt.date, end: dt.date) -> Sheet:
    H = HeaderCell
    header = (
        H("STT", 0, 0, rowspan=3), H(GROUP_LABELS[by], 0, 1, rowspan=3),
        H("Tổng số TTHC", 0, 2, rowspan=3),
        H("Số TTHC tiếp nhận tại Bộ phận Một cửa", 0, 3, colspan=3),
        H("Số TTHC có quy trình nội bộ được phê duyệt", 0, 6, rowspan=3),
        H("Số TTHC cung cấp dịch vụ công trực tuyến", 0, 7, colspan=2),
        H("Tổng số", 1, 3, rowspan=2), H("Trong đó", 1, 4, colspan=2),
        H("Toàn trình", 1, 7, rowspan=2), H("Một phần", 1, 8, rowspan=2),
        H("Một cửa", 2, 4), H("Một cửa liên thông", 2, 5),
    )
    keys = [key for key, _ in COLUMNS_07B.values()]

    def numbers(counts) -> tuple[int, ...]:
        values = counts.as_dict()
        return tuple(values[k] for k in keys)

    rows = tuple((i, _row_name(row.key, by), *numbers(row.counts)) for i, row in enumerate(report.rows, 1))
    return Sheet(
        form_number="Biểu số 07b/VPCP/KSTT",
        basis="Ban hành kèm theo Thông tư số 01/2020/TT-VPCP",
        title="TỔNG HỢP SỐ LƯỢNG THỦ TỤC HÀNH CHÍNH",
        heading=heading,
        lines=(_period_line(start, end), f"Phạm vi: {heading.scope}", "Đơn vị tính: số thủ tục hành chính"),
        header=header, header_rows=3,
        widths=(5, 34) + (14,) * 7,
        rows=rows, total=("", "Tổng cộng", *numbers(report.total)),
        footnote=(f"Ghi chú: số liệu theo danh mục TTHC có hiệu lực ngày {end:%d/%m/%Y}. Một cửa liên thông: quy trình "
                  "nội bộ có bước do cơ quan khác thực hiện; quy trình nội bộ được phê duyệt: mọi trường hợp "
                  "của phiên bản đang có hiệu lực đều có các bước xử lý."),
    )
