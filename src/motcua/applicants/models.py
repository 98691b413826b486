"""Applicants' portal accounts: how a User signs in (email or phone), whether it is verified, the
one-time codes sent to it, and the identities an external identity provider vouched for.

Data and constraints only; registration, verification, login and the provider flow are in
``services`` and ``providers``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Account", "CodePurpose", "OneTimeCode", "ExternalIdentity"]


class Account(models.Model):
    """A portal login. Until ``verified_at`` is set the User is inactive and has no Applicant: the
    identity typed at registration waits in ``pending`` and becomes (or links to) an Applicant only
    once the code sent to the login address has been entered."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("Tài khoản"), on_delete=models.CASCADE,
                                related_name="portal_account")
    # Exactly one of the two is the login of a registered account; both are empty for an account
    # created through an identity provider (it signs in there, not with a password).
    email = models.EmailField(_("Thư điện tử đăng nhập"), null=True, blank=True, unique=True)
    phone = models.CharField(_("Số điện thoại đăng nhập"), max_length=10, null=True, blank=True, unique=True)
    pending = models.JSONField(_("Thông tin chờ xác thực"), default=dict, blank=True)
    verified_at = models.DateTimeField(_("Thời điểm xác thực"), null=True, blank=True)
    created_at = models.DateTimeField(_("Thời điểm đăng ký"), auto_now_add=True)

    class Meta:
        verbose_name = _("tài khoản cổng dịch vụ công")
        verbose_name_plural = _("tài khoản cổng dịch vụ công")
        constraints = [
            models.CheckConstraint(condition=~(Q(email__isnull=False) & Q(phone__isnull=False)),
                                   name="applicant_account_one_login"),
        ]

    def __str__(self) -> str:
        return self.email or self.phone or str(self.user)

    @property
    def login(self) -> str:
        return self.email or self.phone or ""


class CodePurpose(models.TextChoices):
    VERIFY = "verify", _("Xác thực tài khoản")
    RESET = "reset", _("Đặt lại mật khẩu")


class OneTimeCode(models.Model):
    """A 6-digit code sent to the account's login. Only its keyed hash is stored; it expires, allows
    a few attempts, and a newer code for the same purpose replaces it."""

    account = models.ForeignKey(Account, verbose_name=_("Tài khoản"), on_delete=models.CASCADE, related_name="codes")
    purpose = models.CharField(_("Mục đích"), max_length=10, choices=CodePurpose.choices)
    code_hash = models.CharField(_("Mã (đã băm)"), max_length=128)
    created_at = models.DateTimeField(_("Thời điểm gửi"))
    expires_at = models.DateTimeField(_("Hết hạn lúc"))
    attempts = models.PositiveSmallIntegerField(_("Số lần nhập sai"), default=0)

    class Meta:
        verbose_name = _("mã xác thực")
        verbose_name_plural = _("mã xác thực")
        constraints = [
            models.UniqueConstraint(fields=["account", "purpose"], name="applicant_code_one_per_purpose"),
        ]


class ExternalIdentity(models.Model):
    """A subject at an identity provider (VNeID, say) that signs in as ``user``."""

    provider = models.CharField(_("Nhà cung cấp định danh"), max_length=40)
    subject = models.CharField(_("Mã định danh tại nhà cung cấp"), max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Tài khoản"), on_delete=models.CASCADE,
                             related_name="external_identities")
    claims = models.JSONField(_("Thông tin được xác nhận"), default=dict, blank=True)
    created_at = models.DateTimeField(_("Thời điểm liên kết"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("Lần đăng nhập gần nhất"), null=True, blank=True)

    class Meta:
        verbose_name = _("định danh bên ngoài")
        verbose_name_plural = _("định danh bên ngoài")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="applicant_external_identity_unique"),
        ]
