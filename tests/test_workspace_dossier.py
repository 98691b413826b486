"""The dossier page: sections, buttons for exactly the available commands, each command as a form
posted with the dossier version, conflicts, the apology dialog, files and forms, and 403 for
other units."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import factories
from motcua.calendar import Duration
from motcua.dossiers import services as s
from motcua.dossiers.files import Upload
from motcua.dossiers.models import Dossier, DossierDocument, Extension, LedgerEvent, State
from motcua.dossiers.progress import standing
from motcua.workspace.clock import Clock
from test_dossiers import PDF, PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return factories.dossier_world()


def recent(w, hours_ago: float = 2, *, forwarded: bool = True) -> Dossier:
    """A dossier lodged online and received ``hours_ago``, with a PDF and a PNG; at the specialist's step."""
    when = timezone.now() - dt.timedelta(hours=hours_ago)
    required = w.variant.documents.get(order=1).pk
    d = s.submit_online(w.applicant, w.variant, actor=w.citizen, at=when - dt.timedelta(minutes=10), documents=[
        Upload("Đơn đề nghị", required_id=required, file_name="don.pdf", content=PDF),
        Upload("Bản sao giấy tờ tùy thân", kind="copy", file_name="cccd.png", content=PNG)])
    d = s.accept(d, w.receptionist, at=when)
    return s.forward(d, w.receptionist, at=when + dt.timedelta(minutes=5)) if forwarded else d


def url(d: Dossier, suffix: str = "") -> str:
    return f"/can-bo/ho-so/{d.code or d.reference}/{suffix}"


def post(client, d: Dossier, name: str, data: dict | None = None, *, version: int | None = None, htmx=False, **extra):
    payload = {"version": d.version if version is None else version, **(data or {})}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(url(d, f"thao-tac/{name}/"), payload, **headers, **extra)


def buttons(html: str) -> set[str]:
    shown = set(re.findall(r'data-dialog="dlg-([a-z_]+(?:-\d+)?)"', html))
    if 'thao-tac/claim/' in html:
        shown.add("claim")
    return {b.replace("-", ":") for b in shown}


def test_the_page_has_every_section_and_buttons_for_exactly_the_available_commands(client, w):
    d = recent(w)
    for officer in (w.specialist, w.leader, w.receptionist, w.clerk):
        client.force_login(officer)
        response = client.get(url(d))
        assert response.status_code == 200
        html = response.content.decode()
        expected = {k for k, v in s.available_commands(d, officer).items() if v is None}
        assert buttons(html) == expected, officer.username
    html = client.get(url(d)).content.decode()
    for heading in ("Người nộp và hồ sơ", "Thành phần hồ sơ", "Phiếu kiểm soát quá trình giải quyết",
                    "Tiến trình (sổ cái)", "Vì sao hạn trả kết quả là"):
        assert heading in html
    assert "Tiếp nhận hồ sơ, cấp mã và hẹn ngày trả kết quả" in html  # the timeline reads the ledger
    assert "Hạn trả kết quả:" in html and "ngày làm việc" in html      # the calendar's explanation
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in html            # the forms it has reached
    assert '<iframe class="pdf"' in html and "<img src=" in html       # inline previews
    client.force_login(w.specialist)
    html = client.get(url(d)).content.decode()
    assert buttons(html) == {"claim", "forward", "request_supplement", "request_payment"}  # not yet holding it


def test_another_units_officer_and_the_applicant_get_403_anonymous_goes_to_login(client, w):
    d = recent(w)
    doc = d.documents.exclude(file="").first()
    targets = [url(d), url(d, f"tep/{doc.pk}/"), url(d, "bieu-mau/receipt/"), url(d, "hen-lai/?extension_value=1")]
    for user in (w.outsider, w.outsider_leader, w.citizen):
        client.force_login(user)
        for target in targets:
            response = client.get(target)
            assert response.status_code == 403, (user.username, target)
        refused = post(client, d, "claim")
        assert refused.status_code == 403 and "Không có quyền truy cập" in refused.content.decode()
    client.logout()
    assert client.get(url(d))["Location"].startswith("/can-bo/dang-nhap/?next=")
    assert Dossier.objects.get(pk=d.pk).version == d.version
    client.force_login(w.specialist)
    assert client.get("/can-bo/ho-so/000.00.99.H99-250101-0001/").status_code == 404
    assert client.get("/can-bo/ho-so/khong-phai-ma/").status_code == 404


