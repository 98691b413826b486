from django.contrib import admin

from motcua.admin_base import ActorAdmin, ServiceCleanForm
from motcua.worktime import services
from motcua.worktime.models import CalendarDay, WorkCalendarConfig


class ConfigForm(ServiceCleanForm):
    service_clean = services.clean_config

    class Meta:
        model = WorkCalendarConfig
        fields = ["code", "name", "base", "parent", "weekday_hours", "saturday_hours"]


class DayForm(ServiceCleanForm):
    service_clean = services.clean_day

    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name", "document"]


class DayInline(admin.TabularInline):
    model = CalendarDay
    form = DayForm
    extra = 1
    fields = ["date", "kind", "name", "document"]


@admin.register(WorkCalendarConfig)
class WorkCalendarConfigAdmin(ActorAdmin):
    form = ConfigForm
    list_display = ["code", "name", "base", "parent", "weekday_hours", "saturday_hours"]
    inlines = [DayInline]
