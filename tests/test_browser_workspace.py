"""The staff workspace in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import pytest

import factories
from motcua.dossiers import services as s
from test_dossiers import at, received

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_login_by_keyboard_then_the_inbox_shows_the_task(live_server, page):
    w = factories.dossier_world()
    d = s.forward(received(w), w.receptionist, at=at(15, 10))
    page.goto(f"{live_server.url}/can-bo/")
    assert page.url.startswith(f"{live_server.url}/can-bo/dang-nhap/")
    page.keyboard.type(w.specialist.username)  # the username field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type("sai-mat-khau")
    page.keyboard.press("Enter")
    assert page.get_by_role("alert").inner_text() == "Tên đăng nhập hoặc mật khẩu không đúng."
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Chưa ai nhận trong đơn vị").click()
    row = page.get_by_role("row").filter(has_text=d.code)
    assert "Thẩm định hồ sơ" in row.inner_text() and "trong hạn" not in page.title()
    menu = page.get_by_role("navigation", name="Chức năng").inner_text()
    assert menu.split() == ["Hộp", "việc", "Tra", "cứu", "hồ", "sơ", "Phản", "ánh,", "kiến", "nghị"]
