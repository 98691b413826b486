from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError

from motcua.accounts import services
from motcua.accounts.models import Applicant, Role, StaffMembership, User
from motcua.accounts.scope import editable_users, may_grant, scoped, viewable_users, visible_units
from motcua.admin_base import ActorAdmin, ScopedAdmin, ScopedInline, ServiceCleanForm


class MembershipFormSet(forms.BaseInlineFormSet):
    """Every role added or changed here must be one the editor may hand out in that unit."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if not form.cleaned_data or not form.has_changed() or form.cleaned_data.get("DELETE"):
                continue
            try:
                services.check_may_grant(self.actor, None, form.cleaned_data["unit"], form.cleaned_data["role"])
            except ValidationError as exc:
                form.add_error(None, exc)


class MembershipInline(ScopedInline, admin.TabularInline):
    model = StaffMembership
    formset = MembershipFormSet
    extra = 1
    fields = ["unit", "role", "is_active"]
    autocomplete_fields = ["unit"]

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user, "unit", perm="accounts.view_staffmembership")


class StaffCreationForm(DjangoUserAdmin.add_form):
    """A new staff account comes with its first role, so it is never created out of everyone's reach."""

    full_name = forms.CharField(label="Họ và tên", max_length=150)
    unit = forms.ModelChoiceField(label="Đơn vị", queryset=User.objects.none(), required=False)
    role = forms.ChoiceField(label="Vai trò", choices=[("", "---------")] + Role.choices, required=False)

    class Meta(DjangoUserAdmin.add_form.Meta):
        model = User
        fields = ("username", "full_name")

    def clean(self):
        data = super().clean()
        unit, role = data.get("unit"), data.get("role")
        if (unit is None) != (not role):
            raise ValidationError("Chọn cả đơn vị và vai trò cho cán bộ mới.")
        if unit is None and not self.actor.is_superuser:
            raise ValidationError("Cán bộ mới phải có một vai trò tại đơn vị bạn quản lý.")
        if unit is not None:
            services.check_may_grant(self.actor, None, unit, role)
        return data


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    add_form = StaffCreationForm
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
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "unit", "role", "usable_password",
                                                 "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def _scoped(self, request, action):
        qs = DjangoUserAdmin.get_queryset(self, request)
        return qs & (viewable_users(request.user) if action == "view" else editable_users(request.user))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.base_fields["unit"].queryset = visible_units(request.user, "accounts.add_user")
        return form

    def get_inline_instances(self, request, obj=None):
        return [] if obj is None else super().get_inline_instances(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")  # only a superuser makes another one
        return fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and form.cleaned_data.get("unit"):
            services.grant_role(obj, form.cleaned_data["unit"], form.cleaned_data["role"])


def _clean_membership(membership: StaffMembership, actor) -> None:
    if actor is not None and membership.unit_id and membership.role:
        services.check_may_grant(actor, membership.user if membership.user_id else None, membership.unit, membership.role)


class MembershipForm(ServiceCleanForm):
    service_clean = _clean_membership

    class Meta:
        model = StaffMembership
        fields = ["user", "unit", "role", "is_active"]


@admin.register(StaffMembership)
class StaffMembershipAdmin(ScopedAdmin):
    form = MembershipForm
    scope_fields = ("unit",)
    list_display = ["user", "role", "unit", "is_active"]
    list_filter = ["role", "is_active"]
    list_select_related = ["user", "unit"]
    search_fields = ["user__username", "user__full_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]

    def object_editable(self, request, obj) -> bool:
        # A role the editor could not hand out is not theirs to change or remove either.
        return may_grant(request.user, obj.unit, obj.role)


def _clean_applicant(applicant: Applicant, actor=None) -> None:
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
class ApplicantAdmin(ActorAdmin):
    form = ApplicantForm
    list_display = ["full_name", "kind", "cccd", "tax_code", "phone"]
    list_filter = ["kind"]
    search_fields = ["full_name", "cccd", "tax_code", "phone"]
