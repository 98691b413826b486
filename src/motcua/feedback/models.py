"""The applicant's evaluation of a dossier's handling, and feedback (PAKN) with its deadlines.

Data and constraints only; every change goes through ``feedback.services``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import Applicant
from motcua.catalog.models import Procedure
from motcua.dossiers.models import Dossier
from motcua.org.models import OrgUnit

__all__ = ["EvaluationChannel", "Evaluation", "FeedbackKind", "FeedbackState", "Feedback", "new_token",
           "INDICATOR_FIELDS"]

# One column per indicator the applicant answers (TT 01/2018 Điều 13, per dossier): averaged in SQL.
INDICATOR_FIELDS = {1: "i1", 2: "i2", 3: "i3", 4: "i4", 6: "i6", 7: "i7"}


class EvaluationChannel(models.TextChoices):
    ONLINE = "online", _("Chức năng đánh giá trực tuyến")
    DEVICE = "device", _("Thiết bị đánh giá điện tử")
    PAPER = "paper", _("Phiếu đánh giá")


def _points(name: str, required: bool):
    return models.PositiveSmallIntegerField(name, null=not required, blank=not required)


class Evaluation(models.Model):
    """One rating per dossier (the one-to-one is the database's guarantee), by its applicant."""

    dossier = models.OneToOneField(Dossier, verbose_name=_("Hồ sơ"), on_delete=models.PROTECT,
                                   related_name="evaluation")
    applicant = models.ForeignKey(Applicant, verbose_name=_("Người đánh giá"), on_delete=models.PROTECT,
                                  related_name="+", db_index=False)  # followed from the evaluation only
    # The resolving unit when rated (a finished dossier's units no longer change): grouping needs no join.
    unit = models.ForeignKey(OrgUnit, verbose_name=_("Cơ quan giải quyết"), on_delete=models.PROTECT,
                             related_name="+", db_index=False)  # evaluation_unit_rated starts with it
    criteria_set = models.CharField(_("Bộ tiêu chí"), max_length=20)
    channel = models.CharField(_("Kênh đánh giá"), max_length=10, choices=EvaluationChannel.choices)
    i1 = _points(_("Chỉ số 1: tổng thời gian giải quyết"), True)
    i2 = _points(_("Chỉ số 2: thời gian của từng cơ quan"), False)
    i3 = _points(_("Chỉ số 3: số lần liên hệ nơi tiếp nhận"), True)
    i4 = _points(_("Chỉ số 4: số cơ quan phải liên hệ"), True)
    i6 = _points(_("Chỉ số 6: công khai thủ tục"), False)
    i7 = _points(_("Chỉ số 7: thái độ cán bộ"), True)
    satisfaction = models.PositiveSmallIntegerField(_("Mức hài lòng chung (1–5)"))
    comment = models.TextField(_("Góp ý thêm"), blank=True)
    rated_at = models.DateTimeField(_("Đánh giá lúc"))
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Tài khoản đánh giá"),
                                 on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("đánh giá giải quyết hồ sơ")
        verbose_name_plural = _("đánh giá giải quyết hồ sơ")
        ordering = ["-rated_at"]
        constraints = [
            *[models.CheckConstraint(condition=Q(**{f"{f}__isnull": True}) | Q(**{f"{f}__lte": 2}),
                                     name=f"evaluation_{f}_scale") for f in INDICATOR_FIELDS.values()],
            models.CheckConstraint(condition=Q(satisfaction__gte=1, satisfaction__lte=5),
                                   name="evaluation_satisfaction_scale"),
        ]
        indexes = [models.Index(fields=["unit", "rated_at"], name="evaluation_unit_rated")]

    def __str__(self) -> str:
        return f"{self.dossier} – {self.rated_at:%d/%m/%Y}"

    def points(self) -> dict[int, int | None]:
        return {number: getattr(self, name) for number, name in INDICATOR_FIELDS.items()}


class FeedbackKind(models.TextChoices):
    # QĐ 766 indicator 5.1 classifies PAKN into these two; TT 01/2018 indicator 7 reads the second.
    REGULATION = "regulation", _("Quy định, thủ tục hành chính")
    CONDUCT = "conduct", _("Hành vi, thái độ của cán bộ, công chức")


class FeedbackState(models.TextChoices):
    OPEN = "open", _("Đang xem xét, xử lý")
    ANSWERED = "answered", _("Đã trả lời")
    DECLINED = "declined", _("Không thụ lý")


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Feedback(models.Model):
    """A citizen's feedback (phản ánh, kiến nghị) about a procedure or a dossier, with the unit that
    must handle it and the instants by which it must (derived by the calendar, stored like a due date)."""

    token = models.CharField(_("Mã truy cập"), max_length=64, unique=True, default=new_token, editable=False)
    kind = models.CharField(_("Nội dung phản ánh về"), max_length=12, choices=FeedbackKind.choices)
    procedure = models.ForeignKey(Procedure, verbose_name=_("Thủ tục"), on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+", db_index=False)  # followed from here only
    dossier = models.ForeignKey(Dossier, verbose_name=_("Hồ sơ"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="feedback")
    applicant = models.ForeignKey(Applicant, verbose_name=_("Người nộp hồ sơ gửi"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    sender_name = models.CharField(_("Họ tên người gửi"), max_length=255)
    email = models.EmailField(_("Thư điện tử"), blank=True)
    phone = models.CharField(_("Số điện thoại"), max_length=20, blank=True)
    subject = models.CharField(_("Tiêu đề"), max_length=200)
    content = models.TextField(_("Nội dung"))
    unit = models.ForeignKey(OrgUnit, verbose_name=_("Đơn vị xử lý"), on_delete=models.PROTECT, related_name="+",
                             db_index=False)  # feedback_unit_due starts with it
    submitted_at = models.DateTimeField(_("Gửi lúc"))
    clock_start = models.DateTimeField(_("Tính hạn từ"), help_text=_("Lúc gửi, hoặc lúc chuyển đơn vị gần nhất."))
    answer_due_at = models.DateTimeField(_("Hạn xử lý"))
    refusal_due_at = models.DateTimeField(_("Hạn từ chối thụ lý"))
    state = models.CharField(_("Tình trạng"), max_length=10, choices=FeedbackState.choices,
                             default=FeedbackState.OPEN)
    answer = models.TextField(_("Nội dung trả lời"), blank=True)
    closed_at = models.DateTimeField(_("Trả lời lúc"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Cán bộ trả lời"),
                                  on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    # TT 01/2018 indicator 7: a complaint found untrue by the competent body does not count.
    unfounded = models.BooleanField(_("Kết luận phản ánh không đúng"), default=False)
    transfers = models.PositiveSmallIntegerField(_("Số lần chuyển đơn vị"), default=0)

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        ordering = ["answer_due_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(procedure__isnull=False) | Q(dossier__isnull=False),
                                   name="feedback_has_subject"),
            models.CheckConstraint(condition=Q(applicant__isnull=False) | ~Q(email="") | ~Q(phone=""),
                                   name="feedback_reachable"),
            models.CheckConstraint(condition=Q(state=FeedbackState.OPEN, closed_at__isnull=True)
                                   | (~Q(state=FeedbackState.OPEN) & Q(closed_at__isnull=False) & ~Q(answer="")),
                                   name="feedback_closed_with_answer"),
        ]
        indexes = [models.Index(fields=["unit", "state", "answer_due_at"], name="feedback_unit_due")]

    def __str__(self) -> str:
        return f"{self.number} – {self.subject}"

    @property
    def number(self) -> str:
        return f"PAKN-{self.pk:06d}" if self.pk else "PAKN"
