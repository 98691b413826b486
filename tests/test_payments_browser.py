"""Paying fees in Chromium through the fake gateway: on a desktop and on a phone, by mouse and by
keyboard, with a tampered return link refused. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from django.test import Client

import a11y
import factories
from conftest import ARTIFACTS
from motcua.payments.models import AttemptState, PaymentAttempt
from test_dossiers import received
from test_payments import gateway  # noqa: F401 - the fixture: a fake gateway wired to the live server

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def log_in(context, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"payment-{name}.png"), full_page=True)


def test_the_applicant_pays_through_the_gateway_and_sees_the_result(live_server, gateway, page):  # noqa: F811
    w = factories.dossier_world()
    d = received(w)
    log_in(page.context, live_server, w.citizen)
    page.goto(f"{live_server.url}/thanh-toan/ho-so/{d.code}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Nộp phí, lệ phí trực tuyến"
    assert page.locator("#owed").inner_text() == "50.000 đ"
    a11y.assert_accessible(page, "payment")
    shot(page, "start")
    page.get_by_role("button", name="Thanh toán 50.000 đ").click()
    page.wait_for_url(f"{gateway.pay_url}?**")
    assert "50.000 đồng" in page.inner_text("main")
    a11y.assert_accessible(page, "payment-gateway")
    shot(page, "gateway")
    page.get_by_role("button", name="Thanh toán", exact=True).click()
    page.wait_for_url(f"{live_server.url}/thanh-toan/ket-qua/?**")
    status = page.get_by_role("status").filter(has_text="Thanh toán thành công")
    assert f"đã nộp 50.000 đ cho hồ sơ {d.code}" in status.inner_text()
    a11y.assert_accessible(page, "payment-result")
    shot(page, "result")
    d.refresh_from_db()
    assert d.fee_paid == 50000 and gateway.ipn_calls[0].body["RspCode"] == "00"

    # someone edits the amount in the address bar: refused, nothing changes
    page.goto(page.url.replace("vnp_Amount=5000000", "vnp_Amount=500000"))
    assert "không có chữ ký hợp lệ" in page.get_by_role("alert").inner_text()
    a11y.assert_accessible(page, "payment-refused")
    shot(page, "tampered")
    d.refresh_from_db()
    assert d.fee_paid == 50000 and d.payments.count() == 1


def test_on_a_phone_by_keyboard_the_applicant_cancels_then_pays(live_server, gateway, browser):  # noqa: F811
    w = factories.dossier_world()
    d = received(w)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        log_in(context, live_server, w.citizen)
        page.goto(f"{live_server.url}/thanh-toan/ho-so/{d.code}/")
        page.get_by_role("button", name="Thanh toán 50.000 đ").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{gateway.pay_url}?**")
        shot(page, "gateway-phone")
        page.get_by_role("button", name="Thanh toán", exact=True).focus()
        page.keyboard.press("Tab")  # → Hủy
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/thanh-toan/ket-qua/?**")
        assert "Bạn đã hủy thanh toán" in page.get_by_role("status").inner_text()
        shot(page, "cancelled-phone")
        page.get_by_role("link", name="Xem các khoản phí, lệ phí của hồ sơ").click()
        assert "Người nộp đã hủy" in page.inner_text("main")
        page.get_by_role("button", name="Thanh toán 50.000 đ").click()
        page.get_by_role("button", name="Thanh toán", exact=True).click()
        page.wait_for_url(f"{live_server.url}/thanh-toan/ket-qua/?**")
        assert "Thanh toán thành công" in page.get_by_role("status").inner_text()
        a11y.assert_accessible(page, "payment-result-phone")
        shot(page, "result-phone")
    finally:
        context.close()
    assert sorted(PaymentAttempt.objects.values_list("state", flat=True)) == [AttemptState.CANCELLED, AttemptState.PAID]
