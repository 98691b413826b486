"""Which report (``--form``) in which format (``--format``): the registry ``motcua report`` uses.

JSON and CSV are text; Excel (``excel``) and PDF (``pdf``) are bytes drawn from one ``sheet``
description of the official layout, so both show the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

from motcua.org.models import OrgUnit
from motcua.reports import queries, queries07b, render, render07b
from motcua.reports.bieu06 import Period, Report
from motcua.reports.bieu07b import check as check_07b
from motcua.reports.excel import to_xlsx
from motcua.reports.pdf import to_pdf
from motcua.reports.sheet import Heading, bieu06_sheet, bieu07b_sheet

__all__ = ["FORMS", "FORMATS", "BINARY", "GROUPINGS", "DEFAULT_BY", "Export", "heading", "render_06", "bieu07b"]

FORMS = ("06", "07b")
FORMATS = ("json", "csv", "xlsx", "pdf")
BINARY = frozenset({"xlsx", "pdf"})
GROUPINGS = {"06": tuple(queries.GROUPINGS), "07b": tuple(queries07b.GROUPINGS_07B)}
DEFAULT_BY = {"06": "sector", "07b": "level"}


@dataclass(frozen=True)
class Export:
    content: str | bytes
    rows: int
    problems: list[str]


def heading(scope: queries.Scope) -> Heading:
    """The reporting agency: the scope's unit, else the deployment's only top unit (a province's
    UBND); its parent is printed above it, as on the forms."""
    unit = scope.unit
    if unit is None:
        roots = list(OrgUnit.objects.filter(parent__isnull=True).order_by("path")[:2])
        unit = roots[0] if len(roots) == 1 else None
    parent = unit.parent.name if unit is not None and unit.parent_id else ""
    return Heading(agency=unit.name if unit else "……………………", scope=scope.describe(), parent_agency=parent)


def render_06(report: Report, fmt: str, scope: queries.Scope, by: str) -> str | bytes:
    if fmt in render.FORMATS:
        return render.render(report, fmt, scope.describe(), by)
    sheet = bieu06_sheet(report, heading(scope), by)
    return to_xlsx(sheet, name="Biểu 06") if fmt == "xlsx" else to_pdf(sheet)


def bieu07b(period: Period, scope: queries.Scope, by: str, fmt: str) -> Export:
    """Biểu 07b on the period's last day, rendered; ``problems`` lists broken identities."""
    report = queries07b.bieu07b(period.end, scope, by)
    args = (scope.describe(), by, period.start, period.end)
    if fmt == "json":
        content = render07b.to_json(report, *args)
    elif fmt == "csv":
        content = render07b.to_csv(report, *args)
    else:
        sheet = bieu07b_sheet(report, heading(scope), by, period.start, period.end)
        content = to_xlsx(sheet, name="Biểu 07b") if fmt == "xlsx" else to_pdf(sheet)
    return Export(content, len(report.rows), check_07b(report))
