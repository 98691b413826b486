"""The reception desk: pick the procedure and case (search as you type, without accents), the
applicant (found again by CCCD or tax code), tick the required documents against what was brought,
attach the scans, see the fees, then accept (receipt with the due instant and QR), ask for a
supplement (Mẫu 02 listing exactly what is missing) or refuse (Mẫu 03). And the queue of online
dossiers waiting for the desk.

The page only reads the form and calls the services: ``register_at_desk`` then ``accept`` /
``request_intake_supplement`` / ``refuse_intake`` (and ``record_payment`` when the fee is paid at the
counter), all in one transaction — a refusal anywhere leaves no dossier, no applicant and no file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from motcua.accounts.models import Applicant, ApplicantKind, Role
from motcua.accounts.services import ApplicantData, find_applicant, register_applicant
from motcua.api.queries import procedures_in_force
from motcua.catalog.models import FeeItem, Level, ProcedureVariant, RequiredDocument
from motcua.catalog.rules import FeeFormula, RuleError
from motcua.catalog.services import published_version, search_procedures
from motcua.dossiers import services
from motcua.dossiers.errors import DossierError
from motcua.dossiers.files import Upload
from motcua.dossiers.models import Channel, Delivery, Dossier, DossierDocument, PaymentMethod, State
from motcua.org.models import Desk, OrgUnit, UnitKind
from motcua.workspace.access import desks_of, requires_role, units_where
from motcua.workspace.commands import KIND_CHOICES, _file_name, text, whole_number
from motcua.workspace.inbox import page_of

__all__ = ["desk", "procedures", "variant", "applicant", "online_queue", "DeskForm", "receive"]


class DeskRefused(Exception):
    """What is wrong with the desk form, as Vietnamese messages (nothing was saved)."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


# --- what the desk may receive ----------------------------------------------------------------------------


def _served_paths(desk: Desk) -> list[str]:
    return list(desk.serves.values_list("path", flat=True))


def receivable(desk: Desk, on: dt.date):
    """Procedures in force on ``on`` that ``desk`` receives: its units' own, and the commune-level
    ones where it serves a commune (or those received regardless of boundary)."""
    served = _served_paths(desk)
    mine = Q(pk__in=[])
    for path in served:
        mine |= Q(competent_unit__path__startswith=path)
    if desk.serves.filter(kind=UnitKind.COMMUNE).exists():
        mine |= Q(competent_unit__isnull=True, level=Level.COMMUNE)
    else:
        mine |= Q(competent_unit__isnull=True, level=Level.COMMUNE, versions__boundary_independent=True)
    return procedures_in_force(on).filter(mine).distinct()


def resolving_choices(desk: Desk, variant: ProcedureVariant) -> list[OrgUnit]:
    """Where a dossier of ``variant`` may be resolved when lodged at ``desk`` (empty: fixed by the procedure)."""
    procedure = variant.version.procedure
    if procedure.competent_unit_id:
        return []
    communes = OrgUnit.objects.filter(kind=UnitKind.COMMUNE, valid_to__isnull=True)
    served = desk.serves.filter(kind=UnitKind.COMMUNE)
    if variant.version.boundary_independent:
        root = desk.host_unit.path.split("/")[1]
        return list(communes.filter(path__startswith=f"/{root}/").order_by("name"))
    return list(served.order_by("name"))


def _desk(request, data=None) -> tuple[list[Desk], Desk | None]:
    desks = desks_of(request.user)
    wanted = (data or request.GET).get("desk")
    chosen = next((d for d in desks if str(d.pk) == str(wanted)), desks[0] if desks else None)
    return desks, chosen


# --- the form -----------------------------------------------------------------------------------------------


@dataclass
class DeskForm:
    """The desk form read into service arguments; ``missing`` lists the mandatory documents not ticked."""

    desk: Desk
    variant: ProcedureVariant
    decision: str
    applicant: Applicant | None
    new_applicant: ApplicantData | None
    lodging: dict
    missing: list[dict] = field(default_factory=list)
    extra_missing: list[str] = field(default_factory=list)
    reason: str = ""
    pay_reference: str = ""
    pay_now: bool = False


