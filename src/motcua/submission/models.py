"""Drafts of online dossiers: what the applicant has typed and uploaded so far, kept until submitted.

A draft belongs to the applicant (not to a browser), so its stable link resumes it from any device
after login. Rows hold data only; ``drafts`` decides what is valid and when.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import Applicant
from motcua.catalog.models import ProcedureVariant, RequiredDocument
from motcua.dossiers.models import Delivery, Dossier


def new_idempotency_key() -> str:
    """Made once with the draft: every submit of this draft carries it, so a retry is the same dossier."""
    return secrets.token_urlsafe(24)  # 32 characters, within submit_online's 8–64


class Draft(models.Model):
    uuid = models.UUIDField(_("Mã bản nháp"), default=uuid.uuid4, unique=True, editable=False)
    applicant = models.ForeignKey(Applicant, verbose_name=_("Người nộp"), on_delete=models.CASCADE,
                                  related_name="drafts")
    variant = models.ForeignKey(ProcedureVariant, verbose_name=_("Trường hợp thủ tục"), on_delete=models.PROTECT,
                                related_name="+")
    # Contact, representative, resolving unit and fee inputs as typed: a draft may be incomplete.
    data = models.JSONField(_("Dữ liệu biểu mẫu"), default=dict, blank=True)
    delivery = models.CharField(_("Hình thức nhận kết quả"), max_length=10, choices=Delivery.choices,
                                default=Delivery.ONLINE)
    delivery_address = models.CharField(_("Địa chỉ nhận kết quả"), max_length=255, blank=True)
    idempotency_key = models.CharField(_("Khóa chống nộp trùng"), max_length=64, default=new_idempotency_key,
                                       editable=False)
    dossier = models.OneToOneField(Dossier, verbose_name=_("Hồ sơ đã nộp"), on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="draft")
    created_at = models.DateTimeField(_("Tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("Cập nhật lúc"), auto_now=True)
    submitted_at = models.DateTimeField(_("Nộp lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("bản nháp hồ sơ")
        verbose_name_plural = _("bản nháp hồ sơ")
        ordering = ["-updated_at", "-id"]
        constraints = [
            # one open draft per applicant and variant: "Nộp hồ sơ" twice resumes the same draft
            models.UniqueConstraint(fields=["applicant", "variant"], condition=Q(submitted_at__isnull=True),
                                    name="draft_one_open_per_variant"),
        ]

    def __str__(self) -> str:
        return f"{_('Bản nháp')} {str(self.uuid)[:8]}"


class DraftFile(models.Model):
    """One uploaded file for one required document of the draft (several files per document allowed)."""

    draft = models.ForeignKey(Draft, verbose_name=_("Bản nháp"), on_delete=models.CASCADE, related_name="files")
    required = models.ForeignKey(RequiredDocument, verbose_name=_("Thành phần hồ sơ"), on_delete=models.CASCADE,
                                 related_name="+")
    file = models.FileField(_("Tệp"), upload_to="drafts/", max_length=255)
    file_name = models.CharField(_("Tên tệp gốc"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("Kiểu tệp"), max_length=40)
    size = models.PositiveBigIntegerField(_("Dung lượng (byte)"))
    added_at = models.DateTimeField(_("Tải lên lúc"), auto_now_add=True)

    class Meta:
        verbose_name = _("tệp của bản nháp")
        verbose_name_plural = _("tệp của bản nháp")
        ordering = ["draft", "required", "id"]
