"""Commands of the evaluation and feedback (PAKN): each one transaction, checked, with Vietnamese refusals.

- ``rate``: the dossier's applicant rates its handling once the result exists (TT 01/2018). The
  dossier row is locked, the rating stored, and an ``evaluated`` event appended to the dossier's
  ledger carrying the whole rating (``ledger.append(attached=...)``), so statistics can be rebuilt
  from events and ``verify_evaluations`` can tell a rating edited behind the ledger's back.
- ``submit_feedback``: anyone sends feedback about a procedure or a dossier; it is routed to the
  responsible unit with its handling deadlines (QĐ 766 indicator 5.2) and acknowledged through the
  outbox with its status link.
- ``answer_feedback`` / ``decline_feedback`` / ``transfer_feedback``: staff of the unit handle it; the
  answer reaches the sender through the outbox.

Refusals are ``dossiers.errors`` classes (422 / 403 / 404 / 409); ``Invalid`` carries every field's
message at once so a form can show them all. Nothing is written when a command is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from motcua.accounts.models import Applicant, Role
from motcua.accounts.scope import visible_units
from motcua.calendar import CalendarError
from motcua.catalog.models import Procedure
from motcua.dossiers import report_facts
from motcua.dossiers.errors import Conflict, DossierError, NotAllowed, NotFound
from motcua.dossiers.ledger import COLLECTIONS, append
from motcua.dossiers.models import Dossier, LedgerEvent, State
from motcua.dossiers.rules import CODE_PATTERN
from motcua.dossiers.services import instant_of
from motcua.feedback import deadlines, scoring
from motcua.feedback.models import (
    INDICATOR_FIELDS, Evaluation, EvaluationChannel, Feedback, FeedbackKind, FeedbackState,
)
from motcua.org.models import OrgUnit, UnitKind
from motcua.text import nfc
from motcua.worktime.services import calendar_of_unit

__all__ = [
    "Invalid", "RATABLE_STATES", "HANDLER_ROLES", "VIEWER_ROLES",
    "is_own_dossier", "rating_refusal", "rate", "evaluation_fragment", "verify_evaluations",
    "route", "submit_feedback", "answer_feedback", "decline_feedback", "transfer_feedback",
    "handled_by", "status_url", "feedback_standing",
]

# A rating needs the handling's outcome: the result (issued or handed back) or the refusal to grant.
RATABLE_STATES = (State.RESULT_READY, State.RETURNED, State.REFUSED)
HANDLER_ROLES = (Role.RECEPTIONIST, Role.SPECIALIST, Role.LEADER)
VIEWER_ROLES = (*HANDLER_ROLES, Role.CLERK, Role.INSPECTOR)
MAX_COMMENT = 2000
MAX_CONTENT = 5000
MAX_ANSWER = 10000
_PHONE = re.compile(r"(0|\+84)[0-9]{9,10}")
_NO_EVENT = {"dossier": {}, **{key: [] for key in COLLECTIONS}}


class Invalid(DossierError):
    """Bad input on several fields at once: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(message, code="invalid", field=field)
        self.errors = errors


def is_own_dossier(actor, d: Dossier) -> bool:
    """Is ``actor`` the signed-in account of the dossier's applicant?"""
    return _is_applicant(actor, d)


def _is_applicant(actor, d: Dossier) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active
                and Applicant.objects.filter(user_id=actor.pk, pk=d.applicant_id).exists())


# --- evaluation -------------------------------------------------------------------------------------


def _dossier(code: str) -> Dossier:
    code = (code or "").strip()
    found = Dossier.objects.filter(code=code).first() if CODE_PATTERN.match(code) else None
    if found is None:
        raise NotFound("Không tìm thấy hồ sơ có mã này.")
    return found


def rating_refusal(d: Dossier, actor) -> DossierError | None:
    """Why ``actor`` may not rate ``d`` now (None: they may)."""
    if not _is_applicant(actor, d):
        return NotAllowed("Chỉ người đứng tên nộp hồ sơ được đánh giá việc giải quyết hồ sơ này.")
    if d.state not in RATABLE_STATES:
        if d.finished_at is not None or d.state == State.INTAKE_REFUSED:
            return DossierError(f"Hồ sơ đã kết thúc ở trạng thái “{d.get_state_display()}”, không có kết quả "
                                "giải quyết để đánh giá.", code="no_result")
        return DossierError("Hồ sơ chưa có kết quả giải quyết. Ông/Bà đánh giá được sau khi có kết quả.",
                            code="not_finished")
    done = Evaluation.objects.filter(dossier_id=d.pk).values_list("rated_at", flat=True).first()
    if done is not None:
        return Conflict(f"Hồ sơ này đã được đánh giá lúc {timezone.localtime(done):%H:%M ngày %d/%m/%Y}; "
                        "mỗi hồ sơ chỉ được đánh giá một lần.", code="already_rated")
    return None


