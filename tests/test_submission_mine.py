"""My dossiers: the list, one dossier's page (status, clock and its explanation, messages, results),
answering a supplement request through the dossier's own commands, downloads for the owner only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

import factories
from motcua.accounts.models import ApplicantKind
from motcua.accounts.services import ApplicantData, register_applicant
from motcua.dossiers import services as s
from motcua.dossiers.files import Upload
from motcua.dossiers.models import Dossier, DossierDocument, LedgerEvent, State
from motcua.submission import mine as mine_views
from motcua.submission.models import Draft

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def w(client):
    world = factories.dossier_world(supplement_rule="pause")
    client.force_login(world.citizen)
    return world


def lodge(w, key=None, at=None) -> Dossier:
    return s.submit_online(w.applicant, w.variant, actor=w.citizen, idempotency_key=key, at=at, documents=[
        Upload("Đơn đề nghị", required_id=w.variant.documents.get(order=1).pk, file_name="don.pdf", content=PDF)],
        contact_email="hoa@example.vn", contact_phone="0912000111")


def ago(minutes: int):
    return timezone.now() - dt.timedelta(minutes=minutes)


def processing(w) -> Dossier:
    """Received, forwarded and claimed a few minutes ago (the calendar refuses a pause shorter than
    a second, so the supplement request below is made a minute before the applicant answers)."""
    d = s.accept(lodge(w, at=ago(10)), w.receptionist, at=ago(9))
    d = s.forward(d, w.receptionist, at=ago(8))
    return s.claim(d, w.specialist, at=ago(7))


def detail(d) -> str:
    return reverse("submission:detail", kwargs={"code": d.code or str(d.reference)})


def outsider(client):
    other = register_applicant(ApplicantData(ApplicantKind.CITIZEN, "Trần Văn Khác", cccd="038190099999"))
    user = factories.create_staff("khac", "Trần Văn Khác", factories.PASSWORD, [], check_password=False)
    user.is_staff = False
    user.save()
    other.user = user
    other.save()
    client.force_login(user)


def test_my_dossiers_lists_drafts_and_dossiers_newest_first_paged(client, w, monkeypatch):
    monkeypatch.setattr(mine_views, "PAGE_SIZE", 2)
    Draft.objects.create(applicant=w.applicant, variant=w.variant)
    made = [lodge(w, key=f"khoa-{n:04d}") for n in range(3)]
    s.accept(made[0], w.receptionist)
    page = client.get(reverse("submission:mine")).content.decode()
    assert "Bản nháp chưa nộp" in page and reverse("submission:draft", kwargs={"uuid": Draft.objects.get().uuid}) in page
    assert page.count('class="card"') == 3  # the draft and two dossiers on page 1
    assert detail(made[2]) in page and detail(made[1]) in page and "Mới đăng ký, chờ tiếp nhận" in page
    assert "Trang 1/2" in page
    second = client.get(reverse("submission:mine") + "?trang=2").content.decode()
    made[0].refresh_from_db()
    assert made[0].code in second and "Đã tiếp nhận, chờ chuyển xử lý" in second
    outsider(client)
    assert "Chưa cấp mã số hồ sơ" not in client.get(reverse("submission:mine")).content.decode()


def test_a_submitted_dossier_before_reception(client, w):
    d = lodge(w)
    page = client.get(detail(d)).content.decode()
    assert "Mới đăng ký, chờ tiếp nhận" in page and "(Mới đăng ký)" in page
    assert "Chưa cấp" in page and str(d.reference) in page
    assert "Thời hạn giải quyết bắt đầu tính khi hồ sơ được tiếp nhận." in page


def test_a_received_dossier_shows_its_due_instant_step_explanation_and_messages(client, w):
    d = processing(w)
    page = client.get(detail(d)).content.decode()
    assert d.code in page and "Đang xử lý" in page and "(Đang xử lý)" in page
    assert "Hẹn trả kết quả" in page and "trong hạn" in page.lower()
    assert "Đang ở bước: <strong>Thẩm định hồ sơ</strong> (Sở Tư pháp)" in page and "dự kiến hoàn thành" in page
    assert "Vì sao hạn trả kết quả là ngày này?" in page and "Tiếp nhận hồ sơ lúc" in page
    assert "Thông báo đã gửi cho bạn" in page and "hoa@example.vn" in page  # the reception notice
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (PDF)" in page
    assert "50.000 đồng" in page and "còn phải nộp" in page
    try:
        pay = reverse("payments:start", kwargs={"code": d.code})
    except NoReverseMatch:
        pay = None
    if pay:
        assert pay in page


def test_another_applicants_dossier_is_not_found(client, w):
    d = processing(w)
    doc = d.documents.first()
    outsider(client)
    assert client.get(detail(d)).status_code == 404
    assert client.get(reverse("submission:detail", kwargs={"code": str(d.reference)})).status_code == 404
    assert client.get(reverse("submission:document", kwargs={"code": d.code, "doc_id": doc.pk})).status_code == 404
    assert client.get(reverse("submission:form", kwargs={"code": d.code, "form": "receipt"})).status_code == 404
    assert client.post(detail(d), {"version": d.version}).status_code == 404
    client.logout()
    assert client.get(detail(d)).status_code == 302


def test_answering_a_supplement_request_resumes_the_clock(client, w):
    d = processing(w)
    d = s.request_supplement(d, w.specialist, items=["Bản sao giấy tờ tùy thân", "Sơ đồ vị trí"],
                             reason="Thiếu giấy tờ", at=ago(1))
    page = client.get(detail(d)).content.decode()
    assert "Chờ bổ sung hồ sơ" in page and "Thiếu giấy tờ" in page
    assert "Bản sao giấy tờ tùy thân" in page and "Sơ đồ vị trí" in page and 'name="item-1"' in page
    assert "Thời hạn đang tạm dừng" in page
    # one item without a file: refused, nothing recorded
    response = client.post(detail(d), {"version": d.version, "item-0": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 422 and "còn thiếu: Sơ đồ vị trí" in response.content.decode()
    # a file that is not a PDF/JPEG/PNG: refused, no document, no file
    response = client.post(detail(d), {"version": d.version, "item-0": SimpleUploadedFile("a.pdf", PDF),
                                       "item-1": SimpleUploadedFile("b.pdf", b"GIF89a...")})
    assert response.status_code == 422 and "không phải PDF, JPEG hoặc PNG" in response.content.decode()
    assert DossierDocument.objects.filter(dossier=d, stage="supplement").count() == 0
    # a page older than the dossier: a conflict, nothing recorded
    response = client.post(detail(d), {"version": d.version - 1, "item-0": SimpleUploadedFile("a.pdf", PDF),
                                       "item-1": SimpleUploadedFile("b.pdf", PDF)})
    assert response.status_code == 409 and "tải lại trang" in response.content.decode()
    d.refresh_from_db()
    assert d.state == State.AWAITING_SUPPLEMENT
    # all of it: the applicant's own command, the clock resumes
    response = client.post(detail(d), {"version": d.version, "item-0": SimpleUploadedFile("a.pdf", PDF),
                                       "item-1": [SimpleUploadedFile("b1.pdf", PDF), SimpleUploadedFile("b2.pdf", PDF)]})
    assert response.status_code == 302, response.content.decode().split('id="supplement-error">')[-1][:300]
    d.refresh_from_db()
    assert d.state == State.PROCESSING
    event = LedgerEvent.objects.filter(dossier=d).order_by("-seq").first()
    assert event.type == "supplement_recorded" and event.actor_id_value == w.citizen.pk
    added = list(DossierDocument.objects.filter(dossier=d, stage="supplement").order_by("pk"))
    assert [a.name for a in added] == ["Bản sao giấy tờ tùy thân", "Sơ đồ vị trí", "Sơ đồ vị trí"]
    assert added[0].required_id == w.variant.documents.get(order=2).pk and added[1].required_id is None
    page = client.get(response["Location"]).content.decode()
    assert "Thời hạn giải quyết tiếp tục được tính" in page and "Đang xử lý" in page


def test_answering_an_intake_supplement_sends_the_dossier_back_to_the_desk(client, w):
    d = s.request_intake_supplement(lodge(w, at=ago(2)), w.receptionist, items=["Bản sao giấy tờ tùy thân"],
                                    reason="Thiếu", at=ago(1))
    response = client.post(detail(d), {"version": d.version, "item-0": SimpleUploadedFile("c.png", b"\x89PNG\r\n\x1a\n0")})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.state == State.SUBMITTED
    assert "Bộ phận một cửa sẽ xem xét" in client.get(response["Location"]).content.decode()
    # nothing more to answer
    response = client.post(detail(d), {"version": d.version})
    assert response.status_code == 422 and "không có yêu cầu bổ sung" in response.content.decode()


def test_the_result_downloads_for_its_owner_only_and_unaltered(client, w):
    d = processing(w)
    d = s.forward(d, w.specialist)
    d = s.approve(d, w.leader)
    d = s.issue_result(d, w.clerk, number="12/GP", file=Upload("Giấy phép", file_name="giay-phep.pdf", content=PDF))
    result = d.documents.get(stage="result")
    page = client.get(detail(d)).content.decode()
    url = reverse("submission:document", kwargs={"code": d.code, "doc_id": result.pk})
    assert "Đã có kết quả, chờ trả" in page and url in page
    response = client.get(url)
    assert response.status_code == 200 and response.content == PDF and "attachment" in response["Content-Disposition"]
    try:
        rate = reverse("feedback:rate", kwargs={"code": d.code})
    except NoReverseMatch:
        rate = None
    if rate:
        assert rate in page
    Path(result.file.path).write_bytes(PDF + b"changed")
    response = client.get(url)
    assert response.status_code == 409 and "SHA-256" in response.content.decode()


def test_the_receipt_form_downloads_once_received(client, w):
    d = lodge(w)
    assert client.get(reverse("submission:form", kwargs={"code": str(d.reference), "form": "receipt"})).status_code == 404
    d = s.accept(d, w.receptionist)
    response = client.get(reverse("submission:form", kwargs={"code": d.code, "form": "receipt"}))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client.get(reverse("submission:form", kwargs={"code": d.code, "form": "control_sheet"})).status_code == 404
