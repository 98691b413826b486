"""The one-stop forms of a dossier: its rows turned into the plain context ``documents.forms`` prints.

Forms are rendered on demand from the dossier and its ledger, never stored: the same dossier always
prints the same form, and the regime recorded at reception picks the numbering (TT 01/2018 or
TT 03/2025).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from motcua.accounts.models import User
from motcua.calendar import Duration
from motcua.documents.forms import render_form
from motcua.dossiers.errors import DossierError
from motcua.dossiers.models import (
    Delivery, Dossier, DossierDocument, DocumentStage, Extension, LedgerEvent, State, SupplementStage,
)
from motcua.dossiers.progress import control_sheet
from motcua.dossiers.rules import regime_on
from motcua.org.models import OrgUnit

__all__ = ["FORM_NAMES", "available_forms", "dossier_form", "tracking_book"]

# form → (Vietnamese name for buttons and file names, the ledger event it prints)
FORM_NAMES = {
    "receipt": ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "accepted"),
    "supplement_request": ("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", None),
    "refusal": ("Phiếu từ chối", None),
    "apology": ("Văn bản xin lỗi và hẹn lại ngày trả kết quả", "apologised"),
    "stop_notice": ("Thông báo dừng giải quyết hồ sơ", "stopped"),
    "control_sheet": ("Phiếu kiểm soát quá trình giải quyết hồ sơ", None),
}
_KIND_LABELS = {"original": "Bản chính", "certified_copy": "Bản sao có chứng thực", "copy": "Bản sao / bản chụp"}


def available_forms(d: Dossier) -> list[str]:
    """The forms this dossier has reached."""
    forms = []
    if d.code:
        forms += ["receipt", "control_sheet"]
    if d.supplements.exists():
        forms.append("supplement_request")
    if d.state in (State.INTAKE_REFUSED, State.REFUSED):
        forms.append("refusal")
    if Extension.objects.filter(dossier=d).exists():
        forms.append("apology")
    if d.state == State.STOPPED:
        forms.append("stop_notice")
    return forms


def _place(unit: OrgUnit) -> str:
    root = OrgUnit.objects.get(pk=int(unit.path.strip("/").split("/")[0]))
    for prefix in ("UBND tỉnh ", "UBND thành phố ", "Ủy ban nhân dân tỉnh ", "Ủy ban nhân dân thành phố "):
        if root.name.startswith(prefix):
            return root.name[len(prefix):]
    return root.name


def _agency(unit: OrgUnit, name: str | None = None) -> dict:
    return {"name": name or unit.name, "parent_name": unit.parent.name if unit.parent_id else "", "place": _place(unit)}


def _actor(event: LedgerEvent | None) -> dict:
    user = User.objects.filter(pk=event.actor_id_value).first() if event and event.actor_id_value else None
    return {"name": (user.get_full_name() or user.username) if user else "", "title": ""}


def _last_event(d: Dossier, *types: str) -> LedgerEvent | None:
    return LedgerEvent.objects.filter(dossier=d, type__in=types).order_by("-seq").first()


def _base(d: Dossier) -> dict:
    applicant = d.applicant
    citizen = applicant.kind == "citizen"
    delivery = Delivery(d.delivery).label + (f": {d.delivery_address}" if d.delivery_address else "")
    return {
        "dossier": {
            "code": d.code or "", "reference": str(d.reference), "procedure_code": d.procedure_version.procedure.code,
            "procedure_name": d.procedure_version.procedure.name, "variant_name": d.variant.name,
            "received_at": d.received_at, "due_at": d.due_at, "original_due_at": d.original_due_at,
            "legal_time": str(Duration(d.limit_value, d.limit_unit)), "delivery": str(delivery),
            "fee_total": d.fee_total, "sets": d.sets, "lookup_url": _lookup(d),
        },
        "applicant": {
            "name": applicant.full_name, "id_label": "Số định danh cá nhân" if citizen else "Mã số thuế",
            "id_number": applicant.cccd if citizen else applicant.tax_code, "address": applicant.address,
            "phone": d.contact_phone or applicant.phone, "email": d.contact_email or applicant.email,
        },
        "representative": ({"name": d.representative_name, "id_number": d.representative_id_number,
                            "phone": d.representative_phone} if d.representative_name else None),
    }


def _lookup(d: Dossier) -> str:
    from motcua.dossiers.services import lookup_url

    return lookup_url(d)


def _context(d: Dossier, form: str, now: dt.datetime) -> dict:
    context = _base(d)
    desk = _agency(d.receiving_unit, d.receiving_desk.name)
    if form == "receipt":
        event = _last_event(d, "accepted")
        documents = DossierDocument.objects.filter(dossier=d).exclude(stage=DocumentStage.RESULT).order_by("pk")
        context.update(
            agency=desk, issued_at=d.received_at, officer={**_actor(event), "title": "Người tiếp nhận"},
            number=d.book_number,
            documents=[{"name": x.name, "kind_label": _KIND_LABELS.get(x.kind, x.kind), "count": x.count}
                       for x in documents] or [{"name": "Không có giấy tờ kèm theo", "kind_label": "", "count": 0}],
            book={"volume": f"01/{d.book_year}", "number": d.book_number},
        )
    elif form == "supplement_request":
        request = d.supplements.order_by("-requested_at").first()
        context.update(
            agency=desk if request.stage == SupplementStage.INTAKE else _agency(d.resolving_unit),
            issued_at=request.requested_at, number=request.number,
            officer={"name": request.requested_by.get_full_name() or request.requested_by.username,
                     "title": "Người hướng dẫn"},
            missing=[{"name": i["name"], "kind_label": _KIND_LABELS.get(i.get("kind"), ""), "count": i.get("count", 1),
                      "note": i.get("note", "")} for i in request.items],
            reason=request.reason, contact=f"{d.receiving_desk.name}"
            + (f", {d.receiving_desk.address}" if d.receiving_desk.address else ""),
        )
    elif form == "refusal":
        event = _last_event(d, "intake_refused", "refused")
        context.update(agency=desk if event.type == "intake_refused" else _agency(d.resolving_unit),
                       issued_at=event.at, officer={**_actor(event), "title": ""},
                       reasons=[r for r in event.reason.splitlines() if r.strip()])
    elif form == "apology":
        extension = d.extension
        context["dossier"]["original_due_at"] = extension.previous_due_at
        context.update(agency=_agency(d.resolving_unit), issued_at=extension.requested_at, number=extension.number,
                       officer={"name": extension.requested_by.get_full_name() or extension.requested_by.username,
                                "title": "Thủ trưởng cơ quan"},
                       addressee=d.applicant.full_name, reason=extension.reason, new_due_at=extension.new_due_at,
                       return_place=d.receiving_desk.name)
    elif form == "stop_notice":
        event = _last_event(d, "stopped")
        context.update(agency=_agency(d.resolving_unit), issued_at=event.at, officer={**_actor(event), "title": ""},
                       requested_at=event.at, reason=event.reason)
    elif form == "control_sheet":
        context.update(agency=_agency(d.resolving_unit), issued_at=now, handoffs=[
            {**row, "handed_at": row["handed_at"], "result_label": row["result_label"] if row["finished_at"] else ""}
            for row in control_sheet(d, now)])
    return context


def dossier_form(d: Dossier, form: str, now: dt.datetime | None = None) -> tuple[str, bytes]:
    """(file name, PDF bytes) of one of the dossier's forms; DossierError when it has not reached it."""
    if form not in FORM_NAMES:
        raise DossierError(f"Không có biểu mẫu “{form}”.", code="unknown_form")
    if form not in available_forms(d):
        raise DossierError(f"Hồ sơ chưa có {FORM_NAMES[form][0].lower()}.", code="form_not_available")
    regime = d.regime or regime_on(timezone.localtime(d.submitted_at).date())
    pdf = render_form(form, regime, _context(d, form, now or timezone.now()))
    return f"{form}-{d.code or d.reference}.pdf", pdf


def tracking_book(unit: OrgUnit, year: int) -> bytes:
    """The yearly tracking book (Sổ theo dõi hồ sơ) of a receiving unit, numbered continuously."""
    rows = []
    dossiers = (Dossier.objects.filter(receiving_unit=unit, book_year=year).exclude(book_number__isnull=True)
                .select_related("applicant", "procedure_version__procedure", "resolving_unit").order_by("book_number"))
    for d in dossiers:
        receiver = _actor(_last_event(d, "result_returned"))["name"] if d.returned_at else ""
        rows.append({
            "number": d.book_number, "code": d.code, "procedure_name": d.procedure_version.procedure.name,
            "sets": d.sets, "applicant_name": d.applicant.full_name,
            "address_phone": ", ".join(x for x in (d.applicant.address, d.contact_phone) if x),
            "received_at": d.received_at, "due_at": d.due_at, "returned_at": d.returned_at, "receiver": receiver,
            "area": d.resolving_unit.admin_unit_code, "note": d.get_state_display(),
        })
    regime = regime_on(dt.date(year, 12, 31))
    return render_form("tracking_book", regime, {
        "agency": _agency(unit), "year": year, "unit_name": unit.name, "volume": f"01/{year}", "rows": rows,
    })