def _already_rated() -> Conflict:
    return Conflict("Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ được đánh giá một lần.", code="already_rated")


def _sheet(answers, satisfaction) -> dict[int, int | None]:
    try:
        return scoring.check_answers(answers, satisfaction)
    except scoring.ScoringError as exc:
        raise Invalid(exc.errors) from None


def evaluation_fragment(e: Evaluation) -> dict[str, Any]:
    """The rating as the ledger event carries it (and as ``verify_evaluations`` compares it)."""
    return {
        "id": e.pk, "dossier_id": e.dossier_id, "applicant_id": e.applicant_id, "unit_id": e.unit_id,
        "criteria_set": e.criteria_set, "channel": e.channel,
        **{name: getattr(e, name) for name in INDICATOR_FIELDS.values()},
        "satisfaction": e.satisfaction, "comment": e.comment,
        "rated_at": e.rated_at.astimezone(dt.timezone.utc).isoformat(), "rated_by_id": e.rated_by_id,
    }


def rate(code: str, actor, *, answers: Mapping[int, int | None], satisfaction: int | None, comment: str = "",
         channel: str = EvaluationChannel.ONLINE, at: dt.datetime | None = None) -> Evaluation:
    """The applicant rates the handling of their dossier ``code`` (TT 01/2018 Điều 13): once."""
    if channel not in EvaluationChannel.values:
        raise DossierError("Kênh đánh giá không hợp lệ.", code="channel")
    moment = instant_of(at)
    try:
        with transaction.atomic():
            d = Dossier.objects.select_for_update().get(pk=_dossier(code).pk)
            refusal = rating_refusal(d, actor)  # first: who and when, before what was answered
            if refusal is not None:
                raise refusal
            sheet = _sheet(answers, satisfaction)
            comment = nfc(comment or "")
            if len(comment) > MAX_COMMENT:
                raise Invalid({"comment": f"Góp ý thêm dài quá {MAX_COMMENT} ký tự."})
            last = d.events.order_by("-seq").values_list("at", flat=True).first()
            if last is not None and moment < last:
                raise DossierError("Thời điểm đánh giá không được trước sự kiện gần nhất của hồ sơ.", code="time_order")
            evaluation = Evaluation.objects.create(
                dossier=d, applicant_id=d.applicant_id, unit_id=d.resolving_unit_id,
                criteria_set=scoring.CURRENT_SET, channel=channel,
                **{INDICATOR_FIELDS[number]: points for number, points in sheet.items()},
                satisfaction=satisfaction, comment=comment, rated_at=moment, rated_by=actor)
            report_facts.rated(d.pk, satisfaction, moment)  # QĐ 766: a complaint fact on the dossier row
            d.version += 1
            Dossier.objects.filter(pk=d.pk).update(version=d.version)
            append(d, "evaluated", actor, moment, _NO_EVENT, _NO_EVENT,
                   attached=({"evaluation": None}, {"evaluation": evaluation_fragment(evaluation)}))
    except IntegrityError:  # two submissions at once: the one-to-one lets only the first in
        raise _already_rated() from None
    return evaluation


def verify_evaluations() -> list[str]:
    """Each rating against the ``evaluated`` event that recorded it (the event's hash is checked by
    ``verify-ledger``): a rating without its event, an event without its rating, or a difference."""
    problems = []
    recorded: dict[int, dict] = {}
    for dossier_id, after in LedgerEvent.objects.filter(type="evaluated").values_list("dossier_id", "after"):
        recorded[dossier_id] = json.loads(after)["evaluation"]
    for e in Evaluation.objects.select_related("dossier").order_by("pk"):
        expected = recorded.pop(e.dossier_id, None)
        if expected is None:
            problems.append(f"{e.dossier}: có đánh giá nhưng sổ cái không ghi")
        elif expected != evaluation_fragment(e):
            changed = sorted(k for k, v in evaluation_fragment(e).items() if expected.get(k) != v)
            problems.append(f"{e.dossier}: đánh giá khác với sổ cái ở trường: {', '.join(changed)}")
    for dossier_id in recorded:
        problems.append(f"hồ sơ #{dossier_id}: sổ cái ghi đánh giá nhưng bảng đánh giá không còn")
    return problems


# --- feedback (PAKN) --------------------------------------------------------------------------------


def route(*, dossier: Dossier | None = None, procedure: Procedure | None = None) -> OrgUnit:
    """Who handles it: the dossier's resolving unit, else the procedure's competent unit, else the
    province office (Văn phòng UBND tỉnh, or the province itself when no office is set up)."""
    if dossier is not None:
        return dossier.resolving_unit
    if procedure is not None and procedure.competent_unit_id:
        return procedure.competent_unit
    office = (OrgUnit.objects.filter(kind=UnitKind.OFFICE, parent__parent__isnull=True, parent__isnull=False)
              .order_by("path").first())
    root = office or OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    if root is None:
        raise DossierError("Chưa có đơn vị tiếp nhận phản ánh, kiến nghị.", code="no_unit")
    return root


