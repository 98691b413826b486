"""The dossier page: who, what was handed in, what happened (the ledger), the process control sheet,
why the due instant is what it is, the forms — and the buttons for exactly the commands this
officer may run now (``services.available_commands``). Each command is a small form posted with the
dossier ``version`` the page showed; the service runs it or refuses with its own message.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from motcua.calendar import CalendarError, Duration
from motcua.calendar.explain import explain
from motcua.dossiers import services
from motcua.dossiers.errors import Conflict, DossierError
from motcua.dossiers.files import read_checked
from motcua.dossiers.forms import FORM_NAMES, available_forms, dossier_form
from motcua.dossiers.models import (
    AgencyTask, Delivery, Dossier, DossierDocument, Extension, LedgerEvent, State,
)
from motcua.dossiers.progress import control_sheet, standing
from motcua.web.downloads import document_response
from motcua.workspace import commands as cmd
from motcua.workspace.access import dossier_for
from motcua.workspace.templatetags.workspace_tags import when

__all__ = ["page", "command", "apology_preview", "document", "form_pdf", "EVENT_LABELS", "when"]

EVENT_LABELS = {
    "submitted": "Nộp hồ sơ trực tuyến", "registered": "Nhận hồ sơ tại bộ phận một cửa",
    "accepted": "Tiếp nhận hồ sơ, cấp mã và hẹn ngày trả kết quả",
    "intake_supplement_requested": "Hướng dẫn bổ sung trước khi tiếp nhận (Mẫu 02)",
    "intake_supplement_recorded": "Đã bổ sung trước khi tiếp nhận", "intake_refused": "Từ chối tiếp nhận (Mẫu 03)",
    "claimed": "Nhận xử lý", "assigned": "Phân công xử lý", "forwarded": "Hoàn thành bước, chuyển bước tiếp theo",
    "sent_back": "Trả lại bước trước", "approved": "Lãnh đạo phê duyệt", "refused": "Từ chối giải quyết",
    "result_issued": "Ban hành kết quả", "result_returned": "Trả kết quả", "transferred": "Chuyển liên thông",
    "consulted": "Lấy ý kiến cơ quan khác", "task_completed": "Hoàn thành nhiệm vụ phối hợp",
    "supplement_requested": "Yêu cầu bổ sung hồ sơ (Mẫu 02)", "supplement_recorded": "Đã bổ sung hồ sơ",
    "apologised": "Xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)", "withdrawn": "Người nộp rút hồ sơ",
    "stopped": "Dừng giải quyết hồ sơ", "payment_requested": "Yêu cầu nộp phí, lệ phí",
    "payment_recorded": "Ghi nhận khoản nộp phí, lệ phí",
}
# Refusals worth showing to the officer whose work it is ("not now, and why"), beside the buttons.
NOT_NOW = {"second_apology", "apology_too_late", "second_supplement", "supplement_too_late", "open_tasks"}


def _forbidden(request, message: str) -> HttpResponse:
    return render(request, "workspace/forbidden.html", {"message": message}, status=403)


def with_dossier(view):
    """Resolve ``ident`` among the dossiers the user may see: 404 when there is none, 403 when it is
    another unit's (its files and forms too)."""
    @login_required
    @wraps(view)
    def wrapped(request, ident: str, *args, **kwargs):
        if not request.user.is_staff:  # applicants follow their dossiers on the public portal
            return _forbidden(request, "Trang này dành cho cán bộ.")
        try:
            d = dossier_for(request.user, ident, Dossier.objects.select_related(
                "procedure_version__procedure", "variant", "applicant", "resolving_unit", "receiving_unit",
                "returning_unit", "receiving_desk", "current_step__unit", "current_step__assignee"))
        except PermissionDenied as exc:
            return _forbidden(request, str(exc))
        return view(request, d, *args, **kwargs)
    return wrapped


# --- the page ---------------------------------------------------------------------------------------------


