"""The outbox in the admin: every message read-only, the dead-letter list, requeueing, webhooks."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminURLFieldWidget
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from motcua.notify import services
from motcua.notify.models import DeadLetter, OutboxMessage, Status, WebhookSubscription

FIELDS = ["channel", "topic", "dossier_reference", "recipient", "subject", "body", "payload", "status", "attempts",
          "next_attempt_at", "last_error", "created_at", "sent_at", "subscription"]


@admin.action(description=_("Gửi lại"), permissions=["change"])
def requeue(modeladmin, request, queryset):
    selected = list(queryset.values_list("pk", "status"))
    count = services.retry_dead(pk for pk, status in selected if status == Status.DEAD)
    skipped = len(selected) - count
    modeladmin.message_user(request, _("Đã đưa %(count)d thông báo trở lại hàng đợi.") % {"count": count},
                            messages.SUCCESS)
    if skipped:
        modeladmin.message_user(request, _("Bỏ qua %(count)d thông báo không ở trạng thái lỗi.") % {"count": skipped},
                                messages.WARNING)


class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "channel", "topic", "dossier_reference", "recipient", "status", "attempts",
                    "next_attempt_at", "sent_at"]
    list_filter = ["status", "channel", "topic"]
    search_fields = ["dossier_reference", "recipient"]
    date_hierarchy = "created_at"
    fields = FIELDS
    readonly_fields = FIELDS
    actions = [requeue]

    def has_add_permission(self, request):
        return False  # messages are queued by the dossier commands only

    def has_delete_permission(self, request, obj=None):
        return False  # the outbox is the record of what the applicant was told


admin.site.register(OutboxMessage, OutboxMessageAdmin)


@admin.register(DeadLetter)
class DeadLetterAdmin(OutboxMessageAdmin):
    list_display = ["id", "created_at", "channel", "topic", "dossier_reference", "recipient", "attempts",
                    "last_error"]
    list_filter = ["channel", "topic"]


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=WebhookSubscription._meta.get_field("url").verbose_name, max_length=500,
                         assume_scheme="https", widget=AdminURLFieldWidget)

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "topics", "is_active", "secret"]

    def clean_topics(self):
        try:
            return services.clean_topics(self.cleaned_data["topics"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["name", "url", "topics", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    fields = ["name", "url", "topics", "is_active", "secret"]
