"""``motcua generate --dossiers N --months M [--seed S] [--until YYYY-MM-DD] [--path bulk|services]``:
fill the demo province with realistic dossier history (see ``motcua.dossiers.generate``)."""

from __future__ import annotations

import argparse
import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from motcua.calendar import TZ


def _plain(text: str) -> str:
    return text


def _number(value: float) -> str:
    """12345 → "12.345" (Vietnamese thousands separator)."""
    return f"{value:,.0f}".replace(",", ".")


class _Bar:
    """A plain text progress bar on stderr, redrawn at most five times a second."""

    def __init__(self, out, total: int, width: int = 30):
        self.out, self.total, self.width = out, total, width
        self.began = self.last = time.perf_counter()

    def __call__(self, done: int, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last < 0.2 and done < self.total:
            return
        self.last = now
        share = done / self.total if self.total else 1.0
        filled = int(share * self.width)
        rate = done / (now - self.began) if now > self.began else 0.0
        self.out.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%} "
                       f"{_number(done)}/{_number(self.total)} hồ sơ · {_number(rate)} hồ sơ/s", ending="",
                       style_func=_plain)
        self.out.flush()

    def close(self) -> None:
        self.out.write("", style_func=_plain)


class Command(BaseCommand):
    help = ("Sinh lịch sử hồ sơ giả lập nhưng sát thực tế cho tỉnh mẫu (chạy “motcua load-demo” trước): "
            "kênh nộp, thời gian xử lý từng bước theo thủ tục, bổ sung, xin lỗi hẹn lại, từ chối, rút, dừng; "
            "mọi thời điểm trong giờ hành chính và không sau --until.")

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, required=True, metavar="N", help="số hồ sơ cần sinh")
        parser.add_argument("--months", type=int, required=True, metavar="M",
                            help="trải đều trong M tháng trước --until")
        parser.add_argument("--seed", type=int, default=0, help="hạt giống ngẫu nhiên (cùng hạt giống → cùng lịch sử)")
        parser.add_argument("--until", metavar="YYYY-MM-DD",
                            help="ngày cuối của lịch sử (mặc định: bây giờ); không được ở tương lai")
        parser.add_argument("--path", choices=["bulk", "services"], default="bulk",
                            help="bulk: ghi theo lô (nhanh; vào CSDL SQLite chưa có hồ sơ nào thì tắt synchronous "
                                 "trong lúc sinh — mất điện giữa chừng có thể làm hỏng CSDL: nạp lại dữ liệu mẫu "
                                 "rồi sinh lại; cuối đợt mọi thứ được ghi xuống đĩa); services: gọi từng lệnh "
                                 "nghiệp vụ (chậm, để đối chiếu)")
        parser.add_argument("--batch-size", type=int, default=2000, help=argparse.SUPPRESS)

    def handle(self, *args, dossiers, months, seed, until, path, batch_size, **options):
        from motcua.demo import DEMO_ROOT_IDENTIFIER
        from motcua.dossiers import generate as g
        from motcua.org.models import OrgUnit

        if dossiers <= 0:
            raise CommandError("--dossiers phải là số nguyên dương.", returncode=2)
        if months <= 0:
            raise CommandError("--months phải là số nguyên dương.", returncode=2)
        if batch_size <= 0:
            raise CommandError("--batch-size phải là số nguyên dương.", returncode=2)
        now = timezone.now()
        end = now
        if until:
            try:
                day = dt.date.fromisoformat(until)
            except ValueError:
                raise CommandError(f"--until “{until}” không phải ngày dạng YYYY-MM-DD.", returncode=2) from None
            if day > timezone.localtime(now).date():
                raise CommandError("--until không được là ngày trong tương lai.", returncode=2)
            end = min(now, dt.datetime.combine(day, dt.time(23, 59, 59), TZ))
        if not OrgUnit.objects.filter(identifier=DEMO_ROOT_IDENTIFIER).exists():
            raise CommandError("Chưa có dữ liệu mẫu tỉnh Thanh Hóa. Chạy “motcua load-demo” trước rồi sinh dữ liệu.",
                               returncode=2)
        try:
            created = g.provide_role_holders()
            if created:
                self.stderr.write("Đã tạo cán bộ (không đăng nhập được) cho vai trò quy trình cần mà chưa ai giữ: "
                                  + ", ".join(created), style_func=_plain)
            bar = _Bar(self.stderr, dossiers)
            result, start, end = g.generate(dossiers=dossiers, months=months, seed=seed, until=end, path=path,
                                            progress=bar, batch_size=batch_size)
            bar(result.dossiers, force=True)
            bar.close()
        except g.GenerationError as exc:
            raise CommandError(str(exc)) from exc
        window_start, _ = g.window(end, months)
        if start > window_start:
            self.stderr.write(f"Lưu ý: lịch sử bắt đầu từ {start:%d/%m/%Y}, ngày thủ tục sớm nhất có hiệu lực.",
                              style_func=_plain)
        states = ", ".join(f"{state} {_number(n)}" for state, n in sorted(result.states.items(), key=lambda x: -x[1]))
        self.stderr.write(f"Từ {start:%d/%m/%Y %H:%M} đến {end.astimezone(TZ):%d/%m/%Y %H:%M}. Trạng thái: {states}.",
                          style_func=_plain)
        self.stdout.write(f"Đã sinh {_number(result.dossiers)} hồ sơ, {_number(result.events)} sự kiện sổ cái "
                          f"trong {result.seconds:.1f} s ({path}): {_number(result.rate)} hồ sơ/s")