def _explanation(d: Dossier) -> dict | None:
    if d.clock_start is None:
        return None
    try:
        deadline = services.deadline_of(d)
        result = explain(deadline.calendar, deadline.start, deadline.duration,
                         [(p.start, p.end) for p in deadline.pauses], deadline.cutoff,
                         reasons=[p.reason for p in deadline.pauses])
    except (CalendarError, DossierError) as exc:
        return {"lines": [f"Không giải thích được hạn: {exc}"]}
    lines = list(result.lines)
    if d.supplement_rule == "restart" and d.clock_start != d.received_at:
        lines.insert(0, f"Hồ sơ đã được bổ sung; thời hạn tính lại từ đầu kể từ {when(d.clock_start)} "
                        "(NĐ 61/2018 Điều 19 khoản 4).")
    extension = Extension.objects.filter(dossier=d).first()
    if extension is not None:
        lines.append(f"Xin lỗi và hẹn lại (văn bản số {extension.number}): thêm "
                     f"{Duration(extension.by_value, extension.by_unit)} từ {when(extension.previous_due_at)}; "
                     f"hạn trả kết quả mới: {when(extension.new_due_at)}.")
    return {"lines": lines, "title": deadline.calendar.title}


def _documents(d: Dossier) -> list[dict]:
    rows = []
    for doc in DossierDocument.objects.filter(dossier=d).order_by("pk"):
        kind = "pdf" if doc.content_type == "application/pdf" else "image" if doc.content_type.startswith("image/") \
            else ""
        rows.append({"doc": doc, "preview": kind if doc.file else "",
                     "url": reverse("workspace:document", args=[_ident(d), doc.pk]) if doc.file else ""})
    return rows


def _ident(d: Dossier) -> str:
    return d.code or str(d.reference)


def _commands(d: Dossier, user, now) -> tuple[list[dict], list[dict]]:
    """(buttons: the commands this user may run now, notes: this user's commands refused for now)."""
    available = services.available_commands(d, user, now)
    buttons, notes = [], []
    for key, refusal in available.items():
        name, _, task = key.partition(":")
        spec = cmd.COMMANDS.get(name)
        if spec is None:
            continue
        if refusal is None:
            buttons.append({"key": key.replace(":", "-"), "spec": spec, "task": task})
        elif refusal.code in NOT_NOW or isinstance(refusal, Conflict):
            notes.append({"spec": spec, "message": refusal.message})
    return buttons, notes


def context(request: HttpRequest, d: Dossier, *, error: DossierError | None = None, failed: str = "") -> dict:
    now = timezone.now()
    buttons, notes = _commands(d, request.user, now)
    names = {b["spec"].name for b in buttons}
    events = list(LedgerEvent.objects.filter(dossier=d).order_by("seq")
                  .values("seq", "type", "actor_name", "at", "reason"))
    for e in events:
        e["label"] = EVENT_LABELS.get(e["type"], e["type"])
    show = request.GET.get("in", "")
    forms = available_forms(d)
    ctx = {
        "d": d, "ident": _ident(d), "now": now, "standing": standing(d, now), "buttons": buttons, "notes": notes,
        "events": events, "sheet": control_sheet(d, now), "explanation": _explanation(d),
        "documents": _documents(d), "forms": [(f, FORM_NAMES[f][0]) for f in forms],
        "show_form": show if show in forms else "", "show_form_name": FORM_NAMES.get(show, ("",))[0],
        "tasks": list(AgencyTask.objects.filter(dossier=d).select_related("unit").order_by("batch", "sequence_no")),
        "supplements": list(d.supplements.order_by("requested_at")), "fees": list(d.fees.order_by("order")),
        "payments": list(d.payments.order_by("paid_at", "pk")), "state_label": State(d.state).label,
        "delivery_label": Delivery(d.delivery).label, "error": error, "failed": failed,
        "posted": request.POST if error is not None else {},
        "duration_units": cmd.DURATION_UNITS, "kind_choices": cmd.KIND_CHOICES,
        "delivery_choices": cmd.DELIVERY_CHOICES, "payment_choices": cmd.PAYMENT_CHOICES,
        "mode_choices": cmd.MODE_CHOICES, "owed": d.fee_total - d.fee_paid,
        "apology_last": when(services.apology_deadline(d)) if "apologise" in names else "",
        "assignees": cmd.assignees(d) if "assign" in names else [],
        "partners": cmd.partner_units(d) if names & {"transfer", "consult"} else [],
        "step": d.current_step, "when": when,
    }
    return ctx


