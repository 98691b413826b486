"""``motcua fake-gateway``: the local VNPay-protocol gateway for the demo (same settings as the portal)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from motcua.payments import conf
from motcua.payments.fake_gateway import FakeGateway


class Command(BaseCommand):
    help = "Serve a local payment gateway speaking VNPay's protocol 2.1.0 (demo and tests; never production)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--ipn-url", default=None,
                            help="the portal's IPN address (default: the return URL's host + /thanh-toan/ipn/)")

    def handle(self, *args, host, port, ipn_url, **options):
        secret = conf.get("MOTCUA_VNPAY_HASH_SECRET")
        if not secret:
            raise CommandError("Set MOTCUA_VNPAY_HASH_SECRET (the same value for the portal and the gateway).")
        gateway = FakeGateway(secret=secret, tmn_code=conf.get("MOTCUA_VNPAY_TMN_CODE"), ipn_url=ipn_url,
                              host=host, port=port)
        self.stdout.write(f"Fake payment gateway on http://{host}:{port}/paymentv2/vpcpay.html "
                          f"(merchant {gateway.tmn_code}); Ctrl+C to stop.")
        try:
            gateway.serve_forever()
        except KeyboardInterrupt:
            gateway.stop()
