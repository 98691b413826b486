"""Applicant accounts in a real browser at a phone's size (390×844): register (a refusal first), read the
code from the local SMTP server, verify, log out, log in; each page checked with axe-core and kept as
a screenshot in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import a11y
from motcua.accounts.models import Applicant
from tests.conftest import ARTIFACTS
from tests.test_applicants_fakes import smtp  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "Hoa-sen-noi-2025"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="vi-VN")
    yield context.new_page()
    context.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"applicants-{name}.png"), full_page=True)


def test_register_verify_logout_login_on_a_phone(live_server, phone, smtp):
    page = phone
    page.goto(f"{live_server.url}/tai-khoan/dang-ky/")
    a11y.assert_accessible(page, "applicants-register")
    # The organisation's fields are hidden while "Công dân" is chosen, and shown when it is not.
    expect(page.get_by_label("Mã số thuế")).to_be_hidden()
    page.get_by_role("radio", name="Tổ chức, doanh nghiệp").check()
    expect(page.get_by_label("Mã số thuế")).to_be_visible()
    expect(page.get_by_label("Số căn cước công dân")).to_be_hidden()
    page.get_by_role("radio", name="Công dân").check()

    page.get_by_label("Họ và tên").fill("Nguyễn Thị Ánh")
    page.get_by_label("Số căn cước công dân").fill("12345")  # too short: refused first
    page.get_by_label("Ngày sinh").fill("1990-03-04")
    page.get_by_label("Địa chỉ liên hệ").fill("Số 5 Trần Phú, xã Đồng Tâm")
    page.get_by_label("Thư điện tử hoặc số điện thoại di động").fill("anh.nguyen@example.vn")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng ký").click()
    cccd = page.get_by_label("Số căn cước công dân")
    assert cccd.get_attribute("aria-invalid") == "true"
    assert "phải gồm đúng 12 chữ số" in page.locator("#" + cccd.get_attribute("aria-describedby").split()[-1]).inner_text()
    assert page.get_by_label("Họ và tên").input_value() == "Nguyễn Thị Ánh"  # kept, not retyped
    shot(page, "register-refused")
    a11y.assert_accessible(page, "applicants-register-refused")
    assert not smtp.messages

    cccd.fill("038190012345")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url("**/tai-khoan/xac-thuc/")
    assert "Đã gửi mã xác thực gồm 6 chữ số tới an***@example.vn" in page.get_by_role("status").inner_text()
    shot(page, "verify")
    a11y.assert_accessible(page, "applicants-verify")

    page.get_by_label("Mã xác thực").fill(smtp.code_for("anh.nguyen@example.vn"))
    page.get_by_role("button", name="Xác thực").click()
    page.wait_for_load_state()
    assert Applicant.objects.get().user.is_active

    page.goto(f"{live_server.url}/tai-khoan/ho-so-ca-nhan/")
    assert "038190012345" in page.locator("main").inner_text()
    shot(page, "profile")
    a11y.assert_accessible(page, "applicants-profile")

    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/tai-khoan/dang-nhap/")
    a11y.assert_accessible(page, "applicants-login")
    page.get_by_label("Thư điện tử hoặc số điện thoại").fill("anh.nguyen@example.vn")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_label("Mật khẩu").press("Enter")
    assert page.get_by_role("alert").inner_text().startswith("Thư điện tử/số điện thoại hoặc mật khẩu không đúng.")
    shot(page, "login-refused")
    a11y.assert_accessible(page, "applicants-login-refused")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/tai-khoan/ho-so-ca-nhan/")
    expect(page.get_by_role("heading", name="Thông tin tài khoản")).to_be_visible()
    shot(page, "signed-in")


def test_password_reset_pages_on_a_phone(live_server, phone):
    page = phone
    page.goto(f"{live_server.url}/tai-khoan/quen-mat-khau/")
    a11y.assert_accessible(page, "applicants-password-reset")
    page.get_by_label("Thư điện tử hoặc số điện thoại").fill("khong.co@example.vn")
    page.get_by_role("button", name="Gửi mã").click()
    page.wait_for_url("**/quen-mat-khau/?buoc=ma")
    assert "Nếu địa chỉ này có tài khoản" in page.get_by_role("status").inner_text()
    shot(page, "password-reset-code")
    a11y.assert_accessible(page, "applicants-password-reset-code")
