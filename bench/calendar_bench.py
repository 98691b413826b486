"""Calendar benchmark: prints our figures and their ratio to the anchors measured in the same run.

    .venv/bin/python bench/calendar_bench.py [--n 1000000]

Targets (issue 3): one due instant with pauses ≤ 2 µs median; 1,000,000 due dates (working days) in
≤ 0.5 s; ≥ 50× faster than holidays' get_nth_working_day at N = 20. Anchors: numpy.busday_offset
(date arithmetic in C, given the same holidays and make-up days) and the holidays package.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import holidays
import numpy as np

from motcua.calendar import TZ, Duration, civil_service
from motcua.calendar.batch import BatchCalendar


def median_ns(fn, *, calls: int = 20000, rounds: int = 15) -> float:
    """Median over rounds of the mean time per call in a round (timer overhead amortised)."""
    samples = []
    for _ in range(rounds):
        began = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter_ns() - began) / calls)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000, help="due dates in the batch")
    args = parser.parse_args()
    cal = civil_service()
    rows = []

    # 1. One due instant with a pause, through the datetime API and the epoch-seconds API.
    start, duration = dt.datetime(2025, 1, 24, 10, tzinfo=TZ), Duration(3, "working_days")
    pauses = [(dt.datetime(2025, 2, 4, 8, tzinfo=TZ), dt.datetime(2025, 2, 4, 10, tzinfo=TZ))]
    spans = cal._spans(pauses)
    start_ts = cal.to_ts(start)
    ours_dt = median_ns(lambda: cal.due(start, duration, pauses))
    ours_ts = median_ns(lambda: cal.due_ts(start_ts, duration, spans))
    busy_days = [d for d in cal.special_days if not cal.is_working_day(d)]
    np_holidays = np.array(busy_days, dtype="datetime64[D]")
    day = np.datetime64("2025-01-24")
    busday_single = median_ns(lambda: np.busday_offset(day, 3, roll="forward", holidays=np_holidays))
    rows.append(("due instant with 1 pause, datetime API", ours_dt / 1000, "µs", "np.busday_offset, 1 call",
                 busday_single / 1000, ours_dt / busday_single, "≤ 2 µs"))
    rows.append(("due instant with 1 pause, epoch-seconds API", ours_ts / 1000, "µs", "np.busday_offset, 1 call",
                 busday_single / 1000, ours_ts / busday_single, "≤ 2 µs"))

    # 2. A batch of due dates in working days.
    rng = np.random.default_rng(2025)
    lo, hi = cal.to_ts(dt.datetime(2020, 1, 1, tzinfo=TZ)), cal.to_ts(dt.datetime(2026, 10, 1, tzinfo=TZ))
    starts = rng.integers(lo, hi, args.n)
    batch = BatchCalendar(cal)
    batch.due(starts[:1000], duration)  # warm-up
    began = time.perf_counter()
    batch.due(starts, duration)
    ours_batch = time.perf_counter() - began
    days = ((starts + 7 * 3600) // 86400).astype("datetime64[D]")
    began = time.perf_counter()
    np.busday_offset(days, 3, roll="forward", holidays=np_holidays)
    numpy_batch = time.perf_counter() - began
    rows.append((f"{args.n:,} due instants (working days, to the second)", ours_batch, "s",
                 f"np.busday_offset on {args.n:,} dates", numpy_batch, ours_batch / numpy_batch, "≤ 0.5 s"))

    # 3. The n-th working day, N = 20, against the holidays package.
    vn = holidays.country_holidays("VN", years=range(2024, 2027), language="vi")
    base = dt.date(2025, 1, 20)
    vn.get_nth_working_day(base, 20)
    theirs = median_ns(lambda: vn.get_nth_working_day(base, 20), calls=500, rounds=7)
    ours_nth = median_ns(lambda: cal.add_working_days(base, 20))
    rows.append(("n-th working day, N = 20", ours_nth / 1000, "µs", "holidays.get_nth_working_day",
                 theirs / 1000, theirs / ours_nth, "≥ 50× faster"))

    print(f"motcua.calendar benchmark — {time.strftime('%Y-%m-%d %H:%M')}, holidays {holidays.__version__}, "
          f"numpy {np.__version__}")
    print(f"{'measure':<48} {'ours':>10}     {'anchor':<38} {'anchor':>10} {'ratio':>9}  target")
    for name, ours, unit, anchor, anchor_value, ratio, target in rows:
        ratio_text = f"{ratio:.1f}×" if "faster" in target else f"{ratio:.2f}"
        print(f"{name:<48} {ours:>8.3f} {unit:<3} {anchor:<38} {anchor_value:>8.3f} {unit:<3}{ratio_text:>7}  {target}")
    print("ratio = ours / anchor (time), except the last row: anchor / ours (speed-up).")
    print(f"Check: our n-th working day {cal.add_working_days(base, 20)}, holidays' {vn.get_nth_working_day(base, 20)} "
          "(they differ only where the official schedule has swaps the package lacks).")


if __name__ == "__main__":
    main()
