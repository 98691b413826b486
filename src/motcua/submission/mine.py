"""My dossiers: the applicant's list (drafts and dossiers) and one dossier's page, with the answer to a
supplement request and the files and forms the applicant may download. Another applicant's dossier
is a 404: its existence is not revealed."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from motcua.applicants.access import applicant_required, current_applicant
from motcua.dossiers.errors import Conflict, DossierError
from motcua.dossiers.files import read_checked
from motcua.dossiers.forms import FORM_NAMES, available_forms, dossier_form
from motcua.dossiers.models import Delivery, DocumentStage, Dossier
from motcua.submission import tracking
from motcua.submission.form import ident
from motcua.submission.models import Draft
from motcua.web.downloads import document_response

__all__ = ["mine", "detail", "document", "form_pdf", "PAGE_SIZE"]

PAGE_SIZE = 20


@applicant_required
def mine(request: HttpRequest) -> HttpResponse:
    applicant = current_applicant(request)
    open_drafts = list(Draft.objects.filter(applicant=applicant, submitted_at__isnull=True)
                       .select_related("variant__version__procedure").order_by("-updated_at", "-id"))
    dossiers = (Dossier.objects.filter(applicant=applicant)
                .select_related("procedure_version__procedure", "variant").order_by("-submitted_at", "-id"))
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("trang"))
    rows = [{"d": d, "ident": ident(d), "status": tracking.status_words(d)} for d in page.object_list]
    return render(request, "submission/mine.html", {"drafts": open_drafts, "rows": rows, "page": page})


def _detail_context(d: Dossier, *, error: DossierError | None = None) -> dict:
    now = timezone.now()
    forms = [f for f in available_forms(d) if f in tracking.FORMS_FOR_APPLICANT]
    supplement = tracking.open_supplement(d)
    return {
        "d": d, "ident": ident(d), "procedure": d.procedure_version.procedure, "status": tracking.status_words(d),
        "clock": tracking.clock(d, now), "explanation": tracking.explanation(d), "supplement": supplement,
        "supplement_items": list(enumerate(supplement.items)) if supplement else [],
        "supplements": list(d.supplements.order_by("requested_at")), "messages_sent": tracking.sent_messages(d),
        "results": list(tracking.results(d)),
        "handed_in": list(d.documents.exclude(stage=DocumentStage.RESULT).order_by("pk")),
        "forms": [(f, FORM_NAMES[f][0]) for f in forms], "owed": d.fee_total - d.fee_paid,
        "fees": list(d.fees.order_by("order")), "delivery": Delivery(d.delivery).label,
        "finished": d.finished_at is not None, "error": error,
    }


@require_http_methods(["GET", "POST"])
@applicant_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    applicant = current_applicant(request)
    try:
        d = tracking.my_dossier(applicant, code)
    except DossierError:
        raise Http404("Không tìm thấy hồ sơ.") from None
    if request.method == "GET":
        return render(request, "submission/detail.html", _detail_context(d))
    # The answer to a supplement request: one file input per listed item.
    files = {}
    for key in request.FILES:
        prefix, _, number = key.partition("-")
        if prefix == "item" and number.isdigit():
            files[int(number)] = request.FILES.getlist(key)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1  # a page without the version is stale by definition
    try:
        d, said = tracking.answer_supplement(d, request.user, version=version, files=files)
    except DossierError as exc:
        fresh = tracking.my_dossier(applicant, code)
        status = 409 if isinstance(exc, Conflict) else exc.status
        return render(request, "submission/detail.html", _detail_context(fresh, error=exc), status=status)
    messages.success(request, said)
    return redirect("submission:detail", code=ident(d))


def _owned(request: HttpRequest, code: str) -> Dossier:
    try:
        return tracking.my_dossier(current_applicant(request), code)
    except DossierError:
        raise Http404("Không tìm thấy hồ sơ.") from None


@applicant_required
def document(request: HttpRequest, code: str, doc_id: int) -> HttpResponse:
    """One file of the applicant's own dossier (what they handed in, or the result), checked against
    the SHA-256 recorded when it was stored."""
    d = _owned(request, code)
    doc = d.documents.filter(pk=doc_id).exclude(file="").first()
    if doc is None:
        raise Http404("Không tìm thấy tệp.")
    data = read_checked(doc)
    if data is None:
        return render(request, "submission/refused.html",
                      {"message": "Tệp đã bị thay đổi so với khi lưu (sai mã SHA-256); không tải về được. "
                                  "Vui lòng liên hệ bộ phận một cửa."}, status=409)
    return document_response(doc, data, attachment=doc.stage == DocumentStage.RESULT)


@applicant_required
def form_pdf(request: HttpRequest, code: str, form: str) -> HttpResponse:
    """A one-stop form of the applicant's own dossier (the receipt Mẫu 01, Mẫu 02 …) as PDF."""
    d = _owned(request, code)
    if form not in tracking.FORMS_FOR_APPLICANT or form not in available_forms(d):
        raise Http404("Hồ sơ chưa có biểu mẫu này.")
    name, pdf = dossier_form(d, form)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response

