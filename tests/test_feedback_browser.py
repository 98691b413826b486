"""In Chromium at a phone's size (390×844): the applicant rates a finished dossier, sends feedback about
it, an officer answers, and the applicant reads the answer; the pages pass axe; screenshots are kept."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

import a11y
import factories
from motcua.feedback.models import Evaluation, Feedback, FeedbackState
from motcua.notify.models import OutboxMessage
from test_dossiers import at, received

PHONE = {"width": 390, "height": 844}


def _shot(page, name: str) -> None:
    a11y.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(a11y.ARTIFACTS / f"feedback-{name}.png"), full_page=True)


def _signed_in(browser, live_server, user):
    """A phone browser carrying a session of ``user`` (the applicants' own login is tested in their part)."""
    from motcua.applicants.models import Account

    Account.objects.get_or_create(user=user, defaults={"email": "hoa@example.vn", "verified_at": timezone.now()})
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rate_send_feedback_staff_answers_citizen_reads(browser, live_server):
    from motcua.dossiers import services as s

    w = factories.dossier_world()
    d = s.forward(received(w, when=at(15, 9)), w.receptionist, at=at(15, 10))
    d = s.approve(s.forward(s.claim(d, w.specialist, at=at(15, 10, 5)), w.specialist, at=at(15, 11)), w.leader,
                  at=at(15, 12))
    d = s.issue_result(d, w.clerk, number="15/GP", at=at(15, 14))

    citizen = _signed_in(browser, live_server, w.citizen)
    page = citizen.new_page()
    page.goto(f"{live_server.url}/y-kien/danh-gia/{d.code}/")
    expect(page.get_by_role("heading", name="Đánh giá việc giải quyết hồ sơ")).to_be_visible()
    page.get_by_role("button", name="Gửi đánh giá").click()  # nothing chosen: every problem is named
    summary = page.locator("#error-summary")
    assert "Chưa chọn mức đánh giá cho chỉ số 1." in summary.inner_text()
    assert page.locator("fieldset.invalid").count() == 5
    a11y.assert_accessible(page, "feedback-rate-errors")
    _shot(page, "rate-errors")
    for field, points in (("i1", "2"), ("i3", "2"), ("i4", "1"), ("i7", "2")):
        page.locator(f"input[name={field}][value='{points}']").check()
    page.locator("input[name=i2][value='']").check()
    page.get_by_label("Hài lòng", exact=True).check()
    page.get_by_label("Góp ý thêm (không bắt buộc)").fill("Cán bộ hướng dẫn rõ ràng.")
    page.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.get_by_text("Cảm ơn Ông/Bà đã đánh giá")).to_be_visible()
    expect(page.get_by_role("heading", name="Đánh giá của Ông/Bà")).to_be_visible()
    e = Evaluation.objects.get(dossier=d)
    assert (e.i1, e.i2, e.i3, e.i4, e.i7, e.satisfaction) == (2, None, 2, 1, 2, 4)
    a11y.assert_accessible(page, "feedback-rated")
    _shot(page, "rated")

    page.get_by_role("link", name="Gửi phản ánh, kiến nghị về hồ sơ này").click()
    assert page.get_by_label("Mã hồ sơ (nếu phản ánh về hồ sơ)").input_value() == d.code
    page.get_by_label("Hành vi, thái độ của cán bộ, công chức").check()
    page.get_by_label("Tiêu đề").fill("Hẹn trả nhưng phải chờ lâu")
    page.get_by_label("Nội dung", exact=True).fill("Đến nhận kết quả đúng hẹn nhưng phải chờ hơn một giờ.")
    a11y.assert_accessible(page, "feedback-form")
    _shot(page, "form")
    page.get_by_role("button", name="Gửi phản ánh").click()
    page.wait_for_url(re.compile(r"/y-kien/phan-anh/[A-Za-z0-9_-]{20,}/$"))
    status_url = page.url
    f = Feedback.objects.get()
    assert f.unit == d.resolving_unit and f.state == FeedbackState.OPEN
    expect(page.get_by_text(f"Đã gửi phản ánh, kiến nghị số {f.number}")).to_be_visible()
    expect(page.get_by_text("Đang xem xét, xử lý").first).to_be_visible()
    a11y.assert_accessible(page, "feedback-status-open")
    _shot(page, "status-open")

    staff = browser.new_context(viewport=PHONE, locale="vi-VN")
    officer = staff.new_page()
    officer.goto(f"{live_server.url}/can-bo/dang-nhap/?next=/y-kien/can-bo/")
    officer.locator("input[name=username]").fill(w.specialist.username)
    officer.locator("input[name=password]").fill(factories.PASSWORD)
    officer.locator("form button[type=submit]").first.click()
    officer.wait_for_url(re.compile(r"/y-kien/can-bo/$"))
    officer.get_by_role("link", name=f.number).click()
    officer.get_by_label("Nội dung trả lời (gửi đến người phản ánh)").fill(
        "Đơn vị xin lỗi Ông/Bà; từ tuần sau bố trí thêm một cán bộ trả kết quả giờ cao điểm.")
    officer.get_by_role("button", name="Gửi trả lời").click()
    expect(officer.get_by_text("Đã gửi trả lời đến người phản ánh.")).to_be_visible()
    _shot(officer, "staff-answered")
    staff.close()

    page.goto(status_url)
    answer = page.locator("#answer")
    assert "bố trí thêm một cán bộ" in answer.inner_text()
    expect(page.get_by_text("Đã trả lời", exact=True)).to_be_visible()
    a11y.assert_accessible(page, "feedback-status-answered")
    _shot(page, "status-answered")
    assert OutboxMessage.objects.filter(topic="feedback.answered", recipient="hoa@example.vn").exists()
    citizen.close()
