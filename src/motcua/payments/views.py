"""Payment pages. Views read and call payments.services; the rules live there."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from motcua.dossiers.errors import DossierError, NotFound
from motcua.payments import services
from motcua.applicants.access import applicant_required, current_applicant
from motcua.payments.models import AttemptState
from motcua.payments.providers import NotConfigured
from motcua.payments.providers.base import Outcome

log = logging.getLogger(__name__)


def _dossier(request: HttpRequest, code: str):
    try:
        return services.dossier_of(current_applicant(request), code)
    except NotFound:
        raise Http404("Không tìm thấy hồ sơ.") from None


@never_cache
@applicant_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, code: str) -> HttpResponse:
    d = _dossier(request, code)
    error = None
    if request.method == "POST":
        try:
            _, url = services.start(d, user=request.user, client_ip=request.META.get("REMOTE_ADDR"),
                                    return_url=settings.PUBLIC_BASE_URL + reverse("payments:return"))
        except DossierError as exc:
            error = exc.message
        else:
            return HttpResponseRedirect(url)
    context = {
        "dossier": d, "key": code, "owed": services.owed(d), "error": error,
        "blocked": services.why_not_payable(d) or services.unavailable_reason(),
        "fees": d.fees.all(), "payments": d.payments.all(), "attempts": d.payment_attempts.all()[:5],
    }
    return render(request, "payments/start.html", context, status=200 if error is None else 422)


@csrf_exempt  # signed by the gateway, not by a form of ours
@require_GET
def ipn(request: HttpRequest) -> HttpResponse:
    try:
        settled = services.settle(request.GET, via="ipn")
    except NotConfigured:
        return JsonResponse({"RspCode": "99", "Message": "Payment not configured"}, status=503)
    if settled.outcome not in (Outcome.CONFIRMED, Outcome.ALREADY_CONFIRMED):
        log.warning("payment notification refused: %s %s", settled.outcome.value, request.GET.get("vnp_TxnRef", ""))
    return JsonResponse(settled.answer)


REFUSED = {
    Outcome.BAD_SIGNATURE: "Kết quả thanh toán không có chữ ký hợp lệ của cổng thanh toán nên không được ghi nhận.",
    Outcome.MALFORMED: "Kết quả thanh toán thiếu thông tin hoặc không đọc được nên không được ghi nhận.",
    Outcome.NOT_FOUND: "Không tìm thấy giao dịch thanh toán này.",
    Outcome.WRONG_AMOUNT: "Số tiền trong kết quả thanh toán không khớp với số tiền phải nộp nên không được ghi nhận.",
}


@never_cache
@require_GET
def result(request: HttpRequest) -> HttpResponse:
    try:
        settled = services.settle(request.GET, via="return")
    except NotConfigured:
        return render(request, "payments/result.html", {"refused": services.UNAVAILABLE}, status=503)
    if settled.outcome in REFUSED:
        return render(request, "payments/result.html", {"refused": REFUSED[settled.outcome]}, status=400)
    attempt = settled.attempt
    # The outcome is recorded whoever follows the link; details only for the dossier's applicant.
    applicant = current_applicant(request)
    mine = applicant is not None and attempt.dossier.applicant_id == applicant.pk
    return render(request, "payments/result.html", {
        "attempt": attempt, "mine": mine, "dossier": attempt.dossier, "states": AttemptState,
        "key": attempt.dossier.code or attempt.dossier.reference,
    })
