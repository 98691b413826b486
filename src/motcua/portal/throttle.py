"""A fixed-window rate limiter on a database table, shared by every server process.

Why the database and not Django's cache: the default cache is per process (LocMemCache), so with
several processes each would allow the full limit; a shared cache server is one more thing to run,
which the embedded single-machine deployment does not have. The counter is one indexed row per key
and window, incremented with UPDATE … hits + 1 (row-locked on PostgreSQL, serialised by SQLite's
write lock), so concurrent requests never lose a count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from motcua.portal.models import ThrottleBucket

__all__ = ["Throttled", "Limit", "hit", "digest"]


class Throttled(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"retry after {retry_after}s")


@dataclass(frozen=True)
class Limit:
    key: str       # already hashed (see digest)
    allowed: int   # attempts per window


def digest(kind: str, value: str) -> str:
    """Keys never hold a client's address or a dossier code in clear; salted with SECRET_KEY."""
    raw = f"{settings.SECRET_KEY}|{kind}|{value}".encode()
    return f"{kind}:{hashlib.sha256(raw).hexdigest()[:40]}"


def _window_start(now: dt.datetime, seconds: int) -> dt.datetime:
    epoch = math.floor(now.timestamp() / seconds) * seconds
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)


def _increment(key: str, start: dt.datetime) -> int:
    rows = ThrottleBucket.objects.filter(key=key, window_start=start)
    if not rows.update(hits=F("hits") + 1):
        try:
            with transaction.atomic():
                ThrottleBucket.objects.create(key=key, window_start=start, hits=1)
                return 1
        except IntegrityError:  # another process created it first: count on its row
            rows.update(hits=F("hits") + 1)
    return rows.values_list("hits", flat=True).get()


def hit(limits: list[Limit], now: dt.datetime, window_seconds: int) -> None:
    """Count one attempt against every limit; raise Throttled when any is over its allowance.

    Every key is counted even when an earlier one is already over, so the work does not depend on
    which limit tripped. The counts are committed before Throttled is raised."""
    start = _window_start(now, window_seconds)
    with transaction.atomic():
        over = False
        for limit in limits:
            over |= _increment(limit.key, start) > limit.allowed
        # Old windows are useless: drop them here rather than in a separate job.
        ThrottleBucket.objects.filter(window_start__lt=start - dt.timedelta(seconds=window_seconds)).delete()
    if over:
        end = start + dt.timedelta(seconds=window_seconds)
        raise Throttled(max(1, math.ceil((end - now).total_seconds())))
