"""motcua.calendar: official days, deadline arithmetic, properties, explanations, the CLI."""

import datetime as dt
import json
import os
import subprocess
import sys
import time
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from motcua.calendar import TZ, CalendarError, Duration, OfficeHours, SpecialDay, business, civil_service
from motcua.calendar.batch import BatchCalendar
from motcua.calendar.deadline import (
    Deadline, classify_finished, classify_open, format_working_time, step_dues,
)
from motcua.calendar.explain import explain
from motcua.calendar.schedule import OFFICIAL_DAYS_FILE

CAL = civil_service()


def at(y, m, d, h=10, mi=0):
    return dt.datetime(y, m, d, h, mi, tzinfo=TZ)


# --- the official schedules, row by row ---------------------------------------------------------

ROWS = json.loads(OFFICIAL_DAYS_FILE.read_text(encoding="utf-8"))["entries"]


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['date']}-{r['kind']}" for r in ROWS])
def test_every_official_row_is_honoured(row):
    """Each row names its source (row['document']): the calendar must say exactly what it decided."""
    day = dt.date.fromisoformat(row["date"])
    for name, calendar in (("civil_service", CAL), ("business", business())):
        if name not in row["calendars"]:
            continue
        expected = row["kind"] == "working_day"
        assert calendar.is_working_day(day) is expected, f"{name}: {row['name']} — {row['document']}"
        assert row["document"], "every row cites the document that decided it"


# Weekdays off and make-up Saturdays for government offices, year by year — written out by hand
# from the announcements listed in src/motcua/calendar/data/SOURCES.md, independently of the rows.
CIVIL_SERVICE_YEARS = {
    # BLLĐ 2012 Đ115; Tết notice of 2020 (number not found)
    2020: (["01-01", "01-23", "01-24", "01-27", "01-28", "01-29", "04-02", "04-30", "05-01", "09-02"], []),
    # Thông báo 4875/TB-LĐTBXH; BLLĐ 2019 Đ112 (two days for 2/9 from 2021)
    2021: (["01-01", "02-10", "02-11", "02-12", "02-15", "02-16", "04-21", "04-30", "05-03", "09-02", "09-03"], []),
    # Công văn 245/VPCP-KGVX 11/01/2022; Thông báo 119/TB-LĐTBXH
    2022: (["01-03", "01-31", "02-01", "02-02", "02-03", "02-04", "04-11", "05-02", "05-03", "09-01", "09-02"], []),
    # Công văn 8056/VPCP-KGVX 01/12/2022; Thông báo 5034/TB-LĐTBXH
    2023: (["01-02", "01-20", "01-23", "01-24", "01-25", "01-26", "05-01", "05-02", "05-03", "09-01", "09-04"], []),
    # Thông báo 5015/TB-LĐTBXH 22/11/2023; Công văn 2450/VPCP-KGVX 12/4/2024 (swap 29/4 ↔ 4/5)
    2024: (["01-01", "02-08", "02-09", "02-12", "02-13", "02-14", "04-18", "04-29", "04-30", "05-01", "09-02",
            "09-03"], ["05-04"]),
    # Thông báo 6150/TB-BLĐTBXH 03/12/2024 (swap 2/5 ↔ 26/4)
    2025: (["01-01", "01-27", "01-28", "01-29", "01-30", "01-31", "04-07", "04-30", "05-01", "05-02", "09-01",
            "09-02"], ["04-26"]),
    # Công văn 12729/VPCP-KGVX 25/12/2025; Thông báo 9441/TB-BNV 16/10/2025; NQ 28/2026/QH16 (24/11)
    2026: (["01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "04-27", "04-30", "05-01", "08-31",
            "09-01", "09-02", "11-24"], ["01-10", "08-22"]),
}


@pytest.mark.parametrize("year", sorted(CIVIL_SERVICE_YEARS))
def test_government_schedule_year_by_year(year):
    offs, saturdays = CIVIL_SERVICE_YEARS[year]
    day, actual_offs, actual_saturdays = dt.date(year, 1, 1), [], []
    while day.year == year:
        working = CAL.is_working_day(day)
        if day.weekday() < 5 and not working:
            actual_offs.append(f"{day:%m-%d}")
        if day.weekday() >= 5 and working:
            actual_saturdays.append(f"{day:%m-%d}")
        day += dt.timedelta(days=1)
    assert actual_offs == offs
    assert actual_saturdays == saturdays


