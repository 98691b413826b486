"""The public pages in Chromium, at a phone and a desktop viewport: search → procedure page → lookup,
by keyboard where a citizen would, each page checked by axe-core; screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

import a11y
import factories
from conftest import ARTIFACTS
from motcua.catalog.models import ProcedureVersion
from motcua.catalog.services import save_procedure
from test_dossiers import received

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}


@pytest.fixture(params=list(VIEWPORTS))
def tab(request, browser):
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="vi-VN",
                                  is_mobile=request.param == "phone", has_touch=request.param == "phone")
    page = context.new_page()
    page.viewport_name = request.param
    yield page
    context.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"portal-{name}-{page.viewport_name}.png"), full_page=True)


def test_search_read_the_procedure_then_look_up_a_dossier(live_server, tab):
    page = tab
    w = factories.dossier_world()
    procedure = w.variant.version.procedure
    procedure.name = "Cấp giấy phép xây dựng"
    save_procedure(procedure)
    ProcedureVersion.objects.filter(pk=w.variant.version_id).update(publication_decision="Quyết định số 12/QĐ-UBND")
    factories.procedure(competent_unit=w.tree["construction"], name="Gia hạn, cấp lại giấy phép xây dựng")
    d = received(w, when=timezone.now() - dt.timedelta(hours=1))

    page.goto(live_server.url + "/")
    a11y.assert_accessible(page, f"portal-home-{page.viewport_name}")
    shot(page, "home")
    page.get_by_label("Tìm thủ tục hành chính").fill("cap giay phep xay dung")
    page.keyboard.press("Enter")
    page.wait_for_url("**/thu-tuc/?q=*")
    results = page.get_by_role("region", name="Kết quả tìm kiếm “cap giay phep xay dung”")
    assert "Tìm thấy 2 thủ tục" in results.inner_text()
    first = results.get_by_role("listitem").first
    assert "Cấp giấy phép xây dựng" in first.inner_text()
    a11y.assert_accessible(page, f"portal-search-{page.viewport_name}")
    shot(page, "search")

    first.get_by_role("link").click()
    page.wait_for_url(f"**/thu-tuc/{procedure.code}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Cấp giấy phép xây dựng"
    expect(page.get_by_role("table", name="Giấy tờ phải nộp – Trường hợp chung")).to_be_visible()
    assert "Quyết định số 12/QĐ-UBND" in page.inner_text("main")
    a11y.assert_accessible(page, f"portal-procedure-{page.viewport_name}")
    shot(page, "procedure")

    # the receipt's QR code opens the lookup with the code filled in
    page.goto(f"{live_server.url}/tra-cuu/?ma={d.code}")
    assert page.get_by_label("Mã hồ sơ").input_value() == d.code
    page.get_by_label("4 chữ số cuối số điện thoại hoặc CCCD / mã số thuế").fill("1234")
    page.get_by_role("button", name="Tra cứu").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text().startswith("Không tìm thấy hồ sơ với thông tin đã nhập.")
    a11y.assert_accessible(page, f"portal-lookup-wrong-{page.viewport_name}")
    shot(page, "lookup-wrong")

    page.get_by_label("4 chữ số cuối số điện thoại hoặc CCCD / mã số thuế").fill("0111")
    page.keyboard.press("Enter")
    result = page.get_by_role("region", name=f"Hồ sơ {d.code}")
    assert "Được tiếp nhận" in result.inner_text() and "Trong hạn" in result.inner_text()
    assert "Nguyễn Thị Hoà" not in page.content()
    a11y.assert_accessible(page, f"portal-lookup-{page.viewport_name}")
    shot(page, "lookup")


def test_keyboard_reaches_the_skip_link_and_the_search_first(live_server, tab):
    page = tab
    page.goto(live_server.url + "/thu-tuc/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Bỏ qua, đến nội dung chính"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    assert page.get_by_role("status").inner_text().startswith("Không tìm thấy")
    a11y.assert_accessible(page, f"portal-catalogue-empty-{page.viewport_name}")
