"""The guided form: start or resume a draft, save it, submit it, and the receipt afterwards.

Views only read the request and render; every decision is in ``drafts`` (and, for the dossier, in
``dossiers.services``). A refusal re-renders the page with status 422, the typed values kept and
each message tied to its field.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from motcua.dossiers.errors import DossierError, NotFound
from motcua.dossiers.models import Delivery
from motcua.submission import drafts
from motcua.applicants.access import applicant_required, current_applicant
from motcua.submission.models import Draft

__all__ = ["start", "draft", "receipt", "ident"]


def ident(dossier) -> str:
    """A dossier's public key in links: its code once received, its reference before."""
    return dossier.code or str(dossier.reference)


def _refused(request: HttpRequest, exc: DossierError) -> HttpResponse:
    status = 404 if isinstance(exc, NotFound) else exc.status
    return render(request, "submission/refused.html", {"message": exc.message}, status=status)


@require_http_methods(["GET", "POST"])
@applicant_required
def start(request: HttpRequest, variant: int) -> HttpResponse:
    """Create (or resume) this applicant's draft for the variant, then go to its stable link."""
    try:
        found = drafts.online_variant(variant)
        made = drafts.start(current_applicant(request), found)
    except DossierError as exc:
        return _refused(request, exc)
    return redirect("submission:draft", uuid=made.uuid)


def _context(draft: Draft, *, form: drafts.DraftInput | None = None, errors: dict | None = None) -> dict:
    variant = draft.variant
    data = draft.data or {}
    values = dict(data)
    values.update(delivery=draft.delivery, delivery_address=draft.delivery_address)
    if form is not None:  # a refused post: show what was typed, not what is stored
        values.update(form.__dict__)
    variables = drafts.fee_variables(variant)
    inputs = values.get("fee_inputs") or {}
    deliveries = [(value, label) for value, label in Delivery.choices
                  if value != Delivery.POST or variant.version.postal_return]
    errors = errors or {}
    return {
        "draft": draft, "variant": variant, "version": variant.version, "procedure": variant.version.procedure,
        "applicant": draft.applicant, "values": values, "errors": errors,
        "error_list": [(key, message) for key, items in errors.items() for message in items],
        "checklist": [{**row, "errors": errors.get(f"doc-{row['doc'].pk}", [])} for row in drafts.checklist(draft)], "fees": drafts.fee_preview(variant, inputs),
        "fee_fields": [{"name": v, "value": inputs.get(v, ""), "errors": errors.get(f"fee_{v}", [])}
                       for v in variables],
        "deliveries": deliveries, "units": drafts.resolving_choices(variant),
        "max_mb": settings.MOTCUA_MAX_UPLOAD_MB,
        "max_files": drafts.MAX_FILES_PER_DOCUMENT,
    }


def _uploads(request: HttpRequest) -> dict[int, list]:
    found: dict[int, list] = {}
    for key in request.FILES:
        prefix, _, number = key.partition("-")
        if prefix == "doc" and number.isdigit():
            found[int(number)] = request.FILES.getlist(key)
        else:
            found[-1] = request.FILES.getlist(key)  # not a document of this form: refused by the service
    return found


@require_http_methods(["GET", "POST"])
@applicant_required
def draft(request: HttpRequest, uuid) -> HttpResponse:
    try:
        found = drafts.get_draft(current_applicant(request), uuid)
    except DossierError as exc:
        return _refused(request, exc)
    if found.dossier_id is not None:
        return redirect("submission:receipt", uuid=found.uuid)
    if request.method == "GET":
        return render(request, "submission/draft.html", _context(found))

    form = drafts.DraftInput.from_post(request.POST, drafts.fee_variables(found.variant))
    remove = [int(v) for v in request.POST.getlist("remove") if v.isdigit()]
    action = request.POST.get("action", "save")
    try:
        found = drafts.save(found, form, _uploads(request), remove)
        if action == "submit":
            drafts.submit(found, request.user)
            return redirect("submission:receipt", uuid=found.uuid)
    except drafts.DraftRefused as exc:
        found.refresh_from_db()
        return render(request, "submission/draft.html", _context(found, form=form, errors=exc.errors), status=422)
    except DossierError as exc:
        if exc.code == "draft_submitted":  # the other click of a double click won: its receipt
            return redirect("submission:receipt", uuid=found.uuid)
        found.refresh_from_db()
        return render(request, "submission/draft.html", _context(found, form=form, errors={"__all__": [exc.message]}),
                      status=exc.status)
    if remove:
        messages.success(request, "Đã xóa tệp khỏi bản nháp.")
    else:
        messages.success(request, "Đã lưu bản nháp. Bạn có thể tiếp tục sau, từ đường dẫn này, trên bất kỳ thiết bị "
                                  "nào sau khi đăng nhập.")
    return redirect("submission:draft", uuid=found.uuid)


@applicant_required
def receipt(request: HttpRequest, uuid) -> HttpResponse:
    """After submitting: the dossier's reference, what happens next, the way to follow it."""
    try:
        found = drafts.get_draft(current_applicant(request), uuid)
    except DossierError as exc:
        return _refused(request, exc)
    if found.dossier_id is None:
        return redirect("submission:draft", uuid=found.uuid)
    d = found.dossier
    return render(request, "submission/receipt.html", {
        "draft": found, "d": d, "ident": ident(d), "procedure": d.procedure_version.procedure,
        "owed": d.fee_total - d.fee_paid, "files": d.documents.count(),
    })
