"""The outbox commands: queue side effects inside a dossier command, deliver them afterwards.

- ``enqueue`` only inserts rows in the caller's transaction: the messages exist iff the command
  commits, and nothing is sent before it does.
- ``drain`` claims due messages in a short transaction (``SELECT ... FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, so several workers share the work; SQLite serialises writers), pushes their
  ``next_attempt_at`` forward as a lease, sends them outside any transaction, then records each
  outcome. Delivery is at least once: a worker that dies between sending and recording leaves the
  message to be sent again when the lease ends.
- A failure is retried with exponential backoff; after ``MOTCUA_OUTBOX_MAX_ATTEMPTS`` attempts, or
  at once for a failure retrying cannot fix, the message is dead and listed in the admin, where
  ``retry_dead`` requeues it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from motcua.notify import messages
from motcua.notify.channels import deliver
from motcua.notify.errors import DeliveryError
from motcua.notify.models import Channel, OutboxMessage, Status, WebhookSubscription
from motcua.text import nfc

__all__ = ["DrainResult", "DeliveryError", "enqueue", "drain", "retry_dead", "retry_delay", "topic_matches",
           "clean_topics"]

logger = logging.getLogger("motcua.notify")

_TOPIC = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_PHONE = re.compile(r"\+?[0-9]{8,15}")
_PHONE_SEPARATORS = str.maketrans("", "", " .-()")
_MAX_ERROR = 2000


@dataclass(frozen=True)
class DrainResult:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0  # claimed but handed back unsent (stop requested, or the lease running out)

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.dead + self.released

    def __add__(self, other: DrainResult) -> DrainResult:
        return DrainResult(self.sent + other.sent, self.retried + other.retried, self.dead + other.dead,
                           self.released + other.released)


# --- enqueue ------------------------------------------------------------------------------------

def topic_matches(patterns: Iterable[str], topic: str) -> bool:
    """``*`` matches every topic, ``dossier.*`` every topic under ``dossier.``, else exact match."""
    for pattern in patterns:
        if pattern == "*" or pattern == topic or (pattern.endswith(".*") and topic.startswith(pattern[:-1])):
            return True
    return False


def clean_topics(text: str) -> str:
    """A subscription's topic list, checked and normalised to "a, b"; ValueError names a bad item."""
    items = [item.strip() for item in nfc(text).split(",") if item.strip()]
    if not items:
        raise ValueError("Cần ít nhất một sự kiện (\"*\" là mọi sự kiện).")
    for item in items:
        if item != "*" and not _TOPIC.fullmatch(item.removesuffix(".*")):
            raise ValueError(f"Tên sự kiện không hợp lệ: {item!r} (ví dụ: dossier.received, dossier.*, *).")
    return ", ".join(dict.fromkeys(items))


def _clean_email(value: str) -> str:
    value = nfc(value)
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError(f"not an e-mail address: {value!r}") from None
    return value


def _clean_phone(value: str) -> str:
    cleaned = nfc(value).translate(_PHONE_SEPARATORS)
    if not _PHONE.fullmatch(cleaned):
        raise ValueError(f"not a phone number: {value!r}")
    return cleaned


def enqueue(topic: str, payload: dict[str, Any], *, email: str = "", phone: str = "",
            dossier_reference: str = "") -> list[OutboxMessage]:
    """Queue the messages for ``topic``: an e-mail to ``email`` and an SMS to ``phone`` when the
    topic has applicant texts, and one webhook per active subscription to the topic.

    Must run inside the caller's ``transaction.atomic()``. Raises ValueError on a malformed topic,
    payload, address or number, or when an applicant topic lacks a required payload key.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("enqueue() must run inside the dossier command's transaction.atomic()")
    if not isinstance(topic, str) or not _TOPIC.fullmatch(topic) or len(topic) > 100:
        raise ValueError(f"malformed topic: {topic!r}")
    if not isinstance(payload, dict):
        raise ValueError("payload must be a dict")
    dossier_reference = nfc(dossier_reference)
    if len(dossier_reference) > OutboxMessage._meta.get_field("dossier_reference").max_length:
        raise ValueError(f"dossier reference too long: {dossier_reference!r}")
    email = _clean_email(email) if email else ""
    phone = _clean_phone(phone) if phone else ""
    now = timezone.now()
    envelope = {"topic": topic, "dossier_reference": dossier_reference, "occurred_at": now.isoformat(),
                "data": payload}
    try:
        envelope = json.loads(json.dumps(envelope, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"payload is not JSON: {exc}") from None
    rendered = messages.render(topic, envelope["data"])
    if rendered is not None and len(rendered.subject) > OutboxMessage._meta.get_field("subject").max_length:
        raise ValueError(f"subject too long for {topic!r}: {rendered.subject!r}")

    common = dict(topic=topic, dossier_reference=dossier_reference, payload=envelope, next_attempt_at=now)
    rows: list[OutboxMessage] = []
    if rendered is not None and email:
        rows.append(OutboxMessage(channel=Channel.EMAIL, recipient=email, subject=rendered.subject,
                                  body=rendered.body, **common))
    if rendered is not None and phone:
        rows.append(OutboxMessage(channel=Channel.SMS, recipient=phone, body=rendered.sms, **common))
    for subscription in WebhookSubscription.objects.filter(is_active=True).order_by("pk"):
        if topic_matches(subscription.topic_list(), topic):
            rows.append(OutboxMessage(channel=Channel.WEBHOOK, recipient=subscription.url, subject=topic,
                                      subscription=subscription, **common))
    return OutboxMessage.objects.bulk_create(rows)


# --- drain --------------------------------------------------------------------------------------

def retry_delay(attempts: int, key: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: base · 2^(attempts-1), plus up to 10 % jitter derived
    from the message id (deterministic, yet spreading a burst of failures), capped."""
    base = settings.MOTCUA_OUTBOX_BACKOFF_BASE
    cap = settings.MOTCUA_OUTBOX_BACKOFF_MAX
    exponent = min(max(attempts, 1) - 1, 32)
    digest = hashlib.sha256(f"{key}:{attempts}".encode()).digest()
    jitter = int.from_bytes(digest[:4], "big") / 2**32 * 0.1
    return dt.timedelta(seconds=min(base * 2**exponent * (1 + jitter), cap))


