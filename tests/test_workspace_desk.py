"""The reception desk: procedure search without accents, applicant lookup, the checklist against
what was brought, scans, fees, then accept / supplement / refuse — and nothing saved on bad input.
The online queue."""

from __future__ import annotations

import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

import factories
from motcua.accounts.models import Applicant, Role
from motcua.dossiers.models import Dossier, DossierDocument, Payment, State, SupplementRequest
from test_dossiers import PDF, PNG, at, lodge_online

pytestmark = pytest.mark.django_db

DESK = "/can-bo/tiep-nhan/"


@pytest.fixture
def w():
    w = factories.dossier_world()
    w.birth = factories.full_procedure(w.tree["justice"], name="Đăng ký khai sinh", fee=0)
    w.elsewhere = factories.full_procedure(w.tree["commune_a"], name="Đăng ký khai tử")  # not this desk's
    return w


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True).stdout.decode()


def form(w, variant=None, decision="accept", **extra) -> dict:
    variant = variant or w.variant
    docs = list(variant.documents.order_by("order"))
    data = {"desk": w.desk.pk, "variant_id": variant.pk, "decision": decision, "applicant_id": w.applicant.pk,
            "contact_phone": "0912000111", "delivery": "desk", "sets": "1", f"doc_{docs[0].pk}": "on",
            f"kind_{docs[0].pk}": "original", f"count_{docs[0].pk}": "1"}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def stored_files(settings) -> list:
    media = settings.MEDIA_ROOT
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_search_as_you_type_folds_accents_and_lists_only_what_the_desk_receives(client, w):
    client.force_login(w.receptionist)
    html = client.get(f"{DESK}thu-tuc/", {"q": "dang ky khai sinh", "desk": w.desk.pk}).content.decode()
    assert "Đăng ký khai sinh" in html and "Trường hợp chung" in html
    assert "Đăng ký khai tử" not in client.get(f"{DESK}thu-tuc/", {"q": "dang ky"}).content.decode()
    assert "Không tìm thấy thủ tục" in client.get(f"{DESK}thu-tuc/", {"q": "xyz khong co"}).content.decode()
    variant = client.get(f"{DESK}truong-hop/{w.variant.pk}/").content.decode()
    assert "Đơn đề nghị" in variant and "(bắt buộc)" in variant and "50.000 đ" in variant
    assert f'name="variant_id" value="{w.variant.pk}"' in variant and "5 ngày làm việc" in variant


def test_applicant_lookup_by_cccd_or_tax_code(client, w):
    client.force_login(w.receptionist)
    found = client.get(f"{DESK}nguoi-nop/", {"so": "038 190 012 345".replace(" ", "")}).content.decode()
    assert "Nguyễn Thị Hoà" in found and f'name="applicant_id" value="{w.applicant.pk}"' in found
    new = client.get(f"{DESK}nguoi-nop/", {"so": "0100109106"}).content.decode()
    assert "Chưa có người nộp với số “0100109106”" in new and 'value="0100109106"' in new


def test_accept_with_scans_and_the_fee_paid_at_the_counter(client, w, settings):
    client.force_login(w.receptionist)
    docs = list(w.variant.documents.order_by("order"))
    scans = [SimpleUploadedFile("don-trang-1.pdf", PDF, "application/pdf"),
             SimpleUploadedFile("don-trang-2.png", PNG, "image/png")]
    response = client.post(DESK, form(w, **{f"file_{docs[0].pk}": scans, "pay_now": "on", "pay_reference": "BL-0001"}))
    assert response.status_code == 302, response.content.decode()[:800]
    d = Dossier.objects.get()
    assert response["Location"] == f"/can-bo/ho-so/{d.code}/?in=receipt"
    assert d.state == State.RECEIVED and d.channel == "in_person" and d.due_at is not None
    files = DossierDocument.objects.filter(dossier=d).exclude(file="")
    assert sorted(files.values_list("name", flat=True)) == ["Đơn đề nghị", "Đơn đề nghị (tệp 2)"]
    assert Payment.objects.get(dossier=d).reference == "BL-0001" and d.fee_paid == d.fee_total == 50000
    page = client.get(response["Location"]).content.decode()
    assert "Đã tiếp nhận hồ sơ." in page and f"/can-bo/ho-so/{d.code}/bieu-mau/receipt/" in page
    receipt = pdf_text(client.get(f"/can-bo/ho-so/{d.code}/bieu-mau/receipt/").content)
    assert d.code in receipt and "Đơn đề nghị" in receipt