def test_a_life_through_the_page_forms(client, w, settings):
    d = recent(w, hours_ago=1)
    client.force_login(w.specialist)
    response = post(client, d, "claim")
    assert response.status_code == 302 and response["Location"] == url(d)
    d.refresh_from_db()
    assert d.current_step.assignee == w.specialist
    assert "Đã nhận xử lý." in client.get(url(d)).content.decode()
    response = post(client, d, "forward", {"note": "Đủ điều kiện"}, htmx=True)
    assert response.status_code == 204 and response["HX-Redirect"] == url(d)
    d.refresh_from_db()
    assert d.current_step.role == "leader"

    client.force_login(w.leader)
    preview = client.get(url(d, "hen-lai/"), {"extension_value": "2", "extension_unit": "working_days"})
    proposed = s.calendar_of(d).due(d.due_at, Duration(2, "working_days"))
    assert Clock(timezone.now()).standing(d).status in {"within", "at_risk"}
    assert re.search(rf"Ngày hẹn mới đề xuất: <strong[^>]*>{proposed.astimezone(dt.timezone(dt.timedelta(hours=7))):%H:%M}",
                     preview.content.decode())
    response = post(client, d, "apologise", {"reason": "Chờ xác minh", "extension_value": "2",
                                             "extension_unit": "working_days"})
    assert response["Location"] == url(d) + "?in=apology"
    d.refresh_from_db()
    assert d.due_at == proposed and d.extension.new_due_at == proposed
    page = client.get(response["Location"]).content.decode()
    assert "Văn bản xin lỗi và hẹn lại ngày trả kết quả" in page and 'data-dialog="dlg-apologise"' not in page
    assert "không được hẹn lại lần thứ hai" in page  # said beside the buttons
    second = post(client, d, "apologise", {"reason": "Lần nữa", "extension_value": "1"})
    assert second.status_code == 422 and "không được hẹn lại lần thứ hai" in second.content.decode()
    assert post(client, d, "approve", {"note": "Đồng ý"}).status_code == 302

    client.force_login(w.clerk)
    d.refresh_from_db()
    result = SimpleUploadedFile("giay-phep.pdf", PDF, content_type="application/pdf")
    response = post(client, d, "issue_result", {"number": "15/GP-STP", "file": result})
    assert response.status_code == 302, response.content.decode()[:500]
    d.refresh_from_db()
    assert d.state == State.RESULT_READY and d.documents.filter(stage="result").exclude(file="").exists()

    client.force_login(w.receptionist)
    response = post(client, d, "return_result", {"method": "post", "postal_item": "EB123456789VN",
                                                 "originals_returned": "on"})
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.state == State.RETURNED and d.return_method == "post" and d.originals_returned
    assert LedgerEvent.objects.filter(dossier=d, type="result_returned").get().reason == \
        "Số hiệu bưu gửi: EB123456789VN"
    receipt = client.get(url(d, "bieu-mau/receipt/"))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    assert receipt.content.startswith(b"%PDF") and receipt["X-Frame-Options"] == "SAMEORIGIN"


def test_a_stale_version_is_a_conflict_with_a_reload_link_and_nothing_changes(client, w):
    d = recent(w)
    seen = d.version
    s.claim(d, w.specialist2)  # someone else acts first
    client.force_login(w.specialist)
    response = post(client, d, "claim", version=seen, htmx=True)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang và thao tác lại." in html
    assert f'href="{url(d)}"' in html and "Tải lại trang" in html
    plain = post(client, d, "forward", version=seen)
    assert plain.status_code == 409 and "Tải lại trang" in plain.content.decode()
    assert Dossier.objects.get(pk=d.pk).current_step.assignee == w.specialist2
    missing = client.post(url(d, "thao-tac/claim/"), {})
    assert missing.status_code == 409 and "Trang đã cũ" in missing.content.decode()


@pytest.mark.parametrize("name, data, message", [
    ("request_supplement", {"items": "", "reason": "Thiếu"}, "Liệt kê đầy đủ các giấy tờ cần bổ sung"),
    ("request_supplement", {"items": "Bản sao", "reason": " "}, "Phải nêu lý do cần bổ sung."),
    ("transfer", {"mode": "sequential"}, "Chọn ít nhất một cơ quan phối hợp."),
    ("transfer", {"mode": "sequential", "unit_1": "x"}, "Chọn cơ quan phối hợp."),
    ("consult", {"unit": "", "question": "?"}, "Chọn cơ quan phối hợp."),
    ("request_payment", {"reason": ""}, None),
])
def test_bad_input_on_a_command_form_says_why_in_vietnamese_and_saves_nothing(client, w, name, data, message):
    d = recent(w)
    s.claim(d, w.specialist)
    d.refresh_from_db()
    client.force_login(w.specialist)
    events = LedgerEvent.objects.filter(dossier=d).count()
    response = post(client, d, name, data, htmx=True)
    if message is None:  # a valid form: it runs
        assert response.status_code == 204
        return
    assert response.status_code == 422 and message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert LedgerEvent.objects.filter(dossier=d).count() == events
    assert Dossier.objects.get(pk=d.pk).version == d.version


