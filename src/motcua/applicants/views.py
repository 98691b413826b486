"""Applicant account pages (work in progress: the URL names are the contract)."""

from __future__ import annotations

from django.contrib.auth import logout as django_logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from motcua.applicants.access import applicant_required


def _todo(request):
    return HttpResponse("Đang xây dựng.", content_type="text/plain; charset=utf-8")


login = register = verify = password_reset = _todo


@require_POST
def logout(request):
    django_logout(request)
    return redirect("/")


@applicant_required
def profile(request):
    return _todo(request)
