"""Portal tables: only the rate limiter's counters (the portal itself reads the catalogue and dossiers)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ThrottleBucket(models.Model):
    """Attempts counted for one key (a hashed client address or dossier code) in one fixed window.

    In the database, not in a process's memory, so that every server process counts the same
    attempts; an UPDATE … SET hits = hits + 1 under the row lock keeps concurrent counts exact.
    """

    key = models.CharField(_("Khóa"), max_length=80)
    window_start = models.DateTimeField(_("Đầu khoảng thời gian"), db_index=True)
    hits = models.PositiveIntegerField(_("Số lần"), default=0)

    class Meta:
        verbose_name = _("lượt tra cứu")
        verbose_name_plural = _("lượt tra cứu")
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="throttle_unique_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.hits}"
