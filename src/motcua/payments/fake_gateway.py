"""A local payment gateway speaking VNPay's protocol 2.1.0 over real HTTP, for the demo and tests.

It checks an incoming payment request as the real gateway does (signature, merchant code, required
fields, amount, expiry, a reference used once) and shows its error page otherwise; then a page with
"Thanh toán" and "Hủy". Either button signs the result, calls the merchant's IPN URL (server to
server, GET, JSON answer) and redirects the browser to vnp_ReturnUrl with the same signed fields.

``ipn="before"`` (default) notifies before redirecting, as VNPay usually does; ``ipn="manual"`` holds
the notifications until ``send_held()`` so tests can make the browser's return arrive first.
No Django here: it is the other party.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import secrets
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from motcua.payments import vnpay as protocol

__all__ = ["FakeGateway", "PAY_PATH", "CONFIRM_PATH", "DEFAULT_IPN_PATH"]

PAY_PATH = "/paymentv2/vpcpay.html"
CONFIRM_PATH = "/paymentv2/xac-nhan"
DEFAULT_IPN_PATH = "/thanh-toan/ipn/"  # where MotCua listens, on the return URL's host, unless told otherwise
REQUIRED = ("vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_Amount", "vnp_CurrCode", "vnp_TxnRef",
            "vnp_OrderInfo", "vnp_ReturnUrl", "vnp_IpAddr", "vnp_CreateDate", "vnp_Locale")


@dataclass
class IpnCall:
    params: dict
    status: int
    body: dict | str


@dataclass
class FakeGateway:
    secret: str
    tmn_code: str
    ipn_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    ipn: str = "before"  # "before" the redirect, or "manual" (held until send_held())
    ipn_calls: list[IpnCall] = field(default_factory=list)
    held: list[tuple[dict, str]] = field(default_factory=list)  # (signed result, return URL)

    def __post_init__(self):
        self._orders: dict[str, dict] = {}  # token → the verified request, until a button is pressed
        self._seen: set[str] = set()  # vnp_TxnRef values already used
        self._numbers = itertools.count(14000001)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- running ---------------------------------------------------------------------------------

    def start(self) -> "FakeGateway":
        """Serve in a background thread (tests); ``serve_forever`` for the command line."""
        self._bind()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def serve_forever(self) -> None:
        self._bind()
        self._server.serve_forever()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _bind(self) -> None:
        gateway = self

        class Handler(_Handler):
            pass

        Handler.gateway = gateway
        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pay_url(self) -> str:
        return self.url + PAY_PATH

    # --- the merchant's notification ---------------------------------------------------------------

    def notify(self, params: dict, return_url: str) -> IpnCall:
        """Call the merchant's IPN URL with the signed result (GET) and keep what it answered."""
        target = self.ipn_url or _origin(return_url) + DEFAULT_IPN_PATH
        query = protocol.signed_query(params, self.secret)
        try:
            with urllib.request.urlopen(f"{target}{'&' if '?' in target else '?'}{query}", timeout=10) as response:
                status, text = response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode("utf-8", "replace")
        except OSError as exc:
            status, text = 0, str(exc)
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        call = IpnCall(dict(params), status, body)
        with self._lock:
            self.ipn_calls.append(call)
        return call

    def send_held(self) -> list[IpnCall]:
        with self._lock:
            held, self.held = self.held, []
        return [self.notify(params, back) for params, back in held]

    # --- the payment page ----------------------------------------------------------------------------

    def check_request(self, params: dict) -> str | None:
        """None when the request is acceptable, else the error shown (wording after VNPay's error page)."""
        missing = [name for name in REQUIRED if not params.get(name)]
        if missing:
            return f"Dữ liệu gửi sang không đúng định dạng (thiếu {', '.join(missing)})."
        if not protocol.verify(params, self.secret):
            return "Sai chữ ký (code=70)."
        if params["vnp_TmnCode"] != self.tmn_code:
            return "Website này chưa được phê duyệt (code=71)."
        if params["vnp_Version"] != protocol.VERSION or params["vnp_Command"] != "pay":
            return "Phiên bản hoặc lệnh không được hỗ trợ."
        if params["vnp_CurrCode"] != "VND":
            return "Chỉ hỗ trợ thanh toán bằng VND."
        try:
            amount = protocol.from_gateway_amount(params["vnp_Amount"])
            created = protocol.parse_stamp(params["vnp_CreateDate"])
            expires = protocol.parse_stamp(params["vnp_ExpireDate"]) if params.get("vnp_ExpireDate") else None
        except ValueError:
            return "Dữ liệu gửi sang không đúng định dạng."
        if not 5000 <= amount < 10**9:
            return "Số tiền thanh toán không hợp lệ (từ 5.000 đến dưới 1 tỷ đồng)."
        now = dt.datetime.now(protocol.GMT7)
        if (expires is not None and now > expires) or now - created > dt.timedelta(days=1):
            return "Giao dịch đã quá thời gian chờ thanh toán."
        with self._lock:
            if params["vnp_TxnRef"] in self._seen:
                return "Giao dịch đã tồn tại (mã tham chiếu đã được dùng)."
            self._seen.add(params["vnp_TxnRef"])
        return None

    def open_order(self, params: dict) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._orders[token] = params
        return token

    def close_order(self, token: str, pay: bool) -> tuple[dict, str] | None:
        """The result of pressing a button and the return URL, or None for an unknown or used token."""
        with self._lock:
            order = self._orders.pop(token, None)
        if order is None:
            return None
        paid_no = str(next(self._numbers))
        result = {
            "vnp_Amount": order["vnp_Amount"], "vnp_BankCode": "NCB", "vnp_CardType": "ATM",
            "vnp_OrderInfo": order["vnp_OrderInfo"], "vnp_PayDate": protocol.stamp(dt.datetime.now(protocol.GMT7)),
            "vnp_ResponseCode": protocol.SUCCESS if pay else protocol.CANCELLED,
            "vnp_TmnCode": order["vnp_TmnCode"],
            "vnp_TransactionNo": paid_no if pay else "0",
            "vnp_TransactionStatus": protocol.SUCCESS if pay else "02",
            "vnp_TxnRef": order["vnp_TxnRef"],
        }
        if pay:
            result["vnp_BankTranNo"] = f"VNP{paid_no}"
        return result, order["vnp_ReturnUrl"]

    def return_location(self, result: dict, back: str) -> str:
        return f"{back}{'&' if '?' in back else '?'}{protocol.signed_query(result, self.secret)}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _money(amount_text: str) -> str:
    return f"{protocol.from_gateway_amount(amount_text):,}".replace(",", ".") + " đồng"


