"""Build the ``motcua.calendar.WorkCalendar`` of a unit from the editable tables."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, Max

from motcua.calendar import CalendarError, OfficeHours, SpecialDay, WorkCalendar
from motcua.calendar.schedule import check_rows, national_calendar
from motcua.org.models import OrgUnit
from motcua.worktime.models import Base, CalendarDay, WorkCalendarConfig

__all__ = ["calendar_for", "calendar_of_unit", "clean_config", "clean_day", "NATIONAL_CODES"]

NATIONAL_CODES = {Base.CIVIL_SERVICE: "quoc-gia-co-quan-nha-nuoc", Base.BUSINESS: "quoc-gia-doanh-nghiep"}
_cache: dict[int, tuple[tuple, WorkCalendar]] = {}


def _chain(config: WorkCalendarConfig) -> list[WorkCalendarConfig]:
    chain, seen = [], set()
    while config is not None:
        if config.pk in seen:
            raise CalendarError("Lịch kế thừa vòng tròn.")
        seen.add(config.pk)
        chain.append(config)
        config = config.parent
    return chain[::-1]  # national first


def calendar_for(config: WorkCalendarConfig) -> WorkCalendar:
    """The compiled calendar, rebuilt only when a day or a calendar of its chain changed."""
    chain = _chain(config)
    stamp = CalendarDay.objects.filter(calendar__in=[c.pk for c in chain]).aggregate(n=Count("id"), last=Max("updated_at"))
    key = (tuple((c.pk, c.updated_at) for c in chain), stamp["n"], stamp["last"])
    cached = _cache.get(config.pk)
    if cached and cached[0] == key:
        return cached[1]
    days = {c.pk: [] for c in chain}
    for row in CalendarDay.objects.filter(calendar__in=days).order_by("date"):
        days[row.calendar_id].append(SpecialDay(row.date, row.kind, row.name, row.document))
    root = chain[0]
    calendar = national_calendar(root.code, days[root.pk], title=root.name)
    for link in chain[1:]:
        weekly = None
        if link.weekday_hours or link.saturday_hours:
            weekdays = OfficeHours.parse(link.weekday_hours) if link.weekday_hours else calendar.weekly[0]
            weekly = {d: weekdays for d in range(5)}
            if link.saturday_hours:
                weekly[5] = OfficeHours.parse(link.saturday_hours)
        calendar = calendar.derive(link.name, weekly=weekly, special_days=days[link.pk],
                                   hours_per_day=weekly[0].seconds if weekly else None)
    _cache[config.pk] = (key, calendar)
    return calendar


def calendar_of_unit(unit: OrgUnit) -> WorkCalendar:
    """The unit's own calendar, else its nearest ancestor's, else the national civil-service one."""
    ids = [int(x) for x in unit.path.strip("/").split("/") if x]
    holder = (OrgUnit.objects.filter(pk__in=ids, calendar__isnull=False).select_related("calendar")
              .order_by("-depth").first())
    config = holder.calendar if holder else WorkCalendarConfig.objects.get(code=NATIONAL_CODES[Base.CIVIL_SERVICE])
    return calendar_for(config)


def clean_config(config: WorkCalendarConfig, actor=None) -> None:
    for field in ("weekday_hours", "saturday_hours"):
        try:
            OfficeHours.parse(getattr(config, field))
        except CalendarError as exc:
            raise ValidationError({field: str(exc)}) from exc
    ancestor = config.parent
    while ancestor is not None:
        if ancestor.pk == config.pk:
            raise ValidationError({"parent": "Không thể kế thừa từ chính lịch này hoặc lịch kế thừa nó."})
        ancestor = ancestor.parent


def clean_day(day: CalendarDay, actor=None) -> None:
    if not (day.document or "").strip():
        raise ValidationError({"document": "Phải ghi văn bản quyết định ngày này."})
    try:
        check_rows([SpecialDay(day.date, day.kind, day.name, day.document)])
    except CalendarError as exc:
        raise ValidationError({"date": str(exc)}) from exc
