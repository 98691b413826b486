"""Dossiers in the admin: read-only. Every change goes through the service commands (the staff
workspace, the API, the CLI), so the admin never edits a dossier or its history."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.accounts.scope import scoped
from motcua.dossiers.models import Dossier, DossierStep, LedgerEvent, OPEN_STATES


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("dossiers.view_dossier")  # seeing the dossier means seeing its history


class StepInline(ReadOnlyInline):
    model = DossierStep
    fields = readonly_fields = ["seq", "name", "unit", "assignee", "started_at", "due_at", "finished_at", "outcome"]
    verbose_name_plural = _("Phiếu kiểm soát quá trình giải quyết")


class EventInline(ReadOnlyInline):
    model = LedgerEvent
    fields = readonly_fields = ["seq", "type", "actor_name", "at", "reason", "hash"]
    verbose_name_plural = _("Sổ cái (lịch sử không sửa được)")


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = ["__str__", "procedure", "applicant", "channel", "state", "received_at", "due_at", "overdue"]
    list_filter = ["state", "channel", "regime"]
    search_fields = ["code", "applicant__full_name", "applicant__cccd", "applicant__tax_code"]
    list_select_related = ["procedure_version__procedure", "applicant"]
    inlines = [StepInline, EventInline]
    date_hierarchy = "submitted_at"

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user, "resolving_unit", "receiving_unit",
                      "returning_unit", perm="dossiers.view_dossier")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Thủ tục"))
    def procedure(self, obj):
        return obj.procedure_version.procedure.name

    @admin.display(description=_("Quá hạn"), boolean=True)
    def overdue(self, obj):
        return obj.state in OPEN_STATES and obj.due_at is not None and obj.due_at < timezone.now()
