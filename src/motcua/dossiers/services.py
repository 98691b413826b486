"""Dossier commands: the only way a dossier changes.

Every command is one transaction that locks the dossier row, checks the actor's role and unit and
the dossier's state, changes the rows, appends one ledger event and queues its notifications in
the outbox. The API, the web pages, the admin and the CLI all call these functions. A refused
command raises ``DossierError`` (or ``NotAllowed`` / ``Conflict`` / ``NotFound``) and leaves
nothing behind — no rows, no files, no messages.

Every command takes ``at`` (default: now) so that history can be generated and tests can freeze
time; an instant earlier than the dossier's last event is refused, so the ledger stays in order.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from motcua.accounts.models import Applicant, Role, StaffMembership
from motcua.calendar import CalendarError, Duration, WorkCalendar
from motcua.calendar.deadline import Deadline, Pause, step_dues
from motcua.catalog.models import FeeItem, Level, OnlineMode, ProcedureVariant, VersionStatus, WorkflowStep
from motcua.catalog.rules import FeeFormula, RuleError
from motcua.dossiers import report_facts, rules
from motcua.dossiers.errors import Conflict, DossierError, NotAllowed, NotFound
from motcua.dossiers.files import StoredFiles, Upload, check
from motcua.dossiers.ledger import COLLECTIONS, append, snapshot
from motcua.dossiers.models import (
    AgencyTask, Channel, Delivery, Dossier, DossierDocument, DossierFee, DossierStep, DocumentStage, Extension,
    Outcome, Payment, PaymentMethod, State, StepOutcome, SupplementRequest, SupplementStage, TaskKind, TaskMode,
    TaskState,
)
from motcua.org.models import Desk, OrgUnit, UnitKind
from motcua.text import nfc
from motcua.worktime.services import calendar_of_unit

__all__ = [
    "Representative", "TaskSpec",
    "submit_online", "register_at_desk", "accept", "request_intake_supplement", "record_intake_supplement",
    "refuse_intake", "claim", "assign", "forward", "send_back", "approve", "refuse", "issue_result",
    "return_result", "transfer", "consult", "complete_task", "request_supplement", "record_supplement",
    "apologise", "withdraw", "stop", "request_payment", "record_payment",
    "calendar_of", "deadline_of", "apology_deadline", "get_dossier", "available_commands", "instant_of",
    "check_applicant_kind",
]

MAX_FEE = 10**12  # đồng; a formula fed absurd inputs must not overflow the amount columns

EMPTY_SNAPSHOT: dict[str, Any] = {"dossier": {}, **{key: [] for key in COLLECTIONS}}


@dataclass
class Representative:
    name: str
    id_number: str = ""
    phone: str = ""


@dataclass
class TaskSpec:
    """One agency's part of an inter-agency transfer: who, what, and how long."""

    unit: OrgUnit
    task: str
    duration: Duration


# --- plumbing ---------------------------------------------------------------------------------------


@dataclass
class _Context:
    dossier: Dossier
    at: dt.datetime
    files: StoredFiles
    reason: str = ""
    notifications: list[tuple[str, dict]] = field(default_factory=list)

    def notify(self, topic: str, **extra) -> None:
        self.notifications.append((topic, extra))


def instant_of(at: dt.datetime | None) -> dt.datetime:
    """A command's instant: now, or ``at`` when it carries a time zone."""
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise DossierError("Thời điểm phải có múi giờ.", code="naive_datetime")
    return at


def get_dossier(dossier: Dossier | int | str) -> Dossier:
    """A dossier by instance, primary key, code or reference; NotFound otherwise."""
    if isinstance(dossier, Dossier):
        return dossier
    try:
        if isinstance(dossier, int):
            return Dossier.objects.get(pk=dossier)
        if isinstance(dossier, str) and rules.CODE_PATTERN.match(dossier):
            return Dossier.objects.get(code=dossier)
        return Dossier.objects.get(reference=uuid.UUID(str(dossier)))
    except (Dossier.DoesNotExist, ValueError, TypeError, AttributeError):
        raise NotFound("Không tìm thấy hồ sơ.") from None


@contextmanager
def _command(dossier: Dossier | int | str, actor, event: str, *, version: int | None = None,
             at: dt.datetime | None = None, reason: str = "") -> Iterator[_Context]:
    """Lock the dossier, run the body, then save, append the ledger event and queue notifications."""
    files = StoredFiles()
    try:
        with transaction.atomic():
            pk = get_dossier(dossier).pk
            d = Dossier.objects.select_for_update().get(pk=pk)
            if version is not None and version != d.version:
                raise Conflict("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang và thao tác lại.")
            moment = instant_of(at)
            last = d.events.order_by("-seq").values_list("at", flat=True).first()
            if last is not None and moment < last:
                raise DossierError("Thời điểm thao tác không được trước sự kiện gần nhất của hồ sơ.",
                                   code="time_order")
            context = _Context(d, moment, files, reason=nfc(reason or ""))
            before = snapshot(d)
            yield context
            d.version += 1
            report_facts.own_facts(d)  # timeliness and durations follow finished_at and the due instants
            d.save()
            append(d, event, actor, moment, before, snapshot(d), context.reason)
            for topic, extra in context.notifications:
                _notify(d, topic, extra)
    except BaseException:
        files.discard()
        raise


def _notify(d: Dossier, topic: str, extra: dict) -> None:
    from motcua.notify.services import enqueue

    payload = {
        "code": d.code or "", "reference": str(d.reference), "procedure_name": d.procedure_version.procedure.name,
        "applicant_name": d.applicant.full_name, "unit_name": d.resolving_unit.name,
        "due_at": d.due_at.isoformat() if d.due_at else None, "state": d.state, "national_status": d.national_status,
        "lookup_url": lookup_url(d),
    }
    payload.update(extra)
    enqueue(topic, payload, email=d.contact_email, phone=d.contact_phone, dossier_reference=str(d.reference))


def lookup_url(d: Dossier) -> str:
    """What the receipt's QR code opens: the public lookup page with the code filled in."""
    if d.code:
        return f"{settings.PUBLIC_BASE_URL}/tra-cuu/?ma={d.code}"
    return f"{settings.PUBLIC_BASE_URL}/tra-cuu/?ref={d.reference}"


def _next_number(key: str) -> int:
    """Atomic counter (one upsert; PostgreSQL and SQLite ≥ 3.35 both know ON CONFLICT … RETURNING)."""
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO dossiers_counter ("key", "value") VALUES (%s, 1) '
            'ON CONFLICT ("key") DO UPDATE SET "value" = dossiers_counter."value" + 1 RETURNING "value"',
            [key],
        )
        return cursor.fetchone()[0]


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


# --- who may act ------------------------------------------------------------------------------------


def _roles_at(actor, unit: OrgUnit) -> set[str]:
    """The roles ``actor`` holds in ``unit`` or a unit above it."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return set()
    rows = StaffMembership.objects.filter(user_id=actor.pk, is_active=True).values_list("role", "unit__path")
    return {role for role, path in rows if unit.path.startswith(path)}


def _require(actor, unit: OrgUnit, roles: tuple[str, ...], what: str) -> None:
    if not _roles_at(actor, unit) & set(roles):
        labels = " hoặc ".join(str(Role(r).label).lower() for r in roles)
        raise NotAllowed(f"Chỉ {labels} của {unit.name} được {what}.")


def _is_applicant(actor, d: Dossier) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active
                and Applicant.objects.filter(user_id=actor.pk, pk=d.applicant_id).exists())


def _take(step: DossierStep, actor, *, race: bool = False) -> None:
    """The actor must hold the step: be its assignee, or claim it when nobody holds it."""
    _check_take(step, actor, race=race)
    if step.assignee_id is None:
        step.assignee = actor
        step.save(update_fields=["assignee"])


def _state(d: Dossier, command: str) -> None:
    problem = rules.check_state(command, d.state)
    if problem:
        raise DossierError(problem, code="wrong_state")


# --- the clock --------------------------------------------------------------------------------------


def calendar_of(d: Dossier) -> WorkCalendar:
    """The resolving agency's working calendar (its own, or its nearest ancestor's)."""
    return calendar_of_unit(d.resolving_unit)


def _limit(d: Dossier) -> Duration:
    return Duration(d.limit_value, d.limit_unit)


def deadline_of(d: Dossier) -> Deadline:
    """The dossier's clock rebuilt from its rows: start, legal time, pauses, the single extension."""
    if d.clock_start is None:
        raise DossierError("Hồ sơ chưa được tiếp nhận nên chưa có hạn giải quyết.", code="not_received")
    pauses: tuple[Pause, ...] = ()
    if d.supplement_rule == "pause":
        pauses = tuple(Pause(s.requested_at, s.completed_at, s.reason) for s in
                       d.supplements.filter(stage=SupplementStage.PROCESSING, completed_at__isnull=False)
                       .order_by("requested_at"))
    extension = Extension.objects.filter(dossier_id=d.pk).first()
    return Deadline(calendar_of(d), d.clock_start, _limit(d), cutoff=d.cutoff, pauses=pauses,
                    restart_on_supplement=d.supplement_rule == "restart",
                    extended_due=extension.new_due_at if extension else None)