def test_a_new_applicant_is_registered_with_the_dossier(client, w):
    client.force_login(w.receptionist)
    data = form(w, applicant_id=None, full_name="Trần Văn Bình", cccd="001099000123", applicant_kind="citizen",
                address="Số 2 Trần Phú", phone="0987000111")
    response = client.post(DESK, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].endswith("?in=receipt")
    assert Dossier.objects.get().applicant.full_name == "Trần Văn Bình"


def test_supplement_lists_exactly_what_is_missing_on_form_02(client, w):
    client.force_login(w.receptionist)
    docs = list(w.variant.documents.order_by("order"))
    data = form(w, decision="supplement", reason="Đơn chưa có chữ ký", missing_other="Giấy ủy quyền có chứng thực")
    del data[f"doc_{docs[0].pk}"]  # the application form was not brought (mandatory); the optional copy neither
    response = client.post(DESK, data)
    d = Dossier.objects.get()
    assert response["Location"] == f"/can-bo/ho-so/{d.reference}/?in=supplement_request"
    assert d.state == State.INTAKE_SUPPLEMENT and d.code is None
    request = SupplementRequest.objects.get(dossier=d)
    assert [i["name"] for i in request.items] == ["Đơn đề nghị", "Giấy ủy quyền có chứng thực"]
    text = pdf_text(client.get(f"/can-bo/ho-so/{d.reference}/bieu-mau/supplement_request/").content)
    assert "Đơn đề nghị" in text and "Giấy ủy quyền có chứng thực" in text and "Bản sao giấy tờ" not in text


def test_refuse_prints_form_03_with_the_reasons(client, w):
    client.force_login(w.receptionist)
    response = client.post(DESK, form(w, decision="refuse", reason="Không thuộc thẩm quyền\nHồ sơ giả mạo"))
    d = Dossier.objects.get()
    assert response["Location"].endswith("?in=refusal") and d.state == State.INTAKE_REFUSED
    text = pdf_text(client.get(f"/can-bo/ho-so/{d.reference}/bieu-mau/refusal/").content)
    assert "Không thuộc thẩm quyền" in text and "Hồ sơ giả mạo" in text


