import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from motcua.accounts.models import Role
from motcua.accounts.services import create_staff, grant_role
from motcua.org.models import OrgUnit


class Command(BaseCommand):
    help = ("Create a system administrator (a superuser who also holds the system-administrator role in the "
            "root unit). The password comes from --password, MOTCUA_ADMIN_PASSWORD, or a prompt.")

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--full-name", default="Quản trị hệ thống")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None, help="avoid on shared machines: it lands in shell history")

    def handle(self, *args, username, full_name, email, password, **options):
        password = password or os.environ.get("MOTCUA_ADMIN_PASSWORD")
        if not password:
            password = getpass.getpass("Mật khẩu: ")
            if password != getpass.getpass("Nhập lại mật khẩu: "):
                raise CommandError("Hai lần nhập mật khẩu không khớp.")
        try:
            user = create_staff(username, full_name, password, email=email, superuser=True)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for root in OrgUnit.objects.filter(parent__isnull=True):
            grant_role(user, root, Role.SYSTEM_ADMIN)
        self.stdout.write(f"Đã tạo tài khoản quản trị hệ thống “{username}”.")
