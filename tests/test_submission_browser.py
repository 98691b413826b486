"""Online submission in a real browser (Playwright driving Debian's Chromium), at a phone viewport and a
desktop one: fill the draft, a bad upload refused, upload, save, come back by the stable link, submit,
the receipt, then answer the desk's supplement request from the dossier page. Each page is checked
with axe-core; screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

import a11y
import factories
from conftest import ARTIFACTS
from motcua.dossiers import services as s
from motcua.dossiers.models import Dossier, State
from motcua.submission.models import Draft

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"submission-{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_submit_online_then_answer_a_supplement_request(live_server, page, client, tmp_path, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    w = factories.dossier_world()
    client.force_login(w.citizen)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])
    (tmp_path / "don.pdf").write_bytes(PDF)
    (tmp_path / "cccd.png").write_bytes(PNG)
    (tmp_path / "ghi-chu.pdf").write_bytes(b"khong phai PDF")
    form_doc, copy_doc = w.variant.documents.get(order=1), w.variant.documents.get(order=2)

    page.goto(live_server.url + reverse("submission:start", kwargs={"variant": w.variant.pk}))
    draft = Draft.objects.get()
    draft_url = live_server.url + reverse("submission:draft", kwargs={"uuid": draft.uuid})
    assert page.url == draft_url
    assert page.get_by_label("Số điện thoại nhận thông báo").input_value() == "0912000111"
    a11y.assert_accessible(page, f"submission-draft-{viewport}")

    # a file that only pretends to be a PDF: refused by content, the reason tied to its input
    page.get_by_label("Chọn tệp cho “Đơn đề nghị”").set_input_files(str(tmp_path / "ghi-chu.pdf"))
    page.get_by_role("button", name="Lưu nháp").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "“ghi-chu.pdf” không phải PDF, JPEG hoặc PNG" in alert.inner_text()
    described = page.get_by_label("Chọn tệp cho “Đơn đề nghị”").get_attribute("aria-describedby")
    assert f"doc-{form_doc.pk}-error" in described
    assert page.evaluate("document.activeElement.id") == "error-summary"
    a11y.assert_accessible(page, f"submission-draft-refused-{viewport}")
    shot(page, f"{viewport}-refused")
    assert not draft.files.exists()

    # the real files, the result by post, save
    page.get_by_label("Chọn tệp cho “Đơn đề nghị”").set_input_files(str(tmp_path / "don.pdf"))
    page.get_by_label("Chọn tệp cho “Bản sao giấy tờ tùy thân”").set_input_files(str(tmp_path / "cccd.png"))
    page.get_by_label("Nhận qua bưu chính công ích").check()
    page.get_by_label("Địa chỉ nhận kết quả qua bưu chính (nếu chọn)").fill("Số 2 Trần Phú, phường Ba Đình")
    page.get_by_role("button", name="Lưu nháp").click()
    page.get_by_text("Đã lưu bản nháp").wait_for()
    assert draft.files.count() == 2

    # the stable link, opened again (another device would do the same after login)
    page.goto(draft_url)
    expect(page.get_by_text("don.pdf")).to_be_visible()
    expect(page.get_by_text("cccd.png")).to_be_visible()
    assert page.get_by_label("Nhận qua bưu chính công ích").is_checked()
    assert page.get_by_label("Địa chỉ nhận kết quả qua bưu chính (nếu chọn)").input_value().startswith("Số 2")
    shot(page, f"{viewport}-draft")

    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.get_by_role("heading", name="Đã nộp hồ sơ trực tuyến").wait_for()
    d = Dossier.objects.get()
    assert page.locator("#dossier-code").inner_text() == str(d.reference)
    assert d.delivery == "post" and d.documents.count() == 2
    a11y.assert_accessible(page, f"submission-receipt-{viewport}")
    shot(page, f"{viewport}-receipt")

    # the desk receives it, the specialist asks for a supplement (through the services)
    d = s.accept(d, w.receptionist)
    d = s.forward(d, w.receptionist)
    d = s.claim(d, w.specialist)
    d = s.request_supplement(d, w.specialist, items=["Bản sao giấy tờ tùy thân"], reason="Ảnh chụp bị mờ")
    page.get_by_role("link", name="Xem hồ sơ").click()
    page.get_by_role("heading", name=re.compile("Yêu cầu bổ sung hồ sơ")).wait_for()
    assert "Ảnh chụp bị mờ" in page.content() and d.code in page.content()
    assert "thời hạn giải quyết được tính lại từ đầu" in page.content()  # this procedure restarts the clock
    a11y.assert_accessible(page, f"submission-detail-supplement-{viewport}")
    shot(page, f"{viewport}-supplement")
    page.get_by_label("Chọn tệp cho “Bản sao giấy tờ tùy thân”").set_input_files(str(tmp_path / "cccd.png"))
    page.get_by_role("button", name="Gửi hồ sơ bổ sung").click()
    page.get_by_text("Đã gửi hồ sơ bổ sung").wait_for()
    d.refresh_from_db()
    assert d.state == State.PROCESSING
    assert page.locator("#status").inner_text() == "Đang xử lý"
    a11y.assert_accessible(page, f"submission-detail-{viewport}")

    page.goto(live_server.url + reverse("submission:mine"))
    expect(page.get_by_role("link", name=d.procedure_version.procedure.name)).to_be_visible()
    a11y.assert_accessible(page, f"submission-mine-{viewport}")
    shot(page, f"{viewport}-mine")