@pytest.mark.parametrize("change, message", [
    ({"variant_id": ""}, "Chọn thủ tục và trường hợp."),
    ({"decision": ""}, "Chọn: tiếp nhận, yêu cầu bổ sung hoặc từ chối."),
    ({"applicant_id": None, "full_name": "Lê Văn C", "cccd": "12345", "applicant_kind": "citizen"},
     "Số căn cước công dân phải gồm đúng 12 chữ số."),
    ({"applicant_id": None, "full_name": "", "cccd": "001099000124", "applicant_kind": "citizen"},
     "Họ tên hoặc tên tổ chức không được để trống."),
    ({"applicant_id": None, "full_name": "Công ty A", "tax_code": "0100109107", "applicant_kind": "organisation"},
     "chữ số kiểm tra không đúng"),
    ({"contact_phone": "12ab"}, "Số điện thoại “12ab” không hợp lệ."),
    ({"contact_email": "khong-phai-email"}, "Địa chỉ thư điện tử “khong-phai-email” không hợp lệ."),
    ({"sets": "0"}, "Số bộ hồ sơ phải từ 1 đến 100."),
    ({"delivery": "post"}, "Nhập địa chỉ nhận kết quả qua bưu chính."),
    ({"decision": "supplement", "reason": "Thiếu"}, "Liệt kê đầy đủ các giấy tờ cần bổ sung"),
    ({"decision": "supplement", "missing_other": "Giấy ủy quyền", "reason": ""}, "Phải nêu lý do cần bổ sung."),
    ({"decision": "refuse", "reason": ""}, "Phải nêu lý do từ chối."),
    ({"pay_now": "on", "pay_reference": ""}, "Nhập số biên lai hoặc mã giao dịch."),
    ({"missing": True}, "Chưa nhận đủ giấy tờ bắt buộc: “Đơn đề nghị”."),
    ({"bad_file": True}, "không phải PDF, JPEG hoặc PNG"),
])
def test_bad_input_at_the_desk_says_why_and_saves_nothing(client, w, settings, change, message):
    client.force_login(w.receptionist)
    docs = list(w.variant.documents.order_by("order"))
    data = form(w, **{f"file_{docs[0].pk}": SimpleUploadedFile("don.pdf", PDF, "application/pdf")})
    if change.pop("missing", False):
        del data[f"doc_{docs[0].pk}"], data[f"file_{docs[0].pk}"]
    if change.pop("bad_file", False):
        data[f"file_{docs[1].pk}"] = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00", "application/pdf")
    data.update(change)
    data = {k: v for k, v in data.items() if v is not None}
    applicants = Applicant.objects.count()
    response = client.post(DESK, data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 422 and message in html and 'role="alert"' in html, html[:600]
    assert not Dossier.objects.exists() and Applicant.objects.count() == applicants
    assert stored_files(settings) == []  # scans stored before the refusal are removed again
    for value in data.values():
        if hasattr(value, "seek"):
            value.seek(0)
    plain = client.post(DESK, data)  # without HTMX: the whole page again, with the reasons
    assert plain.status_code == 422 and message in plain.content.decode() and "Tiếp nhận hồ sơ" in plain.content.decode()
    assert not Dossier.objects.exists() and stored_files(settings) == []


def test_only_receptionists_use_the_desk(client, w):
    client.force_login(w.specialist)
    response = client.get(DESK)
    assert response.status_code == 403 and "Cán bộ tiếp nhận, trả kết quả" in response.content.decode()
    assert client.post(DESK, form(w)).status_code == 403 and not Dossier.objects.exists()
    client.force_login(w.receptionist)
    page = client.get(DESK).content.decode()
    assert "Tiếp nhận hồ sơ" in page and "Bộ phận Một cửa tỉnh" in page
    nav = page[page.index('aria-label="Chức năng"'):page.index("</nav>")]
    assert "Tiếp nhận" in nav and "Hồ sơ trực tuyến" in nav


def test_online_dossiers_wait_in_their_own_queue_oldest_first(client, w):
    later = lodge_online(w, when=at(16, 9))
    first = lodge_online(w, when=at(15, 9))
    other_desk_unit = factories.staff(w.tree["commune_b"], Role.RECEPTIONIST)
    client.force_login(w.receptionist)
    html = client.get(f"{DESK}truc-tuyen/").content.decode()
    assert html.index(str(first.reference)) < html.index(str(later.reference))
    assert "Chờ tiếp nhận <span class=\"count\">2</span>" in html
    client.force_login(other_desk_unit)
    assert str(first.reference) not in client.get(f"{DESK}truc-tuyen/").content.decode()
    # accepting from the dossier page takes it out of the queue and shows the receipt
    client.force_login(w.receptionist)
    response = client.post(f"/can-bo/ho-so/{first.reference}/thao-tac/accept/", {"version": first.version})
    first.refresh_from_db()
    assert response["Location"] == f"/can-bo/ho-so/{first.code}/?in=receipt"
    assert str(first.reference) not in client.get(f"{DESK}truc-tuyen/").content.decode()
