"""Biểu 06 arithmetic (reports.bieu06) on hand-made dossiers at the period's edges — no database."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.calendar.core import TZ
from motcua.reports.bieu06 import Facts, Period, Policy, ReportError, build, check, classify

Q1 = Period(dt.date(2025, 1, 1), dt.date(2025, 3, 31))
DATE, INSTANT = Policy("date"), Policy("instant")


def at(y, m, d, hh=9, mm=0, ss=0, us=0):
    return dt.datetime(y, m, d, hh, mm, ss, us, TZ)


START = at(2025, 1, 1, 0, 0)
END = at(2025, 4, 1, 0, 0)           # first instant after the period
LAST = END - dt.timedelta(microseconds=1)


def cols(c):
    return {k: v for k, v in c.as_dict().items() if v}


def test_received_exactly_at_the_start_counts_as_received_in_the_period():
    c = classify(Facts(START, "online"), Q1, DATE)
    assert cols(c) == {"received": 1, "received_online": 1, "in_progress": 1, "in_progress_within": 1}


def test_received_in_the_last_instant_counts_and_at_the_next_instant_not():
    assert cols(classify(Facts(LAST, "in_person"), Q1, DATE))["received_direct"] == 1
    assert classify(Facts(END, "in_person"), Q1, DATE) is None


def test_postal_counts_with_in_person():
    assert classify(Facts(at(2025, 2, 1), "postal"), Q1, DATE).received_direct == 1


def test_finished_before_the_start_is_outside_and_finished_at_the_start_is_carried_over_and_resolved():
    before = Facts(at(2024, 12, 1), "online", finished_at=START - dt.timedelta(seconds=1), due_at=at(2024, 12, 20))
    assert classify(before, Q1, DATE) is None
    edge = Facts(at(2024, 12, 1), "online", finished_at=START, due_at=at(2024, 12, 20))
    assert cols(classify(edge, Q1, DATE)) == {"received": 1, "carried_over": 1, "resolved": 1, "resolved_late": 1}


def test_carried_over_and_still_open():
    c = classify(Facts(at(2024, 11, 5), "in_person", due_at=at(2025, 6, 1)), Q1, DATE)
    assert cols(c) == {"received": 1, "carried_over": 1, "in_progress": 1, "in_progress_within": 1}


def test_finished_in_the_last_instant_is_resolved_and_at_the_next_is_in_progress():
    f = Facts(at(2025, 3, 1), "online", finished_at=LAST, due_at=at(2025, 3, 31, 17))
    assert cols(classify(f, Q1, DATE))["resolved_on_time"] == 1
    assert cols(classify(f, Q1, INSTANT))["resolved_late"] == 1
    g = Facts(at(2025, 3, 1), "online", finished_at=END, due_at=at(2025, 4, 5))
    assert cols(classify(g, Q1, DATE)) == {"received": 1, "received_online": 1, "in_progress": 1,
                                           "in_progress_within": 1}


def test_due_equal_to_finish_at_date_and_instant_granularity():
    due = at(2025, 2, 10, 15, 0)
    same_instant = Facts(at(2025, 2, 3), "online", finished_at=due, due_at=due)
    assert classify(same_instant, Q1, DATE).resolved_on_time == 1
    assert classify(same_instant, Q1, INSTANT).resolved_on_time == 1
    same_day_earlier = Facts(at(2025, 2, 3), "online", finished_at=at(2025, 2, 10, 8), due_at=due)
    assert classify(same_day_earlier, Q1, DATE).resolved_on_time == 1
    assert classify(same_day_earlier, Q1, INSTANT).resolved_early == 1
    same_day_later = Facts(at(2025, 2, 3), "online", finished_at=at(2025, 2, 10, 16), due_at=due)
    assert classify(same_day_later, Q1, DATE).resolved_on_time == 1
    assert classify(same_day_later, Q1, INSTANT).resolved_late == 1
    a_day_before = Facts(at(2025, 2, 3), "online", finished_at=at(2025, 2, 9, 16), due_at=due)
    assert classify(a_day_before, Q1, DATE).resolved_early == 1


def test_dates_are_local_dates():
    # 23:30 on 10/2 local is 16:30 UTC: still the 10th here, so on time by date against a due on the 10th.
    due = at(2025, 2, 10, 8)
    f = Facts(at(2025, 2, 3), "online", finished_at=dt.datetime(2025, 2, 10, 16, 30, tzinfo=dt.UTC), due_at=due)
    assert classify(f, Q1, DATE).resolved_on_time == 1


def test_open_due_on_the_last_day_is_within_by_date_and_over_by_instant():
    f = Facts(at(2025, 3, 20), "in_person", due_at=at(2025, 3, 31, 10))
    assert classify(f, Q1, DATE).in_progress_within == 1
    assert classify(f, Q1, INSTANT).in_progress_over == 1
    g = Facts(at(2025, 3, 20), "in_person", due_at=at(2025, 3, 30, 10))
    assert classify(g, Q1, DATE).in_progress_over == 1


def test_original_or_extended_due():
    f = Facts(at(2025, 2, 3), "online", finished_at=at(2025, 2, 20), due_at=at(2025, 2, 25),
              original_due_at=at(2025, 2, 14))
    assert classify(f, Q1, DATE).resolved_early == 1
    assert classify(f, Q1, Policy("date", "original")).resolved_late == 1


def test_awaiting_supplement_is_in_progress_within_even_past_due():
    f = Facts(at(2025, 1, 3), "online", due_at=at(2025, 1, 10), awaiting_supplement=True)
    assert cols(classify(f, Q1, DATE)) == {"received": 1, "received_online": 1, "in_progress": 1,
                                           "in_progress_within": 1, "awaiting_supplement": 1}


def test_withdrawn_counts_as_resolved_on_time_even_late():
    f = Facts(at(2025, 1, 3), "in_person", finished_at=at(2025, 3, 1), due_at=at(2025, 1, 10), withdrawn=True)
    assert cols(classify(f, Q1, DATE)) == {"received": 1, "received_direct": 1, "resolved": 1,
                                           "resolved_on_time": 1, "withdrawn_returned": 1}


def test_without_due_finished_is_on_time_and_open_is_within():
    assert classify(Facts(at(2025, 1, 3), "online", finished_at=at(2025, 1, 4)), Q1, DATE).resolved_on_time == 1
    assert classify(Facts(at(2025, 1, 3), "online"), Q1, DATE).in_progress_within == 1


def test_online_payment_counts_for_dossiers_received_in_the_period_when_paid_by_its_end():
    assert classify(Facts(at(2025, 1, 3), "online", paid_online_at=at(2025, 1, 2)), Q1, DATE).paid_online == 1
    assert classify(Facts(at(2025, 1, 3), "online", paid_online_at=END), Q1, DATE).paid_online == 0
    assert classify(Facts(at(2024, 12, 3), "online", paid_online_at=at(2025, 1, 2)), Q1, DATE).paid_online == 0


def test_rows_totals_and_identities():
    facts = [
        Facts(at(2024, 12, 1), "online", due_at=at(2025, 1, 5), group=("HT",)),
        Facts(at(2025, 1, 2), "in_person", finished_at=at(2025, 1, 3), due_at=at(2025, 1, 5), group=("HT",)),
        Facts(at(2025, 2, 2), "postal", finished_at=at(2025, 2, 9), due_at=at(2025, 2, 5), group=("DD",)),
        Facts(at(2025, 3, 2), "online", due_at=at(2025, 3, 5), awaiting_supplement=True, group=("DD",)),
        Facts(at(2024, 1, 2), "online", finished_at=at(2024, 2, 9), due_at=at(2024, 2, 5), group=("XD",)),
    ]
    report = build(facts, Q1, DATE)
    assert [r.key for r in report.rows] == [("DD",), ("HT",)]
    t = report.total
    assert (t.received, t.received_online, t.received_direct, t.carried_over) == (4, 1, 2, 1)
    assert (t.resolved, t.resolved_early, t.resolved_late, t.in_progress, t.in_progress_over) == (2, 1, 1, 2, 1)
    assert check(report) == []


def test_check_names_a_broken_identity():
    report = build([Facts(at(2025, 1, 2), "online", group=("HT",))], Q1, DATE)
    report.rows[0].counts.in_progress_over += 1
    report.total.resolved += 1
    problems = check(report)
    assert any("cột 11 = 12 + 13" in p for p in problems)
    assert any("cột 3 = 7 + 11" in p for p in problems)
    assert any("tổng các dòng" in p for p in problems)


def test_bad_period_and_policy_are_refused_in_vietnamese():
    with pytest.raises(ReportError, match="trước ngày bắt đầu"):
        Period(dt.date(2025, 3, 1), dt.date(2025, 2, 1))
    with pytest.raises(ReportError, match="date hoặc instant"):
        Policy("week")
    with pytest.raises(ReportError, match="original hoặc extended"):
        Policy("date", "latest")

