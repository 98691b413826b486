"""Typed request and response bodies of the API (pydantic, through django-ninja).

Inputs are checked here for shape only — types, lengths, ranges, no NUL or lone surrogate in text,
instants with a time zone — so that nothing malformed reaches a service or the database. Every
rule of the domain stays in the services.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from motcua.calendar import Unit
from motcua.catalog.models import DocumentKind, Level
from motcua.dossiers.models import Channel, Delivery, PaymentMethod, State, TaskMode

# --- input primitives ---------------------------------------------------------------------------------

_CONTROL = {chr(c) for c in range(32)} - {"\n", "\r", "\t"}


def _clean_text(value: str) -> str:
    if any(ch in _CONTROL or "\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("Văn bản chứa ký tự điều khiển hoặc ký tự không hợp lệ.")
    return value


def text(max_length: int, min_length: int = 0):
    """A string of at most ``max_length`` characters without control characters."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length),
                     AfterValidator(_clean_text)]


MIN_YEAR, MAX_YEAR = 1900, 2200


def _instant(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)  # a naive instant is read in Asia/Ho_Chi_Minh
    try:
        utc = value.astimezone(dt.timezone.utc)
    except (OverflowError, ValueError):
        raise ValueError(f"Năm phải từ {MIN_YEAR} đến {MAX_YEAR}.") from None
    if not MIN_YEAR <= utc.year <= MAX_YEAR:
        raise ValueError(f"Năm phải từ {MIN_YEAR} đến {MAX_YEAR}.")
    return value


def _day(value: dt.date) -> dt.date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"Năm phải từ {MIN_YEAR} đến {MAX_YEAR}.")
    return value


Instant = Annotated[dt.datetime, AfterValidator(_instant)]
Day = Annotated[dt.date, AfterValidator(_day)]
Version = Annotated[int, Field(ge=0, le=2_147_483_647,
                               description="Phiên bản hồ sơ bạn đang xem (trường `version` của chi tiết hồ sơ). "
                                           "Gửi kèm để nhận 409 nếu người khác vừa cập nhật hồ sơ.")]
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
UnitIdentifier = text(35, 1)
StateValue = Literal[tuple(State.values)]
ChannelValue = Literal[tuple(Channel.values)]
DeliveryValue = Literal[tuple(Delivery.values)]
KindValue = Literal[tuple(DocumentKind.values)]
DurationUnit = Literal[tuple(Unit.ALL)]


class DurationIn(Schema):
    value: Annotated[str, StringConstraints(pattern=r"^\d{1,4}(\.\d{1,3})?$")] = Field(
        ..., description="Số dương nhỏ hơn 10 000, tối đa 3 chữ số thập phân, ví dụ \"2\" hoặc \"0.5\".",
        examples=["2"])
    unit: DurationUnit = Field(..., examples=["working_days"])


class DocumentIn(Schema):
    """One document handed in. In multipart requests ``file_index`` points at the uploaded part
    (0 = the first ``files`` part) that carries its file; without it the document is paper only."""

    name: text(1000, 1)
    kind: KindValue = "original"
    count: int = Field(1, ge=1, le=1000)
    required_id: Id | None = Field(None, description="Thành phần hồ sơ theo danh mục (id trong /catalog).")
    file_index: int | None = Field(None, ge=0, le=99)


class PaperDocumentIn(Schema):
    name: text(1000, 1)
    kind: KindValue = "original"
    count: int = Field(1, ge=1, le=1000)
    required_id: Id | None = None


class RepresentativeIn(Schema):
    name: text(255, 1)
    id_number: text(20) = ""
    phone: text(20) = ""


FeeInputs = dict[Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,39}$")],
                 Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]]


class LodgeIn(Schema):
    variant_id: Id = Field(..., description="Trường hợp thủ tục (id trong /catalog/procedures/{code}).")
    resolving_unit: UnitIdentifier | None = Field(
        None, description="Mã định danh cơ quan giải quyết; bắt buộc với thủ tục cấp xã.")
    delivery: DeliveryValue = "online"
    delivery_address: text(255) = ""
    representative: RepresentativeIn | None = None
    contact_email: text(254) = ""
    contact_phone: text(20) = ""
    sets: int = Field(1, ge=1, le=100)
    fee_inputs: FeeInputs | None = Field(None, description="Biến của công thức phí, lệ phí (nếu có).")
    documents: list[DocumentIn] = Field(default_factory=list, max_length=100)


class SubmitIn(LodgeIn):
    pass


class ApplicantIn(Schema):
    kind: Literal["citizen", "organisation"]
    full_name: text(255, 1)
    cccd: text(12) = ""
    tax_code: text(14) = ""
    date_of_birth: Day | None = None
    address: text(255) = ""
    phone: text(20) = ""
    email: text(254) = ""