def test_business_calendar_has_no_civil_service_swaps():
    biz = business()
    assert biz.is_working_day(dt.date(2025, 5, 2)) and not biz.is_working_day(dt.date(2025, 4, 26))
    assert biz.is_working_day(dt.date(2024, 4, 29)) and not biz.is_working_day(dt.date(2024, 5, 4))
    assert not biz.is_working_day(dt.date(2025, 1, 29))  # Tết is everyone's


def test_years_without_a_schedule_use_the_holidays_package():
    assert not CAL.is_working_day(dt.date(2030, 9, 2))  # Quốc khánh
    assert not CAL.is_working_day(dt.date(2027, 1, 1))
    assert CAL.day_rule(dt.date(2030, 4, 30))[1] == "holiday"


# --- deadline arithmetic ------------------------------------------------------------------------

def D(value, unit="working_days"):
    return Duration(value, unit)


@pytest.mark.parametrize("start,duration,cutoff,expected", [
    (at(2025, 1, 24, 10), D(3), None, at(2025, 2, 5, 10)),              # over Tết 27/1–2/2/2025
    (at(2025, 1, 20, 7, 30), D(1), None, at(2025, 1, 20, 17)),          # a whole day ends at closing time
    (at(2025, 1, 20, 16), D(1), dt.time(15), at(2025, 1, 21, 17)),     # after 15:00: next working day
    (at(2025, 1, 20, 14, 59), D(1), dt.time(15), at(2025, 1, 21, 14, 59)),
    (at(2025, 1, 20, 12, 15), D(3, "working_hours"), None, at(2025, 1, 20, 16, 30)),  # lunch: counted from 13:30
    (at(2025, 1, 20, 12, 15), D(4, "working_hours"), None, at(2025, 1, 21, 8)),      # 3.5 h left that afternoon
    (at(2025, 1, 20, 20), D(2, "working_hours"), None, at(2025, 1, 21, 9, 30)),  # evening: next morning
    (at(2025, 1, 18, 9), D(1), None, at(2025, 1, 20, 17)),              # Saturday: from Monday
    (at(2025, 4, 24, 9), D(2), None, at(2025, 4, 26, 9)),               # make-up Saturday 26/4/2025 counts
    (at(2025, 4, 20, 9), D(10, "calendar_days"), None, at(2025, 5, 5, 7, 30)),  # lands on 1/5 → next working moment
    (at(2024, 1, 31, 10), D(1, "months"), None, at(2024, 2, 29, 10)),   # 31st → last day of February
    (at(2025, 1, 31, 10), D(1, "months"), None, at(2025, 3, 3, 7, 30)),  # received on a Tết day: from 03/02
    (at(2025, 3, 14, 10), D(15, "calendar_days"), None, at(2025, 3, 31, 7, 30)),  # Sat 29/3 → Mon 31/3 opening
])
def test_due_instants(start, duration, cutoff, expected):
    assert CAL.due(start, duration, cutoff=cutoff) == expected


def test_pauses_stop_the_clock_and_several_add_up():
    start = at(2025, 3, 3, 8)
    base = CAL.due(start, D(2))
    one = CAL.due(start, D(2), pauses=[(at(2025, 3, 4, 8), at(2025, 3, 4, 10))])
    assert CAL.working_seconds(base, one) == 2 * 3600
    two = CAL.due(start, D(2), pauses=[(at(2025, 3, 3, 9), at(2025, 3, 3, 10)), (at(2025, 3, 4, 8), at(2025, 3, 4, 10))])
    assert CAL.working_seconds(base, two) == 3 * 3600
    night = CAL.due(start, D(2), pauses=[(at(2025, 3, 3, 18), at(2025, 3, 4, 7))])  # outside office hours
    assert night == base
    after = CAL.due(start, D(2), pauses=[(at(2025, 3, 20, 8), at(2025, 3, 21, 8))])  # after the due instant
    assert after == base
    cal_days = CAL.due(start, D(10, "calendar_days"), pauses=[(at(2025, 3, 5, 8), at(2025, 3, 7, 8))])
    assert cal_days == CAL.due(start, D(12, "calendar_days"))


