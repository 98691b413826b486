"""A dossier's deadline as a value: start, legal duration, pauses, restart, one extension.

``Deadline`` is immutable; every change (a pause, a restart after a supplement, the extension with
the apology letter) returns a new one, so the history of due instants is just the list of values.
Classification and the wording of remaining time live here too. Pure Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from motcua.calendar.core import TZ, CalendarError, Duration, Unit, WorkCalendar

__all__ = ["Deadline", "Pause", "classify_finished", "classify_open", "Granularity", "step_dues",
           "format_working_time", "EARLY", "ON_TIME", "LATE", "WITHIN", "OVER"]

EARLY, ON_TIME, LATE = "early", "on_time", "late"   # trước hạn, đúng hạn, quá hạn
WITHIN, OVER = "within", "over"                    # trong hạn, quá hạn (unfinished)
LABELS = {EARLY: "trước hạn", ON_TIME: "đúng hạn", LATE: "quá hạn", WITHIN: "trong hạn", OVER: "quá hạn"}


class Granularity:
    DATE = "date"        # compare local dates: most reports do, else almost nothing is "on time"
    INSTANT = "instant"  # compare instants to the second


@dataclass(frozen=True)
class Pause:
    start: dt.datetime
    end: dt.datetime
    reason: str = ""


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TZ).date()


def classify_finished(finished_at: dt.datetime, due_at: dt.datetime, granularity: str = Granularity.DATE) -> str:
    """Early / on time / late of a finished dossier against its due instant."""
    WorkCalendar.to_ts(finished_at, "Thời điểm hoàn thành")
    WorkCalendar.to_ts(due_at, "Hạn xử lý")
    if granularity == Granularity.DATE:
        finished, due = _local_date(finished_at), _local_date(due_at)
    elif granularity == Granularity.INSTANT:
        finished, due = finished_at, due_at
    else:
        raise CalendarError(f"Cách so sánh “{granularity}” không hợp lệ (date hoặc instant).")
    return EARLY if finished < due else ON_TIME if finished == due else LATE


def classify_open(at: dt.datetime, due_at: dt.datetime, granularity: str = Granularity.DATE) -> str:
    """Within / over deadline of an unfinished dossier at moment ``at``."""
    return OVER if classify_finished(at, due_at, granularity) == LATE else WITHIN


def format_working_time(seconds: int, hours_per_day: int) -> str:
    """“1 ngày 3 giờ 30 phút làm việc”; negative amounts read “quá … ”."""
    sign = "quá " if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, hours_per_day)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} ngày"] if days else []
    parts += [f"{hours} giờ"] if hours else []
    parts += [f"{minutes} phút"] if minutes else []
    return f"{sign}{' '.join(parts) or '0 phút'} làm việc"


def step_dues(calendar: WorkCalendar, start: dt.datetime, total: Duration, budgets: list[Duration],
              pauses=(), cutoff: dt.time | None = None) -> list[dt.datetime]:
    """Due instant of each workflow step: the steps share out the dossier's legal time in proportion
    to their budgets, so the last step's due instant is exactly the dossier's."""
    if not budgets:
        raise CalendarError("Quy trình phải có ít nhất một bước.")
    weights = [_weight(calendar, b, total) for b in budgets]
    whole = sum(weights)
    ts = calendar.to_ts(start, "Thời điểm tiếp nhận")
    spans = calendar._spans(pauses)
    cut = None if cutoff is None else cutoff.hour * 3600 + cutoff.minute * 60 + cutoff.second
    results, running = [], 0
    if total.unit in Unit.WORKING:
        w0 = calendar._start_w(ts, cut)
        amount = calendar._amount(total)
        for weight in weights:
            running += weight
            target = w0 + amount * running // whole
            results.append(calendar.from_ts(calendar._instant(calendar._paused_target(w0, target, spans))))
        return results
    begin = calendar._start_moment(ts, cut)
    end = calendar._due_ts(ts, total, (), cut)  # the unpaused due instant fixes the calendar span
    for weight in weights:
        running += weight
        point = begin + (end - begin) * running // whole
        results.append(calendar.from_ts(calendar._next_working(calendar._paused_end(begin, point, spans))))
    results[-1] = calendar.due(start, total, pauses, cutoff)
    return results


def _weight(calendar: WorkCalendar, budget: Duration, total: Duration) -> int:
    if total.unit in Unit.WORKING:
        if budget.unit not in Unit.WORKING:
            raise CalendarError(f"Bước có thời gian {budget} không cùng loại với thời hạn {total}.")
        return calendar.seconds_of(budget)
    if budget.unit != total.unit:
        raise CalendarError(f"Bước có thời gian {budget} phải tính bằng {Unit.LABELS[total.unit]}.")
    return budget._milli


@dataclass(frozen=True)
class Deadline:
    """The clock of one dossier.

    ``restart_on_supplement`` chooses the rule for a supplement requested during processing:
    the clock restarts from zero when the complete dossier arrives (NĐ 61/2018 Điều 19 khoản 4),
    or — when False — the waiting time is a pause that stops the clock.
    """

    calendar: WorkCalendar
    start: dt.datetime
    duration: Duration
    cutoff: dt.time | None = None
    pauses: tuple[Pause, ...] = ()
    restart_on_supplement: bool = False
    extended_due: dt.datetime | None = None
    extension_reason: str = ""

    def __post_init__(self):
        self.calendar.to_ts(self.start, "Thời điểm tiếp nhận")
        self.calendar._spans([(p.start, p.end) for p in self.pauses])  # validates order and overlap

    @property
    def computed_due(self) -> dt.datetime:
        """The due instant from the start, the duration and the pauses (before any extension)."""
        return self.calendar.due(self.start, self.duration, [(p.start, p.end) for p in self.pauses], self.cutoff)

    @property
    def due(self) -> dt.datetime:
        return self.extended_due or self.computed_due

    def supplement(self, requested_at: dt.datetime, completed_at: dt.datetime, reason: str = "") -> "Deadline":
        """The applicant supplemented the dossier: restart from zero, or pause, per the procedure."""
        if self.extended_due is not None:
            raise CalendarError("Hồ sơ đã được gia hạn; không thể tính lại hạn sau khi đã hẹn lại.")
        if self.restart_on_supplement:
            return replace(self, start=completed_at, pauses=(), cutoff=None)
        return replace(self, pauses=self.pauses + (Pause(requested_at, completed_at, reason),))

    def extend(self, by: Duration, reason: str) -> "Deadline":
        """The single extension that goes with the apology letter (Mẫu 04): a new due instant."""
        if self.extended_due is not None:
            raise CalendarError("Chỉ được hẹn lại ngày trả kết quả một lần.")
        if not reason.strip():
            raise CalendarError("Phải nêu lý do hẹn lại ngày trả kết quả.")
        new_due = self.calendar.due(self.computed_due, by)
        return replace(self, extended_due=new_due, extension_reason=reason.strip())

    def remaining(self, at: dt.datetime) -> int:
        """Working seconds left at ``at`` (negative once overdue)."""
        return self.calendar.working_seconds(at, self.due)