def apology_deadline(d: Dossier) -> dt.datetime | None:
    """The last moment for the apology letter: one working day before the due instant (NĐ 61 Điều 19 k9)."""
    if d.due_at is None:
        return None
    cal = calendar_of(d)
    return cal.before(d.due_at, cal.hours_per_day)


def _workflow(d: Dossier) -> list[WorkflowStep]:
    steps = list(WorkflowStep.objects.filter(variant_id=d.variant_id).order_by("order"))
    if not steps:
        raise DossierError("Trường hợp thủ tục này chưa có quy trình nội bộ; không thể tiếp nhận.", code="no_workflow")
    return steps


def _plan(d: Dossier, workflow: list[WorkflowStep]) -> dict[int, dt.datetime]:
    """Due instant of each workflow step: the legal time shared out in proportion to step budgets."""
    deadline = deadline_of(d)
    try:
        dues = step_dues(deadline.calendar, deadline.start, deadline.duration,
                         [Duration(s.budget_value, s.budget_unit) for s in workflow],
                         [(p.start, p.end) for p in deadline.pauses], deadline.cutoff)
    except CalendarError:  # budgets in another kind of unit than the limit: every step shares the due instant
        dues = [deadline.computed_due] * len(workflow)
    return {s.order: due for s, due in zip(workflow, dues)}


def _refresh_due(d: Dossier) -> None:
    """Recompute ``due_at`` and the open step's due instant after the clock changed."""
    d.due_at = deadline_of(d).due
    if d.current_step_id:
        plan = _plan(d, _workflow(d))
        step = d.current_step
        step.due_at = plan.get(step.order, d.due_at)
        step.save(update_fields=["due_at"])


# --- steps --------------------------------------------------------------------------------------------


def _step_unit(d: Dossier, ws: WorkflowStep, workflow: list[WorkflowStep]) -> OrgUnit:
    if ws.unit_id:
        return ws.unit
    if ws.role == Role.RECEPTIONIST:
        return d.receiving_unit if ws.order == workflow[0].order else d.returning_unit
    return d.resolving_unit


def _open_step(d: Dossier, ws: WorkflowStep, workflow, at: dt.datetime, *, assignee=None) -> DossierStep:
    plan = _plan(d, workflow)
    seq = DossierStep.objects.filter(dossier_id=d.pk).count() + 1
    step = DossierStep.objects.create(dossier=d, seq=seq, order=ws.order, name=ws.name, role=ws.role,
                                      unit=_step_unit(d, ws, workflow), due_at=plan.get(ws.order), assignee=assignee,
                                      started_at=at)
    d.current_step = step
    return step


def _finish(step: DossierStep, actor, at: dt.datetime, outcome: str, note: str = "") -> None:
    step.finished_at, step.finished_by, step.outcome, step.note = at, actor, outcome, nfc(note or "")
    step.save(update_fields=["finished_at", "finished_by", "outcome", "note"])


def _current(d: Dossier) -> DossierStep:
    if d.current_step_id is None:
        raise DossierError("Hồ sơ không có bước đang xử lý.", code="no_step")
    return d.current_step


def _after(workflow: list[WorkflowStep], order: int) -> WorkflowStep | None:
    return next((s for s in workflow if s.order > order), None)


def _is_return_step(ws: WorkflowStep, workflow: list[WorkflowStep]) -> bool:
    return ws.role == Role.RECEPTIONIST and ws.order == workflow[-1].order and len(workflow) > 1


def _close_open_step(d: Dossier, actor, at: dt.datetime) -> None:
    if d.current_step_id:
        step = d.current_step
        if step.finished_at is None:
            _finish(step, actor, at, StepOutcome.CLOSED)
        d.current_step = None


# --- documents and fees ------------------------------------------------------------------------------


def _add_documents(d: Dossier, uploads: list[Upload], stage: str, files: StoredFiles, at: dt.datetime) -> None:
    allowed = set(d.variant.documents.values_list("pk", flat=True))
    rows = []
    for upload in uploads or []:
        name = nfc(upload.name or "")
        if not name:
            raise DossierError("Mỗi giấy tờ phải có tên.", code="document_name")
        if upload.required_id is not None and upload.required_id not in allowed:
            raise DossierError(f"“{name}” không thuộc thành phần hồ sơ của thủ tục này.", code="document_unknown")
        if upload.kind not in {"original", "certified_copy", "copy"}:
            raise DossierError(f"Loại bản “{upload.kind}” không hợp lệ.", code="document_kind")
        if not 1 <= int(upload.count) <= 1000:
            raise DossierError(f"Số lượng của “{name}” phải từ 1 đến 1000.", code="document_count")
        checked = check(upload)
        stored = files.save(str(d.reference), upload, *checked) if checked else {}
        rows.append(DossierDocument(dossier=d, required_id=upload.required_id, stage=stage, name=name[:1000],
                                    kind=upload.kind, count=int(upload.count), added_at=at, **stored))
    DossierDocument.objects.bulk_create(rows)
    report_facts.documents_added(d, rows, at)  # QĐ 766: electronic files, reuse (saved with the dossier)


def _fees(variant: ProcedureVariant, inputs: dict[str, Any] | None) -> list[DossierFee]:
    lines = []
    for item in FeeItem.objects.filter(variant=variant).order_by("order"):
        if item.formula:
            try:
                amount = FeeFormula(item.formula).evaluate(**(inputs or {}))
            except RuleError as exc:
                raise DossierError(f"{item.name}: {exc}", code="fee_inputs") from exc
        else:
            amount = item.amount or 0
        if amount > MAX_FEE:
            raise DossierError(f"{item.name}: số tiền {amount:,} đồng vượt quá mức cho phép.".replace(",", "."),
                               code="fee_inputs")
        lines.append(DossierFee(order=item.order, kind=item.kind, name=item.name, amount=amount))
    return lines


# --- lodging ------------------------------------------------------------------------------------------


def _check_variant(variant: ProcedureVariant, on: dt.date) -> None:
    version = variant.version
    if version.status == VersionStatus.DRAFT or version.valid_from > on or (version.valid_to and version.valid_to < on):
        raise DossierError(f"Thủ tục “{version.procedure.name}” (phiên bản {version.number}) không áp dụng vào ngày "
                           f"{on:%d/%m/%Y}.", code="procedure_not_in_force")


def check_applicant_kind(variant: ProcedureVariant, applicant: Applicant) -> None:
    """Citizens and organisations lodge only what the procedure is open to."""
    version = variant.version
    if applicant.kind == "citizen" and not version.for_citizens:
        raise DossierError("Thủ tục này chỉ dành cho tổ chức, doanh nghiệp.", code="applicant_kind")
    if applicant.kind == "organisation" and not version.for_organisations:
        raise DossierError("Thủ tục này chỉ dành cho công dân.", code="applicant_kind")


