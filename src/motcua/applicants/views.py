"""Applicant account pages. Views read the form, call one service command and render its answer;
the rules live in ``services``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from motcua.accounts.models import ApplicantKind
from motcua.applicants import services
from motcua.applicants.access import applicant_required
from motcua.applicants.contact import ContactError, mask
from motcua.applicants.identities import sign_in_with_identity
from motcua.applicants.providers import ProviderError, enabled_providers, get_provider
from motcua.applicants.services import CodeError, LoginRefused, NotVerified

SESSION_LOGIN = "applicants_login"  # the login a code was last sent to, so the next page knows it


def _next_url(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return next_url
    return ""


def home_url() -> str:
    """Where a signed-in applicant lands: their dossiers when that page exists, else the profile."""
    try:
        return reverse("submission:mine")
    except NoReverseMatch:
        return reverse("applicants:profile")


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    """{field: messages}; errors about no one field go under "form" (templates cannot read "__all__")."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"form": exc.messages}
    return {("form" if key == "__all__" else key): value for key, value in errors.items()}


def login(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    error = None
    if request.method == "POST":
        try:
            user = services.sign_in(request, request.POST.get("login", ""), request.POST.get("password", ""))
        except NotVerified as exc:
            request.session[SESSION_LOGIN] = exc.account.login
            messages.warning(request, "Tài khoản chưa được xác thực: nhập mã đã gửi tới "
                                      f"{mask(exc.account.login)}, hoặc bấm “Gửi lại mã”.")
            return redirect("applicants:verify")
        except LoginRefused as exc:
            error = exc.message
        else:
            django_login(request, user)
            return redirect(next_url or home_url())
    return render(request, "applicants/login.html", {
        "error": error, "next": next_url, "login": request.POST.get("login", ""),
        "providers": enabled_providers(),
    }, status=200 if error is None else 400)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    django_logout(request)
    messages.info(request, "Đã đăng xuất.")
    return redirect("applicants:login")


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def register(request: HttpRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    form = request.POST if request.method == "POST" else {"kind": ApplicantKind.CITIZEN}
    if request.method == "POST":
        p = request.POST
        organisation = p.get("kind") == ApplicantKind.ORGANISATION
        data = services.Registration(
            kind=p.get("kind", ""), login=p.get("login", ""), password=p.get("password", ""),
            password2=p.get("password2", ""),
            full_name=p.get("org_name" if organisation else "full_name", ""),
            cccd=p.get("cccd", ""), tax_code=p.get("tax_code", ""),
            date_of_birth=_parse_date(p.get("date_of_birth", "")),
            address=p.get("org_address" if organisation else "address", ""),
            representative=p.get("representative", ""))
        try:
            started = services.register(data)
        except ValidationError as exc:
            errors = _errors(exc)
            if organisation:  # the organisation's fields carry their own names on the page
                errors = {{"full_name": "org_name", "address": "org_address"}.get(k, k): v for k, v in errors.items()}
        else:
            request.session[SESSION_LOGIN] = started.account.login
            _tell_sent(request, started)
            return redirect("applicants:verify")
    return render(request, "applicants/register.html", {
        "form": form, "errors": errors, "kinds": ApplicantKind.choices,
    }, status=400 if errors else 200)


def _tell_sent(request: HttpRequest, started: services.Started) -> None:
    if started.problem:
        messages.error(request, started.problem)
    else:
        messages.success(request, f"Đã gửi mã xác thực gồm 6 chữ số tới {mask(started.account.login)}.")


def verify(request: HttpRequest) -> HttpResponse:
    login_value = request.POST.get("login") or request.session.get(SESSION_LOGIN, "")
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "resend":
                _tell_sent(request, services.resend_code(login_value))
                request.session[SESSION_LOGIN] = login_value
                return redirect("applicants:verify")
            user = services.verify(login_value, request.POST.get("code", ""))
        except CodeError as exc:
            error = exc.message
        except ValidationError as exc:
            error = " ".join(m for ms in _errors(exc).values() for m in ms)
        else:
            request.session.pop(SESSION_LOGIN, None)
            django_login(request, user, backend="motcua.accounts.permissions.RoleBackend")
            messages.success(request, "Tài khoản đã được xác thực. Chào mừng Ông/Bà đến với Cổng dịch vụ công.")
            return redirect(home_url())
    return render(request, "applicants/verify.html", {
        "login": login_value, "masked": mask(login_value) if login_value else "", "error": error,
    }, status=400 if error else 200)


def password_reset(request: HttpRequest) -> HttpResponse:
    """Two steps on one page: the login (a code goes out if it has an account), then code + new password."""
    errors: dict[str, list[str]] = {}
    login_value = request.POST.get("login") or request.session.get(SESSION_LOGIN, "")
    step = "code" if request.GET.get("buoc") == "ma" and login_value else "login"
    if request.method == "POST" and request.POST.get("step") == "login":
        try:
            login = services.request_password_reset(request.POST.get("login", ""))
        except ContactError as exc:
            errors = {"login": [str(exc)]}
        else:
            request.session[SESSION_LOGIN] = login.value
            messages.info(request, "Nếu địa chỉ này có tài khoản, một mã đặt lại mật khẩu gồm 6 chữ số đã được gửi "
                                   "tới đó. Mã có hiệu lực trong ít phút.")
            return redirect(reverse("applicants:password_reset") + "?buoc=ma")
    elif request.method == "POST" and request.POST.get("step") == "code":
        step = "code"
        try:
            services.reset_password(login_value, request.POST.get("code", ""), request.POST.get("password", ""),
                                    request.POST.get("password2", ""))
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            request.session.pop(SESSION_LOGIN, None)
            messages.success(request, "Đã đặt mật khẩu mới. Mời đăng nhập.")
            return redirect("applicants:login")
    return render(request, "applicants/password_reset.html", {
        "step": step, "login": login_value, "errors": errors,
    }, status=400 if errors else 200)


@applicant_required
def profile(request: HttpRequest) -> HttpResponse:
    applicant = request.applicant
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        p = request.POST
        try:
            services.update_contact(applicant, services.ContactDetails(
                address=p.get("address", ""), phone=p.get("phone", ""), email=p.get("email", ""),
                representative=p.get("representative", "")))
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, "Đã lưu thông tin liên hệ.")
            return redirect("applicants:profile")
    form = request.POST if request.method == "POST" else {
        "address": applicant.address, "phone": applicant.phone, "email": applicant.email,
        "representative": request.user.full_name,
    }
    account = getattr(request.user, "portal_account", None)
    return render(request, "applicants/profile.html", {
        "applicant": applicant, "form": form, "errors": errors, "account": account,
        "organisation": applicant.kind == ApplicantKind.ORGANISATION,
    }, status=400 if errors else 200)


# --- identity providers -------------------------------------------------------------------------

SESSION_NEXT = "applicants_provider_next"


def _redirect_uri(name: str) -> str:
    """The return address registered at the provider: on the portal's public address."""
    from django.conf import settings

    return settings.PUBLIC_BASE_URL + reverse("applicants:provider_callback", args=[name])


def _provider_or_404(name: str):
    provider = get_provider(name)
    if provider is None:
        raise Http404("Không có nhà cung cấp định danh này.")
    return provider


@require_POST
def provider_start(request: HttpRequest, name: str) -> HttpResponse:
    provider = _provider_or_404(name)
    try:
        url = provider.begin(request, _redirect_uri(name))
    except ProviderError as exc:
        return render(request, "applicants/provider_error.html", {"error": exc.message}, status=502)
    request.session[SESSION_NEXT] = _next_url(request)
    return redirect(url)


def provider_callback(request: HttpRequest, name: str) -> HttpResponse:
    provider = _provider_or_404(name)
    try:
        identity = provider.complete(request, _redirect_uri(name))
        user = sign_in_with_identity(identity)
    except ProviderError as exc:
        return render(request, "applicants/provider_error.html", {"error": exc.message, "provider": provider},
                      status=400)
    django_login(request, user, backend="motcua.accounts.permissions.RoleBackend")
    messages.success(request, f"Đã đăng nhập bằng {provider.label}.")
    return redirect(request.session.pop(SESSION_NEXT, "") or home_url())
