"""Public pages: rate a dossier's handling, send feedback (PAKN), read its status and answer.

Views read and call ``feedback.services``; every rule and message lives there.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from motcua.applicants.access import applicant_required, current_applicant
from motcua.dossiers.errors import Conflict, DossierError
from motcua.dossiers.models import Dossier
from motcua.dossiers.rules import CODE_PATTERN
from motcua.feedback import scoring, services
from motcua.feedback.models import Evaluation, Feedback, FeedbackKind

__all__ = ["rate", "submit", "status", "mine"]


def _points(raw: str | None) -> int | None:
    """A radio's value: "" (no answer / cannot judge) is None; anything but 0–2 stays out of range."""
    raw = (raw or "").strip()
    if raw == "":
        return None
    return int(raw) if raw in ("0", "1", "2", "3", "4", "5") else -1


def _given(context: dict, evaluation: Evaluation | None) -> None:
    if evaluation is not None:
        points = evaluation.points()
        context.update(evaluation=evaluation, given=[(c, points[c.number]) for c in scoring.criteria()],
                       given_satisfaction=scoring.SATISFACTION[evaluation.satisfaction])


def _timeliness(d: Dossier) -> str:
    """What the records say about criterion 1, shown beside it (the applicant still decides)."""
    if not (d.finished_at and d.original_due_at):
        return ""
    finished, due = timezone.localdate(d.finished_at), timezone.localdate(d.original_due_at)
    if finished < due:
        return "Theo hệ thống: hồ sơ có kết quả trước ngày hẹn trả."
    if finished == due:
        return "Theo hệ thống: hồ sơ có kết quả đúng ngày hẹn trả."
    return "Theo hệ thống: hồ sơ có kết quả sau ngày hẹn trả."


@applicant_required
def rate(request: HttpRequest, code: str) -> HttpResponse:
    d = (Dossier.objects.filter(code=code).select_related("procedure_version__procedure", "resolving_unit").first()
         if CODE_PATTERN.match(code) else None)
    if d is None or not services.is_own_dossier(request.user, d):
        # Someone else's dossier looks exactly like no dossier: a code alone reveals nothing.
        raise Http404("Không tìm thấy hồ sơ của Ông/Bà có mã này.")
    context = {"d": d, "criteria": scoring.criteria(), "satisfaction": scoring.SATISFACTION,
               "timeliness": _timeliness(d), "errors": {}, "chosen": {}}
    if request.method == "POST":
        chosen = {c.field: request.POST.get(c.field, "") for c in scoring.criteria()}
        chosen["satisfaction"] = request.POST.get("satisfaction", "")
        context.update(chosen=chosen, comment=request.POST.get("comment", ""))
        try:
            services.rate(code, request.user,
                          answers={c.number: _points(chosen[c.field]) for c in scoring.criteria()},
                          satisfaction=_points(chosen["satisfaction"]), comment=request.POST.get("comment", ""))
        except services.Invalid as exc:
            context["errors"] = exc.errors
            return render(request, "feedback/rate.html", context, status=422)
        except DossierError as exc:
            context["refusal"] = exc
            if isinstance(exc, Conflict):  # rated meanwhile: show the rating (theirs: ownership came first)
                _given(context, Evaluation.objects.filter(dossier=d).first())
            return render(request, "feedback/rate.html", context, status=exc.status)
        messages.success(request, "Cảm ơn Ông/Bà đã đánh giá. Ý kiến được dùng để đánh giá cán bộ và cơ quan "
                                  "giải quyết.")
        return redirect("feedback:rate", code=code)
    refusal = services.rating_refusal(d, request.user)
    context["refusal"] = refusal
    if isinstance(refusal, Conflict):  # already rated: show what was said, not an error page
        _given(context, Evaluation.objects.filter(dossier=d).first())
        return render(request, "feedback/rate.html", context)
    return render(request, "feedback/rate.html", context, status=refusal.status if refusal else 200)


_FIELDS = ("kind", "about", "procedure_code", "dossier_code", "subject", "content", "sender_name", "email", "phone")


def submit(request: HttpRequest) -> HttpResponse:
    applicant = current_applicant(request)
    values = {name: "" for name in _FIELDS}
    if request.method == "POST":
        values.update({name: request.POST.get(name, "") for name in _FIELDS})
        try:
            f = services.submit_feedback(
                actor=request.user if applicant else None, applicant=applicant,
                **{name: values[name] for name in _FIELDS if not (applicant and name == "sender_name")})
        except services.Invalid as exc:
            return render(request, "feedback/submit.html",
                          {"v": values, "errors": exc.errors, "applicant": applicant, "kinds": FeedbackKind.choices},
                          status=422)
        except DossierError as exc:
            return render(request, "feedback/submit.html",
                          {"v": values, "errors": {}, "problem": exc.message, "applicant": applicant,
                           "kinds": FeedbackKind.choices}, status=exc.status)
        messages.success(request, f"Đã gửi phản ánh, kiến nghị số {f.number}. Hãy lưu lại địa chỉ trang này để "
                                  "theo dõi kết quả xử lý; đường dẫn cũng được gửi đến thư điện tử hoặc điện thoại "
                                  "của Ông/Bà.")
        return redirect("feedback:status", token=f.token)
    values["dossier_code"] = request.GET.get("ho-so", "")[:60]
    values["procedure_code"] = request.GET.get("thu-tuc", "")[:20]
    values["about"] = "dossier" if values["dossier_code"] else "procedure"
    if applicant:
        values["email"], values["phone"] = applicant.email, applicant.phone
    return render(request, "feedback/submit.html",
                  {"v": values, "errors": {}, "applicant": applicant, "kinds": FeedbackKind.choices})


def status(request: HttpRequest, token: str) -> HttpResponse:
    f = (Feedback.objects.filter(token=token).select_related("unit", "procedure", "dossier").first()
         if 20 <= len(token) <= 64 else None)
    if f is None:
        raise Http404("Không tìm thấy phản ánh, kiến nghị.")
    response = render(request, "feedback/status.html",
                      {"f": f, "standing": services.feedback_standing(f, timezone.now())})
    response["Referrer-Policy"] = "no-referrer"  # the token is the key to the page: never leak it
    response["X-Robots-Tag"] = "noindex"
    return response


@applicant_required
def mine(request: HttpRequest) -> HttpResponse:
    rows = (Feedback.objects.filter(applicant=request.applicant).select_related("unit")
            .order_by("-submitted_at", "-id")[:200])
    return render(request, "feedback/mine.html", {"rows": rows})
