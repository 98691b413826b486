"""Dossiers: the list, the detail, the history, and one POST per service command.

Every handler is parse → call the service → serialize. The services check role, unit, state and
the law; this module only finds the dossier among those the user may see (404 otherwise) and turns
request bodies into the arguments the services take.

A dossier is named in URLs by its code (``000.00.01.H99-250915-0001``, once received) or by its
reference (UUID, from submission on). Commands take ``version`` in the body: sent, a stale view
gets 409 instead of acting on a dossier someone else just changed.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from ninja import File, Header, Query, Router, UploadedFile
from ninja.responses import Status
from pydantic import StringConstraints

from motcua.accounts.models import Applicant
from motcua.accounts.services import ApplicantData, find_applicant, register_applicant
from motcua.api.errors import errors
from motcua.api.queries import (
    detail_queryset, filter_dossiers, find_dossier, summary_queryset, unit_by_identifier, visible_dossiers,
)
from motcua.api.schemas import (
    AcceptIn, ApologyIn, AssignIn, CompleteTaskIn, ConsultIn, DossierDetail, DossierFilters, DossierPage,
    DurationIn, EventOut, FilesIn, Id, IssueIn, NoteIn, PaymentIn, PaymentRequestIn, ReasonIn, ReasonsIn,
    RegisterIn, ReturnIn, SubmitIn, SupplementRequestIn, TransferIn, VersionIn, text,
)
from motcua.api.serialize import dossier_detail, dossier_summary, event
from motcua.calendar import Duration
from motcua.catalog.models import ProcedureVariant
from motcua.dossiers import services
from motcua.dossiers.errors import DossierError, NotAllowed, NotFound
from motcua.dossiers.files import Upload
from motcua.dossiers.models import AgencyTask, LedgerEvent
from motcua.org.models import Desk
from motcua.text import nfc

router = Router(tags=["Hồ sơ"])

Ident = text(80, 1)
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[\x21-\x7E]{8,64}$")]

# The statuses a command can answer besides 200 (401 is added to every operation).
COMMAND_ERRORS = errors(400, 403, 404, 409, 422)  # 400: a body that is not JSON (or multipart)
# The ``data`` part of a multipart request is JSON (so clients and schemathesis encode it so).
MULTIPART = {"requestBody": {"content": {"multipart/form-data": {
    "encoding": {"data": {"contentType": "application/json"}}}}}}


def _detail(pk: int) -> dict:
    return dossier_detail(detail_queryset().get(pk=pk), timezone.now())


def _duration(d: DurationIn) -> Duration:
    return Duration(d.value, d.unit)


def _file_name(f: UploadedFile) -> str:
    name = "".join(ch for ch in (f.name or "") if unicodedata.category(ch)[0] != "C")
    return nfc(name)[:255]


def _uploads(documents, files: list[UploadedFile] | None) -> list[Upload]:
    """The documents of a multipart request with their files (``file_index`` → the n-th ``files`` part)."""
    files = list(files or [])
    used: set[int] = set()
    result = []
    for number, doc in enumerate(documents):
        content, file_name = None, ""
        index = getattr(doc, "file_index", None)
        if index is not None:
            if index >= len(files):
                raise DossierError(f"Giấy tờ “{doc.name}” trỏ tới tệp thứ {index} nhưng chỉ có {len(files)} tệp.",
                                   code="file_index", field=f"documents.{number}.file_index")
            if index in used:
                raise DossierError(f"Tệp thứ {index} được gắn cho hai giấy tờ.", code="file_index",
                                   field=f"documents.{number}.file_index")
            used.add(index)
            content, file_name = files[index], _file_name(files[index])
        result.append(Upload(name=doc.name, kind=doc.kind, count=doc.count, required_id=doc.required_id,
                             file_name=file_name, content=content))
    unused = sorted(set(range(len(files))) - used)
    if unused:
        raise DossierError(f"Tệp thứ {unused[0]} không gắn với giấy tờ nào (đặt file_index trong documents).",
                           code="file_unused", field="files")
    return result


def _variant(variant_id: int) -> ProcedureVariant:
    variant = ProcedureVariant.objects.select_related("version__procedure").filter(pk=variant_id).first()
    if variant is None:
        raise DossierError("Không có trường hợp thủ tục này.", code="unknown_variant", field="variant_id")
    return variant


def _representative(data) -> services.Representative | None:
    if data.representative is None:
        return None
    r = data.representative
    return services.Representative(r.name, r.id_number, r.phone)


def _lodging(data, files) -> dict:
    resolving = unit_by_identifier(data.resolving_unit, "resolving_unit") if data.resolving_unit else None
    return dict(resolving_unit=resolving, delivery=data.delivery, delivery_address=data.delivery_address,
                documents=_uploads(data.documents, files), representative=_representative(data),
                contact_email=data.contact_email, contact_phone=data.contact_phone, sets=data.sets,
                fee_inputs=data.fee_inputs)


def _command(request, ident: str, command, **kwargs) -> dict:
    d = find_dossier(request.user, ident)
    command(d.pk, request.user, **kwargs)
    return _detail(d.pk)


# --- lodging ------------------------------------------------------------------------------------------


@router.post("", response={200: DossierDetail, 201: DossierDetail, **errors(400, 403, 422)},
             summary="Nộp hồ sơ trực tuyến (người nộp)", openapi_extra=MULTIPART)
def submit(request, data: SubmitIn, files: File[list[UploadedFile]] = None,
           idempotency_key: IdempotencyKey | None = Header(None, alias="Idempotency-Key")):
    """multipart/form-data: part ``data`` (JSON, see SubmitIn) and the ``files`` parts; each document
    names its file with ``file_index``. Only an account linked to an applicant submits, in its own
    name. Repeating a request with the same ``Idempotency-Key`` returns the first dossier (200)."""
    applicant = Applicant.objects.filter(user_id=request.user.pk).first()
    if applicant is None:
        raise NotAllowed("Tài khoản này không gắn với người nộp hồ sơ nào; chỉ người nộp được nộp trực tuyến.")
    started = timezone.now()
    d = services.submit_online(applicant, _variant(data.variant_id), actor=request.user,
                               idempotency_key=idempotency_key, **_lodging(data, files))
    replay = d.submitted_at < started
    return Status(200 if replay else 201, _detail(d.pk))


def _applicant_for_desk(data: RegisterIn) -> Applicant:
    if data.applicant_id is not None:
        found = Applicant.objects.filter(pk=data.applicant_id).first()
        if found is None:
            raise DossierError("Không có người nộp hồ sơ này.", code="unknown_applicant", field="applicant_id")
        return found
    if data.applicant is None:
        raise DossierError("Gửi applicant_id hoặc thông tin người nộp (applicant).", code="applicant_required",
                           field="applicant")
    a = data.applicant
    found = find_applicant(a.cccd or a.tax_code) if (a.cccd or a.tax_code) else None
    return found or register_applicant(ApplicantData(a.kind, a.full_name, cccd=a.cccd, tax_code=a.tax_code,
                                                     date_of_birth=a.date_of_birth, address=a.address,
                                                     phone=a.phone, email=a.email))


@router.post("/register", response={201: DossierDetail, **errors(400, 403, 422)},
             summary="Nhận hồ sơ tại bộ phận một cửa (trực tiếp hoặc bưu chính)", openapi_extra=MULTIPART)
def register(request, data: RegisterIn, files: File[list[UploadedFile]] = None):
    """multipart/form-data like submission. A receptionist of the desk's unit enters a dossier
    brought in person or by post; then accepts it, asks for a supplement or refuses it."""
    desk = Desk.objects.select_related("host_unit").filter(pk=data.desk_id).first()
    if desk is None:
        raise DossierError("Không có bộ phận một cửa này.", code="unknown_desk", field="desk_id")
    with transaction.atomic():  # a new applicant is not kept when the desk refuses the dossier
        d = services.register_at_desk(request.user, desk, _applicant_for_desk(data), _variant(data.variant_id),
                                      channel=data.channel, **_lodging(data, files))
    return Status(201, _detail(d.pk))


# --- reading ------------------------------------------------------------------------------------------


@router.get("", response={200: DossierPage, **errors(422)}, summary="Danh sách hồ sơ (lọc, phân trang)")
def list_dossiers(request, filters: Query[DossierFilters]):
    """Dossiers the caller may see, newest submission first. Page pagination: ``page`` (from 1) and
    ``page_size`` (≤ 100); ``count`` is the total matching the filters."""
    now = timezone.now()
    qs = filter_dossiers(visible_dossiers(request.user), filters, now)
    start = (filters.page - 1) * filters.page_size
    rows = summary_queryset(qs).order_by("-submitted_at", "-id")[start:start + filters.page_size]
    return {"items": [dossier_summary(d, now) for d in rows], "count": qs.count(), "page": filters.page,
            "page_size": filters.page_size}


@router.get("/{ident}", response={200: DossierDetail, **errors(404, 422)}, summary="Chi tiết hồ sơ")
def get_dossier(request, ident: Ident):
    """Detail with the process control sheet (``steps``), tasks, supplements, the apology
    (``extension``), document metadata, fees and payments. ``version`` is the concurrency token."""
    d = find_dossier(request.user, ident, detail_queryset(visible_dossiers(request.user)))
    return dossier_detail(d, timezone.now())


@router.get("/{ident}/events", response={200: list[EventOut], **errors(404, 422)},
            summary="Lịch sử hồ sơ (sổ cái có chuỗi băm)")
def list_events(request, ident: Ident):
    d = find_dossier(request.user, ident)
    return [event(e) for e in LedgerEvent.objects.filter(dossier_id=d.pk).order_by("seq")]


FORM_PATTERN = r"^(receipt|supplement_request|refusal|apology|stop_notice|control_sheet)$"
PDF_RESPONSE = {"responses": {"200": {"description": "PDF", "content": {"application/pdf": {
    "schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/{ident}/forms/{form}", response={200: None, **errors(404, 422)}, openapi_extra=PDF_RESPONSE,
            summary="Biểu mẫu của hồ sơ (PDF: giấy tiếp nhận, phiếu bổ sung, từ chối, xin lỗi, dừng, kiểm soát)")
def get_form(request, ident: Ident, form: Annotated[str, StringConstraints(pattern=FORM_PATTERN)]):
    """The form printed from the dossier's rows and ledger, in the numbering of its regime; 422
    ``form_not_available`` when the dossier has not reached it."""
    from motcua.dossiers.forms import dossier_form

    d = find_dossier(request.user, ident)
    name, pdf = dossier_form(d, form)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@router.get("/{ident}/documents/{document_id}", response={200: None, **errors(404, 422)},
            openapi_extra={"responses": {"200": {"description": "PDF, JPEG hoặc PNG", "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}},
            summary="Tải tệp của một thành phần hồ sơ hoặc kết quả")
def get_document(request, ident: Ident, document_id: int):
    """The stored file, with its SHA-256 in ``Digest`` (checked before it is sent)."""
    from motcua.dossiers.files import read_checked
    from motcua.dossiers.models import DossierDocument
    from motcua.web.downloads import document_response

    d = find_dossier(request.user, ident)
    doc = DossierDocument.objects.filter(dossier=d, pk=document_id).exclude(file="").first()
    if doc is None:
        raise NotFound("Không tìm thấy tệp.")
    data = read_checked(doc)
    if data is None:
        raise DossierError("Tệp đã bị thay đổi so với khi nộp (sai mã SHA-256).", code="file_tampered")
    return document_response(doc, data)


# --- reception decisions ----------------------------------------------------------------------------


@router.post("/{ident}/accept", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Tiếp nhận hồ sơ (cấp mã, hẹn ngày trả; đồng hồ bắt đầu)")
def accept(request, ident: Ident, payload: AcceptIn = None):
    """State ``submitted``; receptionist of the receiving unit."""
    payload = payload or AcceptIn()
    return _command(request, ident, services.accept, version=payload.version,
                    documents=_uploads(payload.documents, None))


@router.post("/{ident}/request-intake-supplement", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Hướng dẫn bổ sung trước khi tiếp nhận (Mẫu 02)")
def request_intake_supplement(request, ident: Ident, payload: SupplementRequestIn):
    """State ``submitted``; receptionist."""
    return _command(request, ident, services.request_intake_supplement, version=payload.version,
                    items=[i.dict() for i in payload.items], reason=payload.reason)


@router.post("/{ident}/record-intake-supplement", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Ghi nhận bổ sung trước khi tiếp nhận", openapi_extra=MULTIPART)
def record_intake_supplement(request, ident: Ident, data: FilesIn = None, files: File[list[UploadedFile]] = None):
    """multipart/form-data (``data`` JSON optional). State ``intake_supplement``; the applicant or a receptionist."""
    data = data or FilesIn()
    return _command(request, ident, services.record_intake_supplement, version=data.version,
                    documents=_uploads(data.documents, files))


@router.post("/{ident}/refuse-intake", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Từ chối tiếp nhận (Mẫu 03)")
def refuse_intake(request, ident: Ident, payload: ReasonsIn):
    """State ``submitted`` or ``intake_supplement``; receptionist."""
    return _command(request, ident, services.refuse_intake, version=payload.version, reasons=payload.reasons)


# --- internal workflow ------------------------------------------------------------------------------


@router.post("/{ident}/claim", response={200: DossierDetail, **COMMAND_ERRORS}, summary="Nhận xử lý bước hiện tại")
def claim(request, ident: Ident, payload: VersionIn = None):
    """State ``received`` or ``processing``; an officer with the step's role in its unit. 409 when
    another officer holds the step."""
    return _command(request, ident, services.claim, version=(payload or VersionIn()).version)


@router.post("/{ident}/assign", response={200: DossierDetail, **COMMAND_ERRORS}, summary="Phân công xử lý")
def assign(request, ident: Ident, payload: AssignIn):
    """State ``received`` or ``processing``; a leader of the step's unit."""
    assignee = get_user_model().objects.filter(username=payload.assignee.strip(), is_active=True).first()
    if assignee is None:
        raise DossierError(f"Không có cán bộ “{payload.assignee}”.", code="unknown_user", field="assignee")
    return _command(request, ident, services.assign, version=payload.version, assignee=assignee)


