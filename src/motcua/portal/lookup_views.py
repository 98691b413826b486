"""/tra-cuu/: the public dossier lookup (what the receipt's QR code opens, with ?ma=<code>)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from motcua.portal import lookup as service
from motcua.portal import throttle

WRONG = ("Không tìm thấy hồ sơ với thông tin đã nhập. Kiểm tra lại mã hồ sơ trên giấy tiếp nhận và "
         "4 chữ số cuối của số điện thoại hoặc số CCCD / mã số thuế.")
TOO_MANY = "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau {minutes} phút."


def client_address(request: HttpRequest) -> str:
    """The peer address. Behind a reverse proxy, let the server (waitress' trusted_proxy) put the
    client's address there; a header the client can forge is never read here."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    context = {"code": service.normalise_code(request.GET.get("ma", ""))[:service.MAX_CODE_LENGTH], "errors": {},
               "result": None, "wrong": ""}
    if request.method == "GET":
        if request.GET.get("ref"):
            return _by_reference(request, context)
        return render(request, "portal/lookup.html", context)
    context["code"] = request.POST.get("ma", "")[:200]
    try:
        asked = service.LookupRequest.parse(request.POST.get("ma", ""), request.POST.get("so", ""))
    except service.LookupInvalid as exc:
        context["errors"] = exc.errors
        return render(request, "portal/lookup.html", context, status=400)
    context["code"] = asked.code
    now = timezone.now()
    refused = _throttled(request, context, service.limits_for(client_address(request), asked.code), now)
    if refused is not None:
        return refused
    result = service.find(asked, now)
    if result is None:
        context["wrong"] = WRONG
        return render(request, "portal/lookup.html", context, status=404)
    context["result"] = result
    return render(request, "portal/lookup.html", context)


def _throttled(request, context, limits, now) -> HttpResponse | None:
    try:
        throttle.hit(limits, now, settings.MOTCUA_LOOKUP_WINDOW)
    except throttle.Throttled as exc:
        context["wrong"] = TOO_MANY.format(minutes=max(1, -(-exc.retry_after // 60)))
        response = render(request, "portal/lookup.html", context, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return None


def _by_reference(request: HttpRequest, context: dict) -> HttpResponse:
    """?ref=<uuid>: the link in messages sent before reception (no code yet); counted per client."""
    now = timezone.now()
    limits = [throttle.Limit(throttle.digest("ip", client_address(request)), settings.MOTCUA_LOOKUP_PER_IP)]
    refused = _throttled(request, context, limits, now)
    if refused is not None:
        return refused
    result = service.find_by_reference(request.GET["ref"][:100], now)
    if result is None:
        context["wrong"] = WRONG
        return render(request, "portal/lookup.html", context, status=404)
    context["result"] = result
    return render(request, "portal/lookup.html", context)
