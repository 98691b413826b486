"""From a lost point to what cost it: for one unit (its subtree) and one indicator, the dossiers,
feedback or procedures that count in the denominator but not in the numerator. The dossier and
feedback lists use the very conditions the counts use (``queries``), negated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from motcua.org.models import OrgUnit
from motcua.reports.bieu06 import Period, ReportError
from motcua.reports.index766 import queries
from motcua.reports.index766.compute import _tree, gateway_configured, own_procedures, subtree_ids, window
from motcua.reports.index766.scoring import INDICATOR_BY_ID, Indicator

__all__ = ["DrillDown", "drilldown", "DOSSIER_FAILS", "WHAT"]


def DOSSIER_FAILS(c: dict[str, str]) -> dict[str, str]:
    """Indicator → the dossiers (of those received in the period) that cost it points, as SQL over
    the counters' conditions (each TRUE or FALSE, never NULL, so NOT is exact)."""
    return {
        "2.1": c["late"],
        "2.2": c["slow"],
        "3.3": f"NOT ({c['online']})",
        "3.6": f"({c['fee']} AND NOT ({c['paid_online']}))",
        "4.1": f"({c['granted']} AND NOT ({c['e_result']}))",
        "4.2": f"NOT ({c['digitised']})",
        "4.3": f"NOT ({c['reused']})",
        "5.4": f"({c['late']} OR {c['complained']})",
    }


FEEDBACK_FAILS = {"5.1": lambda c: ~c["classified"], "5.2": lambda c: c["fb_late"], "5.3": lambda c: c["fb_late"]}

# What the list holds, per indicator (Vietnamese, shown above the list).
WHAT = {
    "1.3": "Thủ tục còn thiếu bộ phận cấu thành",
    "2.1": "Hồ sơ giải quyết quá hạn (kể cả đang giải quyết đã quá hạn, yêu cầu bổ sung quá một lần)",
    "2.2": "Hồ sơ có kết quả sau thời hạn quy định",
    "3.1": "Thủ tục chưa cung cấp dịch vụ công trực tuyến",
    "3.2": "Dịch vụ công trực tuyến chưa phát sinh hồ sơ trực tuyến trong kỳ",
    "3.3": "Hồ sơ không nộp trực tuyến",
    "3.5": "Thủ tục có phí, lệ phí chưa thanh toán trực tuyến được",
    "3.6": "Hồ sơ có phí, lệ phí không thanh toán trực tuyến",
    "4.1": "Hồ sơ có kết quả nhưng không có kết quả điện tử",
    "4.2": "Hồ sơ chưa được số hóa đầy đủ",
    "4.3": "Hồ sơ không tái sử dụng dữ liệu đã số hóa",
    "5.1": "Phản ánh, kiến nghị chưa được phân loại",
    "5.2": "Phản ánh, kiến nghị xử lý trễ hạn",
    "5.3": "Phản ánh, kiến nghị xử lý trễ hạn",
    "5.4": "Hồ sơ quá hạn, hoặc có phản ánh, kiến nghị, hoặc bị đánh giá không hài lòng",
}


@dataclass
class DrillDown:
    indicator: Indicator
    unit: OrgUnit
    kind: str           # "dossiers" | "feedback" | "procedures" | "none"
    what: str
    items: object       # a queryset (dossiers, feedback) or a list of ProcedureFacts


def drilldown(period: Period, unit: OrgUnit, indicator_id: str, *, now: dt.datetime | None = None) -> DrillDown:
    ind = INDICATOR_BY_ID.get(indicator_id)
    if ind is None:
        raise ReportError(f"Không có chỉ số “{indicator_id}” trong Bộ chỉ số 766.")
    w = window(period, now)
    tree = _tree()
    ids = sorted(subtree_ids(tree, [unit]))
    if not ind.held:
        return DrillDown(ind, unit, "none", f"Không có dữ liệu: {ind.why_not}.", [])
    fails = DOSSIER_FAILS(queries.conditions())
    if ind.id in WHAT and ind.id in fails:
        items = (queries.dossier_base(w, ids, fails[ind.id])
                 .select_related("procedure_version__procedure", "resolving_unit")
                 .order_by("received_at", "pk"))
        return DrillDown(ind, unit, "dossiers", WHAT[ind.id], items)
    if ind.id in FEEDBACK_FAILS:
        items = (queries.feedback_base(w, ids).filter(FEEDBACK_FAILS[ind.id](queries.feedback_conditions(w)))
                 .select_related("unit").order_by("submitted_at", "pk"))
        return DrillDown(ind, unit, "feedback", WHAT[ind.id], items)
    procs = queries.procedure_facts(w.as_of_day)
    own = own_procedures(tree, procs)
    mine = sorted({p for uid in ids for p in own.get(uid, ())}, key=lambda p: procs[p].code)
    facts = [procs[p] for p in mine]
    if ind.id == "1.3":
        items = [p for p in facts if p.missing]
    elif ind.id == "3.1":
        items = [p for p in facts if not p.online]
    elif ind.id == "3.2":
        used = {pid for uid, pid in queries.online_used(w, ids)}
        items = [p for p in facts if p.online and p.id not in used]
    else:  # 3.5
        gateway = gateway_configured()
        items = [p for p in facts if p.fee and not (p.online and gateway)]
    return DrillDown(ind, unit, "procedures", WHAT[ind.id], items)