@router.post("/{ident}/forward", response={200: DossierDetail, **COMMAND_ERRORS}, summary="Chuyển bước tiếp theo")
def forward(request, ident: Ident, payload: NoteIn = None):
    """State ``received`` or ``processing``; the holder of the current (reception or examination) step."""
    payload = payload or NoteIn()
    return _command(request, ident, services.forward, version=payload.version, note=payload.note)


@router.post("/{ident}/send-back", response={200: DossierDetail, **COMMAND_ERRORS}, summary="Trả lại bước trước")
def send_back(request, ident: Ident, payload: ReasonIn):
    """State ``processing``; the holder of the current step."""
    return _command(request, ident, services.send_back, version=payload.version, reason=payload.reason)


@router.post("/{ident}/approve", response={200: DossierDetail, **COMMAND_ERRORS}, summary="Lãnh đạo phê duyệt")
def approve(request, ident: Ident, payload: NoteIn = None):
    """State ``processing`` at the leader's step; the leader."""
    payload = payload or NoteIn()
    return _command(request, ident, services.approve, version=payload.version, note=payload.note)


@router.post("/{ident}/refuse", response={200: DossierDetail, **COMMAND_ERRORS}, summary="Từ chối giải quyết")
def refuse(request, ident: Ident, payload: ReasonsIn):
    """State ``processing`` at the leader's step; the leader."""
    return _command(request, ident, services.refuse, version=payload.version, reasons=payload.reasons)


