"""Due instants for many dossiers at once (NumPy), for recomputation and statistics.

The same tables as ``WorkCalendar`` — cumulative working seconds per day and the day's periods —
as arrays, so a million due instants are a handful of vectorised lookups and one ``searchsorted``.
"""

from __future__ import annotations

import numpy as np

from motcua.calendar.core import _DAY, _OFFSET, CalendarError, Duration, Unit, WorkCalendar

__all__ = ["BatchCalendar"]


class BatchCalendar:
    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar
        width = max((len(p) for p in calendar._periods), default=1) or 1
        n = calendar._n
        starts = np.zeros((n, width), dtype=np.int64)
        ends = np.zeros((n, width), dtype=np.int64)
        for i, periods in enumerate(calendar._periods):
            for k, (a, b) in enumerate(periods):
                starts[i, k], ends[i, k] = a, b
        self._starts, self._ends, self._lengths = starts, ends, ends - starts
        self._cum = np.asarray(calendar._cum, dtype=np.int64)
        self._e0, self._n, self._width = calendar._e0, n, width

    def working_before(self, ts: np.ndarray) -> np.ndarray:
        """W(t) for every instant (epoch seconds)."""
        local = np.asarray(ts, dtype=np.int64) + _OFFSET
        day = local // _DAY - self._e0
        if day.size and (day.min() < 0 or day.max() >= self._n):
            raise CalendarError("Có thời điểm nằm ngoài phạm vi lịch.")
        second = (local % _DAY)[:, None]
        inside = np.clip(second - self._starts[day], 0, self._lengths[day])
        return self._cum[day] + inside.sum(axis=1)

    def due(self, start_ts: np.ndarray, duration: Duration) -> np.ndarray:
        """Due instants (epoch seconds) of one working-time duration from many starts."""
        if duration.unit not in Unit.WORKING:
            raise CalendarError("Tính hàng loạt chỉ hỗ trợ thời hạn tính bằng thời gian làm việc.")
        return self.due_seconds(start_ts, self.calendar.seconds_of(duration))

    def due_seconds(self, start_ts: np.ndarray, seconds) -> np.ndarray:
        target = self.working_before(start_ts) + np.asarray(seconds, dtype=np.int64)
        day = np.searchsorted(self._cum, target, side="left") - 1
        if day.size and day.max() >= self._n:
            raise CalendarError("Có hạn xử lý vượt quá phạm vi lịch.")
        rest = target - self._cum[day]
        result = np.zeros_like(target)
        pending = np.ones(target.shape, dtype=bool)
        starts, lengths = self._starts[day], self._lengths[day]
        for k in range(self._width):  # first period whose length covers what is left
            here = pending & (rest <= lengths[:, k])
            result[here] = starts[here, k] + rest[here]
            pending &= ~here
            rest = np.where(pending, rest - lengths[:, k], rest)
        return (day + self._e0) * _DAY - _OFFSET + result
