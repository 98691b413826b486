"""Why a due instant is what it is, step by step, in Vietnamese — for officers and citizens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from motcua.calendar.core import _DAY, TZ, WEEKDAYS_VI, DayKind, Duration, Unit, WorkCalendar, _cut
from motcua.calendar.deadline import format_working_time

__all__ = ["Explanation", "explain"]


@dataclass
class Explanation:
    due: dt.datetime
    counted_from: dt.datetime
    lines: list[str] = field(default_factory=list)
    days: list[dict] = field(default_factory=list)  # one entry per calendar day considered

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _when(moment: dt.datetime) -> str:
    local = moment.astimezone(TZ)
    return f"{local:%H:%M} {WEEKDAYS_VI[local.weekday()]} {local:%d/%m/%Y}"


def _day(day: dt.date) -> str:
    return f"{WEEKDAYS_VI[day.weekday()]} {day:%d/%m/%Y}"


def _hm(seconds: int) -> str:
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} giờ {minutes:02d} phút" if minutes else f"{hours} giờ"


def explain(calendar: WorkCalendar, start: dt.datetime, duration: Duration, pauses=(),
            cutoff: dt.time | None = None, reasons: list[str] | None = None) -> Explanation:
    """The due instant of ``calendar.due(start, duration, pauses, cutoff)`` and its reasoning."""
    due = calendar.due(start, duration, pauses, cutoff)
    ts = calendar.to_ts(start)
    cut = None if cutoff is None else _cut(cutoff)
    spans = calendar._spans(pauses)
    counted_ts = calendar._start_moment(ts, cut)  # the next working moment, or the next opening after the cut-off
    counted_from = calendar.from_ts(counted_ts)
    result = Explanation(due=due, counted_from=counted_from)
    lines = result.lines
    lines.append(f"Tiếp nhận hồ sơ lúc {_when(start)}; {calendar.title}.")
    local = start.astimezone(TZ)
    if counted_ts != ts:
        day_hours = calendar._periods[(ts + 7 * 3600) // _DAY - calendar._e0]
        if cut is not None and day_hours and local.hour * 3600 + local.minute * 60 >= cut:
            why = f"nhận sau {cutoff:%H:%M} (giờ chốt nhận hồ sơ)"
        elif not day_hours:
            why = "nhận vào ngày nghỉ"
        else:
            why = "nhận ngoài giờ hành chính"
        lines.append(f"Vì {why}, thời hạn được tính từ {_when(counted_from)}.")
    if duration.unit in Unit.WORKING:
        lines.append(f"Thời hạn giải quyết: {duration} = {_hm(calendar.seconds_of(duration))} làm việc "
                     f"(1 ngày làm việc = {_hm(calendar.hours_per_day)}).")
    else:
        lines.append(f"Thời hạn giải quyết: {duration}, tính liên tục cả ngày nghỉ; hạn rơi vào ngày nghỉ thì "
                     "chuyển sang thời điểm làm việc kế tiếp.")
    for k, (a, b) in enumerate(spans):
        reason = f" ({reasons[k]})" if reasons and k < len(reasons) and reasons[k] else ""
        if duration.unit in Unit.WORKING:
            stopped = format_working_time(max(0, calendar._w(b) - max(calendar._w(a), calendar._w(counted_ts))),
                                          calendar.hours_per_day)
        else:
            stopped = f"{(b - a) / _DAY:.2f} ngày".replace(".", ",")
        lines.append(f"Tạm dừng từ {_when(calendar.from_ts(a))} đến {_when(calendar.from_ts(b))}{reason}: "
                     f"đồng hồ dừng {stopped}.")
    first, last = counted_from.astimezone(TZ).date(), due.astimezone(TZ).date()
    day = local.date()
    if duration.unit not in Unit.WORKING:
        # Every day counts; only the days the end is pushed past need a word.
        raw_end = calendar.from_ts(calendar._paused_end(counted_ts, _calendar_end(calendar, counted_ts, duration), spans))
        lines.append(f"Cộng {duration} từ {_when(counted_from)}: đến {_when(raw_end)}.")
        day = first = raw_end.astimezone(TZ).date()
    while day <= last:
        hours, kind, name, document = calendar.day_rule(day)
        source = f" — {document}" if document else ""
        entry = {"date": day.isoformat(), "kind": kind, "name": name, "document": document}
        if kind == "weekend":
            lines.append(f"{_day(day)}: nghỉ cuối tuần, không tính.")
        elif kind in (DayKind.HOLIDAY, DayKind.DAY_OFF):
            label = "nghỉ lễ, Tết" if kind == DayKind.HOLIDAY else "nghỉ bù / hoán đổi"
            lines.append(f"{_day(day)}: {label} ({name}{source}), không tính.")
        elif day < first:
            lines.append(f"{_day(day)}: không tính (trước thời điểm bắt đầu tính hạn).")
        elif duration.unit in Unit.WORKING:
            opening = dt.datetime.combine(day, dt.time(0), TZ)
            lo, hi = max(opening, counted_from), min(opening + dt.timedelta(days=1), due)
            counted = calendar.working_seconds(lo, hi, pauses) if hi > lo else 0
            extra = f" (ngày làm bù: {name}{source})" if kind == DayKind.WORKING_DAY else ""
            lines.append(f"{_day(day)}: tính {_hm(counted)} làm việc{extra}.")
            entry["counted_seconds"] = counted
        elif kind == DayKind.WORKING_DAY and day >= first:
            lines.append(f"{_day(day)}: ngày làm bù ({name}{source}).")
        result.days.append(entry)
        day += dt.timedelta(days=1)
    lines.append(f"Hạn trả kết quả: {_when(due)}.")
    return result


def _calendar_end(calendar: WorkCalendar, begin: int, duration: Duration) -> int:
    from motcua.calendar.core import _add_months

    if duration.unit == Unit.CALENDAR_DAYS:
        return begin + calendar._amount(duration)
    return _add_months(begin, calendar._amount(duration))
