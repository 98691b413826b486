"""Staff workspace: login with lockout, idle timeout, the menu by role, the task inbox."""

from __future__ import annotations

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
