"""Staff workspace: login with lockout, idle timeout, the menu by role, the task inbox."""

from __future__ import annotations

import datetime as dt
import time

import pytest

import factories
from motcua.dossiers import services as s
from motcua.workspace.models import LoginAttempt
from test_dossiers import at, received

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return factories.dossier_world()


def login(client, username, password=factories.PASSWORD):
    return client.post("/can-bo/dang-nhap/", {"username": username, "password": password})


def test_login_goes_to_the_inbox_and_wrong_password_says_so(client, w):
    wrong = login(client, w.specialist.username, "sai-mat-khau")
    assert wrong.status_code == 400 and "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.content.decode()
    ok = login(client, w.specialist.username)
    assert ok.status_code == 302 and ok["Location"] == "/can-bo/"
    page = client.get("/can-bo/").content.decode()
    assert "Hộp việc" in page and "Quản trị" not in page  # the menu shows only what the role allows


def test_lockout_after_repeated_failures_refuses_even_the_right_password(client, w, settings):
    settings.MOTCUA_LOGIN_MAX_FAILURES = 3
    bodies = [login(client, w.leader.username, f"sai-{attempt}").content.decode() for attempt in range(3)]
    assert "Còn 2 lần thử" in bodies[0] and "Còn 1 lần thử" in bodies[1]
    locked = login(client, w.leader.username)
    assert locked.status_code == 400 and "Tài khoản tạm khóa do đăng nhập sai nhiều lần" in locked.content.decode()
    assert LoginAttempt.objects.filter(username=w.leader.username, success=False).count() == 3
    assert client.get("/can-bo/").status_code == 302  # still signed out
    # another officer is not affected
    assert login(client, w.clerk.username).status_code == 302


def test_admin_login_is_the_same_page_with_the_same_lockout(client, w):
    response = client.get("/admin/login/?next=/admin/dossiers/dossier/")
    assert response.status_code == 302
    assert response["Location"] == "/can-bo/dang-nhap/?next=%2Fadmin%2Fdossiers%2Fdossier%2F"
    done = client.post("/can-bo/dang-nhap/", {"username": w.leader.username, "password": factories.PASSWORD,
                                             "next": "/admin/"})
    assert done["Location"] == "/admin/"
    evil = client.post("/can-bo/dang-nhap/", {"username": w.leader.username, "password": factories.PASSWORD,
                                             "next": "https://evil.example/"})
    assert evil["Location"] == "/can-bo/"


def test_idle_session_ends(client, w, settings):
    login(client, w.specialist.username)
    assert client.get("/can-bo/").status_code == 200
    session = client.session
    session["last_seen"] = int(time.time()) - settings.MOTCUA_IDLE_MINUTES * 60 - 5
    session.save()
    assert client.get("/can-bo/").status_code == 302


def test_inbox_lists_my_tasks_and_my_units_unclaimed_ones(client, w):
    first = s.forward(received(w), w.receptionist, at=at(15, 10))
    second = s.forward(received(w, when=at(16, 9)), w.receptionist, at=at(16, 10))
    s.claim(first, w.specialist, at=at(16, 11))
    client.force_login(w.specialist)
    mine = client.get("/can-bo/?tab=mine").content.decode()
    assert first.code in mine and second.code not in mine
    unit = client.get("/can-bo/?tab=unit").content.decode()
    assert second.code in unit and first.code not in unit
    client.force_login(w.outsider)
    other = client.get("/can-bo/?tab=unit").content.decode()
    assert first.code not in other and second.code not in other and "Không có việc nào." in other


def test_inbox_pages_by_key(client, w):
    codes = [s.forward(received(w, when=at(15, 9, i)), w.receptionist, at=at(15, 10, i)).code for i in range(30)]
    client.force_login(w.specialist)
    first = client.get("/can-bo/?tab=unit")
    page = first.content.decode()
    shown = [c for c in codes if c in page]
    assert len(shown) == 25 and "Trang sau" in page
    key = first.context["next_key"]
    rest = client.get("/can-bo/", {"tab": "unit", "sau": key}).content.decode()
    assert {c for c in codes if c in rest} == set(codes) - set(shown)


def test_staff_without_a_processing_role_gets_a_clear_page(client, w):
    admin = factories.staff(w.tree["justice"], "unit_admin")
    client.force_login(admin)
    response = client.get("/can-bo/")
    assert response.status_code == 403 and "chưa có vai trò xử lý hồ sơ" in response.content.decode()


def test_inbox_filters_by_procedure_without_accents_channel_dates_and_overdue_with_counts(client, w):
    birth = factories.full_procedure(w.tree["justice"], name="Đăng ký khai sinh")
    online = s.forward(received(w), w.receptionist, at=at(15, 10))
    paper = s.register_at_desk(w.receptionist, w.desk, w.applicant, birth, at=at(17, 9))
    paper = s.forward(s.accept(paper, w.receptionist, at=at(17, 9, 10)), w.receptionist, at=at(17, 10))
    client.force_login(w.specialist)

    def codes(**query):
        response = client.get("/can-bo/", {"tab": "unit", **query})
        html = response.content.decode()
        return {c for c in (online.code, paper.code) if c in html}, response.context["counts"]["unit"], html

    assert codes()[:2] == ({online.code, paper.code}, 2)
    assert codes(thu_tuc="dang ky khai sinh")[:2] == ({paper.code}, 1)
    assert codes(thu_tuc=birth.version.procedure.code)[:2] == ({paper.code}, 1)
    assert codes(kenh="online")[:2] == ({online.code}, 1)
    assert codes(kenh="in_person")[:2] == ({paper.code}, 1)
    assert codes(tu_ngay="2025-09-16")[:2] == ({paper.code}, 1)
    assert codes(den_ngay="15/09/2025")[:2] == ({online.code}, 1)
    assert codes(tu_ngay="2025-09-16", den_ngay="2025-09-16")[:2] == (set(), 0)
    assert codes(trang_thai="processing")[:2] == ({online.code, paper.code}, 2)
    assert codes(qua_han="1")[:2] == ({online.code, paper.code}, 2)  # September 2025 is long past
    shown, count, html = codes(tu_ngay="32/13/2025")
    assert shown == {online.code, paper.code} and "Từ ngày: “32/13/2025” không phải ngày hợp lệ" in html
    _, _, html = codes(tu_ngay="2025-09-20", den_ngay="2025-09-10")
    assert "Từ ngày phải trước hoặc bằng đến ngày." in html
    # the tabs keep the filters; an HTMX filter change gets only the results
    _, _, html = codes(kenh="online")
    assert 'href="?tab=mine&amp;kenh=online"' in html
    partial = client.get("/can-bo/", {"tab": "unit", "kenh": "online", "partial": "1"}, HTTP_HX_REQUEST="true")
    assert online.code in partial.content.decode() and "<form" not in partial.content.decode()


def test_inbox_rows_link_to_the_dossier_and_say_the_remaining_working_time(client, w):
    from django.utils import timezone

    now = timezone.now()
    d = s.forward(received(w, when=now - dt.timedelta(minutes=40)), w.receptionist, at=now - dt.timedelta(minutes=5))
    client.force_login(w.specialist)
    html = client.get("/can-bo/?tab=unit").content.decode()
    assert f'href="/can-bo/ho-so/{d.code}/"' in html
    assert "còn " in html and " làm việc" in html
