"""Paying a dossier's fees through the fake gateway, over real HTTP: the applicant's pages on the
live server, the gateway's pages, and the gateway's server-to-server notification (IPN)."""

from __future__ import annotations

import http.cookies
import re
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.test import Client

import factories
from motcua.dossiers import services as s
from motcua.dossiers.models import LedgerEvent, Payment
from motcua.payments import vnpay
from motcua.payments.fake_gateway import CONFIRM_PATH, FakeGateway
from motcua.payments.models import AttemptState, PaymentAttempt
from test_dossiers import at, lodge_online, received

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SECRET = "bi-mat-cua-cong-thanh-toan"


@pytest.fixture
def gateway(live_server, settings):
    running = FakeGateway(secret=SECRET, tmn_code="MOTCUA01", ipn_url=f"{live_server.url}/thanh-toan/ipn/").start()
    settings.MOTCUA_PAYMENT_PROVIDER = "vnpay"
    settings.MOTCUA_VNPAY_URL = running.pay_url
    settings.MOTCUA_VNPAY_TMN_CODE = "MOTCUA01"
    settings.MOTCUA_VNPAY_HASH_SECRET = SECRET
    settings.PUBLIC_BASE_URL = live_server.url
    yield running
    running.stop()


class Http:
    """A cookie-keeping HTTP client that does not follow redirects (each hop is asserted)."""

    def __init__(self, cookies: dict | None = None):
        self.cookies = dict(cookies or {})

    def request(self, url: str, data: dict | None = None) -> tuple[int, dict, str]:
        req = urllib.request.Request(url, data=urlencode(data).encode() if data is not None else None)
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if data is not None:
            req.add_header("Referer", url)  # Django's CSRF check wants a same-origin referer... on HTTPS only
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(req, timeout=15)
        except urllib.error.HTTPError as exc:
            response = exc
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, dict(response.headers), response.read().decode("utf-8")

    def get(self, url):
        return self.request(url)

    def post(self, url, data):
        return self.request(url, data)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def logged_in(user) -> Http:
    client = Client()
    client.force_login(user)
    return Http({"sessionid": client.cookies["sessionid"].value})


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', page).group(1)


def start_url(live_server, d) -> str:
    return f"{live_server.url}/thanh-toan/ho-so/{d.code or d.reference}/"


def to_gateway(http: Http, live_server, d) -> str:
    """Open the dossier's payment page, press pay: the signed gateway URL the browser is sent to."""
    status, _, page = http.get(start_url(live_server, d))
    assert status == 200, page
    status, headers, page = http.post(start_url(live_server, d), {"csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken")})
    assert status == 302, page
    return headers["Location"]


def through_gateway(http: Http, location: str, action: str = "pay") -> str:
    """Press a button on the gateway's page: where the gateway sends the browser back."""
    status, _, page = http.get(location)
    assert status == 200, page
    status, headers, page = http.post(urljoin(location, CONFIRM_PATH), {"token": hidden(page, "token"), "action": action})
    assert status == 302, page
    return headers["Location"]


def params_of(url: str) -> dict:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def signed(params: dict, secret: str = SECRET) -> str:
    return vnpay.signed_query({k: v for k, v in params.items() if k != "vnp_SecureHash"}, secret)


def ledger_payments(d) -> int:
    return LedgerEvent.objects.filter(dossier=d, type="payment_recorded").count()


def test_pay_ipn_first_then_the_return_page_then_both_again(live_server, gateway):
    from motcua.notify.models import OutboxMessage, WebhookSubscription

    WebhookSubscription.objects.create(name="Kế toán", url="http://127.0.0.1:9/hook", topics="payment.*")
    w = factories.dossier_world()
    d = received(w)
    http = logged_in(w.citizen)
    location = to_gateway(http, live_server, d)
    sent = params_of(location)
    assert location.startswith(gateway.pay_url) and sent["vnp_Amount"] == "5000000" and vnpay.verify(sent, SECRET)
    assert sent["vnp_ReturnUrl"] == f"{live_server.url}/thanh-toan/ket-qua/"
    attempt = PaymentAttempt.objects.get()
    assert (attempt.reference, attempt.amount, attempt.state) == (sent["vnp_TxnRef"], 50000, AttemptState.PENDING)

    back = through_gateway(http, location)
    assert [c.body for c in gateway.ipn_calls] == [{"RspCode": "00", "Message": "Confirm Success"}]
    d.refresh_from_db()
    attempt.refresh_from_db()
    assert d.fee_paid == 50000 and attempt.state == AttemptState.PAID and attempt.finished_via == "ipn"
    assert attempt.transaction_no == "14000001" and attempt.params["vnp_TxnRef"] == attempt.reference
    payment = Payment.objects.get(dossier=d)
    assert (payment.amount, payment.method, payment.reference) == (50000, "online", attempt.reference)

    status, _, page = http.get(back)
    assert status == 200 and "Thanh toán thành công" in page and "50.000 đ" in page and d.code in page
    # the gateway retries its notification, the applicant reloads the return page: nothing changes
    assert gateway.notify(gateway.ipn_calls[0].params, back).body == {"RspCode": "02", "Message": "Order already confirmed"}
    assert http.get(back)[0] == 200
    assert Payment.objects.filter(dossier=d).count() == 1 and ledger_payments(d) == 1
    hook = OutboxMessage.objects.get(topic="payment.settled")  # once, for the accounting system
    assert hook.payload["data"] | {"settled_at": None} == {
        "code": d.code, "reference": str(d.reference), "payment_reference": attempt.reference, "provider": "vnpay",
        "amount": 50000, "state": "paid", "transaction_no": "14000001", "via": "ipn", "settled_at": None, "note": ""}
    status, _, page = http.get(start_url(live_server, d))
    assert "Hồ sơ không còn khoản phí, lệ phí nào phải nộp." in page and "Đã thanh toán" in page


def test_the_return_may_arrive_before_the_notification(live_server, gateway):
    gateway.ipn = "manual"
    w = factories.dossier_world()
    d = lodge_online(w)  # not received yet: the page is reached by the dossier's reference
    http = logged_in(w.citizen)
    back = through_gateway(http, to_gateway(http, live_server, d))
    assert gateway.ipn_calls == []
    status, _, page = http.get(back)
    assert status == 200 and "Thanh toán thành công" in page
    attempt = PaymentAttempt.objects.get()
    assert attempt.state == AttemptState.PAID and attempt.finished_via == "return"
    assert [c.body["RspCode"] for c in gateway.send_held()] == ["02"]
    d.refresh_from_db()
    assert d.fee_paid == 50000 and ledger_payments(d) == 1


def test_a_cancelled_payment_records_nothing_and_may_be_tried_again(live_server, gateway):
    w = factories.dossier_world()
    d = received(w)
    http = logged_in(w.citizen)
    back = through_gateway(http, to_gateway(http, live_server, d), action="cancel")
    assert gateway.ipn_calls[0].body["RspCode"] == "00" and params_of(back)["vnp_ResponseCode"] == "24"
    status, _, page = http.get(back)
    assert status == 200 and "Bạn đã hủy thanh toán" in page
    d.refresh_from_db()
    assert d.fee_paid == 0 and not Payment.objects.exists() and ledger_payments(d) == 0
    assert PaymentAttempt.objects.get().state == AttemptState.CANCELLED
    through_gateway(http, to_gateway(http, live_server, d))  # a new attempt, a new reference
    d.refresh_from_db()
    assert d.fee_paid == 50000 and sorted(PaymentAttempt.objects.values_list("state", flat=True)) == ["cancelled", "paid"]


def ipn(live_server, query: str) -> tuple[int, dict]:
    import json

    status, _, body = Http().get(f"{live_server.url}/thanh-toan/ipn/?{query}")
    return status, json.loads(body)


def test_tampered_callbacks_are_refused_and_change_nothing(live_server, gateway):
    gateway.ipn = "manual"
    w = factories.dossier_world()
    d = received(w)
    http = logged_in(w.citizen)
    back = through_gateway(http, to_gateway(http, live_server, d))
    genuine = params_of(back)
    # a changed amount under the genuine hash, a hash made with another secret
    tampered = urlsplit(back).query.replace("vnp_Amount=5000000", "vnp_Amount=100")
    for query in (tampered, signed(genuine, "doan-bua")):
        assert ipn(live_server, query) == (200, {"RspCode": "97", "Message": "Invalid signature"})
        status, _, page = http.get(f"{live_server.url}/thanh-toan/ket-qua/?{query}")
        assert status == 400 and "không có chữ ký hợp lệ" in page
    # well signed (the secret leaked?) but not what the attempt asked for, or not ours at all
    assert ipn(live_server, signed({**genuine, "vnp_Amount": "100"})) == (200, {"RspCode": "04", "Message": "Invalid amount"})
    status, _, page = http.get(f"{live_server.url}/thanh-toan/ket-qua/?{signed({**genuine, 'vnp_Amount': '100'})}")
    assert status == 400 and "Số tiền trong kết quả thanh toán không khớp" in page
    assert ipn(live_server, signed({**genuine, "vnp_TxnRef": "KHONGCO"})) == (200, {"RspCode": "01", "Message": "Order not found"})
    assert ipn(live_server, signed({**genuine, "vnp_Amount": ""}))[1]["RspCode"] == "99"
    assert ipn(live_server, "")[1]["RspCode"] == "97"
    d.refresh_from_db()
    attempt = PaymentAttempt.objects.get()
    assert d.fee_paid == 0 and attempt.state == AttemptState.PENDING and attempt.params == {}
    assert not Payment.objects.exists() and ledger_payments(d) == 0
    # the genuine notification still settles it
    assert [c.body["RspCode"] for c in gateway.send_held()] == ["00"]
    d.refresh_from_db()
    assert d.fee_paid == 50000


def test_money_the_dossier_can_no_longer_take_is_kept_for_a_refund(live_server, gateway):
    w = factories.dossier_world()
    d = received(w)
    http = logged_in(w.citizen)
    location = to_gateway(http, live_server, d)
    s.record_payment(d, w.receptionist, amount=50000, method="cash", reference="BL-0001")  # paid at the desk meanwhile
    back = through_gateway(http, location)
    assert gateway.ipn_calls[0].body["RspCode"] == "00"  # received: the gateway must stop retrying
    attempt = PaymentAttempt.objects.get()
    assert attempt.state == AttemptState.REFUND_DUE and "vượt quá số còn phải nộp" in attempt.note
    status, _, page = http.get(back)
    assert "cần hoàn tiền" not in page and "sẽ liên hệ để hoàn tiền" in page
    d.refresh_from_db()
    assert d.fee_paid == 50000 and list(d.payments.values_list("method", flat=True)) == ["cash"]


def test_only_the_dossiers_applicant_may_pay(live_server, gateway):
    w = factories.dossier_world()
    d = received(w)
    stranger = factories.staff(w.tree["province"], username="nguoila")
    from motcua.accounts.models import ApplicantKind
    from motcua.accounts.services import ApplicantData, register_applicant

    other = register_applicant(ApplicantData(ApplicantKind.CITIZEN, "Trần Văn Khác", cccd="038190099999"))
    other.user = stranger
    other.save(update_fields=["user"])
    http = logged_in(stranger)
    assert http.get(start_url(live_server, d))[0] == 404
    for key in (d.code, d.reference, "000.00.01.H99-250101-9999", "khong-phai-ma"):
        assert http.get(f"{live_server.url}/thanh-toan/ho-so/{key}/")[0] == 404
    status, headers, _ = Http().get(start_url(live_server, d))  # not logged in: sent to log in, and back
    assert status == 302 and headers["Location"].startswith("/tai-khoan/")
    assert logged_in(w.receptionist).get(start_url(live_server, d))[0] == 403  # staff are not applicants
    assert not PaymentAttempt.objects.exists()


def test_nothing_to_pay_or_no_gateway_is_said_plainly(live_server, gateway, settings):
    w = factories.dossier_world()
    http = logged_in(w.citizen)
    paid = received(w)
    s.record_payment(paid, w.receptionist, amount=50000, method="cash", reference="BL-0001")
    status, _, page = http.get(start_url(live_server, paid))
    assert status == 200 and "Hồ sơ không còn khoản phí, lệ phí nào phải nộp." in page
    assert '<button type="submit">Thanh toán' not in page
    status, _, page = http.post(start_url(live_server, paid), {"csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken")})
    assert status == 422 and 'role="alert"' in page and "không còn khoản phí" in page

    withdrawn = s.withdraw(lodge_online(w, when=at(16, 9)), w.citizen, reason="Không cần nữa", at=at(16, 10))
    status, _, page = http.get(start_url(live_server, withdrawn))
    assert status == 200 and "không thể thực hiện thao tác này" in page

    settings.MOTCUA_VNPAY_HASH_SECRET = ""
    waiting = lodge_online(w, when=at(17, 9))
    status, _, page = http.get(start_url(live_server, waiting))
    assert "Thanh toán trực tuyến hiện chưa sẵn sàng" in page
    status, _, page = http.post(start_url(live_server, waiting), {"csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken")})
    assert status == 422 and "chưa sẵn sàng" in page
    assert not PaymentAttempt.objects.exists()


def test_the_notification_only_listens_to_get(live_server, gateway):
    status, _, _ = Http().post(f"{live_server.url}/thanh-toan/ipn/", {"vnp_TxnRef": "x"})
    assert status == 405


def test_staff_see_attempts_read_only_in_the_admin_within_their_units(live_server, gateway):
    w = factories.dossier_world()
    d = received(w)
    http = logged_in(w.citizen)
    through_gateway(http, to_gateway(http, live_server, d), action="cancel")
    attempt = PaymentAttempt.objects.get()
    client = Client()
    client.force_login(w.receptionist)
    page = client.get("/admin/payments/paymentattempt/").content.decode()
    assert attempt.reference in page
    page = client.get(f"/admin/payments/paymentattempt/{attempt.pk}/change/").content.decode()
    assert "Người nộp đã hủy" in page
    assert client.post(f"/admin/payments/paymentattempt/{attempt.pk}/change/", {"state": "paid"}).status_code == 403
    client.force_login(w.outsider)  # another department: not its dossier
    response = client.get("/admin/payments/paymentattempt/")
    assert response.status_code == 200 and attempt.reference not in response.content.decode()