@router.post("/{ident}/issue-result", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Văn thư ban hành kết quả", openapi_extra=MULTIPART)
def issue_result(request, ident: Ident, data: IssueIn, file: File[UploadedFile] = None):
    """multipart/form-data: ``data`` (JSON: number, version) and an optional ``file`` (PDF, JPEG or
    PNG of the result). State ``processing`` at the clerk's step; the clerk."""
    upload = None
    if file is not None:
        upload = Upload(name=data.file_name, file_name=_file_name(file), content=file)
    return _command(request, ident, services.issue_result, version=data.version, number=data.number, file=upload)


@router.post("/{ident}/return-result", response={200: DossierDetail, **COMMAND_ERRORS}, summary="Trả kết quả")
def return_result(request, ident: Ident, payload: ReturnIn):
    """State ``result_ready`` or ``refused``; a receptionist of the returning unit."""
    return _command(request, ident, services.return_result, version=payload.version, method=payload.method,
                    originals_returned=payload.originals_returned, note=payload.note)


# --- other agencies -----------------------------------------------------------------------------------


@router.post("/{ident}/transfer", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Chuyển liên thông (tuần tự hoặc song song)")
def transfer(request, ident: Ident, payload: TransferIn):
    """State ``processing``; the officer holding the current step or a leader of the resolving unit."""
    tasks = [services.TaskSpec(unit_by_identifier(t.unit, f"tasks.{n}.unit"), t.task, _duration(t.duration))
             for n, t in enumerate(payload.tasks)]
    return _command(request, ident, services.transfer, version=payload.version, tasks=tasks, mode=payload.mode)


@router.post("/{ident}/consult", response={200: DossierDetail, **COMMAND_ERRORS}, summary="Lấy ý kiến cơ quan khác")
def consult(request, ident: Ident, payload: ConsultIn):
    """State ``processing``; the officer holding the current step or a leader of the resolving unit."""
    return _command(request, ident, services.consult, version=payload.version,
                    unit=unit_by_identifier(payload.unit, "unit"), question=payload.question,
                    duration=_duration(payload.duration))


@router.post("/{ident}/tasks/{task_id}/complete", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Hoàn thành nhiệm vụ phối hợp / trả lời lấy ý kiến")
def complete_task(request, ident: Ident, task_id: Id, payload: CompleteTaskIn):
    """State ``processing``, ``awaiting_supplement`` or ``awaiting_payment``; a specialist or leader
    of the task's unit."""
    d = find_dossier(request.user, ident)
    if not AgencyTask.objects.filter(pk=task_id, dossier_id=d.pk).exists():
        raise NotFound("Không tìm thấy nhiệm vụ phối hợp của hồ sơ này.")
    services.complete_task(task_id, request.user, answer=payload.answer, version=payload.version)
    return _detail(d.pk)


# --- supplements, apology, end ------------------------------------------------------------------------


@router.post("/{ident}/request-supplement", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Yêu cầu bổ sung trong quá trình giải quyết (Mẫu 02)")
def request_supplement(request, ident: Ident, payload: SupplementRequestIn):
    """State ``processing``, within 3 working days of receipt, once; the holder of the current step."""
    return _command(request, ident, services.request_supplement, version=payload.version,
                    items=[i.dict() for i in payload.items], reason=payload.reason)


@router.post("/{ident}/record-supplement", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Ghi nhận hồ sơ bổ sung (đồng hồ chạy tiếp hoặc tính lại)", openapi_extra=MULTIPART)
def record_supplement(request, ident: Ident, data: FilesIn = None, files: File[list[UploadedFile]] = None):
    """multipart/form-data (``data`` JSON optional). State ``awaiting_supplement``; the applicant or a receptionist."""
    data = data or FilesIn()
    return _command(request, ident, services.record_supplement, version=data.version,
                    documents=_uploads(data.documents, files))


@router.post("/{ident}/apologise", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)")
def apologise(request, ident: Ident, payload: ApologyIn):
    """Open states; a leader of the resolving unit; once, at the latest one working day before the due instant."""
    return _command(request, ident, services.apologise, version=payload.version, reason=payload.reason,
                    extension=_duration(payload.extension))


@router.post("/{ident}/withdraw", response={200: DossierDetail, **COMMAND_ERRORS}, summary="Rút hồ sơ")
def withdraw(request, ident: Ident, payload: ReasonIn):
    """Before a result; the applicant or a receptionist."""
    return _command(request, ident, services.withdraw, version=payload.version, reason=payload.reason)


@router.post("/{ident}/stop", response={200: DossierDetail, **COMMAND_ERRORS}, summary="Dừng giải quyết")
def stop(request, ident: Ident, payload: ReasonIn):
    """Open states; a leader of the resolving unit."""
    return _command(request, ident, services.stop, version=payload.version, reason=payload.reason)


# --- money --------------------------------------------------------------------------------------------


@router.post("/{ident}/request-payment", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Yêu cầu nộp phí, lệ phí")
def request_payment(request, ident: Ident, payload: PaymentRequestIn = None):
    """State ``processing``; the holder of the current step; something must still be owed."""
    payload = payload or PaymentRequestIn()
    return _command(request, ident, services.request_payment, version=payload.version, reason=payload.reason)


@router.post("/{ident}/record-payment", response={200: DossierDetail, **COMMAND_ERRORS},
             summary="Ghi nhận khoản nộp")
def record_payment(request, ident: Ident, payload: PaymentIn):
    """Until the result is ready; a receptionist of the receiving unit. The same ``reference`` with
    the same amount is the same payment (safe to retry)."""
    return _command(request, ident, services.record_payment, version=payload.version, amount=payload.amount,
                    method=payload.method, reference=payload.reference)