@pytest.mark.parametrize("call,message", [
    (lambda: CAL.due(dt.datetime(2025, 1, 20, 10), D(1)), "thiếu múi giờ"),
    (lambda: CAL.due("2025-01-20", D(1)), "có múi giờ"),
    (lambda: D(0), "lớn hơn 0"),
    (lambda: D(-1), "lớn hơn 0"),
    (lambda: D("abc"), "không phải là số"),
    (lambda: D(1, "weeks"), "không hợp lệ"),
    (lambda: CAL.due(at(2025, 1, 20), D("1.5", "months")), "số nguyên tháng"),
    (lambda: D("0.0001"), "3 chữ số thập phân"),
    (lambda: CAL.due(at(2025, 1, 20), D(1), pauses=[(at(2025, 1, 21), at(2025, 1, 20))]), "kết thúc sau khi bắt đầu"),
    (lambda: CAL.due(at(2025, 1, 20), D(1), pauses=[(at(2025, 1, 21), at(2025, 1, 23)), (at(2025, 1, 22), at(2025, 1, 24))]),
     "chồng lên"),
    (lambda: CAL.due(at(2025, 1, 20), D(1), pauses=[(at(2025, 1, 21),)]), "bắt đầu và thời điểm kết thúc"),
    (lambda: CAL.due(at(2010, 1, 20), D(1)), "ngoài phạm vi lịch"),
    (lambda: CAL.due(at(2040, 12, 20), D(60)), "phạm vi lịch"),
    (lambda: OfficeHours.parse("11:30-07:30"), "bắt đầu trước"),
    (lambda: OfficeHours.parse("07:30-12:00,11:00-17:00"), "không chồng nhau"),
    (lambda: OfficeHours.parse("7h30-11h30"), "HH:MM"),
])
def test_bad_input_is_refused_never_answered_wrongly(call, message):
    with pytest.raises(CalendarError, match=message):
        call()


def test_agency_calendar_inherits_and_overrides():
    desk = CAL.derive("Bộ phận một cửa Công an phường", weekly={**{d: CAL.weekly[0] for d in range(5)},
                                                               5: OfficeHours.parse("07:30-11:30")},
                      special_days=[SpecialDay(dt.date(2025, 3, 5), "day_off", "Nghỉ theo quyết định của UBND", "QĐ 1/QĐ-UBND")])
    assert desk.is_working_day(dt.date(2025, 3, 8))                       # Saturday-morning desk
    assert not desk.is_working_day(dt.date(2025, 3, 5))                    # its own day off
    assert not desk.is_working_day(dt.date(2025, 1, 29))                   # inherited Tết
    assert desk.due(at(2025, 3, 7, 16), D(2, "working_hours")) == at(2025, 3, 8, 8, 30)
    assert CAL.is_working_day(dt.date(2025, 3, 5))                        # the parent is untouched


def test_deadline_supplement_restart_or_pause_extension_once_and_apology():
    base = Deadline(CAL, at(2025, 3, 3, 9), D(5))
    paused = base.supplement(at(2025, 3, 4, 9), at(2025, 3, 6, 9), "thiếu giấy tờ")
    assert CAL.working_seconds(base.due, paused.due) == 2 * CAL.hours_per_day
    restarted = Deadline(CAL, at(2025, 3, 3, 9), D(5), restart_on_supplement=True).supplement(at(2025, 3, 4, 9), at(2025, 3, 6, 9))
    assert restarted.due == CAL.due(at(2025, 3, 6, 9), D(5))
    extended = paused.extend(D(3), "Cần xác minh thực địa")
    assert extended.due == CAL.due(paused.due, D(3)) and extended.computed_due == paused.due
    with pytest.raises(CalendarError, match="một lần"):
        extended.extend(D(1), "lần hai")
    with pytest.raises(CalendarError, match="lý do"):
        paused.extend(D(1), " ")
    assert base.remaining(at(2025, 3, 3, 9)) == 5 * CAL.hours_per_day
    assert base.remaining(base.due + dt.timedelta(days=3)) < 0


def test_step_due_instants_add_up_to_the_dossiers():
    budgets = [D("0.5"), D(3), D(1), D("0.5")]
    dues = step_dues(CAL, at(2025, 1, 24, 10), D(5), budgets, cutoff=dt.time(15))
    assert dues == sorted(dues) and dues[-1] == CAL.due(at(2025, 1, 24, 10), D(5), cutoff=dt.time(15))
    mixed = step_dues(CAL, at(2025, 3, 3, 8), D(1), [D(4, "working_hours"), D("0.5")])
    assert mixed[-1] == CAL.due(at(2025, 3, 3, 8), D(1))
    calendar_days = step_dues(CAL, at(2025, 3, 3, 8), D(15, "calendar_days"), [D(5, "calendar_days"), D(10, "calendar_days")])
    assert calendar_days[-1] == CAL.due(at(2025, 3, 3, 8), D(15, "calendar_days"))
    with pytest.raises(CalendarError, match="cùng loại"):
        step_dues(CAL, at(2025, 3, 3, 8), D(1), [D(1, "calendar_days")])


