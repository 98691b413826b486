"""The transactional outbox: one row per notification or webhook delivery, written in the same
transaction as the dossier command that caused it, and delivered later by ``motcua worker``.

Data and constraints only; enqueueing, delivery and retries are in ``services``.
"""

from __future__ import annotations

import secrets

from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["Channel", "Status", "WebhookSubscription", "OutboxMessage", "DeadLetter", "new_secret"]


class Channel(models.TextChoices):
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")
    WEBHOOK = "webhook", _("Webhook")


class Status(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    DEAD = "dead", _("Lỗi, ngừng gửi")


def new_secret() -> str:
    return secrets.token_hex(32)


class WebhookSubscription(models.Model):
    """An external system that receives the dossier events it subscribed to, signed with ``secret``."""

    name = models.CharField(_("Tên hệ thống nhận"), max_length=200)
    url = models.URLField(_("Địa chỉ nhận (URL)"), max_length=500, validators=[URLValidator(schemes=["http", "https"])])
    secret = models.CharField(
        _("Khóa bí mật ký HMAC"), max_length=200, default=new_secret,
        help_text=_("Bên nhận kiểm tra tiêu đề X-MotCua-Signature: sha256=HMAC-SHA256(khóa, nội dung)."),
    )
    topics = models.CharField(
        _("Sự kiện đăng ký"), max_length=1000, default="*",
        help_text=_('Danh sách cách nhau bởi dấu phẩy, ví dụ "dossier.received, dossier.result_ready"; '
                    '"*" là mọi sự kiện, "dossier.*" là mọi sự kiện về hồ sơ.'),
    )
    is_active = models.BooleanField(_("Đang hoạt động"), default=True)
    created_at = models.DateTimeField(_("Thời điểm tạo"), auto_now_add=True)

    class Meta:
        verbose_name = _("đăng ký webhook")
        verbose_name_plural = _("đăng ký webhook")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def topic_list(self) -> list[str]:
        return [item.strip() for item in self.topics.split(",") if item.strip()]


class OutboxMessage(models.Model):
    channel = models.CharField(_("Kênh"), max_length=10, choices=Channel.choices)
    topic = models.CharField(_("Sự kiện"), max_length=100, db_index=True)
    dossier_reference = models.CharField(_("Mã tham chiếu hồ sơ"), max_length=64, blank=True, db_index=True)
    recipient = models.CharField(
        _("Người nhận"), max_length=500, help_text=_("Địa chỉ thư điện tử, số điện thoại hoặc URL webhook."),
    )
    subject = models.CharField(_("Tiêu đề"), max_length=255, blank=True)
    body = models.TextField(_("Nội dung"), blank=True)
    payload = models.JSONField(_("Dữ liệu (JSON)"), default=dict, blank=True)
    status = models.CharField(_("Trạng thái"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("Số lần đã gửi"), default=0)
    next_attempt_at = models.DateTimeField(_("Lần gửi tiếp theo"))
    last_error = models.TextField(_("Lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(_("Thời điểm tạo"), auto_now_add=True)
    sent_at = models.DateTimeField(_("Thời điểm gửi thành công"), null=True, blank=True)
    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("Đăng ký webhook"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="messages",
    )

    class Meta:
        verbose_name = _("thông báo chờ gửi (outbox)")
        verbose_name_plural = _("thông báo (outbox)")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_outbox_due")]
        constraints = [
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="notify_outbox_channel"),
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="notify_outbox_status"),
            models.CheckConstraint(
                condition=~models.Q(status=Status.SENT) | models.Q(sent_at__isnull=False),
                name="notify_outbox_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_channel_display()} {self.topic} → {self.recipient}"


class DeadLetterManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(status=Status.DEAD)


class DeadLetter(OutboxMessage):
    """The dead-letter list: messages that failed every attempt (admin view only)."""

    objects = DeadLetterManager()

    class Meta:
        proxy = True
        verbose_name = _("thư lỗi (dead letter)")
        verbose_name_plural = _("thư lỗi (dead letters)")
