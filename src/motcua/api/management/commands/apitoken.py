"""``motcua apitoken``: create, list and revoke API tokens for integrations."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from motcua.api.models import ApiToken
from motcua.api.tokens import TokenError, create_token, revoke_token


class Command(BaseCommand):
    help = ("Mã truy cập API: create USERNAME --name TÊN [--days N] (in mã một lần duy nhất) | "
            "list [USERNAME] | revoke TIỀN_TỐ")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="tạo mã truy cập mới cho một tài khoản")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="tên gợi nhớ, ví dụ tên hệ thống tích hợp")
        create.add_argument("--days", type=int, default=None, help="hết hạn sau số ngày này (mặc định: không)")
        listing = sub.add_parser("list", help="liệt kê mã truy cập (không bao giờ in lại mã)")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="thu hồi mã truy cập theo tiền tố")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except TokenError as exc:
            raise CommandError(str(exc)) from exc

    def _create(self, username, name, days, **_):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Không có tài khoản “{username}”.")
        if days is not None and days <= 0:
            raise CommandError("--days phải là số nguyên dương.")
        expires = timezone.now() + dt.timedelta(days=days) if days else None
        token, secret = create_token(user, name, expires_at=expires)
        self.stdout.write(secret)
        self.stderr.write(f"Đã tạo mã {token.prefix} cho {user.username}. Lưu mã ở trên ngay: "
                          "hệ thống không lưu và không thể hiển thị lại.")

    def _list(self, username=None, **_):
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
        if username:
            tokens = tokens.filter(user__username=username)
        for t in tokens:
            status = "còn hiệu lực" if t.is_active else "đã thu hồi"
            if t.is_active and t.expires_at and t.expires_at <= timezone.now():
                status = "đã hết hạn"
            used = timezone.localtime(t.last_used_at).strftime("%d/%m/%Y %H:%M") if t.last_used_at else "chưa dùng"
            self.stdout.write(f"{t.prefix}\t{t.user.username}\t{t.name}\t{status}\t{used}")

    def _revoke(self, prefix, **_):
        token = revoke_token(prefix)
        self.stdout.write(f"Đã thu hồi mã {token.prefix} ({token.name}) của {token.user.username}.")
