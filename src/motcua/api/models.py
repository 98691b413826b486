"""API tokens for integrations. Only the SHA-256 of a token is stored; the secret is shown once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token an integration presents as ``Authorization: Bearer mct_<prefix>_<secret>``.

    ``prefix`` is what people see and type (to list or revoke a token); ``key_hash`` is the SHA-256
    of the whole token string. The token itself is never stored and cannot be shown again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Tài khoản"), on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(_("Tên gợi nhớ"), max_length=100)
    prefix = models.CharField(_("Tiền tố"), max_length=16, unique=True)
    key_hash = models.CharField(_("SHA-256 của mã"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("Tạo lúc"), default=timezone.now)
    last_used_at = models.DateTimeField(_("Dùng lần cuối"), null=True, blank=True)
    expires_at = models.DateTimeField(_("Hết hạn lúc"), null=True, blank=True)
    is_active = models.BooleanField(_("Còn hiệu lực"), default=True)
    revoked_at = models.DateTimeField(_("Thu hồi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("mã truy cập API")
        verbose_name_plural = _("mã truy cập API")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix} – {self.name}"
