"""Dossiers: the application, its workflow steps, clock intervals, files, fees and its ledger.

Rows hold data and constraints only. Every change goes through ``dossiers.services`` (one command =
one transaction = one ledger event); nothing here decides a rule.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import Applicant, Role
from motcua.catalog.models import DocumentKind, FeeKind, ProcedureVariant, ProcedureVersion, RequiredDocument, TimeUnit
from motcua.org.models import Desk, OrgUnit


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POSTAL = "postal", _("Bưu chính công ích")


# KenhThucHien in the national portal's synchronisation (shared/domain.md §1.2).
NATIONAL_CHANNEL = {Channel.IN_PERSON: 1, Channel.ONLINE: 2, Channel.POSTAL: 3}


class Regime(models.TextChoices):
    ND61 = "ND61", _("Nghị định 61/2018/NĐ-CP")
    ND118 = "ND118", _("Nghị định 118/2025/NĐ-CP")


class State(models.TextChoices):
    SUBMITTED = "submitted", _("Mới đăng ký, chờ tiếp nhận")
    INTAKE_SUPPLEMENT = "intake_supplement", _("Chờ bổ sung trước khi tiếp nhận")
    INTAKE_REFUSED = "intake_refused", _("Không được tiếp nhận")
    RECEIVED = "received", _("Đã tiếp nhận, chờ chuyển xử lý")
    PROCESSING = "processing", _("Đang xử lý")
    AWAITING_SUPPLEMENT = "awaiting_supplement", _("Chờ bổ sung hồ sơ")
    AWAITING_PAYMENT = "awaiting_payment", _("Chờ thực hiện nghĩa vụ tài chính")
    WITHDRAWN = "withdrawn", _("Công dân rút hồ sơ")
    STOPPED = "stopped", _("Dừng xử lý")
    REFUSED = "refused", _("Từ chối giải quyết")
    RESULT_READY = "result_ready", _("Đã có kết quả, chờ trả")
    RETURNED = "returned", _("Đã trả kết quả")


# The ten national status codes (shared/domain.md §1.11) used to synchronise with the national portal.
NATIONAL_STATUS = {
    State.SUBMITTED: 1, State.RECEIVED: 2, State.INTAKE_REFUSED: 3, State.PROCESSING: 4,
    State.INTAKE_SUPPLEMENT: 5, State.AWAITING_SUPPLEMENT: 5, State.AWAITING_PAYMENT: 6, State.WITHDRAWN: 7,
    State.STOPPED: 8, State.REFUSED: 8, State.RESULT_READY: 9, State.RETURNED: 10,
}
OPEN_STATES = (State.RECEIVED, State.PROCESSING, State.AWAITING_SUPPLEMENT, State.AWAITING_PAYMENT)
FINISHED_STATES = (State.WITHDRAWN, State.STOPPED, State.REFUSED, State.RESULT_READY, State.RETURNED)


class Delivery(models.TextChoices):
    DESK = "desk", _("Nhận trực tiếp tại bộ phận một cửa")
    POST = "post", _("Nhận qua bưu chính công ích")
    ONLINE = "online", _("Nhận trực tuyến")


class Outcome(models.TextChoices):
    NONE = "", _("Chưa có")
    GRANTED = "granted", _("Giải quyết")
    REFUSED = "refused", _("Từ chối giải quyết")


# The QĐ 766 facts stored on the row (reports.index766.facts_sql reads them from dossier_index766).
INDEX766_FACTS = ["paid_online_at", "e_intake_at", "e_result_at", "reused_at", "supplement_at", "supplemented_at",
                  "supplement_again_at", "feedback_at", "disliked_at", "elapsed_seconds", "allowed_seconds"]
_REPORT_COLUMNS = ["received_at", "finished_at", "timeliness", "paid_online_at", "channel", "state", "due_at",
                   "original_due_at", "supplement_at", "supplemented_at", "supplement_again_at"]


class Dossier(models.Model):
    reference = models.UUIDField(_("Mã tra cứu nội bộ"), default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("Mã hồ sơ"), max_length=60, unique=True, null=True, blank=True,
                            help_text=_("Cấp khi tiếp nhận: <mã định danh đơn vị>-YYMMDD-NNNN."))
    channel = models.CharField(_("Kênh nộp"), max_length=12, choices=Channel.choices)
    state = models.CharField(_("Trạng thái"), max_length=20, choices=State.choices, db_index=True)
    regime = models.CharField(_("Chế độ pháp lý"), max_length=6, choices=Regime.choices, blank=True)
    # Foreign keys without an index of their own: followed from the dossier, or the first column of a
    # composite index below (migration 0003 says which index serves which list).
    procedure_version = models.ForeignKey(ProcedureVersion, verbose_name=_("Phiên bản thủ tục"),
                                          on_delete=models.PROTECT, related_name="dossiers", db_index=False)
    variant = models.ForeignKey(ProcedureVariant, verbose_name=_("Trường hợp"), on_delete=models.PROTECT,
                                related_name="dossiers", db_index=False)
    applicant = models.ForeignKey(Applicant, verbose_name=_("Người nộp"), on_delete=models.PROTECT,
                                  related_name="dossiers", db_index=False)
    representative_name = models.CharField(_("Người được ủy quyền"), max_length=255, blank=True)
    representative_id_number = models.CharField(_("Số giấy tờ người được ủy quyền"), max_length=20, blank=True)
    representative_phone = models.CharField(_("Điện thoại người được ủy quyền"), max_length=20, blank=True)
    contact_email = models.EmailField(_("Thư điện tử nhận thông báo"), blank=True)
    contact_phone = models.CharField(_("Điện thoại nhận thông báo"), max_length=20, blank=True)
    receiving_desk = models.ForeignKey(Desk, verbose_name=_("Bộ phận tiếp nhận"), on_delete=models.PROTECT,
                                       related_name="dossiers", db_index=False)
    receiving_unit = models.ForeignKey(OrgUnit, verbose_name=_("Đơn vị tiếp nhận"), on_delete=models.PROTECT,
                                       related_name="received_dossiers", db_index=False)
    resolving_unit = models.ForeignKey(OrgUnit, verbose_name=_("Cơ quan giải quyết"), on_delete=models.PROTECT,
                                       related_name="resolved_dossiers", db_index=False)
    returning_unit = models.ForeignKey(OrgUnit, verbose_name=_("Đơn vị trả kết quả"), on_delete=models.PROTECT,
                                       related_name="returned_dossiers", db_index=False)
    delivery = models.CharField(_("Hình thức nhận kết quả"), max_length=10, choices=Delivery.choices,
                                default=Delivery.DESK)
    delivery_address = models.CharField(_("Địa chỉ nhận kết quả"), max_length=255, blank=True)
    sets = models.PositiveSmallIntegerField(_("Số bộ hồ sơ"), default=1)
    idempotency_key = models.CharField(_("Khóa chống nộp trùng"), max_length=64, null=True, blank=True)

    submitted_at = models.DateTimeField(_("Thời điểm nộp"))
    received_at = models.DateTimeField(_("Thời điểm tiếp nhận"), null=True, blank=True)
    clock_start = models.DateTimeField(_("Bắt đầu tính thời hạn"), null=True, blank=True)
    limit_value = models.DecimalField(_("Thời hạn giải quyết"), max_digits=9, decimal_places=3)
    limit_unit = models.CharField(_("Đơn vị thời hạn"), max_length=20, choices=TimeUnit.choices)
    cutoff = models.TimeField(_("Giờ nhận hồ sơ giấy cuối ngày"), null=True, blank=True)
    supplement_rule = models.CharField(_("Khi bổ sung hồ sơ"), max_length=10)
    original_due_at = models.DateTimeField(_("Hạn trả kết quả ban đầu"), null=True, blank=True)
    due_at = models.DateTimeField(_("Hạn trả kết quả"), null=True, blank=True, db_index=True)
    transfer_due_at = models.DateTimeField(_("Hạn chuyển hồ sơ"), null=True, blank=True)
    finished_at = models.DateTimeField(_("Thời điểm kết thúc xử lý"), null=True, blank=True, db_index=True)
    returned_at = models.DateTimeField(_("Thời điểm trả kết quả"), null=True, blank=True)
    current_step = models.ForeignKey("DossierStep", verbose_name=_("Bước hiện tại"), on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")

    fee_total = models.PositiveBigIntegerField(_("Phí, lệ phí phải nộp (đồng)"), default=0)
    fee_paid = models.PositiveBigIntegerField(_("Đã nộp (đồng)"), default=0)
    # Report facts derived from the fields above when they change (services._command, the generator), kept
    # out of the ledger (ledger.DERIVED): dossiers.timeliness; the first online payment.
    timeliness = models.PositiveSmallIntegerField(_("Đúng hạn theo từng cách so sánh (mã)"), null=True, blank=True)
    paid_online_at = models.DateTimeField(_("Thanh toán trực tuyến lần đầu lúc"), null=True, blank=True)
    # QĐ 766 facts kept as the documents are added (services._add_documents, the generator; dossiers.report_facts),
    # as instants so "as of a cutoff" stays exact: the first lodged file with a SHA-256, the first electronic
    # result, the first lodged file the same applicant had already given in a dossier submitted earlier (4.3).
    e_intake_at = models.DateTimeField(_("Nộp tệp điện tử đầu tiên lúc"), null=True, blank=True)
    e_result_at = models.DateTimeField(_("Có kết quả điện tử lúc"), null=True, blank=True)
    reused_at = models.DateTimeField(_("Dùng lại tệp đã nộp lúc"), null=True, blank=True)
    # QĐ 766 lateness and complaint facts (dossiers.report_facts), also as instants: the first and second
    # supplement request after appraisal (a second one makes the dossier late), the first one's completion,
    # the first feedback (PAKN) about the dossier, and the rating when it was "not satisfied".
    supplement_at = models.DateTimeField(_("Yêu cầu bổ sung (sau thẩm định) lần đầu lúc"), null=True, blank=True)
    supplemented_at = models.DateTimeField(_("Đã bổ sung lần đầu lúc"), null=True, blank=True)
    supplement_again_at = models.DateTimeField(_("Yêu cầu bổ sung lần hai lúc"), null=True, blank=True)
    feedback_at = models.DateTimeField(_("Phản ánh, kiến nghị đầu tiên lúc"), null=True, blank=True)
    disliked_at = models.DateTimeField(_("Đánh giá không hài lòng lúc"), null=True, blank=True)
    # A finished dossier with a due instant: whole seconds from the clock's start to its finish and to its due
    # instant (QĐ 766 2.2 sums them; fixed once it finishes, like ``timeliness``).
    elapsed_seconds = models.BigIntegerField(_("Thời gian giải quyết (giây)"), null=True, blank=True)
    allowed_seconds = models.BigIntegerField(_("Thời hạn giải quyết (giây)"), null=True, blank=True)
    # Set by the database from the columns above on every write (triggers, dossiers.settled): from when the QĐ 766
    # facts can no longer change, and those facts as bits, so the index sums bits for most of a finished period.
    settled_at = models.DateTimeField(_("Chỉ số 766 không còn thay đổi từ"), null=True, blank=True, editable=False)
    facts766 = models.IntegerField(_("Chỉ số 766 (bit)"), null=True, blank=True, editable=False)

    outcome = models.CharField(_("Kết quả"), max_length=10, choices=Outcome.choices, blank=True, default="")
    result_number = models.CharField(_("Số, ký hiệu kết quả"), max_length=100, blank=True)
    result_issued_at = models.DateTimeField(_("Ngày ban hành kết quả"), null=True, blank=True)
    return_method = models.CharField(_("Đã trả qua"), max_length=10, choices=Delivery.choices, blank=True)
    originals_returned = models.BooleanField(_("Đã trả bản chính"), default=False)

    book_year = models.PositiveSmallIntegerField(_("Sổ theo dõi năm"), null=True, blank=True)
    book_number = models.PositiveIntegerField(_("Số thứ tự trong sổ"), null=True, blank=True)

    version = models.PositiveIntegerField(_("Phiên bản bản ghi"), default=0,
                                          help_text=_("Tăng sau mỗi thao tác; chống hai người cùng sửa."))
    ledger_length = models.PositiveIntegerField(_("Số sự kiện"), default=0)
    ledger_head = models.CharField(_("Mã băm sự kiện cuối"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["applicant", "idempotency_key"], condition=Q(idempotency_key__isnull=False),
                                    name="dossier_idempotent_submission"),
            models.UniqueConstraint(fields=["receiving_unit", "book_year", "book_number"],
                                    condition=Q(book_number__isnull=False), name="dossier_unique_book_entry"),
            models.CheckConstraint(condition=Q(fee_paid__lte=models.F("fee_total")), name="dossier_not_overpaid"),
            models.CheckConstraint(condition=Q(limit_value__gt=0), name="dossier_limit_positive"),
        ]
        indexes = [
            models.Index(fields=["resolving_unit", "state", "due_at"], name="dossier_unit_state_due"),
            models.Index(fields=["receiving_unit", "received_at"], name="dossier_received"),
            models.Index(fields=["applicant", "submitted_at"], name="dossier_applicant"),
            # Each covers every dossier column Biểu 06 reads (reports.bieu06_sql), led by the column it
            # groups by: SQLite scans the index in group order (no sort of millions of rows, no wide rows).
            models.Index(fields=["resolving_unit", *_REPORT_COLUMNS, "procedure_version", "id"],
                         name="dossier_report_unit"),
            models.Index(fields=["procedure_version", *_REPORT_COLUMNS, "resolving_unit", "id"],
                         name="dossier_report_version"),
            # Covers every dossier column the QĐ 766 index reads (reports.index766.facts_sql), led by its grouping.
            models.Index(fields=["resolving_unit", "received_at", "finished_at", "due_at", "outcome",
                                 "channel", "fee_total", *INDEX766_FACTS, "id"], name="dossier_index766"),
            # The settled dossiers' facts as bits (dossiers.settled), summed per unit from this narrow index; the
            # rest of a period (not settled before its cutoff) found from the second one and worked out row by row.
            models.Index(fields=["resolving_unit", "received_at", "settled_at", "facts766", "elapsed_seconds",
                                 "allowed_seconds"], name="dossier_settled766"),
            models.Index(fields=["settled_at", "resolving_unit", "received_at"], name="dossier_unsettled766"),
            # QĐ 766 online procedures used: the online dossiers in (unit, procedure version) order, so the distinct
            # pairs of a period are one ordered scan, not a hash of every dossier. Partial, not led by the channel:
            # led by it, SQLite took it for every "channel = online" filter (the desk's online queue: 5× slower).
            models.Index(fields=["resolving_unit", "procedure_version", "received_at"], condition=Q(channel="online"),
                         name="dossier_online"),
        ]

    def __str__(self) -> str:
        return self.code or f"{_('Hồ sơ chưa tiếp nhận')} {str(self.reference)[:8]}"

    @property
    def national_status(self) -> int:
        return NATIONAL_STATUS[self.state]

    @property
    def national_channel(self) -> int:
        return NATIONAL_CHANNEL[self.channel]


class StepOutcome(models.TextChoices):
    OPEN = "", _("Đang thực hiện")
    FORWARDED = "forwarded", _("Chuyển bước tiếp theo")
    SENT_BACK = "sent_back", _("Trả lại bước trước")
    APPROVED = "approved", _("Phê duyệt")
    REFUSED = "refused", _("Từ chối giải quyết")
    ISSUED = "issued", _("Ban hành kết quả")
    RETURNED = "returned", _("Trả kết quả")
    CLOSED = "closed", _("Kết thúc (hồ sơ dừng)")


STEP_ROLES = (Role.RECEPTIONIST, Role.SPECIALIST, Role.LEADER, Role.CLERK)


class DossierStep(models.Model):
    """One pass through a workflow step: a row of the process control sheet (Phiếu kiểm soát)."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("Hồ sơ"), on_delete=models.CASCADE, related_name="steps",
                                db_index=False)  # dossierstep_unique_seq starts with it
    seq = models.PositiveSmallIntegerField(_("Lượt"))
    order = models.PositiveSmallIntegerField(_("Bước quy trình"))
    name = models.CharField(_("Nội dung công việc"), max_length=500)
    role = models.CharField(_("Vai trò"), max_length=20, choices=[(r.value, r.label) for r in STEP_ROLES])
    unit = models.ForeignKey(OrgUnit, verbose_name=_("Đơn vị thực hiện"), on_delete=models.PROTECT,
                             related_name="dossier_steps", db_index=False)  # dossierstep_inbox starts with it
    due_at = models.DateTimeField(_("Hạn hoàn thành bước"), null=True, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Người xử lý"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="dossier_steps")
    started_at = models.DateTimeField(_("Nhận bước lúc"))
    finished_at = models.DateTimeField(_("Hoàn thành lúc"), null=True, blank=True)
    finished_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Người hoàn thành"),
                                    on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    db_index=False)  # followed from the step only
    outcome = models.CharField(_("Kết quả bước"), max_length=12, choices=StepOutcome.choices, blank=True, default="")
    note = models.TextField(_("Ghi chú"), blank=True)

    class Meta:
        verbose_name = _("bước xử lý hồ sơ")
        verbose_name_plural = _("phiếu kiểm soát quá trình giải quyết")
        ordering = ["dossier", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="dossierstep_unique_seq")]
        indexes = [models.Index(fields=["unit", "finished_at", "due_at"], name="dossierstep_inbox")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class TaskKind(models.TextChoices):
    TRANSFER = "transfer", _("Liên thông")
    CONSULTATION = "consultation", _("Lấy ý kiến")


class TaskMode(models.TextChoices):
    SEQUENTIAL = "sequential", _("Tuần tự")
    PARALLEL = "parallel", _("Song song")


class TaskState(models.TextChoices):
    WAITING = "waiting", _("Chờ đến lượt")
    ACTIVE = "active", _("Đang thực hiện")
    DONE = "done", _("Đã xong")


class AgencyTask(models.Model):
    """Work another agency does on the dossier: an inter-agency task (liên thông) or a consultation."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("Hồ sơ"), on_delete=models.CASCADE, related_name="tasks",
                                db_index=False)  # task_unique_seq starts with it
    kind = models.CharField(_("Loại"), max_length=12, choices=TaskKind.choices)
    mode = models.CharField(_("Cách phối hợp"), max_length=10, choices=TaskMode.choices)
    batch = models.PositiveSmallIntegerField(_("Đợt"))
    sequence_no = models.PositiveSmallIntegerField(_("Thứ tự"))
    unit = models.ForeignKey(OrgUnit, verbose_name=_("Cơ quan phối hợp"), on_delete=models.PROTECT,
                             related_name="agency_tasks")
    task = models.TextField(_("Nhiệm vụ"))
    due_at = models.DateTimeField(_("Hạn"))
    state = models.CharField(_("Trạng thái"), max_length=10, choices=TaskState.choices)
    created_at = models.DateTimeField(_("Gửi lúc"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("Bắt đầu lúc"), null=True, blank=True)
    completed_at = models.DateTimeField(_("Hoàn thành lúc"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    answer = models.TextField(_("Kết quả, ý kiến"), blank=True)

    class Meta:
        verbose_name = _("nhiệm vụ phối hợp")
        verbose_name_plural = _("nhiệm vụ phối hợp")
        ordering = ["dossier", "batch", "sequence_no"]
        constraints = [models.UniqueConstraint(fields=["dossier", "batch", "sequence_no"], name="task_unique_seq")]


class SupplementStage(models.TextChoices):
    INTAKE = "intake", _("Trước khi tiếp nhận")
    PROCESSING = "processing", _("Trong quá trình giải quyết")


class SupplementRequest(models.Model):
    """A request for missing documents (Mẫu 02); during processing its interval stops or restarts the clock."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("Hồ sơ"), on_delete=models.CASCADE,
                                related_name="supplements")
    stage = models.CharField(_("Giai đoạn"), max_length=12, choices=SupplementStage.choices)
    number = models.CharField(_("Số phiếu"), max_length=40)
    requested_at = models.DateTimeField(_("Yêu cầu lúc"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    items = models.JSONField(_("Giấy tờ cần bổ sung"), default=list)
    reason = models.TextField(_("Lý do"))
    completed_at = models.DateTimeField(_("Đã bổ sung lúc"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")

    class Meta:
        verbose_name = _("yêu cầu bổ sung hồ sơ")
        verbose_name_plural = _("yêu cầu bổ sung hồ sơ")
        ordering = ["dossier", "requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["dossier"], condition=Q(completed_at__isnull=True),
                                    name="supplement_one_open"),
            models.CheckConstraint(condition=Q(completed_at__isnull=True) | Q(completed_at__gte=models.F("requested_at")),
                                   name="supplement_ordered"),
        ]


class Extension(models.Model):
    """The apology letter with the new appointment (Mẫu 04): at most one per dossier."""

    dossier = models.OneToOneField(Dossier, verbose_name=_("Hồ sơ"), on_delete=models.CASCADE,
                                   related_name="extension")
    number = models.CharField(_("Số văn bản"), max_length=40)
    requested_at = models.DateTimeField(_("Lập lúc"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("Lý do chậm"))
    by_value = models.DecimalField(_("Gia hạn thêm"), max_digits=9, decimal_places=3)
    by_unit = models.CharField(_("Đơn vị"), max_length=20, choices=TimeUnit.choices)
    previous_due_at = models.DateTimeField(_("Hạn trước khi hẹn lại"))
    new_due_at = models.DateTimeField(_("Hạn mới"))

    class Meta:
        verbose_name = _("văn bản xin lỗi, hẹn lại")
        verbose_name_plural = _("văn bản xin lỗi, hẹn lại")
        constraints = [models.CheckConstraint(condition=Q(new_due_at__gt=models.F("previous_due_at")),
                                              name="extension_later")]


class DocumentStage(models.TextChoices):
    INTAKE = "intake", _("Nộp kèm hồ sơ")
    SUPPLEMENT = "supplement", _("Bổ sung")
    RESULT = "result", _("Kết quả giải quyết")


class DossierDocument(models.Model):
    dossier = models.ForeignKey(Dossier, verbose_name=_("Hồ sơ"), on_delete=models.CASCADE, related_name="documents")
    required = models.ForeignKey(RequiredDocument, verbose_name=_("Theo thành phần"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+", db_index=False)  # followed from here only
    stage = models.CharField(_("Giai đoạn"), max_length=12, choices=DocumentStage.choices)
    name = models.CharField(_("Tên giấy tờ"), max_length=1000)
    kind = models.CharField(_("Loại bản"), max_length=20, choices=DocumentKind.choices)
    count = models.PositiveSmallIntegerField(_("Số lượng"), default=1)
    file = models.FileField(_("Tệp"), upload_to="dossiers/", max_length=255, blank=True)
    file_name = models.CharField(_("Tên tệp gốc"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    content_type = models.CharField(_("Kiểu tệp"), max_length=40, blank=True)
    size = models.PositiveBigIntegerField(_("Dung lượng (byte)"), default=0)
    added_at = models.DateTimeField(_("Thêm lúc"))

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["dossier", "id"]


class DossierFee(models.Model):
    dossier = models.ForeignKey(Dossier, verbose_name=_("Hồ sơ"), on_delete=models.CASCADE, related_name="fees",
                                db_index=False)  # dossierfee_unique_order starts with it
    order = models.PositiveSmallIntegerField(_("Thứ tự"))
    kind = models.CharField(_("Loại"), max_length=10, choices=FeeKind.choices)
    name = models.CharField(_("Khoản thu"), max_length=500)
    amount = models.PositiveBigIntegerField(_("Số tiền (đồng)"))

    class Meta:
        verbose_name = _("phí, lệ phí của hồ sơ")
        verbose_name_plural = _("phí, lệ phí của hồ sơ")
        ordering = ["dossier", "order"]
        constraints = [models.UniqueConstraint(fields=["dossier", "order"], name="dossierfee_unique_order")]


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Tiền mặt")
    TRANSFER = "transfer", _("Chuyển khoản")
    ONLINE = "online", _("Thanh toán trực tuyến")
    POSTAL = "postal", _("Qua bưu chính công ích")


class Payment(models.Model):
    dossier = models.ForeignKey(Dossier, verbose_name=_("Hồ sơ"), on_delete=models.CASCADE, related_name="payments",
                                db_index=False)  # payment_unique_reference starts with it
    amount = models.PositiveBigIntegerField(_("Số tiền (đồng)"))
    method = models.CharField(_("Hình thức"), max_length=10, choices=PaymentMethod.choices)
    reference = models.CharField(_("Số biên lai / mã giao dịch"), max_length=100)
    paid_at = models.DateTimeField(_("Nộp lúc"))

    class Meta:
        verbose_name = _("khoản đã nộp")
        verbose_name_plural = _("khoản đã nộp")
        ordering = ["dossier", "paid_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "reference"], name="payment_unique_reference"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
        ]


class Counter(models.Model):
    """Atomic counters: the daily dossier sequence per unit, the yearly tracking-book numbers, form numbers."""

    key = models.CharField(max_length=120, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("bộ đếm")
        verbose_name_plural = _("bộ đếm")


class LedgerEvent(models.Model):
    """One link of a dossier's hash chain: what happened, who did it, when, and what changed."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events",
                                db_index=False)  # ledger_unique_seq starts with it
    seq = models.PositiveIntegerField(_("Số thứ tự"))
    type = models.CharField(_("Loại sự kiện"), max_length=40)
    actor_id_value = models.BigIntegerField(_("Mã người thực hiện"), null=True, blank=True)
    actor_name = models.CharField(_("Người thực hiện"), max_length=150, blank=True)
    at = models.DateTimeField(_("Thời điểm"))
    # What the command changed, as canonical JSON text (dossiers.ledger: the stored bytes are the hashed bytes).
    before = models.TextField(_("Trước"), default="{}")
    after = models.TextField(_("Sau"), default="{}")
    reason = models.TextField(_("Lý do"), blank=True)
    prev_hash = models.CharField(_("Mã băm trước"), max_length=64)
    hash = models.CharField(_("Mã băm"), max_length=64)

    class Meta:
        verbose_name = _("sự kiện sổ cái")
        verbose_name_plural = _("sổ cái hồ sơ")
        ordering = ["dossier", "seq"]
        constraints = [models.UniqueConstraint(fields=["dossier", "seq"], name="ledger_unique_seq")]
        indexes = [models.Index(fields=["type", "at"], name="ledger_type_at")]
