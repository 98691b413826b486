"""The working-time calendar: which moments are working time, and arithmetic over them.

Pure Python (no Django). Vietnam has kept UTC+7 without daylight saving since 1975, so an instant
is handled as integer epoch seconds and a local day as ``(ts + 7 h) // 86400``. A calendar is
compiled once into two tables over its range of days:

- ``_periods[i]``: the working periods of day ``i`` as (start, end) seconds after local midnight;
- ``_cum[i]``: working seconds from the start of the range to the start of day ``i``.

``W(t)`` — working seconds before instant ``t`` — is then a table lookup plus at most a few period
comparisons, and its inverse is one ``bisect`` in ``_cum``. A due instant is ``W⁻¹(W(start) +
duration + the working length of the pauses)``: no loop over days, however long the duration.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Callable, Iterable, Mapping

__all__ = [
    "TZ", "CalendarError", "Unit", "Duration", "OfficeHours", "SpecialDay", "DayKind", "WorkCalendar",
    "DEFAULT_OFFICE_HOURS",
]

TZ = dt.timezone(dt.timedelta(hours=7), "+07:00")  # Asia/Ho_Chi_Minh: UTC+7, no DST since 1975
_OFFSET = 7 * 3600
_DAY = 86400
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


class CalendarError(ValueError):
    """Input the engine refuses rather than answer wrongly; the message is Vietnamese."""


class Unit:
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    MONTHS = "months"
    ALL = (WORKING_HOURS, WORKING_DAYS, CALENDAR_DAYS, MONTHS)
    WORKING = (WORKING_HOURS, WORKING_DAYS)
    LABELS = {WORKING_HOURS: "giờ làm việc", WORKING_DAYS: "ngày làm việc", CALENDAR_DAYS: "ngày", MONTHS: "tháng"}


@dataclass(frozen=True)
class Duration:
    """A legal time limit: a positive value (at most 3 decimals) and its unit."""

    value: Decimal
    unit: str

    def __post_init__(self):
        try:
            value = Decimal(str(self.value).strip().replace(",", "."))
        except (InvalidOperation, AttributeError) as exc:
            raise CalendarError(f"Thời hạn “{self.value}” không phải là số.") from exc
        if self.unit not in Unit.ALL:
            raise CalendarError(f"Đơn vị thời gian “{self.unit}” không hợp lệ; dùng: {', '.join(Unit.ALL)}.")
        if not value.is_finite() or value <= 0:
            raise CalendarError(f"Thời hạn phải lớn hơn 0 (nhận được {self.value}).")
        if value != value.quantize(Decimal("0.001")) or value >= 100000:
            raise CalendarError(f"Thời hạn “{self.value}” có tối đa 3 chữ số thập phân và nhỏ hơn 100.000.")
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "_milli", int(value * 1000))

    def __str__(self) -> str:
        return f"{format(self.value.normalize(), 'f')} {Unit.LABELS[self.unit]}"


def _hhmm(value: str) -> int:
    try:
        hours, minutes = value.strip().split(":")
        h, m = int(hours), int(minutes)
    except ValueError as exc:
        raise CalendarError(f"Giờ “{value}” phải có dạng HH:MM.") from exc
    if not (0 <= h <= 24 and 0 <= m < 60) or h * 60 + m > 24 * 60:
        raise CalendarError(f"Giờ “{value}” không hợp lệ.")
    return h * 3600 + m * 60


@dataclass(frozen=True)
class OfficeHours:
    """Working periods of a day, as seconds after local midnight: ((27000, 41400), (48600, 61200))."""

    periods: tuple[tuple[int, int], ...]

    def __post_init__(self):
        previous_end = -1
        for start, end in self.periods:
            if not 0 <= start < end <= _DAY:
                raise CalendarError("Giờ làm việc: mỗi khoảng phải bắt đầu trước khi kết thúc, trong một ngày.")
            if start < previous_end:
                raise CalendarError("Giờ làm việc: các khoảng phải theo thứ tự và không chồng nhau.")
            previous_end = end

    @classmethod
    def parse(cls, text: str) -> "OfficeHours":
        """``"07:30-11:30,13:30-17:00"``; an empty string is a day without office hours."""
        periods = []
        for part in filter(None, (p.strip() for p in (text or "").split(","))):
            if "-" not in part:
                raise CalendarError(f"Khoảng giờ “{part}” phải có dạng HH:MM-HH:MM.")
            start, end = part.split("-", 1)
            periods.append((_hhmm(start), _hhmm(end)))
        return cls(tuple(periods))

    @property
    def seconds(self) -> int:
        return sum(end - start for start, end in self.periods)

    def __str__(self) -> str:
        return ", ".join(f"{s // 3600:02d}:{s % 3600 // 60:02d}–{e // 3600:02d}:{e % 3600 // 60:02d}"
                         for s, e in self.periods)


DEFAULT_OFFICE_HOURS = OfficeHours.parse("07:30-11:30,13:30-17:00")


class DayKind:
    HOLIDAY = "holiday"          # a statutory holiday (Bộ luật Lao động 2019, Điều 112)
    DAY_OFF = "day_off"          # a compensatory or swapped day off (nghỉ bù, hoán đổi)
    WORKING_DAY = "working_day"  # a weekend day made a working day (làm bù)
    ALL = (HOLIDAY, DAY_OFF, WORKING_DAY)


@dataclass(frozen=True)
class SpecialDay:
    date: dt.date
    kind: str
    name: str
    document: str = ""

    def __post_init__(self):
        if self.kind not in DayKind.ALL:
            raise CalendarError(f"Loại ngày “{self.kind}” không hợp lệ; dùng: {', '.join(DayKind.ALL)}.")


class WorkCalendar:
    """An immutable working calendar, compiled for the days from ``first`` to ``last``.

    ``weekly`` maps a weekday (0 = Monday) to its office hours; a missing weekday is a rest day.
    ``special_days`` decide single dates (they win over everything else). ``statutory`` gives the
    public holidays of a year (the ``holidays`` package) and is consulted only for years that
    ``special_days`` do not cover, since the official yearly schedule is authoritative where known.
    """

    def __init__(self, name: str, *, weekly: Mapping[int, OfficeHours] | None = None,
                 special_days: Iterable[SpecialDay] = (), hours_per_day: int | None = None,
                 makeup_hours: OfficeHours | None = None,
                 statutory: Callable[[int], Mapping[dt.date, str]] | None = None,
                 first: dt.date = dt.date(2015, 1, 1), last: dt.date = dt.date(2040, 12, 31), title: str = ""):
        self.name = name
        self.title = title or f"lịch làm việc “{name}”"
        self.weekly = dict(weekly if weekly is not None else {d: DEFAULT_OFFICE_HOURS for d in range(5)})
        self.special_days = {s.date: s for s in special_days}
        self.makeup_hours = makeup_hours or self.weekly.get(0, DEFAULT_OFFICE_HOURS)
        self.hours_per_day = hours_per_day or self.weekly.get(0, DEFAULT_OFFICE_HOURS).seconds
        if self.hours_per_day <= 0:
            raise CalendarError("Một ngày làm việc phải có số giờ lớn hơn 0.")
        self.statutory = statutory
        self.first, self.last = first, last
        self._compile()

    def derive(self, name: str, *, weekly: Mapping[int, OfficeHours] | None = None,
               special_days: Iterable[SpecialDay] = (), hours_per_day: int | None = None) -> "WorkCalendar":
        """An agency's own calendar: this one, with its office hours and single days overridden."""
        merged = dict(self.special_days)
        merged.update({s.date: s for s in special_days})
        return WorkCalendar(name, title=f"lịch làm việc của {name}", weekly=weekly if weekly is not None else self.weekly,
                            special_days=merged.values(), hours_per_day=hours_per_day or self.hours_per_day,
                            makeup_hours=None if weekly is not None else self.makeup_hours,
                            statutory=self.statutory, first=self.first, last=self.last)

    # --- compilation ---------------------------------------------------------------------------

    def day_rule(self, day: dt.date) -> tuple[OfficeHours | None, str, str, str]:
        """(office hours or None, kind, name, document) deciding ``day``."""
        special = self.special_days.get(day)
        if special is not None:
            hours = self.makeup_hours if special.kind == DayKind.WORKING_DAY else None
            return hours, special.kind, special.name, special.document
        if self.statutory is not None and day.year not in self._covered_years:
            name = self._statutory_days(day.year).get(day)
            if name:
                return None, DayKind.HOLIDAY, name, "Gói holidays (Bộ luật Lao động 2019, Điều 112)"
        hours = self.weekly.get(day.weekday())
        if hours is None or not hours.periods:
            return None, "weekend", "nghỉ hằng tuần", ""
        return hours, "working", "", ""

    def _statutory_days(self, year: int) -> Mapping[dt.date, str]:
        if year not in self._statutory_cache:
            self._statutory_cache[year] = self.statutory(year)
        return self._statutory_cache[year]

    def _compile(self) -> None:
        if self.last < self.first:
            raise CalendarError("Lịch phải có ngày cuối sau ngày đầu.")
        self._covered_years = {d.year for d in self.special_days}
        self._statutory_cache: dict[int, Mapping[dt.date, str]] = {}
        self._e0 = self.first.toordinal() - _EPOCH_ORDINAL  # epoch day of the first day
        n = self.last.toordinal() - self.first.toordinal() + 1
        periods: list[tuple[tuple[int, int], ...]] = []
        cum = [0] * (n + 1)
        working_days: list[int] = []
        for i in range(n):
            hours = self.day_rule(dt.date.fromordinal(self.first.toordinal() + i))[0]
            day_periods = hours.periods if hours is not None else ()
            periods.append(day_periods)
            length = sum(b - a for a, b in day_periods)
            cum[i + 1] = cum[i] + length
            if length:
                working_days.append(i)
        self._periods, self._cum, self._n = periods, cum, n
        self._working_days = working_days
        # _wd_before[i]: working days strictly before day i — for whole-day arithmetic on dates.
        before, k = [0] * (n + 1), 0
        for i in range(n):
            before[i] = k
            if periods[i]:
                k += 1
        before[n] = k
        self._wd_before = before

    # --- conversions ---------------------------------------------------------------------------

    @staticmethod
    def to_ts(moment: dt.datetime, what: str = "Thời điểm") -> int:
        """Epoch seconds (sub-second part dropped). Subtracting an aware epoch refuses naive
        datetimes and non-datetimes by itself, and is the fastest conversion CPython offers."""
        try:
            delta = moment - _EPOCH
            return delta.days * _DAY + delta.seconds
        except TypeError:
            raise _bad_moment(moment, what) from None

    @staticmethod
    def from_ts(ts: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts, TZ)

    def _index(self, ts: int) -> int:
        i = (ts + _OFFSET) // _DAY - self._e0
        if not 0 <= i < self._n:
            raise CalendarError(
                f"Thời điểm {self.from_ts(ts):%d/%m/%Y} nằm ngoài phạm vi lịch "
                f"({self.first:%d/%m/%Y} – {self.last:%d/%m/%Y})."
            )
        return i

    def _w(self, ts: int) -> int:
        """Working seconds from the start of the range to instant ``ts``."""
        local = ts + _OFFSET
        i = local // _DAY - self._e0
        if not 0 <= i < self._n:
            self._index(ts)
        s = local % _DAY
        w = self._cum[i]
        for a, b in self._periods[i]:
            if s <= a:
                break
            w += (s if s < b else b) - a
        return w

    def _instant(self, w: int) -> int:
        """The earliest instant at which ``w`` working seconds have passed (may be a closing time)."""
        cum = self._cum
        i = bisect_left(cum, w) - 1
        if i >= self._n or i < 0:
            if i < 0:
                return self._next_working((self._e0 * _DAY) - _OFFSET)
            raise CalendarError(f"Hạn xử lý vượt quá phạm vi lịch (sau {self.last:%d/%m/%Y}).")
        r = w - cum[i]
        for a, b in self._periods[i]:
            if r <= b - a:
                return (self._e0 + i) * _DAY - _OFFSET + a + r
            r -= b - a
        raise AssertionError("unreachable: cum and periods disagree")

    def _start_w(self, ts: int, cutoff: int | None) -> int:
        """W of the moment the clock starts: received after the cut-off on a working day, it starts
        with the next working day; outside office hours W already equals the next working moment."""
        if cutoff is not None:
            local = ts + _OFFSET
            i = local // _DAY - self._e0
            if 0 <= i < self._n and self._periods[i] and local % _DAY >= cutoff:
                return self._cum[i + 1]
        return self._w(ts)

    def _next_working(self, ts: int) -> int:
        """``ts`` itself when inside office hours (closing time included), else the next opening."""
        local = ts + _OFFSET
        i = local // _DAY - self._e0
        self._index(ts)
        s = local % _DAY
        for a, b in self._periods[i]:
            if s < a:
                return ts - s + a
            if s <= b:
                return ts
        j = bisect_right(self._cum, self._cum[i + 1]) - 1  # next day that has working time
        if j >= self._n:
            raise CalendarError(f"Không còn ngày làm việc trong phạm vi lịch (sau {self.last:%d/%m/%Y}).")
        return (self._e0 + j) * _DAY - _OFFSET + self._periods[j][0][0]

    def _next_opening(self, i: int) -> int:
        """Opening instant of the first working day after day ``i``."""
        j = bisect_right(self._cum, self._cum[i + 1]) - 1
        if j >= self._n:
            raise CalendarError(f"Không còn ngày làm việc trong phạm vi lịch (sau {self.last:%d/%m/%Y}).")
        return (self._e0 + j) * _DAY - _OFFSET + self._periods[j][0][0]

    # --- due instants --------------------------------------------------------------------------

    def due(self, start: dt.datetime, duration: Duration, pauses=(), cutoff: dt.time | None = None) -> dt.datetime:
        """The due instant of ``duration`` counted from ``start``.

        ``pauses``: intervals [from, to) that stop the clock, several allowed, in order and not
        overlapping. ``cutoff``: a dossier received at or after this time of a working day is
        counted from the next working day (15:00 for paper dossiers, NĐ 61/2018 Điều 18).
        """
        try:
            delta = start - _EPOCH
        except TypeError:
            raise _bad_moment(start, "Thời điểm tiếp nhận") from None
        ts = delta.days * _DAY + delta.seconds
        spans = self._spans(pauses) if pauses else ()
        cut = None if cutoff is None else _cut(cutoff)
        return dt.datetime.fromtimestamp(self._due_ts(ts, duration, spans, cut), TZ)

    def due_ts(self, start_ts: int, duration: Duration, pause_spans=(), cutoff: dt.time | None = None) -> int:
        """``due`` on epoch seconds, for hot paths (statistics, recomputation): no datetime objects.
        ``pause_spans`` must already be ordered, non-overlapping (from, to) pairs."""
        return self._due_ts(start_ts, duration, pause_spans, None if cutoff is None else _cut(cutoff))

    def _amount(self, duration: Duration):
        unit = duration.unit
        if unit == Unit.WORKING_HOURS:
            return duration._milli * 3600 // 1000
        if unit == Unit.WORKING_DAYS:
            return duration._milli * self.hours_per_day // 1000
        if unit == Unit.CALENDAR_DAYS:
            return duration._milli * _DAY // 1000
        if duration._milli % 1000:  # a share of a month is fine as a step budget, not as a deadline
            raise CalendarError("Thời hạn tính bằng tháng phải là số nguyên tháng.")
        return duration._milli // 1000  # months

    def _due_ts(self, ts: int, duration: Duration, spans, cut) -> int:
        unit = duration.unit
        if unit == "working_days" or unit == "working_hours":  # the hot path: kept flat on purpose
            w0 = self._start_w(ts, cut) if cut is not None else self._w(ts)
            target = w0 + (duration._milli * (self.hours_per_day if unit == "working_days" else 3600)) // 1000
            if spans:
                target = self._paused_target(w0, target, spans)
            return self._instant(target)
        begin = self._start_moment(ts, cut)
        if unit == Unit.CALENDAR_DAYS:
            end = begin + self._amount(duration)
        else:
            end = _add_months(begin, self._amount(duration))
        return self._next_working(self._paused_end(begin, end, spans))

    def _paused_target(self, w0: int, target: int, spans) -> int:
        """Working-time target pushed back by the working length of every pause that starts before it."""
        w = self._w
        for a, b in spans:
            wa = w(a)
            if wa >= target:
                break
            wb = w(b)
            if wb > w0:
                target += wb - (wa if wa > w0 else w0)
        return target

    @staticmethod
    def _paused_end(begin: int, end: int, spans) -> int:
        """Calendar-time end pushed back by the calendar length of every pause that starts before it."""
        for a, b in spans:
            if a >= end:
                break
            if b > begin:
                end += b - (a if a > begin else begin)
        return end

    def _start_moment(self, ts: int, cut) -> int:
        if cut is not None:
            local = ts + _OFFSET
            i = local // _DAY - self._e0
            if 0 <= i < self._n and self._periods[i] and local % _DAY >= cut:
                return self._next_opening(i)
        return self._next_working(ts)

    def _spans(self, pauses) -> list[tuple[int, int]]:
        """Pauses as epoch-second pairs, checked: each ends after it starts, in order, no overlap."""
        if not pauses:
            return []
        spans = []
        previous_end = None
        for pause in pauses:
            try:
                begin, finish = pause
            except (TypeError, ValueError) as exc:
                raise CalendarError("Mỗi khoảng tạm dừng gồm thời điểm bắt đầu và thời điểm kết thúc.") from exc
            try:
                da, db = begin - _EPOCH, finish - _EPOCH
            except TypeError:
                raise _bad_moment(begin if not isinstance(finish, dt.datetime) or finish.tzinfo else finish,
                                  "Thời điểm tạm dừng") from None
            a, b = da.days * _DAY + da.seconds, db.days * _DAY + db.seconds
            if b <= a:
                raise CalendarError(
                    f"Khoảng tạm dừng {self.from_ts(a):%d/%m/%Y %H:%M} – {self.from_ts(b):%d/%m/%Y %H:%M} "
                    "phải kết thúc sau khi bắt đầu."
                )
            if previous_end is not None and a < previous_end:
                raise CalendarError(
                    f"Khoảng tạm dừng bắt đầu {self.from_ts(a):%d/%m/%Y %H:%M} chồng lên hoặc đứng trước khoảng trước đó; "
                    "các khoảng tạm dừng phải theo thứ tự thời gian và không chồng nhau."
                )
            previous_end = b
            spans.append((a, b))
        return spans

    # --- elapsed and remaining working time ------------------------------------------------------

    def working_seconds(self, start: dt.datetime, end: dt.datetime, pauses=()) -> int:
        """Working seconds from ``start`` to ``end`` less the paused working time (negative if end < start)."""
        a, b = self.to_ts(start), self.to_ts(end)
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        wa, wb = self._w(a), self._w(b)
        total = wb - wa
        for p, q in self._spans(pauses):
            lo, hi = max(self._w(p), wa), min(self._w(q), wb)
            if hi > lo:
                total -= hi - lo
        return sign * total

    # --- public helpers ------------------------------------------------------------------------

    def seconds_of(self, duration: Duration) -> int:
        """Working seconds of a duration in working units (1 working day = ``hours_per_day``)."""
        if duration.unit == Unit.WORKING_HOURS:
            return duration._milli * 3600 // 1000
        if duration.unit == Unit.WORKING_DAYS:
            return duration._milli * self.hours_per_day // 1000
        raise CalendarError(f"{duration} không phải thời gian làm việc.")

    def before(self, moment: dt.datetime, seconds: int) -> dt.datetime:
        """The instant ``seconds`` of working time before ``moment`` (e.g. the last moment to send the
        apology letter, one working day before the due instant)."""
        return self.from_ts(self._instant(self._w(self.to_ts(moment)) - seconds))

    def transfer_due(self, received: dt.datetime, cutoff: dt.time | None = dt.time(15, 0)) -> dt.datetime:
        """When a paper dossier must reach the resolving agency (NĐ 61/2018 Điều 18): the closing
        time of the same working day when received before the cut-off, else the end of the next
        working day's first (morning) period."""
        ts = self.to_ts(received, "Thời điểm tiếp nhận")
        i = self._index(ts)
        s = (ts + _OFFSET) % _DAY
        periods = self._periods[i]
        cut = _cut(cutoff)
        if periods and (cut is None or s < cut) and s < periods[-1][1]:
            return self.from_ts(ts - s + periods[-1][1])
        j = bisect_right(self._cum, self._cum[i + 1]) - 1
        if j >= self._n:
            raise CalendarError(f"Không còn ngày làm việc trong phạm vi lịch (sau {self.last:%d/%m/%Y}).")
        return self.from_ts((self._e0 + j) * _DAY - _OFFSET + self._periods[j][0][1])

    def is_working_day(self, day: dt.date) -> bool:
        i = day.toordinal() - _EPOCH_ORDINAL - self._e0
        if not 0 <= i < self._n:
            raise CalendarError(f"Ngày {day:%d/%m/%Y} nằm ngoài phạm vi lịch.")
        return bool(self._periods[i])

    def is_working_moment(self, moment: dt.datetime) -> bool:
        ts = self.to_ts(moment)
        return self._next_working(ts) == ts

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        return self.from_ts(self._next_working(self.to_ts(moment)))

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (n ≥ 1), as whole days: two table lookups."""
        i = day.toordinal() - _EPOCH_ORDINAL - self._e0
        if not 0 <= i < self._n:
            raise CalendarError(f"Ngày {day:%d/%m/%Y} nằm ngoài phạm vi lịch.")
        k = self._wd_before[i + 1] + n - 1
        if not 0 <= k < len(self._working_days):
            raise CalendarError("Kết quả nằm ngoài phạm vi lịch.")
        return dt.date.fromordinal(self.first.toordinal() + self._working_days[k])

    def __repr__(self) -> str:
        return f"<WorkCalendar {self.name} {self.first}…{self.last}>"


def _cut(cutoff) -> int | None:
    if cutoff is None:
        return None
    if isinstance(cutoff, dt.time):
        return cutoff.hour * 3600 + cutoff.minute * 60 + cutoff.second
    raise CalendarError("Giờ chốt nhận hồ sơ phải là giờ trong ngày (HH:MM).")


def _add_months(ts: int, months: int) -> int:
    """Same local time ``months`` later; the 31st becomes the last day of a shorter month."""
    local = dt.datetime.fromtimestamp(ts, TZ)
    total = local.month - 1 + months
    year, month = local.year + total // 12, total % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise CalendarError(f"Thời hạn {months} tháng vượt quá phạm vi lịch.")
    day = min(local.day, _month_days(year, month))
    return int(local.replace(year=year, month=month, day=day).timestamp())


def _month_days(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def _bad_moment(moment, what: str) -> CalendarError:
    if isinstance(moment, dt.datetime):
        return CalendarError(f"{what} {moment:%d/%m/%Y %H:%M} thiếu múi giờ; hãy ghi rõ +07:00.")
    return CalendarError(f"{what} phải là ngày giờ có múi giờ, không phải “{moment!r}”.")
