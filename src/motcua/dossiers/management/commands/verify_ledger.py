"""``motcua verify-ledger``: check every dossier's hash chain and that its rows match its events."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from motcua.dossiers.ledger import verify
from motcua.dossiers.models import Dossier


class Command(BaseCommand):
    help = ("Kiểm tra sổ cái: chuỗi băm của từng hồ sơ và dữ liệu hồ sơ so với các sự kiện. "
            "Thoát với mã 1 và nêu tên từng hồ sơ có lịch sử bị sửa, xóa hoặc đảo thứ tự.")

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="*", metavar="CODE", help="chỉ kiểm tra các hồ sơ này (mã hồ sơ)")

    def handle(self, *args, codes, **options):
        dossiers = Dossier.objects.filter(code__in=codes) if codes else None
        if codes and dossiers.count() != len(set(codes)):
            known = set(dossiers.values_list("code", flat=True))
            self.stderr.write(f"Không tìm thấy hồ sơ: {', '.join(sorted(set(codes) - known))}")
            sys.exit(2)
        problems = verify(dossiers)
        if dossiers is None:  # the whole check: also every rating against the event that recorded it
            from motcua.feedback.services import verify_evaluations

            problems += verify_evaluations()
        checked = (dossiers if dossiers is not None else Dossier.objects).count()
        for problem in problems:
            self.stdout.write(f"SAI  {problem}")
        if problems:
            self.stderr.write(f"{len(problems)} trong {checked} hồ sơ có lịch sử không toàn vẹn.")
            sys.exit(1)
        self.stdout.write(f"OK   {checked} hồ sơ: sổ cái toàn vẹn, dữ liệu khớp với các sự kiện.")
