from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Exists, OuterRef

from motcua.accounts import services
from motcua.accounts.models import Applicant, StaffMembership, User
from motcua.accounts.scope import sees_everything, visible_units
from motcua.admin_base import ServiceCleanForm, UnitScopedAdminMixin


class MembershipInline(UnitScopedAdminMixin, admin.TabularInline):
    model = StaffMembership
    extra = 1
    fields = ["unit", "role", "is_active"]
    autocomplete_fields = ["unit"]
    scope_fields = ("unit",)  # the memberships in units the editor may see, never the others


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "full_name", "email", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Thông tin cá nhân", {"fields": ("full_name", "email", "phone")}),
        ("Trạng thái", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Thời điểm", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if sees_everything(request.user):
            return qs
        # Staff of the units the editor may see: one EXISTS over memberships, no per-row query.
        in_scope = StaffMembership.objects.filter(user_id=OuterRef("pk"), unit__in=visible_units(request.user).values("pk"))
        return qs.filter(Exists(in_scope))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")  # only a superuser makes another one
        return fields


@admin.register(StaffMembership)
class StaffMembershipAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    scope_fields = ("unit",)
    list_display = ["user", "role", "unit", "is_active"]
    list_filter = ["role", "is_active"]
    list_select_related = ["user", "unit"]
    search_fields = ["user__username", "user__full_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]


def _clean_applicant(applicant: Applicant) -> None:
    data = services.clean_applicant(services.ApplicantData(
        kind=applicant.kind, full_name=applicant.full_name, cccd=applicant.cccd, tax_code=applicant.tax_code,
        date_of_birth=applicant.date_of_birth, address=applicant.address, phone=applicant.phone,
        email=applicant.email), instance=applicant)
    for key, value in vars(data).items():
        setattr(applicant, key, value)


class ApplicantForm(ServiceCleanForm):
    service_clean = _clean_applicant

    class Meta:
        model = Applicant
        fields = ["kind", "full_name", "cccd", "tax_code", "date_of_birth", "address", "phone", "email"]


@admin.register(Applicant)
class ApplicantAdmin(admin.ModelAdmin):
    form = ApplicantForm
    list_display = ["full_name", "kind", "cccd", "tax_code", "phone"]
    list_filter = ["kind"]
    search_fields = ["full_name", "cccd", "tax_code", "phone"]