def _claim(now: dt.datetime, limit: int) -> list[OutboxMessage]:
    with transaction.atomic():
        due = OutboxMessage.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        lease_end = now + dt.timedelta(seconds=settings.MOTCUA_OUTBOX_LEASE)
        OutboxMessage.objects.filter(pk__in=ids).update(next_attempt_at=lease_end, attempts=F("attempts") + 1)
    # The lease is ours: read the rows (and subscriptions) back outside the claiming transaction.
    claimed = OutboxMessage.objects.select_related("subscription").in_bulk(ids)
    return [claimed[pk] for pk in ids if pk in claimed]


def _mine(message: OutboxMessage):
    """The row as long as our claim holds: still pending and not re-claimed by another worker."""
    return OutboxMessage.objects.filter(pk=message.pk, status=Status.PENDING, attempts=message.attempts)


def _record_success(message: OutboxMessage, now: dt.datetime) -> None:
    # Sent is sent, even if our lease ran out and another worker holds the row meanwhile.
    OutboxMessage.objects.filter(pk=message.pk, status=Status.PENDING).update(
        status=Status.SENT, sent_at=now, last_error="")


def _record_failure(message: OutboxMessage, exc: Exception, now: dt.datetime) -> str:
    if isinstance(exc, DeliveryError):
        error, permanent = str(exc), exc.permanent
        logger.warning("outbox #%s (%s %s) failed, attempt %s: %s", message.pk, message.channel, message.topic,
                       message.attempts, error)
    else:
        error, permanent = f"{type(exc).__name__}: {exc}", False
        logger.exception("outbox #%s (%s %s) crashed the sender", message.pk, message.channel, message.topic)
    if permanent or message.attempts >= settings.MOTCUA_OUTBOX_MAX_ATTEMPTS:
        _mine(message).update(status=Status.DEAD, next_attempt_at=now, last_error=error[:_MAX_ERROR])
        return Status.DEAD
    _mine(message).update(next_attempt_at=now + retry_delay(message.attempts, message.pk),
                          last_error=error[:_MAX_ERROR])
    return Status.PENDING


def _release(batch: list[OutboxMessage], now: dt.datetime) -> int:
    released = 0
    for message in batch:
        released += _mine(message).update(next_attempt_at=now, attempts=F("attempts") - 1)
    return released


def drain(*, now: dt.datetime | None = None, limit: int = 100,
          stop: Callable[[], bool] | None = None) -> DrainResult:
    """Deliver up to ``limit`` due messages once each; return what happened to them.

    ``now`` fixes the clock (tests); ``stop`` is asked before each send, and a true answer hands the
    rest of the batch back at once (a worker shutting down). Call it outside any transaction.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else timezone.now
    batch = _claim(clock(), limit)
    started = time.monotonic()
    budget = settings.MOTCUA_OUTBOX_LEASE / 2  # never start a send late in the lease
    sent = retried = dead = released = 0
    for index, message in enumerate(batch):
        if (stop is not None and stop()) or time.monotonic() - started > budget:
            released = _release(batch[index:], clock())
            break
        try:
            deliver(message)
        except Exception as exc:  # every failure is recorded on the message, none stops the batch
            if _record_failure(message, exc, clock()) == Status.DEAD:
                dead += 1
            else:
                retried += 1
        else:
            _record_success(message, clock())
            sent += 1
    return DrainResult(sent=sent, retried=retried, dead=dead, released=released)


# --- dead letters -------------------------------------------------------------------------------

def retry_dead(ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Requeue dead messages for a fresh series of attempts; return how many were requeued.

    A webhook goes to its subscription's current URL, so fixing the URL and requeueing works.
    """
    ids = [int(pk) for pk in ids]
    now = now or timezone.now()
    with transaction.atomic():
        dead = OutboxMessage.objects.filter(pk__in=ids, status=Status.DEAD)
        current_url = WebhookSubscription.objects.filter(pk=OuterRef("subscription_id")).values("url")[:1]
        dead.filter(channel=Channel.WEBHOOK, subscription__isnull=False).update(recipient=Subquery(current_url))
        return dead.update(status=Status.PENDING, attempts=0, next_attempt_at=now)