def _applicant_from(data) -> tuple[Applicant | None, ApplicantData | None, list[str]]:
    found_id = data.get("applicant_id", "")
    if found_id.isdigit():
        found = Applicant.objects.filter(pk=int(found_id)).first()
        if found is not None:
            return found, None, []
    kind = data.get("applicant_kind", ApplicantKind.CITIZEN)
    raw = ApplicantData(kind=kind, full_name=text(data, "full_name", 255), cccd=text(data, "cccd", 20),
                        tax_code=text(data, "tax_code", 20), address=text(data, "address", 255),
                        phone=text(data, "phone", 20), email=text(data, "email", 254))
    born = text(data, "date_of_birth", 10)
    problems = []
    if born:
        try:
            raw.date_of_birth = dt.date.fromisoformat(born)
        except ValueError:
            problems.append("Ngày sinh không hợp lệ.")
    identity = raw.cccd if kind == ApplicantKind.CITIZEN else raw.tax_code
    if identity:
        again = find_applicant(identity)
        if again is not None:  # typed again instead of looked up: the same person
            return again, None, problems
    return None, raw, problems


def read_form(request: HttpRequest) -> DeskForm:
    data, files = request.POST, request.FILES
    problems: list[str] = []
    desks, desk = _desk(request, data)
    if desk is None:
        raise DeskRefused(["Bạn không phải cán bộ tiếp nhận của bộ phận một cửa nào."])
    variant = None
    if str(data.get("variant_id", "")).isdigit():
        variant = (ProcedureVariant.objects.select_related("version__procedure")
                   .filter(pk=int(data["variant_id"])).first())
    if variant is None:
        raise DeskRefused(["Chọn thủ tục và trường hợp."])
    decision = data.get("decision", "")
    if decision not in ("accept", "supplement", "refuse"):
        problems.append("Chọn: tiếp nhận, yêu cầu bổ sung hoặc từ chối.")
    found, new, applicant_problems = _applicant_from(data)
    problems += applicant_problems

    uploads, missing = [], []
    for doc in RequiredDocument.objects.filter(variant=variant).order_by("order"):
        kind = data.get(f"kind_{doc.pk}", doc.kind)
        try:
            count = whole_number(data, f"count_{doc.pk}", f"Số lượng của “{doc.name}”", maximum=1000,
                                 default=doc.count)
        except DossierError as exc:
            problems.append(exc.message)
            count = doc.count
        posted = files.getlist(f"file_{doc.pk}")
        if data.get(f"doc_{doc.pk}") == "on" or posted:
            if not posted:
                uploads.append(Upload(doc.name, kind=kind, count=count, required_id=doc.pk))
            for n, f in enumerate(posted):
                name = doc.name if n == 0 else f"{doc.name} (tệp {n + 1})"
                uploads.append(Upload(name, kind=kind, count=count if n == 0 else 1, required_id=doc.pk,
                                      file_name=_file_name(f.name), content=f))
        elif doc.mandatory:
            missing.append({"name": doc.name, "kind": kind, "count": count})
    other = text(data, "other_name", 1000)
    for n, f in enumerate(files.getlist("other_files")):
        uploads.append(Upload(other or "Giấy tờ khác", kind="copy", file_name=_file_name(f.name), content=f))

    fee_inputs = {}
    for item in FeeItem.objects.filter(variant=variant).exclude(formula=""):
        try:
            for name in sorted(FeeFormula(item.formula).variables):
                try:
                    fee_inputs[name] = whole_number(data, f"fee_{name}", f"{item.name}: {name}", minimum=0,
                                                    maximum=10**6, default=1)
                except DossierError as exc:
                    problems.append(exc.message)
        except RuleError as exc:
            problems.append(str(exc))
    try:
        sets = whole_number(data, "sets", "Số bộ hồ sơ", maximum=100, default=1)
    except DossierError as exc:
        problems.append(exc.message)
        sets = 1
    resolving = None
    if str(data.get("resolving_unit", "")).isdigit():
        resolving = OrgUnit.objects.filter(pk=int(data["resolving_unit"])).first()
    if problems:
        raise DeskRefused(problems)
    return DeskForm(
        desk=desk, variant=variant, decision=decision, applicant=found, new_applicant=new,
        lodging=dict(channel=data.get("channel", Channel.IN_PERSON), resolving_unit=resolving,
                     delivery=data.get("delivery", Delivery.DESK), delivery_address=text(data, "delivery_address", 255),
                     documents=uploads,
                     representative=services.Representative(text(data, "rep_name", 255), text(data, "rep_id", 20),
                                                            text(data, "rep_phone", 20))
                     if text(data, "rep_name") else None,
                     contact_email=text(data, "contact_email", 254), contact_phone=text(data, "contact_phone", 20),
                     sets=sets, fee_inputs=fee_inputs or None),
        missing=missing, extra_missing=[line.strip() for line in text(data, "missing_other", 5000).splitlines()
                                        if line.strip()],
        reason=text(data, "reason"), pay_now=data.get("pay_now") == "on", pay_reference=text(data, "pay_reference", 100),
    )


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return list(exc.messages)


