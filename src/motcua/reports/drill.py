"""From a figure on a statistics page to the dossiers behind it.

Every number of the reports pages links to the staff dossier list (``workspace:dossiers``) with the
figure's parameters (``bc`` and ``bc_*``); the list asks ``read`` for the figure and shows exactly
its dossiers. A figure names its period and the unit whose subtree it counts, which must be one the
reader may read reports of (``report_units``).

Figures:
- ``b06``: a cell of Biểu 06 — column (3–13, ``moi`` = received in the period, 4 + 5), row (a code
  of the grouping, none for the total), optionally one channel. The dossiers are picked by the
  report's own statement with the cell's condition (``queries.cell_dossiers``), so the list and the
  cell cannot disagree, and the picking stays in the database at province scale.
- ``buoc``: the dossiers with a step of one procedure's workflow (by order) finished in the period.
- ``xl``: the dossiers whose apology and new appointment (Mẫu 04) was made in the period.
- ``diem``: the dossiers the evaluation scores of the period judged.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings

from motcua.dossiers.models import Channel, Dossier, DossierStep, Extension
from motcua.org.models import OrgUnit
from motcua.reports import queries
from motcua.reports.access import report_units
from motcua.reports.bieu06 import COLUMNS, Period, Policy, ReportError

__all__ = ["Figure", "read", "link", "KINDS"]

KINDS = {"b06": "Biểu 06", "buoc": "Bước xử lý", "xl": "Xin lỗi, hẹn lại", "diem": "Đánh giá"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NEW = "moi"


def _date(value: str, label: str) -> dt.date:
    try:
        if not _DATE.fullmatch(value or ""):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ReportError(f"{label} “{value or ''}” không phải ngày hợp lệ (YYYY-MM-DD).") from None


@dataclass
class Figure:
    kind: str
    period: Period
    unit: OrgUnit
    params: dict[str, str] = field(default_factory=dict)
    policy: Policy = field(default_factory=Policy)

    def query(self) -> dict[str, str]:
        return {"bc": self.kind, **{f"bc_{k}": v for k, v in self.params.items() if v}}

    def describe(self) -> str:
        p, text = self.period, ""
        if self.kind == "b06":
            column = self.params.get("cot")
            heading = "Tiếp nhận trong kỳ" if column == NEW else f"cột {column}: {COLUMNS[int(column)][1]}"
            text = f"Biểu 06, {heading}"
            if self.params.get("ma"):
                text += f", dòng {self.params['ma']}"
            if self.params.get("kenh"):
                text += f", kênh {Channel(self.params['kenh']).label.lower()}"
        elif self.kind == "buoc":
            text = f"Thủ tục {self.params['tt']}, bước {self.params['buoc']} hoàn thành trong kỳ"
        elif self.kind == "xl":
            text = "Hồ sơ có văn bản xin lỗi, hẹn lại lập trong kỳ"
        elif self.kind == "diem":
            text = "Hồ sơ được đánh giá (giải quyết xong trong kỳ)"
        return f"{text} — {self.unit.name}, {p.start:%d/%m/%Y}–{p.end:%d/%m/%Y}"

    def dossier_ids(self) -> list[int]:
        """The figure's dossiers, ordered by code (then id)."""
        scope = queries.Scope(unit=self.unit)
        starts, ends = self.period.starts, self.period.ends
        subtree = {"resolving_unit__path__startswith": self.unit.path}
        if self.kind == "b06":
            by, column, row, channel = (self.params.get("nhom", "sector"), self.params["cot"], self.params.get("ma"),
                                        self.params.get("kenh"))
            return queries.cell_dossiers(self.period, self.policy, scope, by, "new" if column == NEW else str(int(column)),
                                         row=row, channel=channel)
        if self.kind == "buoc":
            ids = (DossierStep.objects.filter(finished_at__gte=starts, finished_at__lt=ends, order=int(self.params["buoc"]),
                                              dossier__procedure_version__procedure__code=self.params["tt"],
                                              **{f"dossier__{k}": v for k, v in subtree.items()})
                   .values("dossier_id"))
            qs = Dossier.objects.filter(pk__in=ids)
        elif self.kind == "xl":
            qs = Dossier.objects.filter(pk__in=Extension.objects.filter(requested_at__gte=starts, requested_at__lt=ends)
                                        .values("dossier_id"), **subtree)
        else:
            from motcua.reports.scores import resolved_dossiers
            qs = resolved_dossiers(self.period, self.unit)
        return list(qs.order_by("code", "pk").values_list("pk", flat=True))


def read(data, user) -> Figure | None:
    """The figure named by the query string, or None when there is none; ReportError (Vietnamese)
    when its parameters are wrong or its unit is out of the reader's reach."""
    kind = data.get("bc")
    if not kind:
        return None
    if kind not in KINDS:
        raise ReportError(f"Loại số liệu “{kind}” không hợp lệ.")
    params = {k[3:]: str(v).strip()[:80] for k, v in data.items() if k.startswith("bc_")}
    period = Period(_date(params.get("tu", ""), "Từ ngày"), _date(params.get("den", ""), "Đến ngày"))
    unit = OrgUnit.objects.filter(identifier=params.get("dv", "")).first()
    if unit is None or not report_units(user).filter(pk=unit.pk).exists():
        raise ReportError("Cơ quan của số liệu không có hoặc không thuộc phạm vi báo cáo của bạn.")
    policy = Policy(params.get("so_sanh") or settings.MOTCUA_ON_TIME_GRANULARITY, params.get("han") or "extended")
    if kind == "b06":
        column = params.get("cot", "")
        if column != NEW and not (column.isdigit() and int(column) in COLUMNS):
            raise ReportError(f"Cột “{column}” của Biểu 06 không hợp lệ.")
        if params.get("nhom", "sector") not in queries.GROUPINGS:
            raise ReportError(f"Cách nhóm “{params.get('nhom')}” không hợp lệ.")
        if params.get("kenh") and params["kenh"] not in Channel.values:
            raise ReportError(f"Kênh “{params['kenh']}” không hợp lệ.")
    if kind == "buoc" and not (params.get("tt") and params.get("buoc", "").isdigit()):
        raise ReportError("Thiếu thủ tục hoặc bước xử lý của số liệu.")
    return Figure(kind, period, unit, params, policy)


def link(kind: str, period: Period, unit: OrgUnit, policy: Policy | None = None, **params) -> str:
    """The dossier-list URL of a figure (for templates and tests)."""
    from django.urls import reverse

    values = {"tu": period.start.isoformat(), "den": period.end.isoformat(), "dv": unit.identifier}
    if policy is not None:
        values.update({"so_sanh": policy.granularity, "han": policy.due})
    values.update({k: str(v) for k, v in params.items() if v not in (None, "")})
    return reverse("workspace:dossiers") + "?" + urlencode({"bc": kind, **{f"bc_{k}": v for k, v in values.items()}})
