from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from motcua.accounts.scope import sees_everything, visible_units
from motcua.admin_base import ServiceCleanForm, UnitScopedAdminMixin
from motcua.catalog import rules, services
from motcua.catalog.models import (
    FeeItem, LegalBasis, Procedure, ProcedureVariant, ProcedureVersion, RequiredDocument, Sector, VersionStatus,
    WorkflowStep,
)


def _may_edit_shared(user) -> bool:
    """Procedures without a competent unit (shared by every commune) are kept at province level."""
    return sees_everything(user) or visible_units(user).filter(parent__isnull=True).exists()


class ProcedureScopedAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    procedure_path = ""  # lookup from this model to its Procedure

    def _procedure(self, obj):
        for part in filter(None, self.procedure_path.split("__")):
            obj = getattr(obj, part)
        return obj

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None and self._procedure(obj).competent_unit_id is None:
            return _may_edit_shared(request.user)
        return allowed

    has_delete_permission = has_change_permission


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class ProcedureForm(ServiceCleanForm):
    service_clean = services.clean_procedure

    class Meta:
        model = Procedure
        fields = ["code", "name", "sector", "level", "competent_unit"]


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    extra = 0
    fields = ["number", "status", "valid_from", "valid_to", "open_link"]
    readonly_fields = ["status", "open_link"]
    show_change_link = True

    @admin.display(description="")
    def open_link(self, version):
        if not version.pk:
            return ""
        return format_html('<a href="{}">Mở phiên bản</a>', reverse("admin:catalog_procedureversion_change", args=[version.pk]))


@admin.register(Procedure)
class ProcedureAdmin(ProcedureScopedAdmin):
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
        services.save_procedure(obj)


class LegalBasisInline(admin.TabularInline):
    model = LegalBasis
    extra = 0
    fields = ["order", "number", "title", "issued_on"]


class VariantInline(admin.TabularInline):
    model = ProcedureVariant
    extra = 0
    fields = ["order", "code", "name", "time_limit_value", "time_limit_unit", "open_link"]
    readonly_fields = ["open_link"]

    @admin.display(description="")
    def open_link(self, variant):
        if not variant.pk:
            return ""
        return format_html('<a href="{}">Hồ sơ, phí, quy trình</a>', reverse("admin:catalog_procedurevariant_change", args=[variant.pk]))


def _clean_version(version: ProcedureVersion) -> None:
    if version.valid_to and version.valid_from and version.valid_to < version.valid_from:
        raise ValidationError({"valid_to": "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."})
    if not (version.for_citizens or version.for_organisations):
        raise ValidationError({"for_citizens": "Chọn ít nhất một đối tượng thực hiện."})
    if version.procedure_id and version.valid_from:
        services.check_version_period(version)


class VersionForm(ServiceCleanForm):
    service_clean = _clean_version

    class Meta:
        model = ProcedureVersion
        exclude = ["status"]


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(ProcedureScopedAdmin):
    form = VersionForm
    procedure_path = "procedure"
    scope_fields = ("procedure__competent_unit",)
    scope_include_unassigned = True
    list_display = ["procedure", "number", "status", "valid_from", "valid_to", "online_mode"]
    list_filter = ["status", "online_mode"]
    list_select_related = ["procedure"]
    readonly_fields = ["status"]
    autocomplete_fields = ["procedure"]
    inlines = [LegalBasisInline, VariantInline]
    actions = ["publish", "retire_today"]

    @admin.action(description="Công bố các phiên bản đã chọn")
    def publish(self, request, queryset):
        for version in queryset:
            try:
                services.publish_version(version)
            except ValidationError as exc:
                self.message_user(request, f"{version}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"Đã công bố {version}.", messages.SUCCESS)

    @admin.action(description="Bãi bỏ từ hôm nay các phiên bản đã chọn")
    def retire_today(self, request, queryset):
        from django.utils import timezone

        for version in queryset:
            try:
                services.retire_version(version, timezone.localdate())
            except ValidationError as exc:
                self.message_user(request, f"{version}: {' '.join(exc.messages)}", messages.ERROR)


class DocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0
    fields = ["order", "name", "kind", "count", "mandatory", "template"]


class FeeForm(forms.ModelForm):
    class Meta:
        model = FeeItem
        fields = ["order", "kind", "name", "amount", "formula", "description"]

    def clean(self):
        data = super().clean()
        amount, formula = data.get("amount"), (data.get("formula") or "").strip()
        if (amount is None) == (not formula):
            raise ValidationError("Nhập đúng một trong hai: mức thu cố định hoặc công thức tính (nhập 0 nếu miễn phí).")
        if formula:
            try:
                data["formula"] = rules.FeeFormula(formula).source
            except rules.RuleError as exc:
                raise ValidationError({"formula": str(exc)}) from exc
        return data


class FeeInline(admin.TabularInline):
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
            budgets = [rules.Duration(form.cleaned_data["budget_value"], form.cleaned_data["budget_unit"])
                       for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
            limit = rules.Duration(variant.time_limit_value, variant.time_limit_unit)
            online = (rules.Duration(variant.online_time_limit_value, variant.online_time_limit_unit)
                      if variant.online_time_limit_value is not None and variant.online_time_limit_unit else None)
            services.check_variant(limit, online, budgets)
        except rules.RuleError as exc:
            raise ValidationError(str(exc)) from exc


class StepInline(admin.TabularInline):
    model = WorkflowStep
    formset = StepFormSet
    extra = 0
    fields = ["order", "name", "role", "unit", "budget_value", "budget_unit"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            kwargs["queryset"] = visible_units(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class VariantForm(forms.ModelForm):
    class Meta:
        model = ProcedureVariant
        fields = ["version", "order", "code", "name", "time_limit_value", "time_limit_unit",
                  "online_time_limit_value", "online_time_limit_unit"]

    def clean(self):
        data = super().clean()
        value, unit = data.get("online_time_limit_value"), data.get("online_time_limit_unit")
        if (value is None) != (not unit):
            raise ValidationError("Thời hạn khi nộp trực tuyến cần cả con số và đơn vị (hoặc để trống cả hai).")
        for field in ("time_limit_value", "online_time_limit_value"):
            if data.get(field) is not None and data[field] <= 0:
                self.add_error(field, "Thời hạn phải lớn hơn 0.")
        return data


@admin.register(ProcedureVariant)
class ProcedureVariantAdmin(ProcedureScopedAdmin):
    form = VariantForm
    procedure_path = "version__procedure"
    scope_fields = ("version__procedure__competent_unit",)
    scope_include_unassigned = True
    list_display = ["name", "version", "time_limit_value", "time_limit_unit"]
    list_select_related = ["version__procedure"]
    inlines = [DocumentInline, FeeInline, StepInline]
