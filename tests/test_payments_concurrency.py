"""The gateway's notification and the browser's return arriving at the same moment, in real threads
with their own connections (PostgreSQL row locks; SQLite's in-memory test database is one connection)."""

from __future__ import annotations

import pytest
from django.db import connection

import factories
from motcua.dossiers.models import LedgerEvent, Payment
from motcua.payments import services, vnpay
from motcua.payments.models import AttemptState, PaymentAttempt
from motcua.payments.providers.base import Outcome
from test_concurrency import race
from test_dossiers import received

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"),
]

SECRET = "bi-mat-cua-cong-thanh-toan"


@pytest.fixture(autouse=True)
def _vnpay(settings):
    settings.MOTCUA_PAYMENT_PROVIDER = "vnpay"
    settings.MOTCUA_VNPAY_URL = "http://127.0.0.1:9/paymentv2/vpcpay.html"
    settings.MOTCUA_VNPAY_TMN_CODE = "MOTCUA01"
    settings.MOTCUA_VNPAY_HASH_SECRET = SECRET


def paid_callback(attempt: PaymentAttempt, number: str) -> dict:
    params = {"vnp_Amount": vnpay.to_gateway_amount(attempt.amount), "vnp_TmnCode": "MOTCUA01",
              "vnp_TxnRef": attempt.reference, "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00",
              "vnp_TransactionNo": number, "vnp_PayDate": "20250915100000", "vnp_BankCode": "NCB"}
    return {**params, "vnp_SecureHash": vnpay.sign(params, SECRET)}


def start(w, d) -> PaymentAttempt:
    return services.start(d, user=w.citizen, client_ip="127.0.0.1", return_url="http://127.0.0.1/thanh-toan/ket-qua/")[0]


def test_return_and_notifications_at_once_settle_the_attempt_once():
    w = factories.dossier_world()
    d = received(w)
    params = paid_callback(start(w, d), "14000001")
    results = race(*[lambda via=via: services.settle(params, via=via) for via in ("ipn", "return", "ipn", "return")])
    assert sorted(r.outcome.value for r in results) == ["already_confirmed"] * 3 + ["confirmed"], results
    d.refresh_from_db()
    assert d.fee_paid == 50000 and Payment.objects.filter(dossier=d).count() == 1
    assert LedgerEvent.objects.filter(dossier=d, type="payment_recorded").count() == 1
    assert PaymentAttempt.objects.get().state == AttemptState.PAID


def test_two_attempts_paid_at_once_take_the_fee_once_and_flag_the_other_for_refund():
    w = factories.dossier_world()
    d = received(w)
    first, second = paid_callback(start(w, d), "14000001"), paid_callback(start(w, d), "14000002")
    results = race(lambda: services.settle(first, via="ipn"), lambda: services.settle(second, via="ipn"))
    assert [r.outcome for r in results] == [Outcome.CONFIRMED, Outcome.CONFIRMED], results
    assert sorted(PaymentAttempt.objects.values_list("state", flat=True)) == ["paid", "refund_due"]
    d.refresh_from_db()
    assert d.fee_paid == 50000 and Payment.objects.filter(dossier=d).count() == 1
