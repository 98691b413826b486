"""``motcua worker``: deliver the outbox (e-mail, SMS, webhooks) until stopped, or once."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connection

from motcua.notify.services import DrainResult, drain


def _line(result: DrainResult) -> str:
    text = f"Đã gửi {result.sent}, sẽ thử lại {result.retried}, chuyển thư lỗi {result.dead}"
    return text + (f", trả lại hàng đợi {result.released}." if result.released else ".")


class Command(BaseCommand):
    help = ("Deliver queued notifications and webhooks from the outbox. Several workers may run at once. "
            "--once: deliver everything due, then exit.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="drain until nothing is due, then exit")
        parser.add_argument("--poll", type=float, default=5.0, help="seconds between polls when idle (default 5)")
        parser.add_argument("--limit", type=int, default=100, help="messages claimed per batch (default 100)")

    def handle(self, *args, once: bool, poll: float, limit: int, **options):
        if poll <= 0:
            raise CommandError("--poll phải lớn hơn 0 giây.")
        if limit < 1:
            raise CommandError("--limit phải từ 1 trở lên.")
        stopping = threading.Event()
        previous = self._trap_signals(stopping)
        total = DrainResult()
        if not once:
            self._say(f"Bắt đầu gửi thông báo từ hàng đợi (kiểm tra mỗi {poll:g} giây; dừng bằng Ctrl-C hoặc SIGTERM).")
        try:
            while not stopping.is_set():
                try:
                    result = drain(limit=limit, stop=stopping.is_set)
                except DatabaseError as exc:
                    if once:
                        raise
                    # The database restarting must not end the worker: report, reconnect at the next poll.
                    self.stderr.write(f"Lỗi cơ sở dữ liệu, thử lại sau {poll:g} giây: {exc}")
                    close_old_connections()
                    connection.close()
                    stopping.wait(poll)
                    continue
                total += result
                if result.total:
                    self._say(_line(result))
                if result.total == 0:
                    if once:
                        break
                    stopping.wait(poll)
        except KeyboardInterrupt:  # a second Ctrl-C, or one outside the main thread's handler
            stopping.set()
        finally:
            self._restore_signals(previous)
        self._say("Dừng. Tổng cộng: " + _line(total))

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()  # one line per batch reaches the log at once, even through a pipe

    @staticmethod
    def _trap_signals(stopping: threading.Event) -> dict:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum, frame):
            if stopping.is_set() and signum == signal.SIGINT:
                raise KeyboardInterrupt  # second Ctrl-C: leave now; claimed messages wait for their lease
            stopping.set()

        previous = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, handler)
        return previous

    @staticmethod
    def _restore_signals(previous: dict) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
