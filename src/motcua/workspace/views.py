"""Staff workspace pages. Views only read and call services; the rules live in the services."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from motcua.dossiers.models import Channel
from motcua.workspace.clock import Clock
from motcua.workspace.inbox import STATE_CHOICES, TABS, Filters, page_of, task_queryset
from motcua.workspace.login import LoginRefused, staff_login
from motcua.workspace.menu import WORK_ROLES, roles_of


def login(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    error = None
    if request.method == "POST":
        try:
            user = staff_login(request, request.POST.get("username", ""), request.POST.get("password", ""))
        except LoginRefused as exc:
            error = exc.message
        else:
            django_login(request, user)
            return redirect(next_url or "workspace:inbox")
    return render(request, "workspace/login.html", {"error": error, "next": next_url,
                                                    "username": request.POST.get("username", "")},
                  status=200 if error is None else 400)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through the same page, so the lockout holds for every staff login."""
    next_url = request.GET.get("next") or "/admin/"
    return redirect(f"{reverse('workspace:login')}?{urlencode({'next': next_url})}")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    django_logout(request)
    messages.info(request, "Đã đăng xuất.")
    return redirect("workspace:login")


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if not roles_of(request.user) & WORK_ROLES:
        return render(request, "workspace/no_tasks.html", status=403)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "mine"
    filters = Filters.read(request.GET)
    clock = Clock(timezone.now())
    page = page_of(task_queryset(request.user, tab, filters), request.GET.get("sau"))
    rows = []
    for step in page.rows:
        if step.dossier.current_step_id == step.pk:
            step.dossier.current_step = step  # the open step is the current one: no second query
        rows.append((step, clock.standing(step.dossier)))
    counts = {key: task_queryset(request.user, key, filters).count() for key in TABS}
    query = filters.query()
    context = {"tab": tab, "tabs": TABS, "rows": rows, "counts": counts, "next_key": page.next_key,
               "filters": filters, "filter_query": urlencode(query), "channels": Channel.choices,
               "states": STATE_CHOICES}
    if request.htmx and request.GET.get("partial") == "1":
        return render(request, "workspace/_inbox_results.html", context)
    return render(request, "workspace/inbox.html", context)
