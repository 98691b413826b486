import os
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Migrate the database, load the demo province (once) and serve it — with e-mails printed here "
            "and a local payment gateway, unless they are configured.")

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="stop after migrating and loading")
        parser.add_argument("--port", type=int, default=None, help="port to serve on (default PORT or 8000)")

    def handle(self, *args, no_serve, port, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Đã cập nhật cơ sở dữ liệu.")
        call_command("load_demo", stdout=self.stdout)
        if not no_serve:
            port = port or int(os.environ.get("PORT", "8000"))
            if "PUBLIC_BASE_URL" not in os.environ:  # links in e-mails and the gateway's return lead back here
                settings.PUBLIC_BASE_URL = f"http://127.0.0.1:{port}"
            self.demo_services()
            extra = {"port": port}
            call_command("serve", **extra)

    def demo_services(self) -> None:
        """What trying the portal needs and a fresh machine lacks: an SMTP server (so e-mails, the
        applicants' verification codes among them, are printed in this terminal) and a payment gateway
        (the local fake one, speaking VNPay's protocol, with a secret made for this run). Whatever the
        environment configures is left alone."""
        if "EMAIL_BACKEND" not in os.environ:
            settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
            self.stdout.write("Thư điện tử (kể cả mã xác thực tài khoản) được in ra tại đây.")
        from motcua.payments import conf
        from motcua.payments.fake_gateway import FakeGateway

        if conf.provider_name() != "vnpay" or conf.get("MOTCUA_VNPAY_HASH_SECRET"):
            return
        url = urlsplit(conf.get("MOTCUA_VNPAY_URL"))
        if url.hostname not in ("127.0.0.1", "localhost"):
            return
        secret = secrets.token_hex(16)
        gateway = FakeGateway(secret=secret, tmn_code=conf.get("MOTCUA_VNPAY_TMN_CODE"), port=url.port or 80)
        try:
            gateway.start()
        except OSError as exc:
            self.stdout.write(f"Không mở được cổng thanh toán thử nghiệm trên cổng {url.port}: {exc}")
            return
        settings.MOTCUA_VNPAY_HASH_SECRET = secret
        self.stdout.write(f"Cổng thanh toán thử nghiệm (giao thức VNPay) tại {gateway.pay_url}")
