from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from motcua.api.models import ApiToken
from motcua.api.tokens import revoke_token


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Read-only list; tokens are created with ``motcua apitoken create`` (the secret is shown once)."""

    list_display = ["prefix", "name", "user", "is_active", "created_at", "last_used_at", "expires_at"]
    list_filter = ["is_active"]
    search_fields = ["prefix", "name", "user__username"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    @admin.action(description=_("Thu hồi các mã đã chọn"))
    def revoke(self, request, queryset):
        for token in queryset.filter(is_active=True):
            revoke_token(token.prefix)
        messages.success(request, _("Đã thu hồi."))

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            return {}
        return actions