def status_url(f: Feedback) -> str:
    """The sender's stable link to the status and the answer (unguessable token)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("feedback:status", kwargs={"token": f.token})


def _dues(unit: OrgUnit, start: dt.datetime) -> deadlines.Dues:
    try:
        return deadlines.dues(calendar_of_unit(unit), start)
    except CalendarError as exc:
        raise DossierError(f"Không tính được hạn xử lý theo lịch làm việc của {unit.name}: {exc}",
                           code="calendar") from None


def _clean_contact(email: str, phone: str, errors: dict[str, str]) -> tuple[str, str]:
    email = nfc(email or "").lower()
    phone = nfc(phone or "").translate(str.maketrans("", "", " .-()"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Địa chỉ thư điện tử không hợp lệ."
    if phone and not _PHONE.fullmatch(phone):
        errors["phone"] = "Số điện thoại không hợp lệ (ví dụ 0912345678)."
    return email, phone


def _text(value: str, field: str, label: str, low: int, high: int, errors: dict[str, str]) -> str:
    value = nfc(value or "")
    if len(value) < low:
        errors[field] = f"{label} cần ít nhất {low} ký tự." if value else f"Nhập {label.lower()}."
    elif len(value) > high:
        errors[field] = f"{label} dài quá {high} ký tự."
    return value


def _notify(f: Feedback, topic: str, **extra) -> None:
    from motcua.notify.services import enqueue

    payload = {"number": f.number, "subject": f.subject, "sender_name": f.sender_name, "unit_name": f.unit.name,
               "answer_due_at": f.answer_due_at.isoformat(), "status_url": status_url(f), **extra}
    enqueue(topic, payload, email=f.email, phone=f.phone)


def submit_feedback(*, actor=None, applicant: Applicant | None = None, kind: str, about: str,
                    procedure_code: str = "", dossier_code: str = "", subject: str, content: str,
                    sender_name: str = "", email: str = "", phone: str = "",
                    at: dt.datetime | None = None) -> Feedback:
    """A citizen's feedback about a procedure (by its code) or a dossier (by its code), from a signed-in
    applicant (their account's contact unless another is given) or anonymously with a name and an
    e-mail address or phone number. Routed (``route``) with its deadlines; acknowledged by the outbox."""
    errors: dict[str, str] = {}
    if kind not in FeedbackKind.values:
        errors["kind"] = "Chọn phản ánh về quy định, thủ tục hay về hành vi, thái độ của cán bộ."
    procedure = dossier = None
    if about == "dossier":
        code = nfc(dossier_code or "").upper()
        dossier = Dossier.objects.filter(code=code).select_related("resolving_unit").first() \
            if CODE_PATTERN.match(code) else None
        if dossier is None:
            errors["dossier_code"] = ("Nhập mã hồ sơ in trên giấy tiếp nhận." if not code
                                      else f"Không tìm thấy hồ sơ có mã “{code[:60]}”.")
        else:
            procedure = dossier.procedure_version.procedure
    elif about == "procedure":
        code = nfc(procedure_code or "")
        procedure = Procedure.objects.filter(code=code).select_related("competent_unit").first() if code else None
        if procedure is None:
            errors["procedure_code"] = ("Nhập mã thủ tục hành chính (ví dụ 1.001234)." if not code
                                        else f"Không tìm thấy thủ tục có mã “{code[:20]}”.")
    else:
        errors["about"] = "Chọn phản ánh về một thủ tục hay về một hồ sơ."
    subject = _text(subject, "subject", "Tiêu đề", 5, 200, errors)
    content = _text(content, "content", "Nội dung", 20, MAX_CONTENT, errors)
    email, phone = _clean_contact(email, phone, errors)
    if applicant is not None:
        if actor is None or applicant.user_id != actor.pk:
            raise NotAllowed("Chỉ chủ tài khoản được gửi phản ánh với tên của mình.")
        sender_name = applicant.full_name
        if not email and not phone:
            email, phone = _clean_contact(applicant.email, applicant.phone, {})
    else:
        sender_name = _text(sender_name, "sender_name", "Họ tên", 2, 255, errors)
        if not email and not phone and "email" not in errors and "phone" not in errors:
            errors["email"] = "Nhập thư điện tử hoặc số điện thoại để nhận trả lời."
    if errors:
        raise Invalid(errors)
    moment = instant_of(at)
    unit = route(dossier=dossier, procedure=procedure)
    due = _dues(unit, moment)
    with transaction.atomic():
        f = Feedback.objects.create(
            kind=kind, procedure=procedure, dossier=dossier, applicant=applicant, sender_name=sender_name,
            email=email, phone=phone, subject=subject, content=content, unit=unit, submitted_at=moment,
            clock_start=moment, answer_due_at=due.answer, refusal_due_at=due.refusal)
        report_facts.feedback_given(f.dossier_id, moment)  # QĐ 766: a complaint fact on the dossier row
        _notify(f, "feedback.received")
    return f


def handled_by(user):
    """The feedback of the units ``user`` reaches through a role that reads it (one SQL predicate)."""
    return Feedback.objects.filter(unit__in=visible_units(user, roles=VIEWER_ROLES).values("pk"))


def _locked_for_handling(pk: int, actor) -> Feedback:
    f = Feedback.objects.select_for_update().filter(pk=pk).first()
    if f is None:
        raise NotFound("Không tìm thấy phản ánh, kiến nghị.")
    if not visible_units(actor, roles=HANDLER_ROLES).filter(pk=f.unit_id).exists():
        raise NotAllowed(f"Chỉ cán bộ của {f.unit.name} được xử lý phản ánh này.")
    if f.state != FeedbackState.OPEN:
        raise Conflict(f"Phản ánh {f.number} đã được xử lý ({f.get_state_display().lower()}) lúc "
                       f"{timezone.localtime(f.closed_at):%H:%M ngày %d/%m/%Y}.", code="closed")
    return f


def _close(pk: int, actor, state: str, text: str, at, *, kind: str | None = None, unfounded: bool = False,
           field: str = "answer", label: str = "Nội dung trả lời") -> Feedback:
    errors: dict[str, str] = {}
    text = _text(text, field, label, 10, MAX_ANSWER, errors)
    if kind is not None and kind not in FeedbackKind.values:
        errors["kind"] = "Phân loại phản ánh không hợp lệ."
    if errors:
        raise Invalid(errors)
    moment = instant_of(at)
    with transaction.atomic():
        f = _locked_for_handling(pk, actor)
        if moment < f.clock_start:
            raise DossierError("Thời điểm trả lời không được trước khi nhận phản ánh.", code="time_order")
        f.kind = kind or f.kind
        f.unfounded = bool(unfounded) and f.kind == FeedbackKind.CONDUCT
        f.state, f.answer, f.closed_at, f.closed_by = state, text, moment, actor
        f.save()
        _notify(f, "feedback.answered" if state == FeedbackState.ANSWERED else "feedback.declined", answer=text)
    return f


def answer_feedback(pk: int, actor, *, answer: str, kind: str | None = None, unfounded: bool = False,
                    at: dt.datetime | None = None) -> Feedback:
    """The unit answers (and may reclassify it; a conduct complaint may be found untrue). The
    answer is sent to the sender through the outbox."""
    return _close(pk, actor, FeedbackState.ANSWERED, answer, at, kind=kind, unfounded=unfounded)


def decline_feedback(pk: int, actor, *, reason: str, at: dt.datetime | None = None) -> Feedback:
    """The unit declines to handle it (not within its remit, already answered elsewhere…), with the
    reason sent to the sender; timely within 2 working days (indicator 5.2)."""
    return _close(pk, actor, FeedbackState.DECLINED, reason, at, field="reason", label="Lý do")


def transfer_feedback(pk: int, actor, *, unit: OrgUnit | int | None, at: dt.datetime | None = None) -> Feedback:
    """Send it to the unit that should handle it: the deadlines run again from the transfer."""
    target = unit if isinstance(unit, OrgUnit) else OrgUnit.objects.filter(pk=unit).first() if unit else None
    if target is None:
        raise Invalid({"unit": "Chọn đơn vị nhận phản ánh."})
    moment = instant_of(at)
    with transaction.atomic():
        f = _locked_for_handling(pk, actor)
        if target.pk == f.unit_id:
            raise Invalid({"unit": "Phản ánh đang ở chính đơn vị này."})
        if moment < f.clock_start:
            raise DossierError("Thời điểm chuyển không được trước khi nhận phản ánh.", code="time_order")
        due = _dues(target, moment)
        f.unit, f.clock_start, f.answer_due_at, f.refusal_due_at = target, moment, due.answer, due.refusal
        f.transfers += 1
        f.save()
    return f


def feedback_standing(f: Feedback, now: dt.datetime) -> str:
    """Indicator 5.2 for one PAKN: answered against the answer deadline, declined against the refusal
    deadline; while open, overdue once the answer deadline has passed."""
    due = f.refusal_due_at if f.state == FeedbackState.DECLINED else f.answer_due_at
    return deadlines.standing(due=due, closed_at=f.closed_at, now=now)
