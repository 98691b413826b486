"""Staff pages for feedback (PAKN): the list of the units the officer sees, sorted by deadline, and
one feedback with the answer, decline and transfer forms. Same login and scope as the workspace."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from motcua.dossiers.errors import DossierError
from motcua.feedback import services
from motcua.feedback.models import Feedback, FeedbackKind, FeedbackState
from motcua.org.models import OrgUnit
from motcua.workspace.access import requires_role

__all__ = ["listing", "detail", "act"]

TABS = {"mo": ("Đang xử lý", True), "xong": ("Đã xử lý", False)}
PAGE = 100


@requires_role(*services.VIEWER_ROLES)
def listing(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "mo"
    mine = services.handled_by(request.user)
    open_ = mine.filter(state=FeedbackState.OPEN)
    rows = (open_.order_by("answer_due_at", "id") if TABS[tab][1]
            else mine.exclude(state=FeedbackState.OPEN).order_by("-closed_at", "-id"))
    now = timezone.now()
    context = {"tab": tab, "tabs": TABS, "counts": {"mo": open_.count()},
               "overdue": open_.filter(answer_due_at__lt=now).count(),
               "rows": [(f, services.feedback_standing(f, now)) for f in rows.select_related("unit")[:PAGE]]}
    return render(request, "feedback/staff_list.html", context)


def _visible(request: HttpRequest, pk: int) -> Feedback:
    f = services.handled_by(request.user).filter(pk=pk).select_related("unit", "procedure", "dossier").first()
    if f is None:
        if Feedback.objects.filter(pk=pk).exists():
            raise PermissionDenied("Phản ánh này không thuộc phạm vi đơn vị của bạn.")
        raise Http404("Không tìm thấy phản ánh, kiến nghị.")
    return f


def _page(request, f: Feedback, *, errors=None, problem="", values=None, status=200) -> HttpResponse:
    context = {"f": f, "standing": services.feedback_standing(f, timezone.now()), "kinds": FeedbackKind.choices,
               "units": OrgUnit.objects.exclude(pk=f.unit_id).order_by("path").only("pk", "name", "depth"),
               "errors": errors or {}, "problem": problem, "v": values or {"kind": f.kind}}
    return render(request, "feedback/staff_detail.html", context, status=status)


@requires_role(*services.VIEWER_ROLES)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _visible(request, pk))


ACTIONS = {
    "tra-loi": (lambda r, pk: services.answer_feedback(pk, r.user, answer=r.POST.get("answer", ""),
                                                       kind=r.POST.get("kind") or None,
                                                       unfounded=r.POST.get("unfounded") == "on"),
                "Đã gửi trả lời đến người phản ánh."),
    "tu-choi": (lambda r, pk: services.decline_feedback(pk, r.user, reason=r.POST.get("reason", "")),
                "Đã thông báo không thụ lý đến người phản ánh."),
    "chuyen": (lambda r, pk: services.transfer_feedback(pk, r.user, unit=_int(r.POST.get("unit"))),
               "Đã chuyển phản ánh; thời hạn xử lý tính lại từ bây giờ."),
}


def _int(value) -> int | None:
    return int(value) if (value or "").isdigit() else None


@require_POST
@requires_role(*services.VIEWER_ROLES)
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("Không có thao tác này.")
    f = _visible(request, pk)
    run, done = ACTIONS[action]
    try:
        run(request, pk)
    except services.Invalid as exc:
        f.refresh_from_db()
        return _page(request, f, errors=exc.errors, values=request.POST, status=422)
    except DossierError as exc:
        f.refresh_from_db()
        return _page(request, f, problem=exc.message, values=request.POST, status=exc.status)
    messages.success(request, done)
    return redirect("feedback:staff_detail", pk=pk)
