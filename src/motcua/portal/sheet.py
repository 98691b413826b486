"""What the procedure page publishes (shared/domain.md §3.4), read in a fixed number of queries.

The version shown is the one in force on the day asked; a procedure with none is not published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from motcua.accounts.models import Role
from motcua.catalog import rules
from motcua.catalog.models import OnlineMode, Procedure, ProcedureVariant, ProcedureVersion, WorkflowStep
from motcua.catalog.search import receiving_desks
from motcua.catalog.services import published_version
from motcua.portal.fees import formula_in_words, money

__all__ = ["Channel", "VariantSheet", "ProcedureSheet", "procedure_sheet", "ONLINE_WORDS"]

# NĐ 42/2022 Art 11 (shared/domain.md §6.1), as the applicant needs to hear it.
ONLINE_WORDS = {
    OnlineMode.FULL: ("Dịch vụ công trực tuyến toàn trình",
                      "Nộp hồ sơ, nộp phí và nhận kết quả hoàn toàn trực tuyến (hoặc nhận kết quả qua bưu chính); "
                      "không phải đến cơ quan."),
    OnlineMode.PARTIAL: ("Dịch vụ công trực tuyến một phần",
                         "Nộp hồ sơ trực tuyến; một số bước (xuất trình bản chính, nhận kết quả hoặc nộp phí) "
                         "vẫn thực hiện trực tiếp."),
    OnlineMode.NONE: ("Không cung cấp trực tuyến", "Nộp hồ sơ trực tiếp hoặc qua bưu chính (nếu có)."),
}


@dataclass(frozen=True)
class Channel:
    name: str
    open: bool
    note: str


@dataclass(frozen=True)
class VariantSheet:
    variant: ProcedureVariant
    time_limit: str
    online_time_limit: str
    documents: list
    fees: list[dict]
    steps: list[dict]


@dataclass(frozen=True)
class ProcedureSheet:
    procedure: Procedure
    version: ProcedureVersion
    competent: str
    desks: list
    channels: list[Channel]
    online_open: bool
    online_title: str
    online_note: str
    applicants: list[str]
    variants: list[VariantSheet]
    legal_bases: list


def _duration(value, unit) -> str:
    return str(rules.duration(value, unit)) if value is not None else ""


def _fee(f) -> dict:
    if f.amount is not None:
        amount = "Miễn" if f.amount == 0 else f"{money(f.amount)} đồng"
        formula = ""
    else:
        amount, formula = "Theo công thức", formula_in_words(f.formula)
    return {"kind": f.get_kind_display(), "name": f.name, "amount": amount, "formula": formula,
            "description": f.description}


def _step(s: WorkflowStep, competent: str) -> dict:
    if s.unit is not None:
        where = s.unit.name
    elif s.role == Role.RECEPTIONIST:
        where = "Bộ phận Một cửa"
    else:
        where = competent
    return {"order": s.order, "name": s.name, "where": where, "budget": _duration(s.budget_value, s.budget_unit)}


def procedure_sheet(code: str, on: dt.date) -> ProcedureSheet | None:
    procedure = Procedure.objects.select_related("sector", "competent_unit").filter(code=code).first()
    version = published_version(procedure, on) if procedure is not None else None
    if version is None:
        return None
    competent = procedure.competent_unit.name if procedure.competent_unit else "Ủy ban nhân dân cấp xã"
    variants = version.variants.order_by("order").prefetch_related(
        "documents", "fees", Prefetch("steps", queryset=WorkflowStep.objects.select_related("unit")))
    desks = list(receiving_desks(procedure.competent_unit, procedure.level).order_by("name"))
    postal = []
    if version.postal_intake:
        postal.append("nộp hồ sơ")
    if version.postal_return:
        postal.append("nhận kết quả")
    title, note = ONLINE_WORDS[version.online_mode]
    channels = [
        Channel("Trực tiếp", True, "Nộp hồ sơ và nhận kết quả tại Bộ phận Một cửa."),
        Channel("Trực tuyến", version.online_mode != OnlineMode.NONE, f"{title}. {note}"),
        Channel("Bưu chính công ích", bool(postal),
                ("Có thể " + " và ".join(postal) + " qua dịch vụ bưu chính công ích.") if postal
                else "Không áp dụng."),
    ]
    applicants = [label for on_, label in ((version.for_citizens, "Công dân"),
                                           (version.for_organisations, "Tổ chức, doanh nghiệp")) if on_]
    return ProcedureSheet(
        procedure=procedure, version=version, competent=competent, desks=desks, channels=channels,
        online_open=version.online_mode != OnlineMode.NONE, online_title=title, online_note=note,
        applicants=applicants, legal_bases=list(version.legal_bases.order_by("order")),
        variants=[
            VariantSheet(
                variant=v, time_limit=_duration(v.time_limit_value, v.time_limit_unit),
                online_time_limit=_duration(v.online_time_limit_value, v.online_time_limit_unit or None),
                documents=list(v.documents.all()), fees=[_fee(f) for f in v.fees.all()],
                steps=[_step(s, competent) for s in v.steps.all()],
            )
            for v in variants
        ],
    )
