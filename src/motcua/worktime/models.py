"""The editable working calendars: the national schedules and agencies' own calendars.

The arithmetic is ``motcua.calendar`` (pure); these tables only say which days and hours apply.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Base(models.TextChoices):
    CIVIL_SERVICE = "civil_service", _("Cơ quan hành chính nhà nước (lịch của cán bộ, công chức)")
    BUSINESS = "business", _("Doanh nghiệp (Bộ luật Lao động, không hoán đổi ngày)")


class WorkCalendarConfig(models.Model):
    """A calendar: a national one (no parent), or an agency's, inheriting from its parent and
    overriding office hours and single days."""

    code = models.SlugField(_("Mã lịch"), max_length=50, unique=True)
    name = models.CharField(_("Tên lịch"), max_length=255)
    base = models.CharField(_("Loại lịch gốc"), max_length=20, choices=Base.choices, default=Base.CIVIL_SERVICE)
    parent = models.ForeignKey("self", verbose_name=_("Kế thừa từ lịch"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="children")
    weekday_hours = models.CharField(_("Giờ làm việc thứ Hai – thứ Sáu"), max_length=100, blank=True,
                                     help_text=_("Ví dụ 07:00-11:30,13:30-17:00; để trống để kế thừa."))
    saturday_hours = models.CharField(_("Giờ làm việc thứ Bảy"), max_length=100, blank=True,
                                      help_text=_("Bộ phận một cửa làm việc sáng thứ Bảy: 07:30-11:30."))
    updated_at = models.DateTimeField(_("Cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("lịch làm việc")
        verbose_name_plural = _("lịch làm việc")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """One decided day: a holiday, a compensatory or swapped day off, or a make-up working day —
    always with the document that decided it."""

    calendar = models.ForeignKey(WorkCalendarConfig, verbose_name=_("Lịch"), on_delete=models.CASCADE,
                                 related_name="days")
    date = models.DateField(_("Ngày"))
    kind = models.CharField(_("Loại ngày"), max_length=20, choices=[
        ("holiday", _("Nghỉ lễ, Tết")), ("day_off", _("Nghỉ bù / hoán đổi")), ("working_day", _("Làm bù"))])
    name = models.CharField(_("Nội dung"), max_length=500)
    document = models.CharField(_("Văn bản quyết định"), max_length=500)
    updated_at = models.DateTimeField(_("Cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("ngày nghỉ, ngày làm bù")
        verbose_name_plural = _("ngày nghỉ, ngày làm bù")
        ordering = ["calendar", "-date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendarday_unique_date")]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} – {self.name}"
