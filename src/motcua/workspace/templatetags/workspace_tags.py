from django import template

from motcua.calendar.core import TZ, WEEKDAYS_VI

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.filter
def when(moment) -> str:
    """“09:30 Thứ Hai 15/09/2025” in Vietnam's time."""
    if not moment:
        return ""
    local = moment.astimezone(TZ)
    return f"{local:%H:%M} {WEEKDAYS_VI[local.weekday()]} {local:%d/%m/%Y}"


@register.filter
def short(moment) -> str:
    """“09:30 15/09/2025”."""
    if not moment:
        return ""
    return f"{moment.astimezone(TZ):%H:%M %d/%m/%Y}"


@register.filter
def money(amount) -> str:
    """“50.000 đ”."""
    if amount is None or amount == "":
        return ""
    return f"{int(amount):,} đ".replace(",", ".")


@register.filter
def filesize(size) -> str:
    size = int(size or 0)
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} KB"
