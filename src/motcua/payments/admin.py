"""Online payment attempts in the admin: read-only, within the dossiers the user may see. Staff use
it to reconcile with the gateway and to find money to refund (state "refund due")."""

from __future__ import annotations

from django.contrib import admin

from motcua.accounts.scope import scoped
from motcua.payments.models import PaymentAttempt


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(admin.ModelAdmin):
    list_display = ["reference", "dossier", "amount", "state", "created_at", "finished_at", "finished_via",
                    "transaction_no"]
    list_filter = ["state", "provider", "finished_via"]
    search_fields = ["reference", "transaction_no", "dossier__code"]
    list_select_related = ["dossier"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user, "dossier__resolving_unit",
                      "dossier__receiving_unit", "dossier__returning_unit", perm="dossiers.view_dossier")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    # Seeing a dossier means seeing how its fees were paid; nothing here is ever edited by hand.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("dossiers.view_dossier")

    def has_module_permission(self, request):
        return request.user.has_perm("dossiers.view_dossier")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
