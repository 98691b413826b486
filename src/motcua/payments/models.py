"""One row per online payment attempt: what was asked of the gateway and what it answered.

The money itself is recorded by ``dossiers.services.record_payment`` (a ``Payment`` row, a ledger
event); this table is the trail of the gateway conversation that led to it, or did not.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import Dossier


class AttemptState(models.TextChoices):
    PENDING = "pending", _("Đang chờ kết quả từ cổng thanh toán")
    PAID = "paid", _("Đã thanh toán")
    CANCELLED = "cancelled", _("Người nộp đã hủy")
    FAILED = "failed", _("Không thành công")
    # The gateway took the money but the dossier could not accept it (paid meanwhile at the desk,
    # withdrawn, ...): staff must refund it.
    REFUND_DUE = "refund_due", _("Đã trừ tiền nhưng hồ sơ không nhận – cần hoàn tiền")


class PaymentAttempt(models.Model):
    dossier = models.ForeignKey(Dossier, verbose_name=_("Hồ sơ"), on_delete=models.PROTECT,
                                related_name="payment_attempts", db_index=False)  # the index below starts with it
    provider = models.CharField(_("Cổng thanh toán"), max_length=30)
    amount = models.PositiveBigIntegerField(_("Số tiền (đồng)"), help_text=_("Số còn phải nộp khi bắt đầu"))
    reference = models.CharField(_("Mã giao dịch của hệ thống"), max_length=40, unique=True)
    state = models.CharField(_("Trạng thái"), max_length=12, choices=AttemptState.choices,
                             default=AttemptState.PENDING)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Người thực hiện"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    client_ip = models.GenericIPAddressField(_("Địa chỉ IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("Bắt đầu lúc"))
    finished_at = models.DateTimeField(_("Có kết quả lúc"), null=True, blank=True)
    finished_via = models.CharField(_("Kết quả nhận qua"), max_length=10, blank=True)  # "ipn" or "return"
    transaction_no = models.CharField(_("Mã giao dịch tại cổng"), max_length=40, blank=True)
    response_code = models.CharField(_("Mã phản hồi của cổng"), max_length=4, blank=True)
    params = models.JSONField(_("Tham số đã xác thực chữ ký"), default=dict, blank=True)
    note = models.TextField(_("Ghi chú"), blank=True)

    class Meta:
        verbose_name = _("giao dịch thanh toán trực tuyến")
        verbose_name_plural = _("giao dịch thanh toán trực tuyến")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["dossier", "created_at"], name="paymentattempt_dossier")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="paymentattempt_positive"),
            models.CheckConstraint(condition=Q(state="pending") | Q(finished_at__isnull=False),
                                   name="paymentattempt_finished_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.amount} đồng, {self.get_state_display()})"
