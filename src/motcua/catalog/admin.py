from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from motcua.admin_base import ScopedAdmin, ScopedInline, ServiceCleanForm
from motcua.catalog import rules, services
from motcua.catalog.models import (
    FeeItem, LegalBasis, Procedure, ProcedureVariant, ProcedureVersion, RequiredDocument, Sector, VersionStatus,
    WorkflowStep,
)
from motcua.org.models import OrgUnit


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class ProcedureForm(ServiceCleanForm):
    service_clean = services.clean_procedure

    class Meta:
        model = Procedure
        fields = ["code", "name", "sector", "level", "competent_unit"]


def _link(name: str, pk: int, text: str) -> str:
    return format_html('<a href="{}">{}</a>', reverse(f"admin:catalog_{name}_change", args=[pk]), text)


class VersionInline(admin.TabularInline):
    """Versions are listed here and edited on their own page (only drafts are editable)."""

    model = ProcedureVersion
    extra = 0
    fields = ["number", "status", "valid_from", "valid_to", "open_link"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="")
    def open_link(self, version):
        return _link("procedureversion", version.pk, "Mở phiên bản") if version.pk else ""


@admin.register(Procedure)
class ProcedureAdmin(ScopedAdmin):
    form = ProcedureForm
    scope_fields = ("competent_unit",)
    scope_include_unassigned = True
    list_display = ["code", "name", "sector", "level", "competent_unit"]
    list_filter = ["level", "sector"]
    list_select_related = ["sector", "competent_unit"]
    search_fields = ["code"]
    inlines = [VersionInline]

    def get_search_results(self, request, queryset, search_term):
        # Accent-insensitive: "dang ky khai sinh" finds "Đăng ký khai sinh".
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=services.search_procedures(search_term).values("pk")), False

    def save_model(self, request, obj, form, change):
        services.save_procedure(obj, actor=request.user)


class LegalBasisInline(ScopedInline, admin.TabularInline):
    model = LegalBasis
    extra = 0
    fields = ["order", "number", "title", "issued_on"]


class VariantForm(ServiceCleanForm):
    service_clean = services.clean_variant

    class Meta:
        model = ProcedureVariant
        fields = ["version", "order", "code", "name", "time_limit_value", "time_limit_unit",
                  "online_time_limit_value", "online_time_limit_unit", "supplement_rule", "paper_cutoff"]


class VariantInline(ScopedInline, admin.TabularInline):
    """A variant is added here with its limit; its documents, fees and steps on its own page
    (publication checks that the steps add up)."""

    model = ProcedureVariant
    form = VariantForm
    extra = 0
    fields = ["order", "code", "name", "time_limit_value", "time_limit_unit", "open_link"]
    readonly_fields = ["open_link"]

    @admin.display(description="")
    def open_link(self, variant):
        return _link("procedurevariant", variant.pk, "Hồ sơ, phí, quy trình") if variant.pk else ""


class VersionForm(ServiceCleanForm):
    service_clean = services.clean_version

    class Meta:
        model = ProcedureVersion
        exclude = ["status"]


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(ScopedAdmin):
    form = VersionForm
    scope_fields = ("procedure__competent_unit",)
    scope_include_unassigned = True
    list_display = ["procedure", "number", "status", "valid_from", "valid_to", "online_mode"]
    list_filter = ["status", "online_mode"]
    list_select_related = ["procedure"]
    autocomplete_fields = ["procedure"]
    inlines = [LegalBasisInline, VariantInline]
    actions = ["publish", "retire_today"]

    def editable_queryset(self, request):
        return super().editable_queryset(request).filter(status=VersionStatus.DRAFT)

    def object_editable(self, request, obj) -> bool:
        return obj.status == VersionStatus.DRAFT  # published law is replaced by a new version, never edited

    def get_readonly_fields(self, request, obj=None):
        return ["status", "procedure"] if obj is not None else ["status"]

    def _run(self, request, queryset, command, done: str):
        for version in queryset:
            try:
                command(version)
            except ValidationError as exc:
                self.message_user(request, f"{version}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{version}: {done}", messages.SUCCESS)

    @admin.action(description="Công bố các phiên bản đã chọn", permissions=["change"])
    def publish(self, request, queryset):
        self._run(request, queryset, lambda v: services.publish_version(v, actor=request.user), "đã công bố.")

    @admin.action(description="Bãi bỏ từ hôm nay (hôm qua là ngày cuối cùng áp dụng)", permissions=["change"])
    def retire_today(self, request, queryset):
        last_day = timezone.localdate() - timezone.timedelta(days=1)
        self._run(request, queryset, lambda v: services.retire_version(v, last_day, actor=request.user), "đã bãi bỏ.")


class DocumentInline(ScopedInline, admin.TabularInline):
    model = RequiredDocument
    extra = 0
    fields = ["order", "name", "kind", "count", "mandatory", "template"]


class FeeForm(ServiceCleanForm):
    service_clean = services.clean_fee

    class Meta:
        model = FeeItem
        fields = ["order", "kind", "name", "amount", "formula", "description"]


class FeeInline(ScopedInline, admin.TabularInline):
    model = FeeItem
    form = FeeForm
    extra = 0


class StepFormSet(forms.BaseInlineFormSet):
    """The steps, taken together, must use up exactly the variant's legal time limit."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        variant = self.instance
        if variant.time_limit_value is None or not variant.time_limit_unit:
            return
        try:
            budgets = [rules.duration(form.cleaned_data["budget_value"], form.cleaned_data["budget_unit"])
                       for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
            limit = rules.duration(variant.time_limit_value, variant.time_limit_unit)
            online = (rules.duration(variant.online_time_limit_value, variant.online_time_limit_unit)
                      if variant.online_time_limit_value is not None and variant.online_time_limit_unit else None)
            services.check_variant(limit, online, budgets)
        except rules.RuleError as exc:
            raise ValidationError(str(exc)) from exc


class StepInline(ScopedInline, admin.TabularInline):
    model = WorkflowStep
    formset = StepFormSet
    extra = 0
    fields = ["order", "name", "role", "unit", "budget_value", "budget_unit"]

    def related_choices(self, request, model):
        # A step may be carried out by any agency (inter-agency workflows): a reference, not a record.
        if model is OrgUnit:
            return OrgUnit.objects.all()
        return super().related_choices(request, model)


@admin.register(ProcedureVariant)
class ProcedureVariantAdmin(ScopedAdmin):
    form = VariantForm
    scope_fields = ("version__procedure__competent_unit",)
    scope_include_unassigned = True
    list_display = ["name", "version", "time_limit_value", "time_limit_unit"]
    list_select_related = ["version__procedure"]
    inlines = [DocumentInline, FeeInline, StepInline]

    def editable_queryset(self, request):
        return super().editable_queryset(request).filter(version__status=VersionStatus.DRAFT)

    def object_editable(self, request, obj) -> bool:
        return obj.version.status == VersionStatus.DRAFT

    def get_readonly_fields(self, request, obj=None):
        return ["version"] if obj is not None else []
