"""``motcua deadline``: a due instant from the command line. Runs without Django or a database.

Exit status 0 with the due instant (ISO 8601, +07:00) on standard output; 2 with a message on
standard error for any input it cannot answer correctly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys

from motcua.calendar.core import TZ, CalendarError, Duration, OfficeHours, Unit
from motcua.calendar.explain import explain
from motcua.calendar.schedule import BUSINESS, CIVIL_SERVICE, business, civil_service

_MOMENT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:?\d{2})?$")


def parse_moment(text: str) -> dt.datetime:
    """``2025-01-24 10:00`` (Vietnam time), or ISO 8601 with an explicit offset. A date alone is
    refused: the legal clock needs the hour of reception."""
    match = _MOMENT.match(text.strip())
    if not match:
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text.strip()):
            raise CalendarError(f"“{text}” thiếu giờ: hãy ghi dạng “YYYY-MM-DD HH:MM”.")
        raise CalendarError(f"“{text}” không phải thời điểm hợp lệ; dùng dạng “YYYY-MM-DD HH:MM” (giờ Việt Nam) "
                            "hoặc ISO 8601 có múi giờ, ví dụ 2025-01-24T10:00+07:00.")
    day, clock, offset = match.groups()
    try:
        moment = dt.datetime.fromisoformat(f"{day}T{clock if len(clock) > 4 else '0' + clock}"
                                           f"{'' if offset is None else ('+00:00' if offset == 'Z' else offset)}")
    except ValueError as exc:
        raise CalendarError(f"“{text}” không phải ngày giờ có thật.") from exc
    return moment.replace(tzinfo=TZ) if moment.tzinfo is None else moment


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motcua deadline",
        description="Tính hạn giải quyết theo lịch làm việc (ngày lễ, nghỉ bù, làm bù, giờ hành chính, tạm dừng).",
        epilog='Ví dụ: motcua deadline --from "2025-01-24 10:00" --days 3 --explain',
    )
    parser.add_argument("--from", dest="start", required=True, metavar="THỜI_ĐIỂM",
                        help='thời điểm tiếp nhận, "YYYY-MM-DD HH:MM" (giờ Việt Nam) hoặc ISO 8601 có múi giờ')
    amount = parser.add_mutually_exclusive_group(required=True)
    amount.add_argument("--days", metavar="N", help="số ngày làm việc")
    amount.add_argument("--hours", metavar="N", help="số giờ làm việc")
    amount.add_argument("--calendar-days", metavar="N", help="số ngày (tính cả ngày nghỉ)")
    amount.add_argument("--months", metavar="N", help="số tháng")
    amount.add_argument("--duration", nargs=2, metavar=("N", "ĐƠN_VỊ"),
                        help=f"thời hạn và đơn vị ({', '.join(Unit.ALL)})")
    parser.add_argument("--pause", nargs=2, action="append", default=[], metavar=("TỪ", "ĐẾN"),
                        help="khoảng tạm dừng [TỪ, ĐẾN); dùng nhiều lần được")
    parser.add_argument("--cutoff", metavar="HH:MM", help="giờ chốt nhận: nhận từ giờ này tính từ ngày làm việc sau (hồ sơ giấy: 15:00)")
    parser.add_argument("--calendar", choices=[CIVIL_SERVICE, BUSINESS], default=CIVIL_SERVICE,
                        help="lịch cơ quan nhà nước (mặc định) hoặc lịch doanh nghiệp")
    parser.add_argument("--office-hours", metavar="KHOẢNG", help='giờ làm việc thứ Hai–thứ Sáu, ví dụ "07:00-11:30,13:30-17:00"')
    parser.add_argument("--saturday", metavar="KHOẢNG", help='giờ làm việc sáng thứ Bảy của bộ phận một cửa, ví dụ "07:30-11:30"')
    parser.add_argument("--explain", action="store_true", help="giải thích từng bước")
    parser.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    return parser


def _duration(args) -> Duration:
    if args.days is not None:
        return Duration(args.days, Unit.WORKING_DAYS)
    if args.hours is not None:
        return Duration(args.hours, Unit.WORKING_HOURS)
    if args.calendar_days is not None:
        return Duration(args.calendar_days, Unit.CALENDAR_DAYS)
    if args.months is not None:
        return Duration(args.months, Unit.MONTHS)
    return Duration(args.duration[0], args.duration[1])


def _cutoff(text: str | None) -> dt.time | None:
    if text is None:
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise CalendarError(f"Giờ chốt “{text}” phải có dạng HH:MM.")
    return dt.time(int(match[1]), int(match[2]))


def run(argv: list[str], out=sys.stdout) -> None:
    args = _parser().parse_args(argv)
    calendar = civil_service() if args.calendar == CIVIL_SERVICE else business()
    if args.office_hours or args.saturday:
        weekdays = OfficeHours.parse(args.office_hours) if args.office_hours else calendar.weekly[0]
        weekly = {d: weekdays for d in range(5)}
        if args.saturday:
            weekly[5] = OfficeHours.parse(args.saturday)
        calendar = calendar.derive("bộ phận một cửa (giờ làm việc riêng)", weekly=weekly,
                                   hours_per_day=weekdays.seconds)
    start = parse_moment(args.start)
    duration = _duration(args)
    pauses = sorted((parse_moment(a), parse_moment(b)) for a, b in args.pause)
    cutoff = _cutoff(args.cutoff)
    explanation = explain(calendar, start, duration, pauses, cutoff)
    due = explanation.due.astimezone(TZ)
    if args.json:
        json.dump({"due": due.isoformat(), "start": start.astimezone(TZ).isoformat(),
                   "counted_from": explanation.counted_from.astimezone(TZ).isoformat(),
                   "duration": {"value": format(duration.value.normalize(), "f"), "unit": duration.unit},
                   "calendar": calendar.name, "cutoff": args.cutoff,
                   "pauses": [[a.isoformat(), b.isoformat()] for a, b in pauses],
                   "explanation": explanation.lines if args.explain else None},
                  out, ensure_ascii=False, indent=1)
        out.write("\n")
        return
    out.write(due.isoformat() + "\n")
    if args.explain:
        out.write("\n".join(explanation.lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    try:
        run(sys.argv[1:] if argv is None else argv)
    except CalendarError as exc:
        print(f"motcua deadline: lỗi: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