def receive(user, form: DeskForm) -> Dossier:
    """Register the dossier and decide on it in one transaction; DeskRefused with the reasons otherwise."""
    if form.decision == "accept" and form.missing:
        names = ", ".join(f"“{m['name']}”" for m in form.missing)
        raise DeskRefused([f"Chưa nhận đủ giấy tờ bắt buộc: {names}. Đánh dấu đã nhận, hoặc chọn "
                           "“Yêu cầu bổ sung” để lập phiếu hướng dẫn."])
    stored: list[str] = []
    try:
        with transaction.atomic():
            applicant = form.applicant
            if applicant is None:
                try:
                    applicant = register_applicant(form.new_applicant)
                except ValidationError as exc:
                    raise DeskRefused(_messages(exc)) from None
            d = services.register_at_desk(user, form.desk, applicant, form.variant, **form.lodging)
            stored = list(DossierDocument.objects.filter(dossier=d).exclude(file="").values_list("file", flat=True))
            if form.decision == "accept":
                d = services.accept(d, user, version=d.version)
                if form.pay_now and d.fee_total > d.fee_paid:
                    d = services.record_payment(d, user, amount=d.fee_total - d.fee_paid, method=PaymentMethod.CASH,
                                                reference=form.pay_reference, version=d.version)
            elif form.decision == "supplement":
                items = form.missing + [{"name": line} for line in form.extra_missing]
                d = services.request_intake_supplement(d, user, items=items, reason=form.reason, version=d.version)
            else:
                d = services.refuse_intake(d, user, reasons=form.reason.splitlines(), version=d.version)
            return d
    except DossierError as exc:
        _discard(stored)
        raise DeskRefused([exc.message]) from None
    except BaseException:
        _discard(stored)
        raise


