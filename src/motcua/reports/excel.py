"""A report ``Sheet`` as an Excel workbook (openpyxl) in the official layout.

National header block (agency left, state name and motto right), form number and circular, the
title with the period, scope and unit of count, the multi-row header with merged cells as on the
form, the column-number row, the data and total rows (numbers stored as numbers), the policy
footnote and the signature block. A4 landscape, fitted to the page width, the header rows repeated
on every printed page.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from motcua.reports.sheet import MOTTO, STATE, Sheet

__all__ = ["to_xlsx", "TABLE_TOP"]

FONT = "Times New Roman"       # the administrative-document typeface (NĐ 30/2020); DejaVu stands in when absent
TABLE_TOP = 11                 # the header block starts on this row
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _font(**kw) -> Font:
    return Font(name=FONT, size=kw.pop("size", 11), **kw)


def _put(ws: Worksheet, row: int, first: int, last: int, value, *, font: Font | None = None,
         align: Alignment = CENTRE) -> None:
    """``value`` in the merged range row × [first, last] (1-based columns)."""
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell = ws.cell(row=row, column=first, value=value)
    cell.font = font or _font()
    cell.alignment = align


def _blocks(n: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Columns of the left (agency) and right (state, motto, signature) blocks."""
    return (1, min(3, n)), (n // 2 + 1, n)


def to_xlsx(sheet: Sheet, *, name: str = "Báo cáo") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = name[:31]
    n = sheet.columns
    (l1, l2), (r1, r2) = _blocks(n)

    # National header block.
    _put(ws, 1, l1, l2, (sheet.heading.parent_agency or sheet.heading.agency).upper(),
         font=_font(bold=not sheet.heading.parent_agency))
    _put(ws, 1, r1, r2, STATE, font=_font(bold=True))
    if sheet.heading.parent_agency:
        _put(ws, 2, l1, l2, sheet.heading.agency.upper(), font=_font(bold=True))
    _put(ws, 2, r1, r2, MOTTO, font=_font(bold=True, underline="single"))
    _put(ws, 4, l1, l2, sheet.form_number, font=_font(bold=True))
    _put(ws, 5, l1, l2, sheet.basis, font=_font(italic=True, size=10))
    _put(ws, 6, 1, n, sheet.title, font=_font(bold=True, size=13))
    ws.row_dimensions[6].height = 36
    for i, line in enumerate(sheet.lines):
        _put(ws, 7 + i, 1, n, line, font=_font(italic=i > 0))

    # The header, merged as on the form.
    top = TABLE_TOP
    for r in range(top, top + sheet.header_rows + 1):
        for c in range(1, n + 1):
            ws.cell(row=r, column=c).border = BOX
    for h in sheet.header:
        row, col = top + h.row, 1 + h.col
        if h.rowspan > 1 or h.colspan > 1:
            ws.merge_cells(start_row=row, start_column=col, end_row=row + h.rowspan - 1, end_column=col + h.colspan - 1)
        cell = ws.cell(row=row, column=col, value=h.text)
        cell.font, cell.alignment = _font(bold=True, size=10), CENTRE
    for r in range(top, top + sheet.header_rows):  # LibreOffice does not grow merged wrapped cells itself
        ws.row_dimensions[r].height = 44 if r == top + sheet.header_rows - 1 else 26
    numbers_row = top + sheet.header_rows
    for c, text in enumerate(sheet.numbers, 1):
        cell = ws.cell(row=numbers_row, column=c, value=text)
        cell.font, cell.alignment = _font(italic=True, size=10), CENTRE

    # Data rows and the total; numbers are numbers.
    r = numbers_row
    for values, bold in [*((v, False) for v in sheet.rows), (sheet.total, True)]:
        r += 1
        for c, value in enumerate(values, 1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.border, cell.font = BOX, _font(bold=bold, size=10)
            if c == 2:
                cell.alignment = Alignment(vertical="center", wrap_text=True,
                                           horizontal="center" if bold else "left")
            else:
                cell.alignment = Alignment(horizontal="center", vertical="center")
                if isinstance(value, int):
                    cell.number_format = "#,##0"

    # Footnote and signature block.
    r += 2
    _put(ws, r, 1, n, sheet.footnote, font=_font(italic=True, size=10),
         align=Alignment(horizontal="left", vertical="top", wrap_text=True))
    ws.row_dimensions[r].height = 42
    r += 2
    _put(ws, r, r1, r2, sheet.date_line, font=_font(italic=True))
    (left_role, left_hint), (right_role, right_hint) = sheet.signers
    _put(ws, r + 1, l1, l2, left_role, font=_font(bold=True))
    _put(ws, r + 1, r1, r2, right_role, font=_font(bold=True))
    _put(ws, r + 2, l1, l2, left_hint, font=_font(italic=True, size=10))
    _put(ws, r + 2, r1, r2, right_hint, font=_font(italic=True, size=10))

    for c, width in enumerate(sheet.widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(row=numbers_row + 1, column=3)
    ws.print_title_rows = f"{top}:{numbers_row}"
    ws.print_area = f"A1:{get_column_letter(n)}{r + 6}"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.print_options.horizontalCentered = True
    wb.properties.title = f"{sheet.form_number} – {sheet.title}"
    wb.properties.creator = "MotCua"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
