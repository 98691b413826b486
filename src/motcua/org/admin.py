from __future__ import annotations

from django.contrib import admin

from motcua.admin_base import ScopedAdmin, ServiceCleanForm
from motcua.org import services
from motcua.org.models import AdminUnit, AdminUnitDataset, Desk, OrgUnit, UnitCodeRecord


def _unit_data(unit: OrgUnit) -> services.UnitData:
    return services.UnitData(
        name=unit.name, kind=unit.kind, identifier=unit.identifier, parent=unit.parent,
        short_name=unit.short_name, admin_unit_code=unit.admin_unit_code,
        valid_from=unit.valid_from, valid_to=unit.valid_to, calendar=unit.calendar,
    )


def _clean_unit(unit: OrgUnit, actor) -> None:
    existing = OrgUnit.objects.get(pk=unit.pk) if unit.pk else None
    data = services.clean_unit(_unit_data(unit), instance=existing, actor=actor)
    unit.name, unit.identifier, unit.short_name = data.name, data.identifier, data.short_name


class OrgUnitForm(ServiceCleanForm):
    service_clean = _clean_unit

    class Meta:
        model = OrgUnit
        fields = ["name", "short_name", "kind", "parent", "identifier", "admin_unit_code", "valid_from", "valid_to",
                  "calendar"]


class UnitCodeRecordInline(admin.TabularInline):
    model = UnitCodeRecord
    extra = 0
    can_delete = False
    fields = ["identifier", "admin_unit_code", "valid_from", "valid_to", "decision"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # the history changes only through org.services


@admin.register(OrgUnit)
class OrgUnitAdmin(ScopedAdmin):
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

    def get_readonly_fields(self, request, obj=None):
        # A unit whose parent lies beyond the editor's reach keeps that parent: it can be moved only
        # by someone who administers both places.
        if obj is not None and obj.parent_id and not self.related_choices(request, OrgUnit).filter(pk=obj.parent_id).exists():
            return ["parent"]
        return []

    def save_model(self, request, obj, form, change):
        if change:
            services.update_unit(OrgUnit.objects.get(pk=obj.pk), _unit_data(obj))
        else:
            created = services.create_unit(_unit_data(obj))
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth


@admin.register(Desk)
class DeskAdmin(ScopedAdmin):
    scope_fields = ("host_unit",)
    list_display = ["name", "host_unit", "is_active"]
    filter_horizontal = ["serves"]
    search_fields = ["name"]

    def get_readonly_fields(self, request, obj=None):
        # Which units a desk serves is set by someone who reaches all of them.
        if obj is not None and obj.serves.exclude(pk__in=self.related_choices(request, OrgUnit).values("pk")).exists():
            return ["serves"]
        return []


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
