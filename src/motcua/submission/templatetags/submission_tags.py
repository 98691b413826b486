"""Small filters for the submission pages: money in đồng, instants in local time, file sizes."""

from __future__ import annotations

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def dong(amount) -> str:
    """50000 → “50.000 đồng” (Vietnamese thousands separator)."""
    if amount is None or amount == "":
        return ""
    return f"{int(amount):,} đồng".replace(",", ".")


@register.filter
def when(moment) -> str:
    return f"{timezone.localtime(moment):%H:%M ngày %d/%m/%Y}" if moment else ""


@register.filter
def size(count) -> str:
    count = int(count or 0)
    if count >= 1024 * 1024:
        return f"{count / 1048576:.1f} MB".replace(".", ",")
    return f"{max(1, round(count / 1024))} KB"


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key, "")