def test_classification_by_date_or_instant():
    due = at(2025, 3, 5, 10)
    assert classify_finished(at(2025, 3, 4, 16), due) == "early"
    assert classify_finished(at(2025, 3, 5, 16), due) == "on_time"
    assert classify_finished(at(2025, 3, 5, 16), due, "instant") == "late"
    assert classify_finished(at(2025, 3, 5, 10), due, "instant") == "on_time"
    assert classify_finished(at(2025, 3, 6, 8), due) == "late"
    assert classify_open(at(2025, 3, 5, 16), due) == "within" and classify_open(at(2025, 3, 6, 8), due) == "over"
    assert classify_finished(dt.datetime(2025, 3, 4, 20, tzinfo=dt.timezone.utc), due) == "on_time"  # 03:00 on 5/3 in Vietnam
    with pytest.raises(CalendarError):
        classify_finished(at(2025, 3, 4), due, "week")


def test_remaining_time_in_words():
    assert format_working_time(CAL.hours_per_day + 3 * 3600, CAL.hours_per_day) == "1 ngày 3 giờ làm việc"
    assert format_working_time(90 * 60, CAL.hours_per_day) == "1 giờ 30 phút làm việc"
    assert format_working_time(-2 * 3600, CAL.hours_per_day) == "quá 2 giờ làm việc"


def test_explanation_names_every_skipped_day_and_its_document():
    e = explain(CAL, at(2025, 1, 24, 16), D(3), pauses=[(at(2025, 2, 4, 8), at(2025, 2, 4, 10))],
                cutoff=dt.time(15), reasons=["chờ bổ sung"])
    text = e.text
    assert e.due == CAL.due(at(2025, 1, 24, 16), D(3), [(at(2025, 2, 4, 8), at(2025, 2, 4, 10))], dt.time(15))
    assert "nhận sau 15:00" in text and "07:30 Thứ Hai 03/02/2025" in text
    assert "Thứ Bảy 25/01/2025: nghỉ cuối tuần" in text
    assert "Thứ Tư 29/01/2025: nghỉ lễ, Tết" in text and "6150/TB-BLĐTBXH" in text
    assert "đồng hồ dừng 2 giờ làm việc" in text and "(chờ bổ sung)" in text
    swap = explain(CAL, at(2025, 4, 24, 9), D(2)).text
    assert "Thứ Bảy 26/04/2025: tính" in swap and "ngày làm bù" in swap


# --- properties ---------------------------------------------------------------------------------

starts = st.integers(int(at(2020, 1, 1, 0).timestamp()), int(at(2026, 12, 1, 0).timestamp())).map(
    lambda ts: dt.datetime.fromtimestamp(ts, TZ))
working = st.sampled_from(["working_hours", "working_days"])
amounts = st.decimals(min_value=Decimal("0.1"), max_value=Decimal("60"), places=1)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(starts, amounts, amounts, working)
def test_monotonic_in_duration(start, a, b, unit):
    a, b = sorted((a, b))
    assert CAL.due(start, D(a, unit)) <= CAL.due(start, D(b, unit))


@FAST
@given(starts, starts, amounts, st.sampled_from(["working_hours", "working_days", "calendar_days"]))
def test_monotonic_in_start(s1, s2, amount, unit):
    s1, s2 = sorted((s1, s2))
    assert CAL.due(s1, D(amount, unit)) <= CAL.due(s2, D(amount, unit))


@FAST
@given(starts, amounts, working, st.integers(0, 30 * 86400), st.integers(60, 5 * 86400))
def test_a_pause_of_working_length_l_delays_by_exactly_l(start, amount, unit, offset, length):
    base = CAL.due(start, D(amount, unit))
    pause = (start + dt.timedelta(seconds=offset), start + dt.timedelta(seconds=offset + length))
    assume(pause[0] < base)
    paused = CAL.due(start, D(amount, unit), pauses=[pause])
    ordered = (max(pause[0], start), pause[1])
    assert CAL.working_seconds(base, paused) == CAL.working_seconds(*ordered)


