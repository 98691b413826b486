"""A dossier's whole life in a real browser (Playwright driving Debian's Chromium at 1366×768):
received at the desk with a dropped scan → processed through every step by the right officers →
apology → approval → issued → returned at the return desk; another unit's officer gets 403; a
stale page gets the conflict message; bad input shows the Vietnamese message and saves nothing.
Screenshots of the main pages are kept in test-artifacts/.
"""

from __future__ import annotations

import base64
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

import factories
from conftest import ARTIFACTS
from motcua.accounts.models import Role
from motcua.calendar import Duration
from motcua.dossiers import services as s
from motcua.dossiers.models import Dossier, DossierDocument, Extension, State
from test_dossiers import PDF

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"workspace-{name}.png"), full_page=True)


@pytest.fixture
def sign_in(browser, live_server, transactional_db):
    """sign_in(user): a fresh browser context for one officer, signed in by keyboard; closed before the
    database is torn down, so no late request (a PDF still loading) reaches an empty database."""
    contexts = []

    def signed_in(user) -> Page:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/can-bo/dang-nhap/")
        page.keyboard.type(user.username)
        page.keyboard.press("Tab")
        page.keyboard.type(factories.PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Hộp việc")).to_be_visible()
        return page

    yield signed_in
    for context in contexts:
        context.close()


def drop_file(page: Page, zone: str, name: str, data: bytes, mime: str = "application/pdf") -> None:
    """Drag a file from the desktop onto a drop zone (a real DragEvent with a DataTransfer)."""
    page.evaluate("""([selector, name, b64, mime]) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: mime}));
        const target = document.querySelector(selector);
        for (const type of ["dragenter", "dragover", "drop"]) {
            target.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }
    }""", [zone, name, base64.b64encode(data).decode(), mime])


def watch_upload(page: Page) -> None:
    """Keep the upload progress the page shows (across the navigation that follows) in sessionStorage."""
    page.evaluate("""() => {
        sessionStorage.setItem("progress", "");
        document.addEventListener("htmx:xhr:progress", (e) => {
            const bar = e.target.closest("form").querySelector(".upload-progress");
            sessionStorage.setItem("progress", sessionStorage.getItem("progress") + " " + (bar && !bar.hidden ? bar.value : "hidden"));
        });
    }""")


def command(page: Page, button: str, fill: dict | None = None, submit: str = "Xác nhận") -> None:
    page.wait_for_load_state("domcontentloaded")  # htmx (deferred) is there to post the form
    page.get_by_role("button", name=button, exact=True).click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    for label, value in (fill or {}).items():
        dialog.get_by_label(label).fill(value)
    dialog.get_by_role("button", name=submit).click()


def test_a_dossier_from_the_desk_to_the_return_desk(sign_in, live_server, page):
    w = factories.dossier_world()
    w.birth = factories.full_procedure(w.tree["justice"], name="Đăng ký khai sinh", days="5")
    docs = list(w.birth.documents.order_by("order"))

    # --- the desk: search without accents, applicant by CCCD, tick and drop a scan, bad input first -------
    desk = sign_in(w.receptionist)
    desk.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Tiếp nhận").click()
    desk.get_by_label("Tìm thủ tục theo mã hoặc tên").press_sequentially("dang ky khai sinh", delay=20)
    desk.get_by_role("button", name="Trường hợp chung").click()
    expect(desk.locator(".chosen")).to_contain_text("Đăng ký khai sinh")
    desk.get_by_label("Tra cứu người nộp trước đây").fill(w.applicant.cccd)
    desk.get_by_label("Tra cứu người nộp trước đây").press("Enter")
    expect(desk.locator(".found")).to_contain_text("Nguyễn Thị Hoà")
    desk.get_by_role("button", name="Tiếp nhận, in giấy hẹn").click()  # nothing ticked yet
    expect(desk.get_by_role("alert")).to_contain_text("Chưa nhận đủ giấy tờ bắt buộc: “Đơn đề nghị”")
    shot(desk, "desk-refusal")
    assert not Dossier.objects.exists()
    drop_file(desk, f'[data-tick="doc-{docs[0].pk}"]', "don-de-nghi.pdf", PDF * 2000)
    expect(desk.locator(f"#doc-{docs[0].pk}")).to_be_checked()  # a dropped scan ticks its document
    expect(desk.locator(f'[data-tick="doc-{docs[0].pk}"] .picked')).to_contain_text("don-de-nghi.pdf")
    desk.locator(f"#doc-{docs[1].pk}").check()
    shot(desk, "desk")
    watch_upload(desk)
    desk.get_by_role("button", name="Tiếp nhận, in giấy hẹn").click()
    expect(desk.get_by_role("heading", name="Giấy tiếp nhận hồ sơ và hẹn trả kết quả")).to_be_visible()
    progress = desk.evaluate("sessionStorage.getItem('progress')").split()
    assert progress and progress[-1] == "100", progress  # the bar showed the upload to its end
    d = Dossier.objects.get()
    assert d.state == State.RECEIVED and d.code in desk.locator("h1").inner_text()
    assert DossierDocument.objects.filter(dossier=d).exclude(file="").get().name == "Đơn đề nghị"
    expect(desk.get_by_role("link", name=re.compile("In giấy tiếp nhận"))).to_have_attribute(
        "href", f"/can-bo/ho-so/{d.code}/bieu-mau/receipt/")
    assert desk.request.get(f"{live_server.url}/can-bo/ho-so/{d.code}/bieu-mau/receipt/").body().startswith(b"%PDF")
    shot(desk, "receipt")
    command(desk, "Chuyển bước tiếp theo")
    expect(desk.get_by_role("status").first).to_contain_text("Đã chuyển bước tiếp theo.")

    # --- the specialist: the inbox, claim, examine, forward (Escape closes a dialog; Enter submits) -------
    specialist = sign_in(w.specialist)
    specialist.get_by_role("link", name=re.compile("Chưa ai nhận trong đơn vị")).click()
    row = specialist.get_by_role("row").filter(has_text=d.code)
    expect(row).to_contain_text("Thẩm định hồ sơ")
    expect(row).to_contain_text(re.compile(r"còn \d+ ngày"))
    shot(specialist, "inbox")
    row.get_by_role("link", name=d.code).click()
    expect(specialist.locator("#thanh-phan")).to_contain_text("Đơn đề nghị")
    specialist.get_by_text("Xem don-de-nghi.pdf").click()  # the scan's inline preview
    expect(specialist.locator("#thanh-phan iframe.pdf")).to_be_visible()
    specialist.get_by_role("button", name="Nhận xử lý").click()
    expect(specialist.get_by_role("status").first).to_contain_text("Đã nhận xử lý.")
    specialist.get_by_role("button", name="Chuyển bước tiếp theo").click()
    expect(specialist.locator("dialog[open]")).to_be_visible()
    specialist.keyboard.press("Escape")
    expect(specialist.locator("dialog[open]")).to_have_count(0)
    assert Dossier.objects.get(pk=d.pk).current_step.role == "specialist"  # closing changed nothing
    specialist.get_by_role("button", name="Chuyển bước tiếp theo").click()
    specialist.keyboard.type("Đủ điều kiện")
    specialist.locator("dialog[open]").get_by_role("button", name="Xác nhận").press("Enter")
    expect(specialist.get_by_role("status").first).to_contain_text("Đã chuyển bước tiếp theo.")

    # --- the leader: the leader's page, the apology with the calendar's proposal, then approval -------------
    leader = sign_in(w.leader)
    leader.get_by_role("link", name="Theo dõi, điều hành").click()
    approvals = leader.locator("#cho-duyet")
    expect(approvals).to_contain_text(d.code)
    shot(leader, "leader")
    approvals.get_by_role("link", name=d.code).click()
    old_due = Dossier.objects.get(pk=d.pk).due_at
    leader.get_by_role("button", name="Xin lỗi, hẹn lại (Mẫu 04)").click()
    dialog = leader.locator("dialog[open]")
    dialog.get_by_label("Gia hạn thêm").fill("3")
    proposed = s.calendar_of(d).due(old_due, Duration(3, "working_days"))
    local = timezone.localtime(proposed)
    expect(dialog.locator("#proposed-due")).to_contain_text(f"{local:%H:%M}")
    expect(dialog.locator("#proposed-due")).to_contain_text(f"{local:%d/%m/%Y}")
    dialog.get_by_role("button", name="Xác nhận").click()  # no reason yet: refused, nothing saved
    expect(dialog.get_by_role("alert")).to_have_text("Phải nêu lý do chậm trả kết quả.")
    assert not Extension.objects.exists()
    dialog.get_by_label("Lý do chậm trả kết quả").fill("Chờ kết quả xác minh của cơ quan phối hợp")
    shot(leader, "apology-dialog")
    dialog.get_by_role("button", name="Xác nhận").click()
    expect(leader.get_by_role("heading", name="Văn bản xin lỗi và hẹn lại ngày trả kết quả")).to_be_visible()
    expect(leader.locator("#dossier-due")).to_contain_text(f"{local:%d/%m/%Y}")
    assert Dossier.objects.get(pk=d.pk).due_at == proposed
    expect(leader.get_by_role("button", name="Xin lỗi, hẹn lại (Mẫu 04)")).to_have_count(0)
    expect(leader.locator(".not-now")).to_contain_text("không được hẹn lại lần thứ hai")
    command(leader, "Phê duyệt")
    expect(leader.get_by_role("status").first).to_contain_text("Đã phê duyệt.")

    # --- the clerk issues the result with its file ------------------------------------------------------------
    clerk = sign_in(w.clerk)
    clerk.goto(f"{live_server.url}/can-bo/ho-so/{d.code}/")
    clerk.get_by_role("button", name="Ban hành kết quả").click()
    dialog = clerk.locator("dialog[open]")
    dialog.get_by_label("Tệp kết quả điện tử").set_input_files(
        files=[{"name": "giay-phep.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    dialog.get_by_label("Số, ký hiệu văn bản kết quả").fill("25/GP-STP")
    dialog.get_by_label("Số, ký hiệu văn bản kết quả").press("Enter")
    expect(clerk.get_by_role("status").first).to_contain_text("Đã ban hành kết quả.")
    assert Dossier.objects.get(pk=d.pk).state == State.RESULT_READY

    # --- the return desk: the scanned QR, originals handed back ------------------------------------------------
    desk.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Trả kết quả").click()
    expect(desk.locator("table")).to_contain_text(d.code)
    desk.get_by_label("Mã hồ sơ").fill(s.lookup_url(d))  # what the QR scanner types
    desk.get_by_label("Mã hồ sơ").press("Enter")
    expect(desk.get_by_role("heading", name=re.compile(f"Hồ sơ {re.escape(d.code)}"))).to_be_visible()
    desk.get_by_label("Đã trả lại bản chính").check()
    shot(desk, "return-desk")
    desk.get_by_role("button", name="Xác nhận đã trả kết quả").click()
    expect(desk.get_by_role("status").first).to_contain_text("Đã trả kết quả.")
    d.refresh_from_db()
    assert d.state == State.RETURNED and d.originals_returned
    desk.goto(f"{live_server.url}/can-bo/ho-so/{d.code}/")
    expect(desk.locator("#kiem-soat tbody tr")).to_have_count(5)  # every step on the control sheet
    expect(desk.locator("#tien-trinh")).to_contain_text("Xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)")
    shot(desk, "dossier")

    # --- another unit's officer ------------------------------------------------------------------------------
    page.goto(f"{live_server.url}/can-bo/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(w.outsider.username)
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_label("Mật khẩu").press("Enter")
    response = page.goto(f"{live_server.url}/can-bo/ho-so/{d.code}/")
    assert response.status == 403
    expect(page.get_by_role("alert")).to_have_text("Hồ sơ này không thuộc phạm vi đơn vị của bạn.")
    shot(page, "forbidden")


def test_someone_acting_first_is_a_clear_conflict_with_a_reload(sign_in, live_server, page):
    w = factories.dossier_world()
    d = s.forward(s.accept(s.register_at_desk(w.receptionist, w.desk, w.applicant, w.variant), w.receptionist),
                  w.receptionist)
    second = sign_in(w.specialist2)
    second.goto(f"{live_server.url}/can-bo/ho-so/{d.code}/")
    s.claim(d, w.specialist)  # the other officer is quicker
    second.get_by_role("button", name="Nhận xử lý").click()
    alert = second.get_by_role("alert")
    expect(alert).to_contain_text("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang và thao tác lại.")
    shot(second, "conflict")
    alert.get_by_role("link", name="Tải lại trang").click()
    expect(second.locator("#nguoi-nop")).to_contain_text("Cán bộ thử nghiệm")
    expect(second.get_by_role("button", name="Nhận xử lý")).to_have_count(0)
    expect(second.locator(".not-now")).to_contain_text("đang do cán bộ Cán bộ thử nghiệm xử lý")
    assert Dossier.objects.get(pk=d.pk).current_step.assignee == w.specialist
    page.goto(f"{live_server.url}/can-bo/")  # the fixture's own page: the login screen
    assert Role.SPECIALIST in {m.role for m in w.specialist2.memberships.all()}