def _resolving(variant: ProcedureVariant, unit: OrgUnit | None) -> OrgUnit:
    procedure = variant.version.procedure
    if procedure.competent_unit_id:
        if unit is not None and unit.pk != procedure.competent_unit_id:
            raise DossierError(f"Thủ tục này do {procedure.competent_unit.name} giải quyết.", code="resolving_unit")
        return procedure.competent_unit
    if unit is None:
        raise DossierError("Chọn cơ quan giải quyết hồ sơ.", code="resolving_unit", field="resolving_unit")
    if procedure.level == Level.COMMUNE and unit.kind != UnitKind.COMMUNE:
        raise DossierError("Thủ tục cấp xã phải do UBND cấp xã giải quyết.", code="resolving_unit")
    return unit


def _desk_for(desk: Desk, resolving: OrgUnit, boundary_independent: bool) -> None:
    if not desk.is_active:
        raise DossierError(f"{desk.name} đã ngừng hoạt động.", code="desk_inactive")
    served = list(desk.serves.values_list("path", flat=True))
    if any(resolving.path.startswith(path) for path in served):
        return
    root = desk.host_unit.path.split("/")[1]
    if boundary_independent and resolving.path.split("/")[1] == root:
        return  # NĐ 118/2025: received regardless of administrative boundary within the province
    raise DossierError(f"{desk.name} không tiếp nhận hồ sơ của {resolving.name}.", code="desk_scope")


def _online_desk(resolving: OrgUnit) -> Desk:
    units = [int(pk) for pk in resolving.path.strip("/").split("/")]
    desks = Desk.objects.filter(is_active=True, serves__in=units).distinct()
    by_depth = sorted(desks, key=lambda desk: -max((u.depth for u in desk.serves.all() if u.pk in units), default=-1))
    if not by_depth:
        raise DossierError(f"Chưa có bộ phận một cửa nào tiếp nhận hồ sơ của {resolving.name}.", code="no_desk")
    return by_depth[0]


def _create(*, actor, event: str, channel: str, variant: ProcedureVariant, applicant: Applicant, desk: Desk,
            resolving: OrgUnit, delivery: str, delivery_address: str, representative: Representative | None,
            contact_email: str, contact_phone: str, sets: int, documents: list[Upload],
            fee_inputs: dict | None, idempotency_key: str | None, at: dt.datetime,
            reference: uuid.UUID | None = None) -> Dossier:
    if delivery not in Delivery.values:
        raise DossierError(f"Hình thức nhận kết quả “{delivery}” không hợp lệ.", code="delivery")
    if delivery == Delivery.POST and not variant.version.postal_return:
        raise DossierError("Thủ tục này không trả kết quả qua bưu chính công ích.", code="delivery")
    if delivery == Delivery.POST and not nfc(delivery_address or ""):
        raise DossierError("Nhập địa chỉ nhận kết quả qua bưu chính.", code="delivery_address")
    if not 1 <= int(sets) <= 100:
        raise DossierError("Số bộ hồ sơ phải từ 1 đến 100.", code="sets")
    contact_email, contact_phone = _contact(contact_email or applicant.email, contact_phone or applicant.phone)
    online = channel == Channel.ONLINE and variant.online_time_limit_value is not None
    fees = _fees(variant, fee_inputs)
    files = StoredFiles()
    try:
        with transaction.atomic():
            rep = representative or Representative("")
            d = Dossier.objects.create(
                reference=reference or uuid.uuid4(),  # given by the history generator (dossiers/generate.py)
                channel=channel, state=State.SUBMITTED, procedure_version=variant.version, variant=variant,
                applicant=applicant, representative_name=nfc(rep.name)[:255],
                representative_id_number=nfc(rep.id_number)[:20], representative_phone=nfc(rep.phone)[:20],
                contact_email=contact_email, contact_phone=contact_phone,
                receiving_desk=desk, receiving_unit=desk.host_unit, resolving_unit=resolving,
                returning_unit=desk.host_unit, delivery=delivery, delivery_address=nfc(delivery_address or "")[:255],
                sets=int(sets), idempotency_key=idempotency_key, submitted_at=at,
                limit_value=variant.online_time_limit_value if online else variant.time_limit_value,
                limit_unit=variant.online_time_limit_unit if online else variant.time_limit_unit,
                supplement_rule=variant.supplement_rule,
                fee_total=sum(f.amount for f in fees),
            )
            for fee in fees:
                fee.dossier = d
            DossierFee.objects.bulk_create(fees)
            _add_documents(d, documents, DocumentStage.INTAKE, files, at)
            if d.e_intake_at is not None:
                Dossier.objects.filter(pk=d.pk).update(e_intake_at=d.e_intake_at, reused_at=d.reused_at)
            append(d, event, actor, at, EMPTY_SNAPSHOT, snapshot(d))
            _notify(d, "dossier.submitted", {})
            return d
    except BaseException:
        files.discard()
        raise


_PHONE = re.compile(r"^\+?\d{9,15}$")


def _contact(email: str, phone: str) -> tuple[str, str]:
    """Where notifications go; checked here so a bad address is a clear refusal, not a failed command."""
    email, phone = nfc(email or "").strip(), re.sub(r"[\s.()-]", "", nfc(phone or ""))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DossierError(f"Địa chỉ thư điện tử “{email}” không hợp lệ.", code="contact_email",
                               field="contact_email") from None
    if phone and not _PHONE.match(phone):
        raise DossierError(f"Số điện thoại “{phone}” không hợp lệ.", code="contact_phone", field="contact_phone")
    return email[:254], phone[:20]


