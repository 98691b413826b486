"""Biểu 06 (TT 01/2020/TT-VPCP, Biểu số 06/VPCP/KSTT) as arithmetic over plain per-dossier facts.

Pure Python, no Django: ``queries`` reads the facts from the tables in one query; this module
decides which columns each dossier counts in (shared/domain.md §4.2) and checks the identities.

The period [start, end] is a pair of local dates, both included: as instants it is
[start 00:00, the day after end 00:00) in Asia/Ho_Chi_Minh. A dossier counts in the report when it
was received before the period's end and was not finished before its start; then it is exactly one
of received in the period (online, or in person / by post) or carried over, and exactly one of
resolved in the period or still in progress at its end — so col 3 = col 7 + col 11 by construction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, fields

from motcua.calendar.core import TZ
from motcua.calendar.deadline import EARLY, LATE, ON_TIME, OVER, Granularity, classify_finished, classify_open

__all__ = ["Facts", "Policy", "Period", "Counts", "Row", "Report", "classify", "build", "check",
           "COLUMNS", "EXTRA", "ReportError"]

ONLINE = "online"           # the channel codes of dossiers.models.Channel
ORIGINAL, EXTENDED = "original", "extended"

# Column number → (key, Vietnamese heading), in the form's order.
COLUMNS = {
    3: ("received", "Số hồ sơ nhận giải quyết – Tổng số"),
    4: ("received_online", "Trong kỳ: trực tuyến"),
    5: ("received_direct", "Trong kỳ: trực tiếp, dịch vụ bưu chính"),
    6: ("carried_over", "Từ kỳ trước chuyển sang"),
    7: ("resolved", "Đã giải quyết – Tổng số"),
    8: ("resolved_early", "Đã giải quyết: trước hạn"),
    9: ("resolved_on_time", "Đã giải quyết: đúng hạn"),
    10: ("resolved_late", "Đã giải quyết: quá hạn"),
    11: ("in_progress", "Đang giải quyết – Tổng số"),
    12: ("in_progress_within", "Đang giải quyết: trong hạn"),
    13: ("in_progress_over", "Đang giải quyết: quá hạn"),
}
# Shown beside the form's columns (the Thanh Hóa variants): each is a part of a column above.
EXTRA = {
    "awaiting_supplement": "Trong đó: chờ bổ sung (thuộc cột 12)",
    "withdrawn_returned": "Trong đó: rút hồ sơ, dừng, trả lại (thuộc cột 9)",
    "paid_online": "Hồ sơ nhận trong kỳ có thanh toán trực tuyến",
}


class ReportError(ValueError):
    """Bad report input; the message is Vietnamese and shown as is."""


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ReportError(f"Ngày kết thúc kỳ báo cáo ({self.end:%d/%m/%Y}) trước ngày bắt đầu ({self.start:%d/%m/%Y}).")

    @property
    def starts(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(0), TZ)

    @property
    def ends(self) -> dt.datetime:
        """The first instant after the period (exclusive bound)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), TZ)


@dataclass(frozen=True)
class Policy:
    """How finish and due instants are compared: by local ``date`` or by ``instant``
    (MOTCUA_ON_TIME_GRANULARITY), against the ``extended`` due instant (after pauses, restarts and the
    apology's new date) or the ``original`` one written on the receipt."""

    granularity: str = Granularity.DATE
    due: str = EXTENDED

    def __post_init__(self):
        if self.granularity not in (Granularity.DATE, Granularity.INSTANT):
            raise ReportError(f"Cách so sánh “{self.granularity}” không hợp lệ (date hoặc instant).")
        if self.due not in (ORIGINAL, EXTENDED):
            raise ReportError(f"Hạn so sánh “{self.due}” không hợp lệ (original hoặc extended).")

    def footnote(self) -> str:
        by = "theo ngày (giờ địa phương)" if self.granularity == Granularity.DATE else "theo thời điểm (đến giây)"
        due = ("hạn ban đầu ghi trên giấy tiếp nhận" if self.due == ORIGINAL
               else "hạn có hiệu lực tại thời điểm cuối kỳ (đã tính tạm dừng, tính lại sau bổ sung "
                     "và hẹn lại trước thời điểm đó)")
        return (f"Trước hạn/đúng hạn/quá hạn so sánh thời điểm kết thúc xử lý với {due}, {by}. "
                "Hồ sơ rút, dừng xử lý được tính là đã giải quyết đúng hạn; hồ sơ đang chờ bổ sung "
                "cuối kỳ được tính là đang giải quyết trong hạn.")


@dataclass(frozen=True)
class Facts:
    """What the report needs of one received dossier, as plain values.

    ``finished_at`` is the end of processing (the first terminal status); ``withdrawn`` marks an end
    without a resolution (withdrawn by the applicant, or stopped); ``awaiting_supplement`` whether
    the dossier was waiting for a supplement at the period's end; ``paid_online_at`` the first online
    payment. ``due_at`` / ``original_due_at`` may be None for procedures without an appointment.
    """

    received_at: dt.datetime
    channel: str
    finished_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    original_due_at: dt.datetime | None = None
    withdrawn: bool = False
    awaiting_supplement: bool = False
    paid_online_at: dt.datetime | None = None
    group: Hashable = ()