class RegisterIn(LodgeIn):
    desk_id: Id
    channel: Literal["in_person", "postal"] = "in_person"
    delivery: DeliveryValue = "desk"
    applicant_id: Id | None = Field(None, description="Người nộp đã có; hoặc gửi `applicant`.")
    applicant: ApplicantIn | None = Field(
        None, description="Người nộp mới (tìm theo CCCD / mã số thuế trước; chưa có thì đăng ký).")


class VersionIn(Schema):
    version: Version | None = None


class AcceptIn(VersionIn):
    documents: list[PaperDocumentIn] = Field(default_factory=list, max_length=100,
                                             description="Giấy tờ giấy đã kiểm tra tại quầy (không có tệp).")


class ItemIn(Schema):
    name: text(1000, 1)
    kind: KindValue = "original"
    count: int = Field(1, ge=1, le=1000)
    note: text(500) = ""


class SupplementRequestIn(VersionIn):
    items: list[ItemIn] = Field(..., min_length=1, max_length=100)
    reason: text(5000, 1)


class FilesIn(VersionIn):
    documents: list[DocumentIn] = Field(default_factory=list, max_length=100)


class ReasonsIn(VersionIn):
    reasons: list[text(2000, 1)] = Field(..., min_length=1, max_length=20)


class ReasonIn(VersionIn):
    reason: text(5000, 1)


class NoteIn(VersionIn):
    note: text(5000) = ""


class AssignIn(VersionIn):
    assignee: text(150, 1) = Field(..., description="Tên đăng nhập của cán bộ được giao.")


class IssueIn(VersionIn):
    number: text(100, 1) = Field(..., description="Số, ký hiệu văn bản kết quả.")
    file_name: text(255) = ""


class ReturnIn(VersionIn):
    method: DeliveryValue
    originals_returned: bool = False
    note: text(5000) = ""


class TaskIn(Schema):
    unit: UnitIdentifier
    task: text(5000, 1)
    duration: DurationIn


class TransferIn(VersionIn):
    mode: Literal[tuple(TaskMode.values)] = "sequential"
    tasks: list[TaskIn] = Field(..., min_length=1, max_length=20)


class ConsultIn(VersionIn):
    unit: UnitIdentifier
    question: text(5000, 1)
    duration: DurationIn


class CompleteTaskIn(VersionIn):
    answer: text(5000, 1)


class ApologyIn(VersionIn):
    reason: text(5000, 1)
    extension: DurationIn


class PaymentRequestIn(VersionIn):
    reason: text(5000) = ""


class PaymentIn(VersionIn):
    amount: int = Field(..., ge=1, le=10**15, description="Số tiền (đồng).")
    method: Literal[tuple(PaymentMethod.values)]
    reference: text(100, 1) = Field(..., description="Số biên lai hoặc mã giao dịch; gửi lại cùng mã là an toàn.")


class DossierFilters(Schema):
    unit: UnitIdentifier | None = Field(
        None, description="Mã định danh đơn vị: hồ sơ mà đơn vị này hoặc đơn vị cấp dưới giải quyết hoặc tiếp nhận.")
    procedure: text(20, 1) | None = Field(None, description="Mã thủ tục, ví dụ 1.001234.")
    state: list[StateValue] | None = Field(None, description="Một hoặc nhiều trạng thái (lặp lại tham số).")
    overdue: bool | None = Field(None, description="true: quá hạn (hạn < hiện tại, hồ sơ chưa kết thúc); "
                                                   "false: không quá hạn.")
    due_before: Instant | None = Field(None, description="Hạn trả kết quả trước thời điểm này.")
    channel: ChannelValue | None = None
    received_from: Day | None = Field(None, description="Tiếp nhận từ ngày (tính cả ngày này).")
    received_to: Day | None = Field(None, description="Tiếp nhận đến hết ngày này.")
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=100)


class ProcedureFilters(Schema):
    q: text(200) | None = Field(None, description="Tìm theo tên hoặc mã, không phân biệt hoa thường, dấu, đ/d.")
    sector: text(30, 1) | None = Field(None, description="Mã lĩnh vực.")
    level: Literal[tuple(Level.values)] | None = None
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=100)


# --- outputs ----------------------------------------------------------------------------------------


class DurationOut(Schema):
    value: str
    unit: str


class UnitOut(Schema):
    identifier: str
    name: str


class SectorOut(Schema):
    code: str
    name: str


class ProcedureSummary(Schema):
    code: str
    name: str
    sector: SectorOut
    level: str
    competent_unit: UnitOut | None


class ProcedurePage(Schema):
    items: list[ProcedureSummary]
    count: int
    page: int
    page_size: int


class RequiredDocumentOut(Schema):
    id: int
    order: int
    name: str
    kind: str
    count: int
    mandatory: bool


class FeeItemOut(Schema):
    order: int
    kind: str
    name: str
    amount: int | None
    formula: str
    description: str


