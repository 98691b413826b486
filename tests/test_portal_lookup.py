"""Lookup without login: right → the public status only; wrong → one neutral message after the same
work; too many attempts per client or per dossier code → 429 with Retry-After."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import factories
from motcua.dossiers import services as s
from motcua.portal import throttle
from motcua.portal.lookup_views import WRONG
from motcua.portal.models import ThrottleBucket
from test_dossiers import at, received

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier():
    """Received an hour ago (so within its deadline now), phone 0912000111, CCCD 038190012345."""
    w = factories.dossier_world()
    return w, received(w, when=timezone.now() - dt.timedelta(hours=1))


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def ask(client, code, secret, ip="203.0.113.7"):
    return client.post("/tra-cuu/", {"ma": code, "so": secret}, REMOTE_ADDR=ip)


def test_right_code_and_phone_digits_show_the_status_and_nothing_else(client, dossier):
    w, d = dossier
    response = ask(client, f"  {d.code.lower()} ", "0111")  # spaces and case do not matter
    assert response.status_code == 200
    text = text_of(response)
    for expected in (f"Hồ sơ {d.code}", "Trạng thái Được tiếp nhận", w.variant.version.procedure.name,
                     "Tiếp nhận lúc", "Hẹn trả kết quả", "Đang xử lý tại UBND tỉnh Mẫu", "Tiến độ Trong hạn"):
        assert expected in text, expected
    assert timezone.localtime(d.due_at).strftime("%H:%M ngày %d/%m/%Y") in text
    html = response.content.decode()
    for secret in ("Nguyễn Thị Hoà", "Lê Lợi", "038190012345", "0912000111", "hoa@example.vn", "Đơn đề nghị",
                   "don.pdf", "50.000", "0111\""):
        assert secret not in html, secret


def test_id_number_digits_work_too_and_an_overdue_dossier_says_so(client):
    w = factories.dossier_world()
    d = received(w, when=at(15, 9))  # September 2025: long past its five working days
    text = text_of(ask(client, d.code, "2345"))
    assert "Tiến độ Quá hạn" in text
    d = s.forward(d, w.receptionist, at=at(15, 10))
    assert "Trạng thái Đang xử lý" in text_of(ask(client, d.code, "2345"))
    assert "Đang xử lý tại Sở Tư pháp" in text_of(ask(client, d.code, "0111"))


def test_wrong_code_or_wrong_digits_get_the_same_message_after_the_same_work(client, dossier):
    _, d = dossier
    with CaptureQueriesContext(connection) as wrong_digits:
        by_digits = ask(client, d.code, "9999")
    other = d.code[:-4] + ("0002" if not d.code.endswith("0002") else "0003")
    with CaptureQueriesContext(connection) as wrong_code:
        by_code = ask(client, other, "0111")
    assert by_digits.status_code == by_code.status_code == 404
    for response in (by_digits, by_code):
        alert = re.search(r'role="alert"[^>]*>([^<]+)<', response.content.decode()).group(1)
        assert alert == WRONG
        assert "Trạng thái" not in text_of(response)
    # the same queries once the rate limiter's own bookkeeping (a new counter row or not) is set aside
    assert lookup_queries(wrong_digits) == lookup_queries(wrong_code)


def lookup_queries(captured) -> list[str]:
    return [re.sub(r"'[^']*'|%s|\d+", "?", q["sql"]) for q in captured.captured_queries
            if "throttlebucket" not in q["sql"] and not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def test_incomplete_form_says_which_field_and_counts_nothing(client, dossier):
    response = ask(client, "", "12a")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="ma-error">Nhập mã hồ sơ in trên giấy tiếp nhận.' in html
    assert 'id="so-error">Nhập đúng 4 chữ số cuối' in html
    assert 'aria-describedby="ma-hint ma-error"' in html and 'aria-describedby="so-hint so-error"' in html
    assert ThrottleBucket.objects.count() == 0


def test_the_receipt_qr_prefills_the_code(client):
    html = client.get("/tra-cuu/", {"ma": "000.00.12.h56-250915-0001"}).content.decode()
    assert 'value="000.00.12.H56-250915-0001"' in html and 'id="so"' in html


def test_too_many_attempts_on_one_code_get_429_even_with_the_right_digits(client, dossier, settings):
    settings.MOTCUA_LOOKUP_PER_CODE = 3
    _, d = dossier
    for i in range(3):
        assert ask(client, d.code, f"900{i}", ip=f"198.51.100.{i}").status_code == 404
    blocked = ask(client, d.code, "0111", ip="198.51.100.9")
    assert blocked.status_code == 429
    assert 0 < int(blocked["Retry-After"]) <= settings.MOTCUA_LOOKUP_WINDOW
    assert "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau" in text_of(blocked)
    assert "Trạng thái" not in text_of(blocked)


def test_too_many_attempts_from_one_client_get_429(client, dossier, settings):
    settings.MOTCUA_LOOKUP_PER_IP = 2
    _, d = dossier
    assert ask(client, "A-250101-0001", "1234").status_code == 404
    assert ask(client, "A-250101-0002", "1234").status_code == 404
    assert ask(client, d.code, "0111").status_code == 429
    assert ask(client, d.code, "0111", ip="192.0.2.44").status_code == 200  # another client is not blocked


def test_the_window_ends_and_old_counters_are_dropped(settings):
    now = dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.timezone.utc)
    limit = [throttle.Limit(throttle.digest("ip", "x"), 1)]
    throttle.hit(limit, now, 900)
    with pytest.raises(throttle.Throttled) as caught:
        throttle.hit(limit, now + dt.timedelta(seconds=50), 900)
    assert caught.value.retry_after == 900 - 60
    assert ThrottleBucket.objects.get().hits == 2  # the refused attempt is counted too
    throttle.hit(limit, now + dt.timedelta(seconds=900), 900)  # the next window
    throttle.hit([throttle.Limit(throttle.digest("ip", "y"), 5)], now + dt.timedelta(seconds=2700), 900)
    assert ThrottleBucket.objects.count() == 1  # windows before the previous one are gone
    assert "x" not in ThrottleBucket.objects.get().key and ThrottleBucket.objects.get().key.startswith("ip:")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections are tested on PostgreSQL")
def test_concurrent_attempts_are_all_counted():
    now = timezone.now()
    limit = [throttle.Limit(throttle.digest("code", "RACE"), 1000)]
    barrier = threading.Barrier(8)

    def attempt():
        try:
            barrier.wait()
            for _ in range(5):
                throttle.hit(limit, now, 900)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ThrottleBucket.objects.get().hits == 40


def test_the_link_sent_before_reception_shows_the_status_by_reference(client):
    from test_dossiers import lodge_online

    w = factories.dossier_world()
    d = lodge_online(w)
    response = client.get("/tra-cuu/", {"ref": str(d.reference)})
    assert response.status_code == 200
    text = text_of(response)
    assert "Hồ sơ chưa được tiếp nhận (chưa có mã)" in text and "Trạng thái Mới đăng ký" in text
    assert "Nguyễn Thị Hoà" not in response.content.decode()
    for wrong in ("not-a-uuid", "6f1c1f9e-4b9b-4c1e-9a65-0c1f1b1d1e1f"):
        refused = client.get("/tra-cuu/", {"ref": wrong})
        assert refused.status_code == 404 and WRONG in refused.content.decode()
