"""The return desk: find by code or scanned QR, hand back result and originals, record delivery by post."""

from __future__ import annotations

import pytest

import factories
from motcua.dossiers import services as s
from motcua.dossiers.models import Dossier, LedgerEvent, State
from motcua.workspace.returns import code_from_scan
from test_dossiers import at, received

pytestmark = pytest.mark.django_db

RETURNS = "/can-bo/tra-ket-qua/"


@pytest.fixture
def w():
    return factories.dossier_world()


def ready(w, day: int = 15) -> Dossier:
    d = s.forward(received(w, when=at(day, 9)), w.receptionist, at=at(day, 10))
    d = s.approve(s.forward(s.claim(d, w.specialist, at=at(day, 10, 5)), w.specialist, at=at(day, 11)), w.leader,
                  at=at(day, 12))
    return s.issue_result(d, w.clerk, number=f"{day}/GP", at=at(day, 14))


def test_the_scanned_qr_gives_the_code():
    code = "000.00.01.H56-250915-0001"
    assert code_from_scan(f"https://motcua.example.vn/tra-cuu/?ma={code}") == code
    assert code_from_scan(f"  {code} ") == code
    assert code_from_scan("http://x/tra-cuu/?ref=3f2a8c1e-0000-4000-8000-000000000001") == \
        "3f2a8c1e-0000-4000-8000-000000000001"


def test_find_by_code_or_qr_and_hand_back_at_the_desk(client, w):
    d = ready(w)
    client.force_login(w.receptionist)
    listing = client.get(RETURNS).content.decode()
    assert d.code in listing and "Chờ trả kết quả" in listing
    page = client.get(RETURNS, {"ma": s.lookup_url(d)}).content.decode()
    assert f"Hồ sơ {d.code}" in page and "Xác nhận đã trả kết quả" in page and "Đơn đề nghị" in page
    response = client.post(f"/can-bo/ho-so/{d.code}/thao-tac/return_result/",
                           {"version": d.version, "method": "desk", "originals_returned": "on", "next": RETURNS})
    assert response.status_code == 302 and response["Location"] == RETURNS
    d.refresh_from_db()
    assert d.state == State.RETURNED and d.originals_returned and d.return_method == "desk"
    after = client.get(RETURNS).content.decode()
    assert "Đã trả kết quả." in after and d.code not in after


def test_delivery_by_post_needs_the_postal_item_number(client, w):
    d = ready(w)
    client.force_login(w.receptionist)
    url = f"/can-bo/ho-so/{d.code}/thao-tac/return_result/"
    refused = client.post(url, {"version": d.version, "method": "post", "next": RETURNS}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "Nhập số hiệu bưu gửi" in refused.content.decode()
    assert Dossier.objects.get(pk=d.pk).state == State.RESULT_READY
    done = client.post(url, {"version": d.version, "method": "post", "postal_item": "EB987654321VN", "next": RETURNS},
                       HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Redirect"] == RETURNS
    assert LedgerEvent.objects.get(dossier=d, type="result_returned").reason == "Số hiệu bưu gửi: EB987654321VN"
    other = ready(w, 16)
    evil = client.post(f"/can-bo/ho-so/{other.code}/thao-tac/return_result/",
                       {"version": other.version, "method": "desk", "next": "https://evil.example/can-bo/"})
    assert evil["Location"] == f"/can-bo/ho-so/{other.code}/"  # only the workspace's own pages


def test_not_ready_unknown_and_other_units_dossiers_are_said_plainly(client, w):
    processing = s.forward(received(w), w.receptionist, at=at(15, 10))
    client.force_login(w.receptionist)
    page = client.get(RETURNS, {"ma": processing.code}).content.decode()
    assert "Hồ sơ đang xử lý; không thể thực hiện thao tác này." in page and "Xác nhận đã trả kết quả" not in page
    assert "“abc” không phải mã hồ sơ." in client.get(RETURNS, {"ma": "abc"}).content.decode()
    assert "Không tìm thấy hồ sơ 000.00.99.H99-250101-0001" in \
        client.get(RETURNS, {"ma": "000.00.99.H99-250101-0001"}).content.decode()
    other = factories.staff(w.tree["commune_b"], "receptionist")
    client.force_login(other)
    assert "Không tìm thấy hồ sơ" in client.get(RETURNS, {"ma": processing.code}).content.decode()
    client.force_login(w.specialist)
    assert client.get(RETURNS).status_code == 403