class WorkflowStepOut(Schema):
    order: int
    name: str
    role: str
    unit: UnitOut | None
    budget: DurationOut


class VariantOut(Schema):
    id: int
    code: str
    name: str
    time_limit: DurationOut
    online_time_limit: DurationOut | None
    supplement_rule: str
    paper_cutoff: dt.time | None
    documents: list[RequiredDocumentOut]
    fees: list[FeeItemOut]
    steps: list[WorkflowStepOut]


class LegalBasisOut(Schema):
    order: int
    number: str
    title: str
    issued_on: dt.date | None


class VersionOut(Schema):
    number: int
    status: str
    valid_from: dt.date
    valid_to: dt.date | None
    publication_decision: str
    for_citizens: bool
    for_organisations: bool
    result_name: str
    result_type: str
    online_mode: str
    postal_intake: bool
    postal_return: bool
    boundary_independent: bool
    legal_bases: list[LegalBasisOut]
    variants: list[VariantOut]


class ProcedureDetail(ProcedureSummary):
    version: VersionOut


class ProcedureRef(Schema):
    code: str
    name: str
    version: int


class VariantRef(Schema):
    id: int
    code: str
    name: str


class ApplicantOut(Schema):
    id: int
    kind: str
    full_name: str


class PersonOut(Schema):
    username: str
    name: str


class StepOut(Schema):
    seq: int
    order: int
    name: str
    role: str
    unit: UnitOut
    assignee: PersonOut | None
    started_at: dt.datetime
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    finished_by: PersonOut | None
    outcome: str
    note: str
    on_time: bool | None = Field(..., description="Bước đã xong: xong trước hoặc đúng hạn bước hay không.")


class TaskOut(Schema):
    id: int
    kind: str
    mode: str
    batch: int
    sequence_no: int
    unit: UnitOut
    task: str
    state: str
    due_at: dt.datetime
    created_at: dt.datetime
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    answer: str


class SupplementOut(Schema):
    stage: str
    number: str
    requested_at: dt.datetime
    items: list[dict[str, Any]]
    reason: str
    completed_at: dt.datetime | None


class ExtensionOut(Schema):
    number: str
    requested_at: dt.datetime
    reason: str
    by: DurationOut
    previous_due_at: dt.datetime
    new_due_at: dt.datetime


class DocumentOut(Schema):
    id: int
    stage: str
    name: str
    kind: str
    count: int
    required_id: int | None
    has_file: bool
    file_name: str
    content_type: str
    size: int
    sha256: str
    added_at: dt.datetime


class FeeOut(Schema):
    order: int
    kind: str
    name: str
    amount: int


class PaymentOut(Schema):
    amount: int
    method: str
    reference: str
    paid_at: dt.datetime


class DossierSummary(Schema):
    reference: uuid.UUID
    code: str | None
    state: str
    state_label: str
    national_status: int = Field(..., description="Mã trạng thái quốc gia 1–10 (shared/domain.md §1.11).")
    channel: str
    national_channel: int = Field(..., description="Kênh thực hiện: 1 trực tiếp, 2 trực tuyến, 3 bưu chính.")
    procedure: ProcedureRef
    applicant_name: str
    resolving_unit: UnitOut
    submitted_at: dt.datetime
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    overdue: bool = Field(..., description="Hạn trả kết quả đã qua mà hồ sơ chưa kết thúc (tính lúc trả lời).")
    version: int


class DossierPage(Schema):
    items: list[DossierSummary]
    count: int
    page: int
    page_size: int


class DossierDetail(DossierSummary):
    regime: str
    variant: VariantRef
    applicant: ApplicantOut
    representative_name: str
    receiving_desk: str
    receiving_unit: UnitOut
    returning_unit: UnitOut
    delivery: str
    delivery_address: str
    sets: int
    clock_start: dt.datetime | None
    time_limit: DurationOut
    supplement_rule: str
    original_due_at: dt.datetime | None
    transfer_due_at: dt.datetime | None
    returned_at: dt.datetime | None
    current_step: int | None = Field(..., description="`seq` của bước đang xử lý trong `steps`.")
    outcome: str
    result_number: str
    result_issued_at: dt.datetime | None
    return_method: str
    originals_returned: bool
    book_year: int | None
    book_number: int | None
    fee_total: int
    fee_paid: int
    steps: list[StepOut] = Field(..., description="Phiếu kiểm soát quá trình giải quyết hồ sơ.")
    tasks: list[TaskOut]
    supplements: list[SupplementOut]
    extension: ExtensionOut | None
    documents: list[DocumentOut]
    fees: list[FeeOut]
    payments: list[PaymentOut]


class EventOut(Schema):
    seq: int
    type: str
    actor_name: str
    at: dt.datetime
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str
    hash: str
    prev_hash: str
