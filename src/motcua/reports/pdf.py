"""A report ``Sheet`` as a PDF: A4 landscape, WeasyPrint, DejaVu Sans — the same print style and
offline renderer as the one-stop forms (``motcua.documents``), the same table as the Excel file."""

from __future__ import annotations

import functools
from pathlib import Path

from django.template import Context, Engine

from motcua.documents.forms import TEMPLATE_DIR as FORMS_TEMPLATE_DIR
from motcua.documents.pdf import html_to_pdf
from motcua.reports.sheet import MOTTO, STATE, Sheet
from motcua.text import nfc

__all__ = ["to_pdf", "to_html"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "pdf_templates"


@functools.cache
def _engine() -> Engine:
    # Private, like the forms' engine: autoescaped whatever the settings, not overridable by other apps.
    return Engine(dirs=[str(TEMPLATE_DIR), str(FORMS_TEMPLATE_DIR)], autoescape=True, debug=False,
                  string_if_invalid="")


def _number(value) -> str:
    """1234 → "1.234" (the Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else nfc(str(value))


def to_html(sheet: Sheet) -> str:
    header = [[] for _ in range(sheet.header_rows)]
    for h in sorted(sheet.header, key=lambda h: (h.row, h.col)):
        header[h.row].append({"text": nfc(h.text), "rowspan": h.rowspan, "colspan": h.colspan,
                              "extra": sheet.extra_from is not None and h.col >= sheet.extra_from})
    rows = []
    for values, total in [*((v, False) for v in sheet.rows), (sheet.total, True)]:
        cells = [{"text": _number(v), "cls": "c" if i == 0 or (i == 1 and total) else ("" if i == 1 else "n")}
                 for i, v in enumerate(values)]
        rows.append({"cells": cells, "total": total})
    context = {
        "sheet": sheet, "state": STATE, "motto": MOTTO, "header": header, "rows": rows,
        "lines": [nfc(line) for line in sheet.lines[:-1]], "unit_line": nfc(sheet.lines[-1]),
        "widths": [f"{100 * w / sum(sheet.widths):.2f}" for w in sheet.widths],
        "font_size": "6.8pt" if sheet.columns > 12 else "7.8pt",
    }
    return _engine().get_template("sheet.html").render(Context(context, autoescape=True))


def to_pdf(sheet: Sheet) -> bytes:
    return html_to_pdf(to_html(sheet))
