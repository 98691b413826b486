"""The whole public portal in Chromium, at a phone (390×844) and a desktop (1366×768) viewport:

search → read the procedure → register (code from the local SMTP server) → submit with uploads (a bad
file refused first; a double click makes one dossier) → the desk receives it → pay through the fake
gateway (a tampered return link and a tampered server callback refused) → staff process through
dossiers.services and ask for a supplement → the applicant answers it → result → download → rate →
lookup without login (a wrong code refused first). axe-core checks every main page; screenshots go to
test-artifacts/portal-flow-*.png.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from playwright.sync_api import expect

import a11y
import factories
from conftest import ARTIFACTS
from motcua.catalog.services import save_procedure
from motcua.dossiers import services as s
from motcua.dossiers.files import Upload
from motcua.dossiers.models import Dossier, State
from motcua.feedback.models import Evaluation
from test_applicants_fakes import smtp  # noqa: F401 - fixture: a local SMTP server
from test_payments import gateway, ipn  # noqa: F401 - fixture: the fake gateway wired to the live server

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RESULT = b"%PDF-1.4\n% Giay phep xay dung so 15/GP\n%%EOF\n"
PASSWORD = "Hoa-sen-noi-2025"
CCCD = "001190067890"


@pytest.fixture(params=list(VIEWPORTS))
def tab(request, browser):
    phone = request.param == "phone"
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="vi-VN", is_mobile=phone,
                                  has_touch=phone, accept_downloads=True)
    page = context.new_page()
    page.viewport_name = request.param
    yield page
    context.close()


class Steps:
    """Each main page: checked by axe, then photographed."""

    def __init__(self, page):
        self.page = page

    def check(self, name: str) -> None:
        a11y.assert_accessible(self.page, f"portal-flow-{name}-{self.page.viewport_name}")
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"portal-flow-{name}-{self.page.viewport_name}.png"),
                             full_page=True)


def test_the_whole_portal(live_server, gateway, smtp, tab, tmp_path):  # noqa: F811
    page, step = tab, Steps(tab)
    w = factories.dossier_world()
    procedure = w.variant.version.procedure
    procedure.name = "Cấp giấy phép xây dựng"
    save_procedure(procedure)
    email = f"an.tran.{page.viewport_name}@example.vn"
    files = {"don.pdf": PDF, "cccd.png": PNG, "gia-mao.pdf": b"day khong phai PDF", "bo-sung.png": PNG}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)

    # 1. find the procedure without accents and read it
    page.goto(live_server.url + "/")
    step.check("home")
    page.get_by_label("Tìm thủ tục hành chính").fill("cap giay phep xay dung")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.get_by_role("link", name="Cấp giấy phép xây dựng").click()
    page.wait_for_url(f"**/thu-tuc/{procedure.code}/")
    assert "5 ngày làm việc" in page.inner_text("main") and "50.000 đồng" in page.inner_text("main")
    step.check("procedure")

    # 2. online submission needs an account: log-in page, then register
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.wait_for_url("**/tai-khoan/dang-nhap/?next=*")
    page.get_by_role("link", name="Đăng ký", exact=True).first.click()
    page.wait_for_url("**/tai-khoan/dang-ky/**")
    page.get_by_label("Họ và tên").fill("Trần Văn An")
    page.get_by_label("Số căn cước công dân").fill(CCCD)
    page.get_by_label("Ngày sinh").fill("1990-03-04")
    page.get_by_label("Địa chỉ liên hệ").fill("Số 5 Trần Phú, xã Đồng Tâm")
    page.get_by_label("Thư điện tử hoặc số điện thoại di động").fill(email)
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    step.check("register")
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url("**/tai-khoan/xac-thuc/")
    page.get_by_label("Mã xác thực").fill(smtp.code_for(email))
    page.get_by_role("button", name="Xác thực").click()
    page.wait_for_load_state()

    # 3. the guided form: a file that only pretends to be a PDF is refused by its content
    page.goto(f"{live_server.url}/thu-tuc/{procedure.code}/")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.wait_for_url("**/ho-so/ban-nhap/**")
    draft_url = page.url
    page.get_by_label("Chọn tệp cho “Đơn đề nghị”").set_input_files(str(tmp_path / "gia-mao.pdf"))
    page.get_by_role("button", name="Lưu nháp").click()
    assert "“gia-mao.pdf” không phải PDF, JPEG hoặc PNG" in page.get_by_role("alert").inner_text()
    step.check("draft-refused")
    page.get_by_label("Chọn tệp cho “Đơn đề nghị”").set_input_files(str(tmp_path / "don.pdf"))
    page.get_by_label("Chọn tệp cho “Bản sao giấy tờ tùy thân”").set_input_files(str(tmp_path / "cccd.png"))
    page.get_by_role("button", name="Lưu nháp").click()
    page.get_by_text("Đã lưu bản nháp").wait_for()
    step.check("draft")

    # a double submit: the browser sends the form twice (as a double click on a slow network does) —
    # one dossier, both answered with its receipt. At once on PostgreSQL; one after the other on SQLite,
    # whose shared in-memory test database locks whole tables between the live server's threads (a real
    # SQLite file in WAL mode queues writers instead).
    statuses = page.evaluate("""async (together) => {
        const form = document.querySelector("form.draft");
        const button = [...form.querySelectorAll("button")].find(b => b.textContent.trim() === "Nộp hồ sơ");
        const send = () => fetch(location.href, {method: "POST", body: new FormData(form, button)})
            .then(r => [r.status, new URL(r.url).pathname]);
        return together ? Promise.all([send(), send()]) : [await send(), await send()];
    }""", connection.vendor == "postgresql")
    assert [status for status, _ in statuses] == [200, 200]
    assert all(path.endswith("/bien-nhan/") for _, path in statuses), statuses
    page.goto(draft_url)
    page.get_by_role("heading", name="Đã nộp hồ sơ trực tuyến").wait_for()
    d = Dossier.objects.get()
    assert d.applicant.cccd == CCCD and d.documents.count() == 2 and d.state == State.SUBMITTED
    step.check("receipt")

    # 4. the desk receives it (through the services); the applicant pays the fee online
    d = s.accept(d, w.receptionist)
    page.get_by_role("link", name="Xem hồ sơ").click()
    page.get_by_role("link", name="Nộp phí, lệ phí trực tuyến").click()
    page.get_by_role("button", name="Thanh toán 50.000 đ").click()
    page.wait_for_url(f"{gateway.pay_url}?**")
    step.check("gateway")
    page.get_by_role("button", name="Thanh toán", exact=True).click()
    page.wait_for_url(f"{live_server.url}/thanh-toan/ket-qua/?**")
    assert f"đã nộp 50.000 đ cho hồ sơ {d.code}" in page.get_by_role("status").inner_text()
    step.check("paid")
    genuine = page.url
    # a return link with the amount changed, and the same as a server-to-server callback: refused
    tampered = genuine.replace("vnp_Amount=5000000", "vnp_Amount=500000")
    assert tampered != genuine
    page.goto(tampered)
    assert "không có chữ ký hợp lệ" in page.get_by_role("alert").inner_text()
    assert ipn(live_server, urlsplit(tampered).query) == (200, {"RspCode": "97", "Message": "Invalid signature"})
    d.refresh_from_db()
    assert d.fee_paid == 50000 and d.payments.count() == 1

    # 5. staff process it and ask for a supplement; the applicant answers from the dossier page
    d = s.forward(d, w.receptionist)
    d = s.claim(d, w.specialist)
    d = s.request_supplement(d, w.specialist, items=["Bản sao giấy tờ tùy thân"], reason="Ảnh chụp bị mờ")
    page.goto(f"{live_server.url}/ho-so/cua-toi/{d.code}/")
    page.get_by_role("heading", name=re.compile("Yêu cầu bổ sung hồ sơ")).wait_for()
    assert "Ảnh chụp bị mờ" in page.inner_text("main")
    step.check("supplement")
    page.get_by_label("Chọn tệp cho “Bản sao giấy tờ tùy thân”").set_input_files(str(tmp_path / "bo-sung.png"))
    page.get_by_role("button", name="Gửi hồ sơ bổ sung").click()
    page.get_by_text("Đã gửi hồ sơ bổ sung").wait_for()
    d.refresh_from_db()
    assert d.state == State.PROCESSING

    # 6. approved, the result issued with its file: the applicant downloads it, then rates the handling
    d = s.forward(d, w.specialist)
    d = s.approve(d, w.leader)
    d = s.issue_result(d, w.clerk, number="15/GP-STP", file=Upload("Giấy phép xây dựng", file_name="gp.pdf",
                                                                      content=RESULT))
    page.reload()
    step.check("result")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Kết quả: Giấy phép xây dựng")).click()
    assert open(download.value.path(), "rb").read() == RESULT
    page.get_by_role("link", name="Đánh giá việc giải quyết hồ sơ").click()
    page.get_by_role("heading", name="Đánh giá việc giải quyết hồ sơ").wait_for()
    for field, points in (("i1", "2"), ("i3", "2"), ("i4", "2"), ("i7", "2")):
        page.locator(f"input[name={field}][value='{points}']").check()
    page.locator("input[name=i2][value='']").check()
    page.get_by_label("Rất hài lòng", exact=True).check()
    step.check("rate")
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_text("Cảm ơn Ông/Bà đã đánh giá")).to_be_visible()
    assert Evaluation.objects.get(dossier=d).satisfaction == 5

    # 7. anyone with the receipt looks it up without login: a wrong code first
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/tra-cuu/?ma={d.code[:-1]}9")
    page.get_by_label("4 chữ số cuối số điện thoại hoặc CCCD / mã số thuế").fill(CCCD[-4:])
    page.get_by_role("button", name="Tra cứu").click()
    assert page.get_by_role("alert").inner_text().startswith("Không tìm thấy hồ sơ với thông tin đã nhập.")
    step.check("lookup-wrong")
    page.get_by_label("Mã hồ sơ").fill(d.code)
    page.get_by_label("4 chữ số cuối số điện thoại hoặc CCCD / mã số thuế").fill(CCCD[-4:])
    page.get_by_role("button", name="Tra cứu").click()
    result = page.get_by_role("region", name=f"Hồ sơ {d.code}")
    assert "Đã xử lý xong" in result.inner_text() and "Trần Văn An" not in page.content()
    step.check("lookup")