def test_bad_input_on_the_leaders_clerks_and_desks_forms(client, w):
    d = recent(w)
    client.force_login(w.leader)
    cases = [
        (w.leader, "apologise", {"reason": "Chậm", "extension_value": "0"}, "Thời hạn phải lớn hơn 0"),
        (w.leader, "apologise", {"reason": "", "extension_value": "1"}, "Phải nêu lý do chậm trả kết quả."),
        (w.leader, "apologise", {"reason": "Chậm", "extension_value": "abc"}, "không phải là số"),
        (w.leader, "assign", {"assignee": ""}, "Chọn cán bộ được phân công."),
        (w.leader, "assign", {"assignee": w.clerk.username}, "không có vai trò chuyên viên xử lý"),
        (w.leader, "stop", {"reason": ""}, "Phải nêu lý do dừng giải quyết."),
        (w.receptionist, "withdraw", {"reason": ""}, "Phải nêu lý do rút hồ sơ."),
        (w.receptionist, "record_payment", {"amount": "mười nghìn", "method": "cash", "reference": "BL1"},
         "Số tiền phải là số nguyên."),
        (w.receptionist, "record_payment", {"amount": "60000", "method": "cash", "reference": "BL1"},
         "Số tiền vượt quá số còn phải nộp (50.000 đồng)."),
        (w.receptionist, "record_payment", {"amount": "10000", "method": "cash", "reference": ""},
         "Nhập số biên lai hoặc mã giao dịch."),
    ]
    for user, name, data, message in cases:
        client.force_login(user)
        response = post(client, d, name, data)
        assert response.status_code in (403, 409, 422), name
        assert message in response.content.decode(), (name, response.content.decode()[:300])
    assert Dossier.objects.get(pk=d.pk).version == d.version
    # the clerk: no number, or a file that is not a PDF/JPEG/PNG
    s.approve(s.forward(s.claim(d, w.specialist), w.specialist), w.leader)
    d.refresh_from_db()
    client.force_login(w.clerk)
    assert "Nhập số, ký hiệu của văn bản kết quả." in post(client, d, "issue_result", {"number": ""}).content.decode()
    fake = SimpleUploadedFile("kq.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = post(client, d, "issue_result", {"number": "1/GP", "file": fake})
    assert response.status_code == 422 and "không phải PDF, JPEG hoặc PNG" in response.content.decode()
    assert Dossier.objects.get(pk=d.pk).version == d.version
    assert not DossierDocument.objects.filter(dossier=d, stage="result").exists()


def test_apology_too_late_is_refused_and_said(client, w):
    d = recent(w, hours_ago=24 * 10)  # received ten days ago: the letter was due one working day before
    client.force_login(w.leader)
    html = client.get(url(d)).content.decode()
    assert 'data-dialog="dlg-apologise"' not in html and "Đã quá thời hạn xin lỗi, hẹn lại" in html
    response = post(client, d, "apologise", {"reason": "Chậm", "extension_value": "2"}, htmx=True)
    assert response.status_code == 422 and "Đã quá thời hạn xin lỗi, hẹn lại" in response.content.decode()
    assert not Extension.objects.filter(dossier=d).exists()
    assert Dossier.objects.get(pk=d.pk).version == d.version


def test_files_are_served_to_who_may_see_them_and_checked(client, w, settings):
    d = recent(w)
    client.force_login(w.specialist)
    pdf = d.documents.get(content_type="application/pdf")
    png = d.documents.get(content_type="image/png")
    response = client.get(url(d, f"tep/{pdf.pk}/"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf" and response.content == PDF
    assert response["X-Frame-Options"] == "SAMEORIGIN" and response["X-Content-Type-Options"] == "nosniff"
    assert client.get(url(d, f"tep/{png.pk}/"))["Content-Type"] == "image/png"
    with open(settings.MEDIA_ROOT / pdf.file.name, "wb") as handle:
        handle.write(PDF.replace(b"1.4", b"1.7"))
    tampered = client.get(url(d, f"tep/{pdf.pk}/"))
    assert tampered.status_code == 403 and "SHA-256" in tampered.content.decode()
    other = recent(w)
    assert client.get(url(d, f"tep/{other.documents.first().pk}/")).status_code == 404  # not this dossier's


def test_the_lists_clock_agrees_with_progress_standing(w, settings):
    settings.MOTCUA_AT_RISK_SHARE = 0.2
    dossiers = [recent(w, hours_ago=h) for h in (1, 30, 80, 200, 400)]
    done = s.return_result(s.issue_result(s.approve(s.forward(s.claim(recent(w, 3), w.specialist), w.specialist),
                                                    w.leader), w.clerk, number="9/GP"), w.receptionist, method="desk")
    for moment in (timezone.now(), timezone.now() + dt.timedelta(days=3), timezone.now() - dt.timedelta(hours=1)):
        clock = Clock(moment)
        for d in [*dossiers, done]:
            d = Dossier.objects.get(pk=d.pk)
            assert clock.standing(d) == standing(d, moment)