@FAST
@given(starts, amounts, amounts, working)
def test_adding_a_then_b_equals_adding_a_plus_b(start, a, b, unit):
    assert CAL.due(CAL.due(start, D(a, unit)), D(b, unit)) == CAL.due(start, D(a + b, unit))


@FAST
@given(starts, amounts, working, st.sampled_from([None, dt.time(15)]))
def test_working_time_results_are_inside_office_hours(start, amount, unit, cutoff):
    due = CAL.due(start, D(amount, unit), cutoff=cutoff)
    assert CAL.is_working_moment(due)
    local = due.astimezone(TZ)
    assert CAL.is_working_day(local.date())


@FAST
@given(st.lists(starts, min_size=1, max_size=50), st.integers(1, 40))
def test_batch_agrees_with_the_scalar_engine(moments, days):
    batch = BatchCalendar(CAL).due(np.array([CAL.to_ts(m) for m in moments]), D(days))
    assert [CAL.from_ts(int(x)) for x in batch] == [CAL.due(m, D(days)) for m in moments]


def test_speed_is_far_below_any_noise():
    """A generous bound (the real figures are in bench/calendar_bench.py)."""
    start, duration = at(2025, 1, 24, 10), D(3)
    pauses = [(at(2025, 2, 4, 8), at(2025, 2, 4, 10))]
    began = time.perf_counter()
    for _ in range(20000):
        CAL.due(start, duration, pauses)
    assert (time.perf_counter() - began) / 20000 < 100e-6  # 100 µs: ~30× the measured figure


# --- the CLI ------------------------------------------------------------------------------------

def motcua(*args):
    env = dict(os.environ, PYTHONPATH=str(__import__("pathlib").Path(__file__).resolve().parent.parent / "src"))
    return subprocess.run([sys.executable, "-m", "motcua.cli", "deadline", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_cli_prints_the_due_instant_and_explains():
    result = motcua("--from", "2025-01-24 10:00", "--days", "3")
    assert result.returncode == 0 and result.stdout == "2025-02-05T10:00:00+07:00\n"
    result = motcua("--from", "2025-01-24 16:10", "--days", "1", "--cutoff", "15:00", "--explain", "--json",
                    "--pause", "2025-02-03 08:00", "2025-02-03 09:00")
    data = json.loads(result.stdout)
    assert data["due"] == "2025-02-04T08:30:00+07:00" and data["counted_from"] == "2025-02-03T07:30:00+07:00"
    assert any("nghỉ lễ, Tết" in line for line in data["explanation"])
    assert motcua("--from", "2025-01-24T03:00Z", "--hours", "2").stdout == "2025-01-24T14:00:00+07:00\n"  # over lunch
    assert motcua("--from", "2025-03-07 16:00", "--hours", "2", "--saturday", "07:30-11:30").stdout == \
        "2025-03-08T08:30:00+07:00\n"


@pytest.mark.parametrize("args,message", [
    (["--from", "2025-01-24", "--days", "3"], "thiếu giờ"),
    (["--from", "24/01/2025 10:00", "--days", "3"], "không phải thời điểm hợp lệ"),
    (["--from", "2025-02-30 10:00", "--days", "3"], "không phải ngày giờ có thật"),
    (["--from", "2025-01-24 10:00", "--days", "0"], "lớn hơn 0"),
    (["--from", "2025-01-24 10:00", "--days", "-2"], "lớn hơn 0"),
    (["--from", "2025-01-24 10:00", "--duration", "3", "weeks"], "không hợp lệ"),
    (["--from", "2025-01-24 10:00", "--days", "3", "--pause", "2025-01-27 10:00", "2025-01-27 09:00"], "kết thúc sau"),
    (["--from", "2025-01-24 10:00", "--days", "3", "--pause", "2025-01-27 08:00", "2025-01-28 10:00",
      "--pause", "2025-01-28 09:00", "2025-01-29 08:00"], "chồng lên"),
    (["--from", "2025-01-24 10:00", "--days", "3", "--cutoff", "25:00"], "HH:MM"),
    (["--from", "2025-01-24 10:00"], "required"),
])
def test_cli_refuses_bad_input_with_status_2(args, message):
    result = motcua(*args)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr
