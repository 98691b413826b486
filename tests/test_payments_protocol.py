"""VNPay's protocol (2.1.0) and the fake gateway's own checks: no database, real HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import urllib.error
import urllib.request
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from motcua.payments import vnpay
from motcua.payments.fake_gateway import FakeGateway
from motcua.payments.providers.base import BadCallback, Outcome
from motcua.payments.providers.vnpay import VNPay

SECRET = "BI-MAT-THU-NGHIEM"
PARAMS = {
    "vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": "MOTCUA01", "vnp_Amount": "5000000",
    "vnp_CurrCode": "VND", "vnp_TxnRef": "250915ABCDEF0123",
    "vnp_OrderInfo": "Thanh toan phi, le phi ho so 000.00.01.H99-250915-0001", "vnp_OrderType": "other",
    "vnp_Locale": "vn", "vnp_ReturnUrl": "http://127.0.0.1:8000/thanh-toan/ket-qua/", "vnp_IpAddr": "127.0.0.1",
    "vnp_CreateDate": "20250915093000",
}
# Written out by hand: keys sorted, values quote_plus-encoded (space → +, ',' → %2C, ':' → %3A, '/' → %2F).
CANONICAL = (
    "vnp_Amount=5000000&vnp_Command=pay&vnp_CreateDate=20250915093000&vnp_CurrCode=VND&vnp_IpAddr=127.0.0.1"
    "&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+phi%2C+le+phi+ho+so+000.00.01.H99-250915-0001&vnp_OrderType=other"
    "&vnp_ReturnUrl=http%3A%2F%2F127.0.0.1%3A8000%2Fthanh-toan%2Fket-qua%2F&vnp_TmnCode=MOTCUA01"
    "&vnp_TxnRef=250915ABCDEF0123&vnp_Version=2.1.0"
)
# `printf '%s' "$CANONICAL" | openssl dgst -sha512 -hmac BI-MAT-THU-NGHIEM`
EXPECTED = ("1068f88365568fad2602200ae3c842b8c57a215dbdf0b4017e629776f9829309"
            "dae9e6d0e7edce4dfd51059ef82f3bcd43c749c716051503329c6cddd886e7aa")


def test_the_signature_is_hmac_sha512_over_the_sorted_quote_plus_query():
    assert vnpay.canonical(PARAMS) == CANONICAL
    assert hmac.new(SECRET.encode(), CANONICAL.encode(), hashlib.sha512).hexdigest() == EXPECTED
    assert vnpay.sign(PARAMS, SECRET) == EXPECTED
    # the hash fields and empty values are not signed; the order given does not matter
    shuffled = dict(reversed(list(PARAMS.items())), vnp_BankCode="", vnp_SecureHashType="HmacSHA512")
    assert vnpay.sign(shuffled, SECRET) == EXPECTED
    assert vnpay.verify({**PARAMS, "vnp_SecureHash": EXPECTED.upper()}, SECRET)


@pytest.mark.parametrize("change", [
    {"vnp_Amount": "5000100"}, {"vnp_TxnRef": "250915ABCDEF0124"}, {"vnp_SecureHash": "0" * 128},
    {"vnp_SecureHash": ""}, {"vnp_Extra": "1"},
])
def test_any_change_breaks_the_signature(change):
    signed = {**PARAMS, "vnp_SecureHash": EXPECTED}
    assert not vnpay.verify({**signed, **change}, SECRET)
    assert not vnpay.verify(signed, "another-secret") and not vnpay.verify(signed, "")


def test_amounts_times_and_order_info():
    assert vnpay.to_gateway_amount(10000) == "1000000" and vnpay.from_gateway_amount("1000000") == 10000
    for bad in ("1000050", "-100", "1e6", "", "1" * 15):
        with pytest.raises(ValueError):
            vnpay.from_gateway_amount(bad)
    moment = dt.datetime(2025, 9, 15, 2, 30, tzinfo=dt.timezone.utc)
    assert vnpay.stamp(moment) == "20250915093000" and vnpay.parse_stamp("20250915093000") == moment
    with pytest.raises(ValueError):
        vnpay.parse_stamp("2025-09-15")
    assert vnpay.ascii_text("Thanh toán phí, lệ phí hồ sơ – Đồng Nai") == "Thanh toan phi, le phi ho so  Dong Nai"


def provider(**options):
    return VNPay({"url": "http://gw.example/paymentv2/vpcpay.html", "tmn_code": "MOTCUA01", "hash_secret": SECRET,
                  **options})


def test_the_provider_signs_its_redirect_and_reads_signed_callbacks(settings):
    now = dt.datetime(2025, 9, 15, 9, 30, tzinfo=vnpay.GMT7)
    url = provider().redirect_url(reference="250915ABCDEF0123", amount=50000, description="Phí hồ sơ số 1",
                                  return_url="http://127.0.0.1:8000/thanh-toan/ket-qua/", client_ip="10.0.0.7",
                                  now=now)
    sent = dict(parse_qsl(urlsplit(url).query))
    assert url.startswith("http://gw.example/paymentv2/vpcpay.html?vnp_Amount=5000000&")
    assert vnpay.verify(sent, SECRET)
    assert sent["vnp_ExpireDate"] == "20250915094500" and sent["vnp_OrderInfo"] == "Phi ho so so 1"
    callback = {"vnp_Amount": "5000000", "vnp_TxnRef": "R1", "vnp_TmnCode": "MOTCUA01", "vnp_ResponseCode": "00",
                "vnp_TransactionStatus": "00", "vnp_TransactionNo": "14000001", "vnp_BankCode": "NCB"}
    result = provider().read_callback({**callback, "vnp_SecureHash": vnpay.sign(callback, SECRET), "other": "x"})
    assert (result.reference, result.amount, result.paid, result.transaction_no) == ("R1", 50000, True, "14000001")
    assert "vnp_SecureHash" not in result.params and "other" not in result.params
    pending = {**callback, "vnp_TransactionStatus": "01"}
    assert not provider().read_callback({**pending, "vnp_SecureHash": vnpay.sign(pending, SECRET)}).paid
    for bad, outcome in [({**callback, "vnp_SecureHash": vnpay.sign(callback, "x")}, Outcome.BAD_SIGNATURE),
                         ({**callback, "vnp_SecureHash": vnpay.sign(callback, SECRET), "vnp_Amount": "1"},
                          Outcome.BAD_SIGNATURE)]:
        with pytest.raises(BadCallback) as refused:
            provider().read_callback(bad)
        assert refused.value.outcome == outcome
    for change in ({"vnp_TmnCode": "OTHER001"}, {"vnp_Amount": "5000050"}, {"vnp_TxnRef": ""}):
        signed = {**callback, **change}
        with pytest.raises(BadCallback) as refused:
            provider().read_callback({**signed, "vnp_SecureHash": vnpay.sign(signed, SECRET)})
        assert refused.value.outcome == Outcome.MALFORMED
    assert provider().answer(Outcome.WRONG_AMOUNT) == {"RspCode": "04", "Message": "Invalid amount"}


# --- the fake gateway refuses what the real one refuses --------------------------------------------


@pytest.fixture
def gateway():
    running = FakeGateway(secret=SECRET, tmn_code="MOTCUA01").start()
    yield running
    running.stop()


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def request_url(gateway, secret=SECRET, **changes) -> str:
    now = dt.datetime.now(vnpay.GMT7)
    params = {**PARAMS, "vnp_CreateDate": vnpay.stamp(now), "vnp_ExpireDate": vnpay.stamp(now + dt.timedelta(minutes=15)),
              **changes}
    return f"{gateway.pay_url}?{vnpay.signed_query(params, secret)}"


def test_the_fake_gateway_shows_its_pay_page_for_a_well_signed_request(gateway):
    status, page = fetch(request_url(gateway))
    assert status == 200 and "50.000 đồng" in page and ">Thanh toán</button>" in page and ">Hủy</button>" in page
    status, page = fetch(request_url(gateway))  # a reference is used once
    assert status == 400 and "Giao dịch đã tồn tại" in page


@pytest.mark.parametrize("how, message", [
    ("secret", "Sai chữ ký"), ("tampered", "Sai chữ ký"), ("merchant", "Website này chưa được phê duyệt"),
    ("expired", "quá thời gian"), ("amount", "không hợp lệ"), ("missing", "thiếu vnp_ReturnUrl"),
])
def test_the_fake_gateway_refuses_a_bad_request_with_its_error_page(gateway, how, message):
    url = {
        "secret": lambda: request_url(gateway, secret="sai-bi-mat"),
        "tampered": lambda: request_url(gateway).replace("vnp_Amount=5000000", "vnp_Amount=500000"),
        "merchant": lambda: request_url(gateway, vnp_TmnCode="OTHER001"),
        "expired": lambda: request_url(gateway, vnp_ExpireDate="20200101000000"),
        "amount": lambda: request_url(gateway, vnp_Amount="100"),
        "missing": lambda: request_url(gateway, vnp_ReturnUrl=""),
    }[how]()
    status, page = fetch(url)
    assert status == 400 and message in page and "Thanh toán</button>" not in page


def test_the_fake_gateway_knows_only_its_own_pages(gateway):
    assert fetch(gateway.url + "/khac")[0] == 404
    data = urlencode({"token": "khong-co", "action": "pay"}).encode()
    try:
        urllib.request.urlopen(urllib.request.Request(gateway.url + "/paymentv2/xac-nhan", data=data), timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 400 and "không tồn tại" in exc.read().decode()
    else:
        pytest.fail("an unknown token was accepted")