@dataclass
class Counts:
    received: int = 0
    received_online: int = 0
    received_direct: int = 0
    carried_over: int = 0
    resolved: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    in_progress: int = 0
    in_progress_within: int = 0
    in_progress_over: int = 0
    awaiting_supplement: int = 0
    withdrawn_returned: int = 0
    paid_online: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def column(self, number: int) -> int:
        return getattr(self, COLUMNS[number][0])


@dataclass
class Row:
    key: Hashable
    counts: Counts = field(default_factory=Counts)


@dataclass
class Report:
    period: Period
    policy: Policy
    rows: list[Row]
    total: Counts


def classify(f: Facts, period: Period, policy: Policy) -> Counts | None:
    """The columns one dossier counts in (each 0 or 1), or None when it is outside the period."""
    starts, ends = period.starts, period.ends
    if f.received_at >= ends or (f.finished_at is not None and f.finished_at < starts):
        return None
    c = Counts(received=1)
    if f.received_at < starts:
        c.carried_over = 1
    elif f.channel == ONLINE:
        c.received_online = 1
    else:
        c.received_direct = 1
    if c.carried_over == 0 and f.paid_online_at is not None and f.paid_online_at < ends:
        c.paid_online = 1
    due = f.original_due_at if policy.due == ORIGINAL else f.due_at
    if f.finished_at is not None and f.finished_at < ends:
        c.resolved = 1
        if f.withdrawn:  # the TT 02/2017 note: withdrawn and returned dossiers count as on time
            c.withdrawn_returned = c.resolved_on_time = 1
        else:
            status = ON_TIME if due is None else classify_finished(f.finished_at, due, policy.granularity)
            c.resolved_early, c.resolved_on_time, c.resolved_late = status == EARLY, status == ON_TIME, status == LATE
    else:
        c.in_progress = 1
        last = ends - dt.timedelta(microseconds=1)   # the period's last instant: due before it is over
        if f.awaiting_supplement:  # §4.2 col 12: "trong hạn" includes the dossiers waiting for a supplement
            c.awaiting_supplement = c.in_progress_within = 1
        elif due is None or classify_open(last, due, policy.granularity) != OVER:
            c.in_progress_within = 1
        else:
            c.in_progress_over = 1
    for name, value in c.as_dict().items():
        setattr(c, name, int(value))
    return c


def build(facts: Iterable[Facts], period: Period, policy: Policy) -> Report:
    """Rows per group key (sorted), and the total."""
    rows: dict[Hashable, Row] = {}
    total = Counts()
    for f in facts:
        c = classify(f, period, policy)
        if c is None:
            continue
        rows.setdefault(f.group, Row(f.group)).counts.add(c)
        total.add(c)
    return Report(period, policy, [rows[k] for k in sorted(rows, key=_sort_key)], total)


def _sort_key(key: Hashable):
    return tuple("" if v is None else str(v) for v in key) if isinstance(key, tuple) else (str(key),)


def _identities(c: Counts) -> list[str]:
    rules = [
        ("cột 3 = 4 + 5 + 6", c.received, c.received_online + c.received_direct + c.carried_over),
        ("cột 3 = 7 + 11", c.received, c.resolved + c.in_progress),
        ("cột 7 = 8 + 9 + 10", c.resolved, c.resolved_early + c.resolved_on_time + c.resolved_late),
        ("cột 11 = 12 + 13", c.in_progress, c.in_progress_within + c.in_progress_over),
    ]
    problems = [f"{name}: {left} ≠ {right}" for name, left, right in rules if left != right]
    if c.awaiting_supplement > c.in_progress_within:
        problems.append(f"chờ bổ sung {c.awaiting_supplement} > cột 12 {c.in_progress_within}")
    if c.withdrawn_returned > c.resolved_on_time:
        problems.append(f"rút, dừng {c.withdrawn_returned} > cột 9 {c.resolved_on_time}")
    return problems


def check(report: Report) -> list[str]:
    """Every identity in every row and the total, and each total = the sum of its rows.
    Returns the broken ones in Vietnamese (empty when the report is consistent)."""
    problems = []
    for row in report.rows:
        problems += [f"dòng {row.key}: {p}" for p in _identities(row.counts)]
    problems += [f"tổng: {p}" for p in _identities(report.total)]
    summed = Counts()
    for row in report.rows:
        summed.add(row.counts)
    for name, value in summed.as_dict().items():
        if value != getattr(report.total, name):
            problems.append(f"tổng {name} = {getattr(report.total, name)} ≠ tổng các dòng {value}")
    return problems
