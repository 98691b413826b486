"""Procedure catalogue (TTHC): procedures, versions, variants (trường hợp), documents, fees,
legal basis and internal workflows. Data and constraints only; rules are in ``rules`` and
``services``.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import Role
from motcua.catalog import rules
from motcua.org.models import OrgUnit


class Level(models.TextChoices):
    MINISTRY = "ministry", _("Cấp bộ")
    PROVINCE = "province", _("Cấp tỉnh")
    COMMUNE = "commune", _("Cấp xã")


# One list of time units, owned by the pure rules module.
TimeUnit = models.TextChoices("TimeUnit", [(key.upper(), (key, label)) for key, label in rules.TimeUnit.LABELS.items()])


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    PUBLISHED = "published", _("Đang công khai")
    RETIRED = "retired", _("Đã bãi bỏ / thay thế")


class ResultType(models.TextChoices):
    PAPER = "paper", _("Bản giấy")
    ELECTRONIC = "electronic", _("Bản điện tử")


class OnlineMode(models.TextChoices):
    FULL = "full", _("Toàn trình")
    PARTIAL = "partial", _("Một phần")
    NONE = "none", _("Không cung cấp trực tuyến")


class DocumentKind(models.TextChoices):
    ORIGINAL = "original", _("Bản chính")
    CERTIFIED_COPY = "certified_copy", _("Bản sao có chứng thực")
    COPY = "copy", _("Bản sao / bản chụp")


class FeeKind(models.TextChoices):
    FEE = "fee", _("Phí")
    CHARGE = "charge", _("Lệ phí")


class SupplementRule(models.TextChoices):
    """What a supplement requested during processing does to the clock (shared/domain.md §3.6)."""

    RESTART = "restart", _("Tính lại từ đầu khi nhận đủ hồ sơ (NĐ 61/2018 Điều 19 khoản 4)")
    PAUSE = "pause", _("Tạm dừng tính thời hạn trong thời gian chờ bổ sung")


class Sector(models.Model):
    code = models.CharField(_("Mã lĩnh vực"), max_length=30, unique=True)
    name = models.CharField(_("Tên lĩnh vực"), max_length=255)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    code = models.CharField(_("Mã thủ tục"), max_length=20, unique=True)
    name = models.CharField(_("Tên thủ tục"), max_length=500)
    search_key = models.TextField(_("Khóa tìm kiếm"), editable=False)
    sector = models.ForeignKey(Sector, verbose_name=_("Lĩnh vực"), on_delete=models.PROTECT, related_name="procedures")
    level = models.CharField(_("Cấp thực hiện"), max_length=20, choices=Level.choices)
    competent_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("Cơ quan có thẩm quyền"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="procedures",
        help_text=_("Để trống với thủ tục cấp xã: UBND mỗi xã, phường giải quyết."),
    )

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class ProcedureVersion(models.Model):
    procedure = models.ForeignKey(Procedure, verbose_name=_("Thủ tục"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("Phiên bản số"))
    status = models.CharField(_("Trạng thái"), max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    valid_from = models.DateField(_("Hiệu lực từ ngày"))
    valid_to = models.DateField(_("Hiệu lực đến hết ngày"), null=True, blank=True)
    publication_decision = models.CharField(_("Quyết định công bố"), max_length=500, blank=True)
    for_citizens = models.BooleanField(_("Đối tượng: công dân"), default=True)
    for_organisations = models.BooleanField(_("Đối tượng: tổ chức, doanh nghiệp"), default=False)
    result_name = models.CharField(_("Kết quả giải quyết"), max_length=500)
    result_type = models.CharField(_("Loại kết quả"), max_length=20, choices=ResultType.choices, default=ResultType.PAPER)
    online_mode = models.CharField(_("Dịch vụ công trực tuyến"), max_length=20, choices=OnlineMode.choices,
                                   default=OnlineMode.NONE)
    postal_intake = models.BooleanField(_("Nhận hồ sơ qua bưu chính công ích"), default=False)
    postal_return = models.BooleanField(_("Trả kết quả qua bưu chính công ích"), default=False)
    boundary_independent = models.BooleanField(_("Tiếp nhận không phụ thuộc địa giới hành chính"), default=False)

    class Meta:
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = _("phiên bản thủ tục")
        ordering = ["procedure__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="version_unique_number"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="version_period_ordered",
            ),
            models.CheckConstraint(condition=Q(for_citizens=True) | Q(for_organisations=True),
                                   name="version_has_applicants"),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number} ({self.get_status_display()})"


class LegalBasis(models.Model):
    version = models.ForeignKey(ProcedureVersion, verbose_name=_("Phiên bản"), on_delete=models.CASCADE, related_name="legal_bases")
    order = models.PositiveSmallIntegerField(_("Thứ tự"))
    number = models.CharField(_("Số, ký hiệu văn bản"), max_length=100)
    title = models.CharField(_("Trích yếu"), max_length=500)
    issued_on = models.DateField(_("Ngày ban hành"), null=True, blank=True)

    class Meta:
        verbose_name = _("căn cứ pháp lý")
        verbose_name_plural = _("căn cứ pháp lý")
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "order"], name="legalbasis_unique_order")]

    def __str__(self) -> str:
        return f"{self.number} – {self.title}"


class ProcedureVariant(models.Model):
    """A case (trường hợp) of a procedure version, with its own time limit, documents, fees, steps."""

    version = models.ForeignKey(ProcedureVersion, verbose_name=_("Phiên bản"), on_delete=models.CASCADE, related_name="variants")
    code = models.CharField(_("Mã trường hợp"), max_length=30)
    order = models.PositiveSmallIntegerField(_("Thứ tự"), default=1)
    name = models.CharField(_("Tên trường hợp"), max_length=500)
    time_limit_value = models.DecimalField(_("Thời hạn giải quyết"), max_digits=9, decimal_places=3)
    time_limit_unit = models.CharField(_("Đơn vị thời hạn"), max_length=20, choices=TimeUnit.choices)
    online_time_limit_value = models.DecimalField(_("Thời hạn khi nộp trực tuyến"), max_digits=9, decimal_places=3,
                                                  null=True, blank=True)
    online_time_limit_unit = models.CharField(_("Đơn vị thời hạn trực tuyến"), max_length=20, choices=TimeUnit.choices,
                                              blank=True)
    supplement_rule = models.CharField(_("Khi bổ sung hồ sơ trong quá trình giải quyết"), max_length=10,
                                       choices=SupplementRule.choices, default=SupplementRule.RESTART)
    paper_cutoff = models.TimeField(
        _("Giờ nhận hồ sơ giấy cuối ngày"), null=True, blank=True, default=dt.time(15, 0),
        help_text=_("Hồ sơ giấy nhận sau giờ này được tính từ đầu ngày làm việc tiếp theo; để trống: không áp dụng."),
    )

    class Meta:
        verbose_name = _("trường hợp thủ tục")
        verbose_name_plural = _("trường hợp thủ tục")
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="variant_unique_code"),
            models.CheckConstraint(condition=Q(time_limit_value__gt=0), name="variant_limit_positive"),
            models.CheckConstraint(
                condition=(Q(online_time_limit_value__isnull=True) & Q(online_time_limit_unit=""))
                | (Q(online_time_limit_value__gt=0) & ~Q(online_time_limit_unit="")),
                name="variant_online_limit_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}"


class RequiredDocument(models.Model):
    variant = models.ForeignKey(ProcedureVariant, verbose_name=_("Trường hợp"), on_delete=models.CASCADE, related_name="documents")
    order = models.PositiveSmallIntegerField(_("Thứ tự"))
    name = models.CharField(_("Tên giấy tờ"), max_length=1000)
    kind = models.CharField(_("Loại bản"), max_length=20, choices=DocumentKind.choices)
    count = models.PositiveSmallIntegerField(_("Số lượng"), default=1)
    mandatory = models.BooleanField(_("Bắt buộc"), default=True)
    template = models.FileField(_("Mẫu đơn, tờ khai"), upload_to="catalog/templates/", blank=True)

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["variant", "order"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "order"], name="document_unique_order"),
            models.CheckConstraint(condition=Q(count__gte=1), name="document_count_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class FeeItem(models.Model):
    variant = models.ForeignKey(ProcedureVariant, verbose_name=_("Trường hợp"), on_delete=models.CASCADE, related_name="fees")
    order = models.PositiveSmallIntegerField(_("Thứ tự"))
    kind = models.CharField(_("Loại"), max_length=10, choices=FeeKind.choices)
    name = models.CharField(_("Tên khoản thu"), max_length=500)
    amount = models.PositiveBigIntegerField(_("Mức thu (đồng)"), null=True, blank=True)
    formula = models.CharField(_("Công thức tính"), max_length=500, blank=True)
    description = models.CharField(_("Diễn giải"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("phí, lệ phí")
        verbose_name_plural = _("phí, lệ phí")
        ordering = ["variant", "order"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "order"], name="fee_unique_order"),
            models.CheckConstraint(
                condition=(Q(amount__isnull=False) & Q(formula="")) | (Q(amount__isnull=True) & ~Q(formula="")),
                name="fee_amount_xor_formula",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkflowStep(models.Model):
    """One step of the internal workflow (quy trình nội bộ): who, where, and its time budget."""

    variant = models.ForeignKey(ProcedureVariant, verbose_name=_("Trường hợp"), on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("Bước"))
    name = models.CharField(_("Nội dung công việc"), max_length=500)
    role = models.CharField(_("Vai trò thực hiện"), max_length=20,
                            choices=[(r.value, r.label) for r in (Role.RECEPTIONIST, Role.SPECIALIST, Role.LEADER, Role.CLERK)])
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("Đơn vị thực hiện"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="workflow_steps",
        help_text=_("Để trống: cơ quan có thẩm quyền (bước tiếp nhận: bộ phận một cửa nhận hồ sơ)."),
    )
    budget_value = models.DecimalField(_("Thời gian"), max_digits=9, decimal_places=3)
    budget_unit = models.CharField(_("Đơn vị thời gian"), max_length=20, choices=TimeUnit.choices)

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("quy trình nội bộ")
        ordering = ["variant", "order"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "order"], name="step_unique_order"),
            models.CheckConstraint(condition=Q(budget_value__gt=0), name="step_budget_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"