_STYLE = """body{margin:0;font:1rem/1.5 "DejaVu Sans",system-ui,sans-serif;color:#1a1a1a;background:#fff}
header{background:#005baa;color:#fff;padding:.75rem 1rem;font-weight:bold}main{padding:1rem;max-width:36rem;margin:auto}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}dt{font-weight:bold}dd{margin:0}
button{font:inherit;min-height:2.75rem;padding:.5rem 1.25rem;border:0;border-radius:4px;cursor:pointer;margin:.5rem .5rem 0 0}
.pay{background:#005baa;color:#fff}.cancel{background:#fff;color:#1a1a1a;border:1px solid #4a4a4a}
:focus-visible{outline:3px solid #e3a600;outline-offset:2px}.error{color:#a40000;border-left:4px solid #a40000;padding:.5rem}"""


def _page(title: str, body: str) -> bytes:
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f'<style>{_STYLE}</style></head><body><header>Cổng thanh toán (giả lập VNPAY)</header>'
            f'<main id="main"><h1>{html.escape(title)}</h1>{body}</main></body></html>').encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    gateway: FakeGateway
    server_version = "FakeVNPay/2.1.0"

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests and the demo read their own output
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path)
        if parts.path != PAY_PATH:
            return self._send(404, _page("Không tìm thấy", "<p>Địa chỉ không tồn tại.</p>"))
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        problem = self.gateway.check_request(params)
        if problem:
            return self._send(400, _page("Thông báo lỗi", f'<p class="error" role="alert">{html.escape(problem)}</p>'))
        token = self.gateway.open_order(params)
        details = "".join(f"<dt>{label}</dt><dd>{html.escape(value)}</dd>" for label, value in [
            ("Đơn vị chấp nhận", params["vnp_TmnCode"]), ("Số tiền", _money(params["vnp_Amount"])),
            ("Nội dung", params["vnp_OrderInfo"]), ("Mã tham chiếu", params["vnp_TxnRef"])])
        form = (f'<form method="post" action="{CONFIRM_PATH}"><input type="hidden" name="token" value="{token}">'
                '<button class="pay" type="submit" name="action" value="pay">Thanh toán</button>'
                '<button class="cancel" type="submit" name="action" value="cancel">Hủy</button></form>')
        self._send(200, _page("Thanh toán trực tuyến", f"<dl>{details}</dl>{form}"))

    def do_POST(self):  # noqa: N802
        if urlsplit(self.path).path != CONFIRM_PATH:
            return self._send(404, _page("Không tìm thấy", "<p>Địa chỉ không tồn tại.</p>"))
        length = min(int(self.headers.get("Content-Length") or 0), 4096)
        form = dict(parse_qsl(self.rfile.read(length).decode("utf-8")))
        closed = self.gateway.close_order(form.get("token", ""), form.get("action") == "pay")
        if closed is None:
            return self._send(400, _page("Thông báo lỗi",
                                         '<p class="error" role="alert">Giao dịch không tồn tại hoặc đã xử lý.</p>'))
        if self.gateway.ipn == "manual":
            with self.gateway._lock:
                self.gateway.held.append(closed)
        else:
            self.gateway.notify(*closed)
        self._send(302, b"", {"Location": self.gateway.return_location(*closed)})
