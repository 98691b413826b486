"""Small filters for the submission pages: money in đồng, instants in local time, file sizes."""

from __future__ import annotations

from django import template
from django.utils import timezone

from motcua.workspace.templatetags.workspace_tags import filesize

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


register.filter("size", filesize)  # the staff pages' file sizes, “1,5 MB” / “12 KB”


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key, "")