@with_dossier
def page(request: HttpRequest, d: Dossier) -> HttpResponse:
    return render(request, "workspace/dossier.html", context(request, d))


# --- commands ---------------------------------------------------------------------------------------------


def _refused(request, d: Dossier, name: str, exc: DossierError) -> HttpResponse:
    reload = reverse("workspace:dossier", args=[_ident(d)])
    if request.htmx:
        return render(request, "workspace/_command_error.html",
                      {"error": exc, "conflict": isinstance(exc, Conflict), "reload": reload}, status=exc.status)
    fresh = Dossier.objects.select_related("procedure_version__procedure", "variant", "applicant", "resolving_unit",
                                           "receiving_unit", "returning_unit", "receiving_desk",
                                           "current_step__unit").get(pk=d.pk)
    return render(request, "workspace/dossier.html", context(request, fresh, error=exc, failed=name),
                  status=exc.status)


@require_POST
@with_dossier
def command(request: HttpRequest, d: Dossier, name: str) -> HttpResponse:
    spec = cmd.COMMANDS.get(name)
    if spec is None:
        raise Http404("Không có thao tác này.")
    try:
        cmd.run(spec, d, request.user, request.POST, request.FILES)
    except DossierError as exc:
        return _refused(request, d, name, exc)
    messages.success(request, spec.done)
    d.refresh_from_db(fields=["code", "reference"])
    url = reverse("workspace:dossier", args=[_ident(d)])
    if spec.show:
        url += f"?in={spec.show}"
    back = request.POST.get("next", "")
    if back.startswith("/can-bo/") and url_has_allowed_host_and_scheme(back, {request.get_host()}):
        url = back  # a page that posts a command for the officer to stay on it (the return desk)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@with_dossier
def apology_preview(request: HttpRequest, d: Dossier) -> HttpResponse:
    """The new appointment the calendar gives for the extension typed in the apology dialog."""
    try:
        extension = cmd.duration(request.GET)
        if d.due_at is None:
            raise DossierError("Hồ sơ chưa có hạn trả kết quả.")
        new_due = services.calendar_of(d).due(d.due_at, extension)
    except (DossierError, CalendarError) as exc:
        return render(request, "workspace/_apology_preview.html", {"error": str(exc)})
    return render(request, "workspace/_apology_preview.html",
                  {"new_due": when(new_due), "old_due": when(d.due_at), "extension": str(extension)})


# --- files and forms --------------------------------------------------------------------------------------


@xframe_options_sameorigin
@with_dossier
def document(request: HttpRequest, d: Dossier, doc_id: int) -> HttpResponse:
    doc = DossierDocument.objects.filter(dossier=d, pk=doc_id).exclude(file="").first()
    if doc is None:
        raise Http404("Không tìm thấy tệp.")
    data = read_checked(doc)
    if data is None:
        return _forbidden(request, "Tệp đã bị thay đổi so với khi nộp (sai mã SHA-256); không hiển thị.")
    return document_response(doc, data)


@xframe_options_sameorigin
@with_dossier
def form_pdf(request: HttpRequest, d: Dossier, form: str) -> HttpResponse:
    try:
        name, pdf = dossier_form(d, form)
    except DossierError as exc:
        raise Http404(exc.message) from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