def _discard(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            pass


# --- views ---------------------------------------------------------------------------------------------------

SHOW_AFTER = {"accept": "receipt", "supplement": "supplement_request", "refuse": "refusal"}
DONE = {"accept": "Đã tiếp nhận hồ sơ.", "supplement": "Đã lập phiếu yêu cầu bổ sung, hoàn thiện hồ sơ.",
        "refuse": "Đã lập phiếu từ chối tiếp nhận."}


def _page_context(request, desks, chosen, **extra) -> dict:
    return {"desks": desks, "chosen": chosen, "kinds": KIND_CHOICES, "channels": [(Channel.IN_PERSON, "Trực tiếp"),
            (Channel.POSTAL, "Qua bưu chính công ích")], "deliveries": Delivery.choices, **extra}


@requires_role(Role.RECEPTIONIST)
def desk(request: HttpRequest) -> HttpResponse:
    from django.contrib import messages

    desks, chosen = _desk(request, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            form = read_form(request)
            d = receive(request.user, form)
        except DeskRefused as exc:
            if request.htmx:
                return render(request, "workspace/_desk_errors.html", {"problems": exc.messages}, status=422)
            return render(request, "workspace/desk.html", _page_context(request, desks, chosen, problems=exc.messages,
                                                                         posted=request.POST), status=422)
        messages.success(request, DONE[form.decision])
        url = reverse("workspace:dossier", args=[d.code or d.reference]) + f"?in={SHOW_AFTER[form.decision]}"
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    return render(request, "workspace/desk.html", _page_context(request, desks, chosen))


@requires_role(Role.RECEPTIONIST)
def procedures(request: HttpRequest) -> HttpResponse:
    """Search as you type: every word of the query, without accents, in the code or the name."""
    desks, chosen = _desk(request)
    query = (request.GET.get("q") or "").strip()[:200]
    results = []
    if query and chosen is not None:
        today = timezone.localdate()
        for procedure in search_procedures(query).filter(pk__in=receivable(chosen, today).values("pk")) \
                .order_by("code")[:15]:
            version = published_version(procedure, today)
            if version is not None:
                results.append((procedure, list(version.variants.order_by("order"))))
    return render(request, "workspace/_desk_procedures.html", {"query": query, "results": results, "chosen": chosen})


@requires_role(Role.RECEPTIONIST)
def variant(request: HttpRequest, variant_id: int) -> HttpResponse:
    """The chosen case: where it is resolved, its checklist, its fees and time limit."""
    desks, chosen = _desk(request)
    v = ProcedureVariant.objects.select_related("version__procedure__competent_unit").filter(pk=variant_id).first()
    if v is None or chosen is None:
        return render(request, "workspace/_desk_errors.html", {"problems": ["Không có trường hợp thủ tục này."]},
                      status=404)
    fees = []
    for item in FeeItem.objects.filter(variant=v).order_by("order"):
        variables = sorted(FeeFormula(item.formula).variables) if item.formula else []
        fees.append({"item": item, "variables": variables})
    from motcua.calendar import Duration

    return render(request, "workspace/_desk_variant.html", {
        "v": v, "procedure": v.version.procedure, "documents": list(RequiredDocument.objects.filter(variant=v)
                                                                   .order_by("order")),
        "fees": fees, "kinds": KIND_CHOICES, "resolving": resolving_choices(chosen, v),
        "default_resolving": chosen.host_unit_id, "limit": str(Duration(v.time_limit_value, v.time_limit_unit)),
        "postal_intake": v.version.postal_intake, "postal_return": v.version.postal_return,
        "deliveries": [(value, label) for value, label in Delivery.choices
                       if value != Delivery.POST or v.version.postal_return],
    })


@requires_role(Role.RECEPTIONIST)
def applicant(request: HttpRequest) -> HttpResponse:
    """An earlier applicant by CCCD or tax code: their details fill the form."""
    number = (request.GET.get("so") or "").strip()[:20]
    found = find_applicant(number) if number else None
    guess = {"cccd": number} if number.isdigit() and len(number) == 12 else {"tax_code": number} if number else {}
    return render(request, "workspace/_desk_applicant.html", {"found": found, "number": number, "guess": guess,
                                                              "searched": bool(number)})


@requires_role(Role.RECEPTIONIST)
def online_queue(request: HttpRequest) -> HttpResponse:
    """Online dossiers waiting for the desk (oldest first), and those waiting for the applicant's supplement."""
    tab = "bo-sung" if request.GET.get("tab") == "bo-sung" else "cho"
    state = State.INTAKE_SUPPLEMENT if tab == "bo-sung" else State.SUBMITTED
    mine = units_where(request.user, Role.RECEPTIONIST).values("pk")
    base = Dossier.objects.filter(channel=Channel.ONLINE, receiving_unit__in=mine)
    qs = base.filter(state=state).select_related("procedure_version__procedure", "applicant", "resolving_unit")
    page = page_of(qs, request.GET.get("sau"), field="submitted_at")
    counts = {"cho": base.filter(state=State.SUBMITTED).count(), "bo-sung": base.filter(state=State.INTAKE_SUPPLEMENT).count()}
    now = timezone.now()
    rows = [(d, _waiting(d.submitted_at, now)) for d in page.rows]
    return render(request, "workspace/online_queue.html", {"rows": rows, "tab": tab, "counts": counts,
                                                           "next_key": page.next_key})


def _waiting(since: dt.datetime, now: dt.datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} phút"
    if minutes < 24 * 60:
        return f"{minutes // 60} giờ {minutes % 60} phút"
    return f"{minutes // (24 * 60)} ngày {minutes % (24 * 60) // 60} giờ"

