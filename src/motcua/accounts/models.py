"""Accounts: staff users with roles in units, and applicants (citizens and organisations)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.org.models import OrgUnit


class User(AbstractUser):
    """A login. Staff hold roles through memberships; applicants link to an Applicant record."""

    full_name = models.CharField(_("Họ và tên"), max_length=150, blank=True)
    phone = models.CharField(_("Số điện thoại"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("tài khoản")
        verbose_name_plural = _("tài khoản")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name()


class Role(models.TextChoices):
    RECEPTIONIST = "receptionist", _("Cán bộ tiếp nhận, trả kết quả")
    SPECIALIST = "specialist", _("Chuyên viên xử lý")
    LEADER = "leader", _("Lãnh đạo")
    CLERK = "clerk", _("Văn thư")
    UNIT_ADMIN = "unit_admin", _("Quản trị đơn vị")
    SYSTEM_ADMIN = "system_admin", _("Quản trị hệ thống")
    INSPECTOR = "inspector", _("Thanh tra, giám sát (chỉ xem)")


class StaffMembership(models.Model):
    """A staff user holds a role in a unit; the role reaches the unit and every unit under it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Cán bộ"), on_delete=models.CASCADE, related_name="memberships",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("Đơn vị"), on_delete=models.PROTECT, related_name="memberships",
    )
    role = models.CharField(_("Vai trò"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("Còn hiệu lực"), default=True)

    class Meta:
        verbose_name = _("vai trò của cán bộ")
        verbose_name_plural = _("vai trò của cán bộ")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_role"),
        ]
        indexes = [models.Index(fields=["user", "is_active"], name="membership_user_active")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.unit}"


class ApplicantKind(models.TextChoices):
    CITIZEN = "citizen", _("Công dân")
    ORGANISATION = "organisation", _("Tổ chức, doanh nghiệp")


class Applicant(models.Model):
    """Who lodges dossiers: a citizen identified by CCCD, or an organisation by its tax code."""

    kind = models.CharField(_("Loại"), max_length=20, choices=ApplicantKind.choices)
    full_name = models.CharField(_("Họ tên / Tên tổ chức"), max_length=255)
    cccd = models.CharField(_("Số căn cước công dân"), max_length=12, blank=True)
    tax_code = models.CharField(_("Mã số thuế"), max_length=14, blank=True)
    date_of_birth = models.DateField(_("Ngày sinh"), null=True, blank=True)
    address = models.CharField(_("Địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("Số điện thoại"), max_length=20, blank=True)
    email = models.EmailField(_("Thư điện tử"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("Tài khoản"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="applicant",
    )
    created_at = models.DateTimeField(_("Ngày tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("người nộp hồ sơ")
        verbose_name_plural = _("người nộp hồ sơ")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="citizen") & ~Q(cccd="")) | (Q(kind="organisation") & ~Q(tax_code="")),
                name="applicant_has_identity",
            ),
            models.UniqueConstraint(fields=["cccd"], condition=~Q(cccd=""), name="applicant_unique_cccd"),
            models.UniqueConstraint(
                fields=["tax_code"], condition=Q(kind="organisation"), name="applicant_unique_tax_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.cccd or self.tax_code})"
