from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError

from motcua.admin_base import ServiceCleanForm, UnitScopedAdminMixin
from motcua.org import services
from motcua.org.models import AdminUnit, AdminUnitDataset, Desk, OrgUnit, UnitCodeRecord


def _unit_data(unit: OrgUnit) -> services.UnitData:
    return services.UnitData(
        name=unit.name, kind=unit.kind, identifier=unit.identifier, parent=unit.parent,
        short_name=unit.short_name, admin_unit_code=unit.admin_unit_code,
        valid_from=unit.valid_from, valid_to=unit.valid_to,
    )


def _clean_unit(unit: OrgUnit) -> None:
    existing = OrgUnit.objects.get(pk=unit.pk) if unit.pk else None
    data = services.clean_unit(_unit_data(unit), instance=existing)
    unit.name, unit.identifier, unit.short_name = data.name, data.identifier, data.short_name


class OrgUnitForm(ServiceCleanForm):
    service_clean = _clean_unit

    class Meta:
        model = OrgUnit
        fields = ["name", "short_name", "kind", "parent", "identifier", "admin_unit_code", "valid_from", "valid_to"]


class UnitCodeRecordInline(admin.TabularInline):
    model = UnitCodeRecord
    extra = 0
    can_delete = False
    fields = ["identifier", "admin_unit_code", "valid_from", "valid_to", "decision"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OrgUnit)
class OrgUnitAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    form = OrgUnitForm
    scope_fields = ("pk",)
    list_display = ["indented_name", "identifier", "kind", "admin_unit_code", "valid_to"]
    list_filter = ["kind"]
    search_fields = ["name", "identifier", "admin_unit_code"]
    inlines = [UnitCodeRecordInline]
    list_per_page = 100

    @admin.display(description="Tên cơ quan, đơn vị", ordering="path")
    def indented_name(self, unit: OrgUnit) -> str:
        return f"{'— ' * unit.depth}{unit.name}"

    def save_model(self, request, obj, form, change):
        if change:
            services.update_unit(OrgUnit.objects.get(pk=obj.pk), _unit_data(obj))
        else:
            created = services.create_unit(_unit_data(obj))
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth

    def delete_model(self, request, obj):
        if obj.children.exists():
            raise ValidationError("Không xóa được đơn vị còn đơn vị cấp dưới.")
        super().delete_model(request, obj)


@admin.register(Desk)
class DeskAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    scope_fields = ("host_unit",)
    list_display = ["name", "host_unit", "is_active"]
    filter_horizontal = ["serves"]
    search_fields = ["name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AdminUnit)
class AdminUnitAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "province_code", "valid_from", "valid_to", "successor_code"]
    list_filter = ["kind", "valid_to"]
    search_fields = ["code", "name"]
    list_per_page = 100


@admin.register(AdminUnitDataset)
class AdminUnitDatasetAdmin(ReadOnlyAdmin):
    list_display = ["decision", "data_version", "valid_from", "valid_to", "imported_at"]
