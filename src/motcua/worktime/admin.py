from django.contrib import admin

from motcua.admin_base import ServiceCleanForm
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
class WorkCalendarConfigAdmin(admin.ModelAdmin):
    form = ConfigForm
    list_display = ["code", "name", "base", "parent", "weekday_hours", "saturday_hours"]
    inlines = [DayInline]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form
