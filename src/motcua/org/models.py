"""Organisation: administrative units (QĐ 19/2025), agencies as a tree of any depth, desks.

Data and constraints only; the rules that keep the tree and the code history consistent live in
``motcua.org.services``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AdminUnitDataset(models.Model):
    """One imported version of the national administrative-unit list, with where it came from."""

    decision = models.CharField(_("Văn bản ban hành"), max_length=200)
    source = models.CharField(_("Nguồn dữ liệu"), max_length=500)
    source_licence = models.CharField(_("Giấy phép của nguồn"), max_length=500, blank=True)
    data_version = models.CharField(_("Phiên bản dữ liệu"), max_length=255)
    sha256 = models.CharField(_("SHA-256 của tệp"), max_length=64)
    valid_from = models.DateField(_("Hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("Hiệu lực đến"), null=True, blank=True)
    imported_at = models.DateTimeField(_("Thời điểm nạp"), auto_now_add=True)

    class Meta:
        verbose_name = _("bộ danh mục đơn vị hành chính")
        verbose_name_plural = _("bộ danh mục đơn vị hành chính")
        constraints = [models.UniqueConstraint(fields=["sha256"], name="adminunitdataset_unique_file")]

    def __str__(self) -> str:
        return f"{self.decision} ({self.data_version})"


class AdminUnitKind(models.TextChoices):
    PROVINCE = "province", _("Tỉnh")
    CITY = "city", _("Thành phố trực thuộc trung ương")
    DISTRICT = "district", _("Cấp huyện (trước 01/7/2025)")
    COMMUNE = "commune", _("Xã")
    WARD = "ward", _("Phường")
    SPECIAL_ZONE = "special_zone", _("Đặc khu")


class AdminUnit(models.Model):
    """An administrative unit and its code (mã đơn vị hành chính), valid for a period.

    The same code can be reused across reorganisations (Thanh Hóa is 38 before and after 1/7/2025),
    so a code is unique only together with the start of its validity.
    """

    code = models.CharField(_("Mã"), max_length=5)
    name = models.CharField(_("Tên"), max_length=200)
    kind = models.CharField(_("Loại"), max_length=20, choices=AdminUnitKind.choices)
    province_code = models.CharField(_("Mã tỉnh"), max_length=2, db_index=True)
    valid_from = models.DateField(_("Hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("Hiệu lực đến"), null=True, blank=True)
    successor_code = models.CharField(_("Mã đơn vị kế thừa"), max_length=5, blank=True)
    dataset = models.ForeignKey(AdminUnitDataset, verbose_name=_("Bộ danh mục"), on_delete=models.PROTECT, related_name="units")

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="adminunit_unique_code_period"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="adminunit_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("UBND cấp tỉnh")
    OFFICE = "office", _("Văn phòng UBND")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
    DIVISION = "division", _("Phòng, đơn vị trực thuộc")
    DISTRICT = "district", _("UBND cấp huyện (trước 01/7/2025)")
    COMMUNE = "commune", _("UBND cấp xã")
    MINISTRY = "ministry", _("Bộ, cơ quan ngang bộ")
    OTHER = "other", _("Khác")


class OrgUnit(models.Model):
    """An agency or unit in the tree (province → departments, service centre → communes → …).

    ``path`` is the materialised chain of ids ("/1/5/12/") so that "this unit and everything under
    it" is a single indexed prefix predicate; it is maintained by ``org.services`` only.
    """

    name = models.CharField(_("Tên cơ quan, đơn vị"), max_length=255)
    short_name = models.CharField(_("Tên viết tắt"), max_length=100, blank=True)
    kind = models.CharField(_("Loại"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("Đơn vị cấp trên"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="children",
    )
    path = models.CharField(_("Đường dẫn cây"), max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("Cấp trong cây"), default=0, editable=False)
    identifier = models.CharField(
        _("Mã định danh điện tử"), max_length=35, unique=True,
        help_text=_("Theo QĐ 20/2020/QĐ-TTg, ví dụ 000.00.12.H56."),
    )
    admin_unit_code = models.CharField(
        _("Mã đơn vị hành chính"), max_length=5, blank=True,
        help_text=_("Mã theo QĐ 19/2025/QĐ-TTg (tỉnh 2 chữ số, xã 5 chữ số)."),
    )
    valid_from = models.DateField(_("Hoạt động từ"), null=True, blank=True)
    valid_to = models.DateField(_("Hoạt động đến"), null=True, blank=True)
    calendar = models.ForeignKey(
        "worktime.WorkCalendarConfig", verbose_name=_("Lịch làm việc riêng"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="units",
        help_text=_("Để trống: dùng lịch của đơn vị cấp trên (cuối cùng là lịch nhà nước)."),
    )

    class Meta:
        verbose_name = _("cơ quan, đơn vị")
        verbose_name_plural = _("cơ quan, đơn vị")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="orgunit_period_ordered",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="orgunit_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class UnitCodeRecord(models.Model):
    """One period of a unit's codes: the history behind the 1/7/2025 reorganisation and later ones."""

    unit = models.ForeignKey(OrgUnit, verbose_name=_("Đơn vị"), on_delete=models.CASCADE, related_name="code_history")
    identifier = models.CharField(_("Mã định danh điện tử"), max_length=35, db_index=True)
    admin_unit_code = models.CharField(_("Mã đơn vị hành chính"), max_length=5, blank=True)
    valid_from = models.DateField(_("Từ ngày"), null=True, blank=True)
    valid_to = models.DateField(_("Đến ngày"), null=True, blank=True)
    decision = models.CharField(_("Căn cứ"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("lịch sử mã")
        verbose_name_plural = _("lịch sử mã")
        ordering = ["unit", "valid_from"]
        constraints = [
            # At most one open record per unit: the current codes.
            models.UniqueConstraint(fields=["unit"], condition=Q(valid_to__isnull=True), name="unitcode_one_current"),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} ({self.valid_from or '…'} – {self.valid_to or '…'})"


class Desk(models.Model):
    """A one-stop desk (Bộ phận Một cửa / TTPVHCC) hosted by a unit, receiving for one or more units."""

    name = models.CharField(_("Tên bộ phận"), max_length=255)
    host_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("Thuộc đơn vị"), on_delete=models.PROTECT, related_name="desks",
    )
    serves = models.ManyToManyField(
        OrgUnit, verbose_name=_("Tiếp nhận hồ sơ cho"), related_name="served_by_desks",
    )
    address = models.CharField(_("Địa chỉ"), max_length=255, blank=True)
    is_active = models.BooleanField(_("Đang hoạt động"), default=True)

    class Meta:
        verbose_name = _("bộ phận một cửa")
        verbose_name_plural = _("bộ phận một cửa")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
