"""Login attempts, kept to lock an account after repeated failures (and to show who tried)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginAttempt(models.Model):
    username = models.CharField(_("Tên đăng nhập"), max_length=150, db_index=True)
    ip = models.GenericIPAddressField(_("Địa chỉ IP"), null=True, blank=True)
    at = models.DateTimeField(_("Thời điểm"), db_index=True)
    success = models.BooleanField(_("Thành công"))

    class Meta:
        verbose_name = _("lần đăng nhập")
        verbose_name_plural = _("lần đăng nhập")
        indexes = [models.Index(fields=["username", "at"], name="loginattempt_user_at")]