def submit_online(applicant: Applicant, variant: ProcedureVariant, *, actor=None, resolving_unit: OrgUnit | None = None,
                  delivery: str = Delivery.ONLINE, delivery_address: str = "", documents: list[Upload] = (),
                  representative: Representative | None = None, contact_email: str = "", contact_phone: str = "",
                  sets: int = 1, fee_inputs: dict | None = None, idempotency_key: str | None = None,
                  at: dt.datetime | None = None, reference: uuid.UUID | None = None) -> Dossier:
    """An applicant lodges a dossier online (status 1, waiting for the desk). The same
    ``idempotency_key`` from the same applicant returns the first dossier instead of a second one."""
    at = instant_of(at)
    if actor is not None and not Applicant.objects.filter(user_id=actor.pk, pk=applicant.pk).exists():
        raise NotAllowed("Chỉ chủ tài khoản được nộp hồ sơ cho chính mình.")
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not 8 <= len(idempotency_key) <= 64:
            raise DossierError("Khóa chống nộp trùng phải dài từ 8 đến 64 ký tự.", code="idempotency_key")
        earlier = Dossier.objects.filter(applicant=applicant, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier
    _check_variant(variant, _local_date(at))
    if variant.version.online_mode == OnlineMode.NONE:
        raise DossierError("Thủ tục này không tiếp nhận hồ sơ trực tuyến.", code="channel")
    if not documents or not all(u.content is not None for u in documents):
        raise DossierError("Hồ sơ trực tuyến phải đính kèm tệp cho mỗi giấy tờ.", code="documents")
    check_applicant_kind(variant, applicant)
    resolving = _resolving(variant, resolving_unit)
    desk = _online_desk(resolving)
    try:
        return _create(actor=actor, event="submitted", channel=Channel.ONLINE, variant=variant, applicant=applicant,
                       desk=desk, resolving=resolving, delivery=delivery, delivery_address=delivery_address,
                       representative=representative, contact_email=contact_email, contact_phone=contact_phone,
                       sets=sets, documents=documents, fee_inputs=fee_inputs, idempotency_key=idempotency_key, at=at,
                       reference=reference)
    except IntegrityError:
        earlier = Dossier.objects.filter(applicant=applicant, idempotency_key=idempotency_key).first()
        if idempotency_key is not None and earlier is not None:
            return earlier  # the double click lost the race: hand back the winner
        raise


def register_at_desk(actor, desk: Desk, applicant: Applicant, variant: ProcedureVariant, *,
                     channel: str = Channel.IN_PERSON, resolving_unit: OrgUnit | None = None,
                     delivery: str = Delivery.DESK, delivery_address: str = "", documents: list[Upload] = (),
                     representative: Representative | None = None, contact_email: str = "", contact_phone: str = "",
                     sets: int = 1, fee_inputs: dict | None = None, at: dt.datetime | None = None,
                     reference: uuid.UUID | None = None) -> Dossier:
    """A dossier brought to the desk (in person, or by post: the handover record's time) enters the
    system; the receptionist then accepts it, asks for a supplement or refuses it."""
    at = instant_of(at)
    if channel not in (Channel.IN_PERSON, Channel.POSTAL):
        raise DossierError("Tại bộ phận một cửa chỉ nhận hồ sơ trực tiếp hoặc qua bưu chính.", code="channel")
    _require(actor, desk.host_unit, (Role.RECEPTIONIST,), "tiếp nhận hồ sơ tại bộ phận này")
    _check_variant(variant, _local_date(at))
    if channel == Channel.POSTAL and not variant.version.postal_intake:
        raise DossierError("Thủ tục này không nhận hồ sơ qua bưu chính công ích.", code="channel")
    check_applicant_kind(variant, applicant)
    resolving = _resolving(variant, resolving_unit)
    _desk_for(desk, resolving, variant.version.boundary_independent)
    return _create(actor=actor, event="registered", channel=channel, variant=variant, applicant=applicant, desk=desk,
                   resolving=resolving, delivery=delivery, delivery_address=delivery_address,
                   representative=representative, contact_email=contact_email, contact_phone=contact_phone, sets=sets,
                   documents=documents, fee_inputs=fee_inputs, idempotency_key=None, at=at, reference=reference)


# --- reception decisions ----------------------------------------------------------------------------


def accept(dossier, actor, *, documents: list[Upload] = (), version: int | None = None,
           at: dt.datetime | None = None) -> Dossier:
    """Receive a complete dossier: code, tracking-book entry, regime, due instant; the clock starts."""
    with _command(dossier, actor, "accepted", version=version, at=at) as c:
        d = c.dossier
        _state(d, "accept")
        _require(actor, d.receiving_unit, (Role.RECEPTIONIST,), "tiếp nhận hồ sơ")
        workflow = _workflow(d)
        day = _local_date(c.at)
        identifier = d.receiving_unit.identifier
        d.code = rules.dossier_code(identifier, day, _next_number(f"code:{identifier}:{day:%y%m%d}"))
        d.book_year, d.book_number = day.year, _next_number(f"book:{d.receiving_unit_id}:{day.year}")
        d.regime = rules.regime_on(day)
        d.received_at = d.clock_start = c.at
        d.cutoff = d.variant.paper_cutoff if d.channel != Channel.ONLINE else None
        try:
            d.due_at = d.original_due_at = deadline_of(d).due
            d.transfer_due_at = (calendar_of(d).transfer_due(c.at, d.variant.paper_cutoff)
                                 if d.channel != Channel.ONLINE else None)
        except CalendarError as exc:
            raise DossierError(str(exc), code="calendar") from exc
        d.state = State.RECEIVED
        _add_documents(d, documents, DocumentStage.INTAKE, c.files, c.at)
        _open_step(d, workflow[0], workflow, c.at, assignee=actor)
        c.notify("dossier.received", received_at=c.at.isoformat())
    return d


def _items(items) -> list[dict]:
    cleaned = []
    for item in items or []:
        if isinstance(item, str):
            item = {"name": item}
        name = nfc(str(item.get("name", "")))
        if not name:
            continue
        cleaned.append({"name": name[:1000], "kind": item.get("kind", "original"), "count": int(item.get("count", 1)),
                        "note": nfc(str(item.get("note", "")))[:500]})
    if not cleaned:
        raise DossierError("Liệt kê đầy đủ các giấy tờ cần bổ sung (một lần, đầy đủ).", code="supplement_items")
    return cleaned


def _reason(text: str, what: str) -> str:
    text = nfc(text or "").strip()
    if not text:
        raise DossierError(f"Phải nêu {what}.", code="reason_required")
    return text


def request_intake_supplement(dossier, actor, *, items, reason: str, version: int | None = None,
                              at: dt.datetime | None = None) -> Dossier:
    """Incomplete at the desk: Mẫu 02 lists everything missing, once; the dossier is not received."""
    with _command(dossier, actor, "intake_supplement_requested", version=version, at=at, reason=reason) as c:
        d = c.dossier
        _state(d, "request_intake_supplement")
        _require(actor, d.receiving_unit, (Role.RECEPTIONIST,), "hướng dẫn bổ sung hồ sơ")
        listed = _items(items)
        c.reason = _reason(reason, "lý do cần bổ sung")
        SupplementRequest.objects.create(
            dossier=d, stage=SupplementStage.INTAKE, requested_at=c.at, requested_by=actor, items=listed,
            reason=c.reason, number=f"{_next_number(f'form02:{d.receiving_unit_id}:{c.at.year}')}/HDHS")
        d.state = State.INTAKE_SUPPLEMENT
        c.notify("dossier.supplement_requested", missing=[i["name"] for i in listed], reason=c.reason)
    return d


def _close_supplement(d: Dossier, stage: str, actor, at: dt.datetime) -> SupplementRequest:
    request = d.supplements.filter(stage=stage, completed_at__isnull=True).first()
    if request is None:
        raise DossierError("Hồ sơ không có yêu cầu bổ sung đang chờ.", code="no_supplement")
    request.completed_at, request.completed_by = at, actor
    request.save(update_fields=["completed_at", "completed_by"])
    return request


def _desk_or_applicant(actor, d: Dossier, what: str) -> None:
    if _is_applicant(actor, d):
        return
    if not (_roles_at(actor, d.receiving_unit) | _roles_at(actor, d.returning_unit)) & {Role.RECEPTIONIST}:
        raise NotAllowed(f"Chỉ người nộp hồ sơ hoặc cán bộ tiếp nhận được {what}.")


def record_intake_supplement(dossier, actor, *, documents: list[Upload] = (), version: int | None = None,
                             at: dt.datetime | None = None) -> Dossier:
    """The applicant brought what Mẫu 02 listed: the dossier waits for the desk's decision again."""
    with _command(dossier, actor, "intake_supplement_recorded", version=version, at=at) as c:
        d = c.dossier
        _state(d, "record_intake_supplement")
        _desk_or_applicant(actor, d, "ghi nhận hồ sơ bổ sung")
        _close_supplement(d, SupplementStage.INTAKE, actor, c.at)
        _add_documents(d, documents, DocumentStage.SUPPLEMENT, c.files, c.at)
        d.state = State.SUBMITTED
    return d


def refuse_intake(dossier, actor, *, reasons: list[str] | str, version: int | None = None,
                  at: dt.datetime | None = None) -> Dossier:
    """Not eligible or not within competence: Mẫu 03 with the reasons."""
    reasons = [reasons] if isinstance(reasons, str) else list(reasons or [])
    text = "\n".join(nfc(r).strip() for r in reasons if nfc(r or "").strip())
    with _command(dossier, actor, "intake_refused", version=version, at=at, reason=text) as c:
        d = c.dossier
        _state(d, "refuse_intake")
        _require(actor, d.receiving_unit, (Role.RECEPTIONIST,), "từ chối tiếp nhận hồ sơ")
        c.reason = _reason(text, "lý do từ chối")
        d.state, d.finished_at = State.INTAKE_REFUSED, c.at
        open_request = d.supplements.filter(completed_at__isnull=True).first()
        if open_request is not None:  # the applicant never came back: the request ends with the refusal
            open_request.completed_at, open_request.completed_by = c.at, actor
            open_request.save(update_fields=["completed_at", "completed_by"])
        c.notify("dossier.refused", reason=c.reason)
    return d


# --- the internal workflow ----------------------------------------------------------------------------


def claim(dossier, actor, *, version: int | None = None, at: dt.datetime | None = None) -> Dossier:
    """Take the current step into one's own inbox; a second officer gets a conflict."""
    with _command(dossier, actor, "claimed", version=version, at=at) as c:
        d = c.dossier
        _state(d, "claim")
        step = _current(d)
        if step.assignee_id == actor.pk:
            raise DossierError("Bạn đã nhận bước này rồi.", code="already_claimed")
        _take(step, actor, race=True)
    return d


def assign(dossier, actor, *, assignee, version: int | None = None, at: dt.datetime | None = None) -> Dossier:
    """A leader of the step's unit hands the current step to an officer who holds the step's role."""
    with _command(dossier, actor, "assigned", version=version, at=at) as c:
        d = c.dossier
        _state(d, "assign")
        step = _current(d)
        _require(actor, step.unit, (Role.LEADER,), "phân công xử lý")
        if step.role not in _roles_at(assignee, step.unit):
            raise DossierError(f"{assignee.get_full_name() or assignee.username} không có vai trò "
                               f"{Role(step.role).label.lower()} tại {step.unit.name}.", code="assignee_role")
        step.assignee = assignee
        step.save(update_fields=["assignee"])
        c.reason = f"Giao cho {assignee.username}"
    return d


def _check_no_open_transfer(d: Dossier) -> None:
    if d.tasks.filter(kind=TaskKind.TRANSFER).exclude(state=TaskState.DONE).exists():
        raise DossierError("Còn cơ quan phối hợp (liên thông) chưa hoàn thành nhiệm vụ.", code="open_tasks")


def _forward_target(d: Dossier, step: DossierStep):
    """(workflow, the step a forward from ``step`` opens); refused at the approval and issuing steps, and
    before the return step (the result must be approved and issued first)."""
    if step.role == Role.LEADER:
        raise DossierError("Ở bước phê duyệt, hãy phê duyệt hoặc từ chối giải quyết.", code="use_approve")
    if step.role == Role.CLERK:
        raise DossierError("Ở bước văn thư, hãy ban hành kết quả.", code="use_issue")
    workflow = _workflow(d)
    following = _after(workflow, step.order)
    if following is None or _is_return_step(following, workflow):
        raise DossierError("Bước tiếp theo là trả kết quả: kết quả phải được phê duyệt và ban hành trước.",
                           code="no_next_step")
    return workflow, following


def forward(dossier, actor, *, note: str = "", version: int | None = None, at: dt.datetime | None = None) -> Dossier:
    """Finish the current step and hand the dossier to the next step of the pinned workflow.
    From the reception step this is the transfer to the resolving agency."""
    with _command(dossier, actor, "forwarded", version=version, at=at, reason=note) as c:
        d = c.dossier
        _state(d, "forward")
        step = _current(d)
        workflow, following = _forward_target(d, step)
        _take(step, actor)
        _check_no_open_transfer(d)
        _finish(step, actor, c.at, StepOutcome.FORWARDED, note)
        _open_step(d, following, workflow, c.at)
        d.state = State.PROCESSING
    return d


def _send_back_target(d: Dossier, step: DossierStep):
    """(workflow, the step before ``step``); never back to the reception step."""
    workflow = _workflow(d)
    previous = next((s for s in reversed(workflow) if s.order < step.order), None)
    if previous is None or previous.order == workflow[0].order:
        raise DossierError("Không trả lại bộ phận tiếp nhận; nếu hồ sơ thiếu, hãy yêu cầu bổ sung.",
                           code="no_previous_step")
    return workflow, previous


def send_back(dossier, actor, *, reason: str, version: int | None = None, at: dt.datetime | None = None) -> Dossier:
    """Return the dossier one step, to the officer who did that step."""
    with _command(dossier, actor, "sent_back", version=version, at=at, reason=reason) as c:
        d = c.dossier
        _state(d, "send_back")
        c.reason = _reason(reason, "lý do trả lại")
        step = _current(d)
        workflow, previous = _send_back_target(d, step)
        _take(step, actor)
        _finish(step, actor, c.at, StepOutcome.SENT_BACK, c.reason)
        earlier = (DossierStep.objects.filter(dossier=d, order=previous.order, finished_by__isnull=False)
                   .order_by("-seq").first())
        _open_step(d, previous, workflow, c.at, assignee=earlier.finished_by if earlier else None)
    return d


def _leader_step(d: Dossier) -> DossierStep:
    step = _current(d)
    if step.role != Role.LEADER:
        raise DossierError("Hồ sơ chưa đến bước lãnh đạo phê duyệt.", code="not_approval_step")
    return step


def _open_return_step(d: Dossier, workflow, at: dt.datetime) -> None:
    last = workflow[-1]
    if _is_return_step(last, workflow):
        _open_step(d, last, workflow, at)
    else:
        d.current_step = None


def approve(dossier, actor, *, note: str = "", version: int | None = None, at: dt.datetime | None = None) -> Dossier:
    """The leader approves the drafted result; it goes to the clerk for numbering and issuance."""
    with _command(dossier, actor, "approved", version=version, at=at, reason=note) as c:
        d = c.dossier
        _state(d, "approve")
        step = _leader_step(d)
        _take(step, actor)
        _check_no_open_transfer(d)
        workflow = _workflow(d)
        _finish(step, actor, c.at, StepOutcome.APPROVED, note)
        following = _after(workflow, step.order)
        if following is None or _is_return_step(following, workflow):
            _result_ready(d, c, workflow)  # no clerk step: approval is the result
        else:
            _open_step(d, following, workflow, c.at)
    return d


def _result_ready(d: Dossier, c: _Context, workflow) -> None:
    d.state, d.outcome, d.finished_at = State.RESULT_READY, Outcome.GRANTED, c.at
    d.result_issued_at = d.result_issued_at or c.at
    _open_return_step(d, workflow, c.at)
    c.notify("dossier.result_ready")


def refuse(dossier, actor, *, reasons: list[str] | str, version: int | None = None,
           at: dt.datetime | None = None) -> Dossier:
    """The leader refuses to grant (NĐ 61 Điều 19 k8): the refusal goes back through the desk."""
    reasons = [reasons] if isinstance(reasons, str) else list(reasons or [])
    text = "\n".join(nfc(r).strip() for r in reasons if nfc(r or "").strip())
    with _command(dossier, actor, "refused", version=version, at=at, reason=text) as c:
        d = c.dossier
        _state(d, "refuse")
        c.reason = _reason(text, "lý do từ chối giải quyết")
        step = _leader_step(d)
        _take(step, actor)
        _finish(step, actor, c.at, StepOutcome.REFUSED, c.reason)
        d.state, d.outcome, d.finished_at = State.REFUSED, Outcome.REFUSED, c.at
        _open_return_step(d, _workflow(d), c.at)
        c.notify("dossier.refused", reason=c.reason)
    return d


def issue_result(dossier, actor, *, number: str, file: Upload | None = None, version: int | None = None,
                 at: dt.datetime | None = None) -> Dossier:
    """The clerk numbers and issues the result (and stores its electronic file): result ready."""
    with _command(dossier, actor, "result_issued", version=version, at=at) as c:
        d = c.dossier
        _state(d, "issue_result")
        step = _current(d)
        if step.role != Role.CLERK:
            raise DossierError("Hồ sơ chưa đến bước văn thư ban hành kết quả.", code="not_issue_step")
        number = nfc(number or "").strip()
        if not number:
            raise DossierError("Nhập số, ký hiệu của văn bản kết quả.", code="result_number", field="number")
        _take(step, actor)
        if file is not None:
            file.name = file.name or d.procedure_version.result_name
            _add_documents(d, [file], DocumentStage.RESULT, c.files, c.at)
        _finish(step, actor, c.at, StepOutcome.ISSUED)
        d.result_number, d.result_issued_at = number[:100], c.at
        _result_ready(d, c, _workflow(d))
    return d


def return_result(dossier, actor, *, method: str, originals_returned: bool = False, note: str = "",
                  version: int | None = None, at: dt.datetime | None = None) -> Dossier:
    """Hand the result (or the refusal) to the applicant: at the desk, by post or online."""
    with _command(dossier, actor, "result_returned", version=version, at=at, reason=note) as c:
        d = c.dossier
        _state(d, "return_result")
        if method not in Delivery.values:
            raise DossierError(f"Hình thức trả kết quả “{method}” không hợp lệ.", code="delivery")
        _require(actor, d.returning_unit, (Role.RECEPTIONIST,), "trả kết quả")
        if d.current_step_id:
            step = d.current_step
            step.assignee = step.assignee or actor
            step.save(update_fields=["assignee"])
            _finish(step, actor, c.at, StepOutcome.RETURNED, note)
            d.current_step = None
        d.returned_at, d.return_method, d.originals_returned = c.at, method, bool(originals_returned)
        if d.state == State.RESULT_READY:
            d.state = State.RETURNED
        c.notify("dossier.returned")
    return d


# --- other agencies -----------------------------------------------------------------------------------


def _holds_current_or_leads(d: Dossier, actor, what: str) -> None:
    step = _current(d)
    if step.assignee_id == getattr(actor, "pk", None) and step.role in _roles_at(actor, step.unit):
        return
    if Role.LEADER in _roles_at(actor, d.resolving_unit):
        return
    raise NotAllowed(f"Chỉ cán bộ đang xử lý hồ sơ hoặc lãnh đạo {d.resolving_unit.name} được {what}.")


def transfer(dossier, actor, *, tasks: list[TaskSpec], mode: str = TaskMode.SEQUENTIAL, version: int | None = None,
             at: dt.datetime | None = None) -> Dossier:
    """Inter-agency processing (liên thông): a task and due instant for each agency, one after
    another (paper) or all at once (electronic)."""
    with _command(dossier, actor, "transferred", version=version, at=at) as c:
        d = c.dossier
        _state(d, "transfer")
        _holds_current_or_leads(d, actor, "chuyển liên thông")
        if mode not in TaskMode.values:
            raise DossierError(f"Cách phối hợp “{mode}” không hợp lệ.", code="mode")
        if not tasks:
            raise DossierError("Chọn ít nhất một cơ quan phối hợp.", code="tasks")
        _check_no_open_transfer(d)
        units = [t.unit.pk for t in tasks]
        if len(set(units)) != len(units) or d.resolving_unit_id in units:
            raise DossierError("Mỗi cơ quan phối hợp chỉ xuất hiện một lần và khác cơ quan chủ trì.", code="tasks")
        batch = (d.tasks.order_by("-batch").values_list("batch", flat=True).first() or 0) + 1
        start = c.at
        rows = []
        for number, spec in enumerate(tasks, start=1):
            text = _reason(spec.task, "nhiệm vụ của cơ quan phối hợp")
            try:
                due = calendar_of_unit(spec.unit).due(start if mode == TaskMode.SEQUENTIAL else c.at, spec.duration)
            except CalendarError as exc:
                raise DossierError(str(exc), code="duration") from exc
            active = mode == TaskMode.PARALLEL or number == 1
            rows.append(AgencyTask(dossier=d, kind=TaskKind.TRANSFER, mode=mode, batch=batch, sequence_no=number,
                                   unit=spec.unit, task=text, due_at=due, created_at=c.at, created_by=actor,
                                   state=TaskState.ACTIVE if active else TaskState.WAITING,
                                   started_at=c.at if active else None))
            start = due
        AgencyTask.objects.bulk_create(rows)
        c.reason = "; ".join(f"{t.unit.name}: {t.task}" for t in rows)
    return d


def consult(dossier, actor, *, unit: OrgUnit, question: str, duration: Duration, version: int | None = None,
            at: dt.datetime | None = None) -> Dossier:
    """Ask another agency's opinion with a deadline (NĐ 61 Điều 19 k5); the clock keeps running."""
    with _command(dossier, actor, "consulted", version=version, at=at) as c:
        d = c.dossier
        _state(d, "consult")
        _holds_current_or_leads(d, actor, "lấy ý kiến")
        c.reason = _reason(question, "nội dung cần lấy ý kiến")
        if unit.pk == d.resolving_unit_id:
            raise DossierError("Lấy ý kiến cơ quan khác với cơ quan chủ trì.", code="tasks")
        try:
            due = calendar_of_unit(unit).due(c.at, duration)
        except CalendarError as exc:
            raise DossierError(str(exc), code="duration") from exc
        batch = (d.tasks.order_by("-batch").values_list("batch", flat=True).first() or 0) + 1
        AgencyTask.objects.create(dossier=d, kind=TaskKind.CONSULTATION, mode=TaskMode.PARALLEL, batch=batch,
                                  sequence_no=1, unit=unit, task=c.reason, due_at=due, state=TaskState.ACTIVE,
                                  created_at=c.at, created_by=actor, started_at=c.at)
    return d


def complete_task(task: AgencyTask | int, actor, *, answer: str, version: int | None = None,
                  at: dt.datetime | None = None) -> Dossier:
    """An agency finishes its part (or answers the consultation); in a sequence the next one starts."""
    task_id = task.pk if isinstance(task, AgencyTask) else task
    dossier_id = AgencyTask.objects.filter(pk=task_id).values_list("dossier_id", flat=True).first()
    if dossier_id is None:
        raise NotFound("Không tìm thấy nhiệm vụ phối hợp.")
    with _command(dossier_id, actor, "task_completed", version=version, at=at, reason=answer) as c:
        d = c.dossier
        _state(d, "complete_task")
        task = AgencyTask.objects.select_related("unit").get(pk=task_id)
        if task.state != TaskState.ACTIVE:
            raise DossierError("Nhiệm vụ này chưa đến lượt hoặc đã hoàn thành.", code="task_state")
        _require(actor, task.unit, (Role.SPECIALIST, Role.LEADER), "hoàn thành nhiệm vụ phối hợp")
        c.reason = _reason(answer, "kết quả hoặc ý kiến")
        task.state, task.completed_at, task.completed_by, task.answer = TaskState.DONE, c.at, actor, c.reason
        task.save(update_fields=["state", "completed_at", "completed_by", "answer"])
        following = (AgencyTask.objects.filter(dossier=d, batch=task.batch, state=TaskState.WAITING)
                     .order_by("sequence_no").first())
        if following is not None:
            following.state, following.started_at = TaskState.ACTIVE, c.at
            following.save(update_fields=["state", "started_at"])
    return d


# --- supplements, apology, end ------------------------------------------------------------------------


def _check_supplement_allowed(d: Dossier, at: dt.datetime) -> None:
    """Once only, and within the supplement window counted in working days from receipt."""
    if d.supplements.filter(stage=SupplementStage.PROCESSING).exists():
        raise DossierError("Hồ sơ đã được yêu cầu bổ sung một lần; yêu cầu bổ sung phải một lần, đầy đủ.",
                           code="second_supplement")
    cal = calendar_of(d)
    window = rules.SUPPLEMENT_WINDOW_DAYS * cal.hours_per_day
    if cal.working_seconds(d.received_at, at) > window:
        last = cal.due(d.received_at, Duration(rules.SUPPLEMENT_WINDOW_DAYS, "working_days"))
        raise DossierError(f"Đã quá {rules.SUPPLEMENT_WINDOW_DAYS} ngày làm việc kể từ khi tiếp nhận (hạn "
                           f"{timezone.localtime(last):%H:%M %d/%m/%Y}); không được yêu cầu bổ sung.",
                           code="supplement_too_late")


def request_supplement(dossier, actor, *, items, reason: str, version: int | None = None,
                       at: dt.datetime | None = None) -> Dossier:
    """After appraisal the dossier lacks something: Mẫu 02 through the desk, within 3 working days
    of receipt and once only; the clock stops (pause) or will restart from zero, per procedure."""
    with _command(dossier, actor, "supplement_requested", version=version, at=at, reason=reason) as c:
        d = c.dossier
        _state(d, "request_supplement")
        step = _current(d)
        _take(step, actor)
        listed = _items(items)
        c.reason = _reason(reason, "lý do cần bổ sung")
        _check_supplement_allowed(d, c.at)
        SupplementRequest.objects.create(
            dossier=d, stage=SupplementStage.PROCESSING, requested_at=c.at, requested_by=actor, items=listed,
            reason=c.reason, number=f"{_next_number(f'form02:{d.receiving_unit_id}:{c.at.year}')}/HDHS")
        report_facts.supplements_changed(d)  # QĐ 766: a second request makes the dossier late
        d.state = State.AWAITING_SUPPLEMENT
        c.notify("dossier.supplement_requested", missing=[i["name"] for i in listed], reason=c.reason)
    return d


def record_supplement(dossier, actor, *, documents: list[Upload] = (), version: int | None = None,
                      at: dt.datetime | None = None) -> Dossier:
    """The applicant supplemented: the clock resumes (pause rule) or restarts from zero (NĐ 61 Điều 19 k4)."""
    with _command(dossier, actor, "supplement_recorded", version=version, at=at) as c:
        d = c.dossier
        _state(d, "record_supplement")
        _desk_or_applicant(actor, d, "ghi nhận hồ sơ bổ sung")
        _close_supplement(d, SupplementStage.PROCESSING, actor, c.at)
        report_facts.supplements_changed(d)
        _add_documents(d, documents, DocumentStage.SUPPLEMENT, c.files, c.at)
        if d.supplement_rule == "restart":
            d.clock_start, d.cutoff = c.at, None
        d.state = State.PROCESSING
        try:
            _refresh_due(d)
        except CalendarError as exc:
            raise DossierError(str(exc), code="calendar") from exc
    return d


def _check_apology_allowed(d: Dossier, at: dt.datetime) -> None:
    """Once only, and at the latest one working day before the due instant."""
    if Extension.objects.filter(dossier=d).exists():
        raise DossierError("Hồ sơ đã được xin lỗi và hẹn lại một lần; không được hẹn lại lần thứ hai.",
                           code="second_apology")
    last = apology_deadline(d)
    if at > last:
        raise DossierError(f"Đã quá thời hạn xin lỗi, hẹn lại: chậm nhất 01 ngày làm việc trước hạn trả kết quả "
                           f"(trước {timezone.localtime(last):%H:%M %d/%m/%Y}).", code="apology_too_late")


def apologise(dossier, actor, *, reason: str, extension: Duration, version: int | None = None,
              at: dt.datetime | None = None) -> Dossier:
    """Mẫu 04: the apology with a new appointment — once, and at the latest one working day before the due instant."""
    with _command(dossier, actor, "apologised", version=version, at=at, reason=reason) as c:
        d = c.dossier
        _state(d, "apologise")
        _require(actor, d.resolving_unit, (Role.LEADER,), "xin lỗi và hẹn lại ngày trả kết quả")
        c.reason = _reason(reason, "lý do chậm trả kết quả")
        _check_apology_allowed(d, c.at)
        try:
            new_due = calendar_of(d).due(d.due_at, extension)
        except CalendarError as exc:
            raise DossierError(str(exc), code="duration") from exc
        Extension.objects.create(dossier=d, requested_at=c.at, requested_by=actor, reason=c.reason,
                                 by_value=extension.value, by_unit=extension.unit, previous_due_at=d.due_at,
                                 new_due_at=new_due,
                                 number=f"{_next_number(f'form04:{d.resolving_unit_id}:{c.at.year}')}/XL")
        d.due_at = new_due
        c.notify("dossier.apology", reason=c.reason, new_due_at=new_due.isoformat())
    return d


def withdraw(dossier, actor, *, reason: str, version: int | None = None, at: dt.datetime | None = None) -> Dossier:
    """The applicant withdraws the dossier (status 7); recorded by the applicant or the desk."""
    with _command(dossier, actor, "withdrawn", version=version, at=at, reason=reason) as c:
        d = c.dossier
        _state(d, "withdraw")
        _desk_or_applicant(actor, d, "rút hồ sơ")
        c.reason = _reason(reason, "lý do rút hồ sơ")
        _close_open_step(d, actor, c.at)
        d.state, d.finished_at = State.WITHDRAWN, c.at
        c.notify("dossier.withdrawn", reason=c.reason)
    return d


def stop(dossier, actor, *, reason: str, version: int | None = None, at: dt.datetime | None = None) -> Dossier:
    """The agency stops processing at the applicant's request (NĐ 118 Điều 21; TT 03/2025 Mẫu 05)."""
    with _command(dossier, actor, "stopped", version=version, at=at, reason=reason) as c:
        d = c.dossier
        _state(d, "stop")
        _require(actor, d.resolving_unit, (Role.LEADER,), "dừng giải quyết hồ sơ")
        c.reason = _reason(reason, "lý do dừng giải quyết")
        _close_open_step(d, actor, c.at)
        d.state, d.finished_at = State.STOPPED, c.at
        c.notify("dossier.stopped", reason=c.reason)
    return d


# --- money --------------------------------------------------------------------------------------------


def request_payment(dossier, actor, *, reason: str = "", version: int | None = None,
                    at: dt.datetime | None = None) -> Dossier:
    """Ask the applicant to pay what is still owed before processing goes on (status 6)."""
    with _command(dossier, actor, "payment_requested", version=version, at=at, reason=reason) as c:
        d = c.dossier
        _state(d, "request_payment")
        _take(_current(d), actor)
        if d.fee_paid >= d.fee_total:
            raise DossierError("Hồ sơ không còn khoản phí, lệ phí nào phải nộp.", code="nothing_owed")
        d.state = State.AWAITING_PAYMENT
        c.notify("dossier.payment_requested", amount=d.fee_total - d.fee_paid)
    return d


def record_payment(dossier, actor, *, amount: int, method: str, reference: str, version: int | None = None,
                   at: dt.datetime | None = None) -> Dossier:
    """Record a fee payment. The same receipt or transaction reference twice with the same amount
    is the same payment (a gateway retrying its callback): nothing changes the second time."""
    d = get_dossier(dossier)
    reference = nfc(reference or "").strip()
    if not reference:
        raise DossierError("Nhập số biên lai hoặc mã giao dịch.", code="payment_reference", field="reference")
    try:
        with _command(d, actor, "payment_recorded", version=version, at=at, reason=reference) as c:
            d = c.dossier
            _record_payment(c, actor, amount, method, reference)
    except _SamePayment:
        return Dossier.objects.get(pk=d.pk)
    return d


class _SamePayment(Exception):
    """The payment is already recorded: the command ends without a change (its transaction rolls back)."""


def _record_payment(c: _Context, actor, amount: int, method: str, reference: str) -> None:
    d = c.dossier
    if method not in PaymentMethod.values:
        raise DossierError(f"Hình thức nộp “{method}” không hợp lệ.", code="payment_method")
    if actor is None:
        if method != PaymentMethod.ONLINE:
            raise NotAllowed("Chỉ cổng thanh toán trực tuyến được ghi nhận khoản nộp không qua cán bộ.")
    else:
        _require(actor, d.receiving_unit, (Role.RECEPTIONIST,), "thu phí, lệ phí")
    earlier = Payment.objects.filter(dossier=d, reference=reference).first()  # under the row lock
    if earlier is not None:
        if earlier.amount == amount:
            raise _SamePayment
        raise DossierError("Mã giao dịch này đã được ghi với số tiền khác.", code="payment_reference")
    _state(d, "record_payment")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DossierError("Số tiền phải là số nguyên dương (đồng).", code="payment_amount")
    if d.fee_paid + amount > d.fee_total:
        raise DossierError(f"Số tiền vượt quá số còn phải nộp ({d.fee_total - d.fee_paid:,} đồng)."
                           .replace(",", "."), code="payment_amount")
    Payment.objects.create(dossier=d, amount=amount, method=method, reference=reference[:100], paid_at=c.at)
    if method == PaymentMethod.ONLINE and d.paid_online_at is None:
        d.paid_online_at = c.at
    d.fee_paid += amount
    c.notify("dossier.payment_recorded", amount=amount, method=method, remaining=d.fee_total - d.fee_paid)
    if d.state == State.AWAITING_PAYMENT and d.fee_paid >= d.fee_total:
        d.state = State.PROCESSING


# --- what an officer may run now (read only) ------------------------------------------------------------


def _check_take(step: DossierStep, actor, *, race: bool = False) -> None:
    """``_take`` without taking: the same refusals, nothing written."""
    if step.assignee_id is not None and step.assignee_id != getattr(actor, "pk", None):
        who = step.assignee.get_full_name() or step.assignee.username
        error = Conflict if race else NotAllowed
        raise error(f"Bước “{step.name}” đang do cán bộ {who} xử lý.")
    _require(actor, step.unit, (step.role,), f"thực hiện bước “{step.name}”")


def _open_supplement(d: Dossier, stage: str) -> None:
    if not d.supplements.filter(stage=stage, completed_at__isnull=True).exists():
        raise DossierError("Hồ sơ không có yêu cầu bổ sung đang chờ.", code="no_supplement")


def _may_claim(d: Dossier, actor, at) -> None:
    step = _current(d)
    if step.assignee_id == getattr(actor, "pk", None):
        raise DossierError("Bạn đã nhận bước này rồi.", code="already_claimed")
    _check_take(step, actor, race=True)


def _may_forward(d: Dossier, actor, at) -> None:
    step = _current(d)
    _forward_target(d, step)
    _check_take(step, actor)
    _check_no_open_transfer(d)


def _may_send_back(d: Dossier, actor, at) -> None:
    step = _current(d)
    _send_back_target(d, step)
    _check_take(step, actor)


def _may_approve(d: Dossier, actor, at) -> None:
    _check_take(_leader_step(d), actor)
    _check_no_open_transfer(d)


def _may_issue(d: Dossier, actor, at) -> None:
    step = _current(d)
    if step.role != Role.CLERK:
        raise DossierError("Hồ sơ chưa đến bước văn thư ban hành kết quả.", code="not_issue_step")
    _check_take(step, actor)


def _may_request_supplement(d: Dossier, actor, at) -> None:
    _check_take(_current(d), actor)
    _check_supplement_allowed(d, at)


def _may_request_payment(d: Dossier, actor, at) -> None:
    _check_take(_current(d), actor)
    if d.fee_paid >= d.fee_total:
        raise DossierError("Hồ sơ không còn khoản phí, lệ phí nào phải nộp.", code="nothing_owed")


def _may_apologise(d: Dossier, actor, at) -> None:
    _require(actor, d.resolving_unit, (Role.LEADER,), "xin lỗi và hẹn lại ngày trả kết quả")
    _check_apology_allowed(d, at)


def _receptionist(unit_of, what: str):
    return lambda d, actor, at: _require(actor, unit_of(d), (Role.RECEPTIONIST,), what)


def _leader_of_resolving(what: str):
    return lambda d, actor, at: _require(actor, d.resolving_unit, (Role.LEADER,), what)


def _accept_check(d: Dossier, actor, at) -> None:
    _require(actor, d.receiving_unit, (Role.RECEPTIONIST,), "tiếp nhận hồ sơ")
    _workflow(d)


def _record_intake_supplement_check(d: Dossier, actor, at) -> None:
    _desk_or_applicant(actor, d, "ghi nhận hồ sơ bổ sung")
    _open_supplement(d, SupplementStage.INTAKE)


def _record_supplement_check(d: Dossier, actor, at) -> None:
    _desk_or_applicant(actor, d, "ghi nhận hồ sơ bổ sung")
    _open_supplement(d, SupplementStage.PROCESSING)


# The commands of a dossier's page, in the order a page shows them, with the checks each command makes
# before it changes anything — in the command's own order and with its own messages. The checks of
# inputs (reasons, numbers, files, amounts) stay with the commands.
_AVAILABILITY: list[tuple[str, Any]] = [
    ("accept", _accept_check),
    ("request_intake_supplement", _receptionist(lambda d: d.receiving_unit, "hướng dẫn bổ sung hồ sơ")),
    ("refuse_intake", _receptionist(lambda d: d.receiving_unit, "từ chối tiếp nhận hồ sơ")),
    ("record_intake_supplement", _record_intake_supplement_check),
    ("claim", _may_claim),
    ("assign", lambda d, actor, at: _require(actor, _current(d).unit, (Role.LEADER,), "phân công xử lý")),
    ("forward", _may_forward),
    ("approve", _may_approve),
    ("refuse", lambda d, actor, at: _check_take(_leader_step(d), actor)),
    ("issue_result", _may_issue),
    ("send_back", _may_send_back),
    ("request_supplement", _may_request_supplement),
    ("record_supplement", _record_supplement_check),
    ("request_payment", _may_request_payment),
    ("transfer", lambda d, actor, at: (_holds_current_or_leads(d, actor, "chuyển liên thông"),
                                       _check_no_open_transfer(d))),
    ("consult", lambda d, actor, at: _holds_current_or_leads(d, actor, "lấy ý kiến")),
    ("apologise", _may_apologise),
    ("return_result", _receptionist(lambda d: d.returning_unit, "trả kết quả")),
    ("withdraw", lambda d, actor, at: _desk_or_applicant(actor, d, "rút hồ sơ")),
    ("stop", _leader_of_resolving("dừng giải quyết hồ sơ")),
]


def available_commands(dossier, actor, at: dt.datetime | None = None) -> dict[str, DossierError | None]:
    """What ``actor`` may do to the dossier at ``at`` (default: now), without changing anything.

    command name → None when the command would run (given valid inputs), otherwise the refusal the
    command itself raises first: ``NotAllowed`` (not this officer's to do), a ``DossierError`` with
    code ``wrong_state``, or another ``DossierError`` (this officer's, but not now — e.g. the apology
    is too late, or the step is someone else's). Inter-agency tasks appear as ``complete_task:<id>``.
    Pages show buttons for exactly the commands mapped to None."""
    d = Dossier.objects.select_related(
        "current_step__unit", "current_step__assignee", "receiving_unit", "resolving_unit", "returning_unit",
    ).get(pk=get_dossier(dossier).pk)  # as stored now, whatever the caller holds
    at = instant_of(at)
    result: dict[str, DossierError | None] = {}

    def run(name: str, command: str, rule) -> None:
        try:
            if command == "record_payment":  # the payment command asks who before the state
                rule()
                _state(d, command)
            else:
                _state(d, command)
                rule()
        except DossierError as exc:
            result[name] = exc
        else:
            result[name] = None

    for name, rule in _AVAILABILITY:
        run(name, name, lambda rule=rule: rule(d, actor, at))

    def may_record_payment() -> None:
        _require(actor, d.receiving_unit, (Role.RECEPTIONIST,), "thu phí, lệ phí")

    def owed() -> None:
        if d.fee_paid >= d.fee_total:
            raise DossierError(f"Số tiền vượt quá số còn phải nộp ({d.fee_total - d.fee_paid:,} đồng)."
                               .replace(",", "."), code="payment_amount")

    run("record_payment", "record_payment", may_record_payment)
    if result["record_payment"] is None:
        try:
            owed()
        except DossierError as exc:
            result["record_payment"] = exc

    for task in AgencyTask.objects.filter(dossier=d).select_related("unit").order_by("batch", "sequence_no"):
        def may_complete(task=task) -> None:
            if task.state != TaskState.ACTIVE:
                raise DossierError("Nhiệm vụ này chưa đến lượt hoặc đã hoàn thành.", code="task_state")
            _require(actor, task.unit, (Role.SPECIALIST, Role.LEADER), "hoàn thành nhiệm vụ phối hợp")
        run(f"complete_task:{task.pk}", "complete_task", may_complete)
    return result
