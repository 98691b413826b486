"""Online submission: drafts (start, resume, save with uploads), submit with the draft's idempotency
key, the receipt — and every refusal, each leaving nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import factories
from motcua.accounts.models import ApplicantKind
from motcua.accounts.services import ApplicantData, register_applicant
from motcua.catalog.models import FeeItem, FeeKind, OnlineMode
from motcua.dossiers.models import Dossier, DossierDocument, LedgerEvent, State
from motcua.notify.models import OutboxMessage
from motcua.submission.models import Draft, DraftFile

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name="don.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture
def w(client):
    world = factories.dossier_world()
    client.force_login(world.citizen)
    return world


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def start(client, variant) -> Draft:
    response = client.get(reverse("submission:start", kwargs={"variant": variant.pk}))
    assert response.status_code == 302, response.content.decode()[:500]
    draft = Draft.objects.get(submitted_at__isnull=True, variant=variant)
    assert response["Location"] == reverse("submission:draft", kwargs={"uuid": draft.uuid})
    return draft


def post(client, draft, action="save", files=None, **fields):
    data = {"action": action, "contact_phone": "0912000111", "contact_email": "hoa@example.vn", "delivery": "online"}
    data.update(fields)
    data.update(files or {})
    return client.post(reverse("submission:draft", kwargs={"uuid": draft.uuid}), data)


def docs(w):
    return w.variant.documents.get(order=1), w.variant.documents.get(order=2)


# --- start and resume --------------------------------------------------------------------------------


def test_start_makes_one_draft_and_resumes_it(client, w):
    first = start(client, w.variant)
    again = start(client, w.variant)
    assert first.pk == again.pk and Draft.objects.count() == 1
    assert len(first.idempotency_key) >= 8 and first.applicant == w.applicant


def test_the_draft_page_is_prefilled_and_lists_the_checklist_and_fees(client, w):
    draft = start(client, w.variant)
    page = client.get(reverse("submission:draft", kwargs={"uuid": draft.uuid})).content.decode()
    assert "Nguyễn Thị Hoà" in page and "038190012345" in page
    assert 'value="0912000111"' in page and 'value="hoa@example.vn"' in page
    assert "Đơn đề nghị" in page and "Bản sao giấy tờ tùy thân" in page and "Bắt buộc" in page
    assert "Không bắt buộc" in page and "số lượng 1" in page
    assert "50.000 đồng" in page
    assert "Nhận qua bưu chính công ích" in page  # this procedure returns results by post


def test_only_online_variants_take_a_draft(client, w):
    w.variant.version.online_mode = OnlineMode.NONE
    w.variant.version.save()
    response = client.get(reverse("submission:start", kwargs={"variant": w.variant.pk}))
    assert response.status_code == 422 and "không tiếp nhận hồ sơ trực tuyến" in response.content.decode()
    assert not Draft.objects.exists()
    assert client.get(reverse("submission:start", kwargs={"variant": 999999})).status_code == 404


def test_an_organisation_only_procedure_refuses_a_citizen(client, w):
    version = w.variant.version
    version.for_citizens, version.for_organisations = False, True
    version.save()
    response = client.get(reverse("submission:start", kwargs={"variant": w.variant.pk}))
    assert response.status_code == 422 and "chỉ dành cho tổ chức" in response.content.decode()
    assert not Draft.objects.exists()


def test_login_is_needed_and_a_draft_is_its_applicants_only(client, w):
    draft = start(client, w.variant)
    client.logout()
    response = client.get(reverse("submission:draft", kwargs={"uuid": draft.uuid}))
    assert response.status_code == 302 and "next=" in response["Location"]
    other = register_applicant(ApplicantData(ApplicantKind.CITIZEN, "Trần Văn Khác", cccd="038190099999"))
    user = factories.create_staff("khac", "Trần Văn Khác", factories.PASSWORD, [], check_password=False)
    user.is_staff = False
    user.save()
    other.user = user
    other.save()
    client.force_login(user)
    assert client.get(reverse("submission:draft", kwargs={"uuid": draft.uuid})).status_code == 404
    assert post(client, draft).status_code == 404
    assert Draft.objects.get(pk=draft.pk).data == draft.data


# --- save ---------------------------------------------------------------------------------------------


def test_save_keeps_typed_values_and_files_with_their_sha256_and_resumes(client, w):
    draft = start(client, w.variant)
    form, copy = docs(w)
    response = post(client, draft, files={f"doc-{form.pk}": [pdf(), pdf("trang2.pdf", PDF + b"2")],
                                          f"doc-{copy.pk}": SimpleUploadedFile("cccd.png", PNG)},
                    representative_name="Lê Văn Ủy", contact_phone="0988 777 666", delivery="post",
                    delivery_address="Số 2 Trần Phú")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.data["contact_phone"] == "0988 777 666" and draft.data["representative_name"] == "Lê Văn Ủy"
    assert draft.delivery == "post" and draft.delivery_address == "Số 2 Trần Phú"
    files = list(DraftFile.objects.filter(draft=draft).order_by("pk"))
    assert [f.required_id for f in files] == [form.pk, form.pk, copy.pk]
    assert files[2].content_type == "image/png" and len(files[0].sha256) == 64
    assert Path(files[0].file.path).read_bytes() == PDF
    page = client.get(response["Location"]).content.decode()
    assert "Đã lưu bản nháp" in page and "trang2.pdf" in page and "cccd.png" in page
    assert 'value="Số 2 Trần Phú"' in page


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf"), "không phải PDF, JPEG hoặc PNG"),
    (SimpleUploadedFile("rong.pdf", b""), "rỗng"),
    (SimpleUploadedFile("lon.pdf", PDF + b"0" * (1024 * 1024)), "vượt quá 1 MB"),
])
def test_a_bad_upload_is_refused_and_nothing_of_the_save_is_kept(client, w, settings, upload, message):
    settings.MOTCUA_MAX_UPLOAD_MB = 1
    draft = start(client, w.variant)
    form, copy = docs(w)
    before = dict(draft.data)
    response = post(client, draft, files={f"doc-{form.pk}": pdf(), f"doc-{copy.pk}": upload},
                    contact_phone="0999999999")
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page and 'role="alert"' in page
    assert f'aria-describedby="doc-{copy.pk}-hint doc-{copy.pk}-error"' in page
    assert 'value="0999999999"' in page  # what was typed is shown again …
    draft.refresh_from_db()
    assert draft.data == before  # … but not saved
    assert not DraftFile.objects.exists() and media_files() == []


def test_too_many_files_for_one_document(client, w):
    draft = start(client, w.variant)
    form, _ = docs(w)
    response = post(client, draft, files={f"doc-{form.pk}": [pdf(f"{i}.pdf", PDF + bytes([i])) for i in range(11)]})
    assert response.status_code == 422 and "tối đa 10 tệp" in response.content.decode()
    assert not DraftFile.objects.exists() and media_files() == []


def test_remove_a_file(client, w, django_capture_on_commit_callbacks):
    draft = start(client, w.variant)
    form, _ = docs(w)
    post(client, draft, files={f"doc-{form.pk}": pdf()})
    row = DraftFile.objects.get()
    path = Path(row.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, draft, remove=str(row.pk))
    assert response.status_code == 302 and not DraftFile.objects.exists()
    assert not path.exists()


# --- submit -------------------------------------------------------------------------------------------


def test_submit_makes_the_dossier_shows_the_receipt_and_a_second_submit_is_the_same_dossier(
        client, w, django_capture_on_commit_callbacks):
    draft = start(client, w.variant)
    form, copy = docs(w)
    post(client, draft, files={f"doc-{form.pk}": pdf(), f"doc-{copy.pk}": SimpleUploadedFile("cccd.png", PNG)},
         representative_name="Lê Văn Ủy", representative_phone="0911222333")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, draft, action="submit", representative_name="Lê Văn Ủy",
                        representative_phone="0911222333")
    receipt = reverse("submission:receipt", kwargs={"uuid": draft.uuid})
    assert response.status_code == 302 and response["Location"] == receipt
    d = Dossier.objects.get()
    draft.refresh_from_db()
    assert draft.dossier == d and draft.submitted_at is not None
    assert d.state == State.SUBMITTED and d.channel == "online" and d.idempotency_key == draft.idempotency_key
    assert d.contact_phone == "0912000111" and d.representative_name == "Lê Văn Ủy" and d.fee_total == 50000
    stored = list(DossierDocument.objects.filter(dossier=d).order_by("pk"))
    assert [(s.name, s.content_type) for s in stored] == [("Đơn đề nghị", "application/pdf"),
                                                           ("Bản sao giấy tờ tùy thân", "image/png")]
    assert Path(stored[0].file.path).read_bytes() == PDF
    assert not DraftFile.objects.exists()  # the dossier holds the files now
    assert not any("drafts" in str(p) for p in media_files())
    page = client.get(receipt).content.decode()
    assert str(d.reference) in page and "Tiếp theo" in page
    assert reverse("submission:detail", kwargs={"code": str(d.reference)}) in page
    # the double click, the back button, the retry: the same dossier, never a second one
    again = post(client, draft, action="submit")
    assert again.status_code == 302 and again["Location"] == receipt
    assert client.get(reverse("submission:draft", kwargs={"uuid": draft.uuid}))["Location"] == receipt
    assert Dossier.objects.count() == 1 and LedgerEvent.objects.filter(type="submitted").count() == 1
    # a new start for the same procedure is a new draft, with a new key
    fresh = start(client, w.variant)
    assert fresh.pk != draft.pk and fresh.idempotency_key != draft.idempotency_key


def test_submit_without_a_required_document_is_refused_and_leaves_no_dossier(client, w):
    draft = start(client, w.variant)
    _, copy = docs(w)
    response = post(client, draft, action="submit", files={f"doc-{copy.pk}": SimpleUploadedFile("c.png", PNG)})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Chưa tải lên tệp cho giấy tờ bắt buộc “Đơn đề nghị”" in page
    assert f'href="#doc-{w.variant.documents.get(order=1).pk}"' in page
    assert not Dossier.objects.exists()
    draft.refresh_from_db()
    assert draft.submitted_at is None and DraftFile.objects.filter(draft=draft).count() == 1  # the draft is intact


@pytest.mark.parametrize("fields, message", [
    ({"delivery": "post", "delivery_address": ""}, "Nhập địa chỉ nhận kết quả qua bưu chính."),
    ({"contact_email": "khong-phai-email", "contact_phone": ""}, "Địa chỉ thư điện tử “khong-phai-email” không hợp lệ."),
    ({"contact_phone": "12ab", "contact_email": ""}, "Số điện thoại “12ab” không hợp lệ."),
    ({"contact_phone": "", "contact_email": ""}, "Nhập số điện thoại hoặc thư điện tử"),
    ({"representative_phone": "0911222333"}, "Nhập họ tên người được ủy quyền."),
])
def test_submit_refusals_name_the_field_and_leave_no_dossier(client, w, fields, message):
    draft = start(client, w.variant)
    form, _ = docs(w)
    post(client, draft, files={f"doc-{form.pk}": pdf()})
    response = post(client, draft, action="submit", **fields)
    assert response.status_code == 422, response.content.decode()[:300]
    assert message in response.content.decode()
    assert not Dossier.objects.exists() and not DossierDocument.objects.exists()
    assert not OutboxMessage.objects.exists() and not LedgerEvent.objects.exists()
    draft.refresh_from_db()
    assert draft.submitted_at is None and draft.files.count() == 1
    assert not any(str(p).split("/media/")[-1].startswith("dossiers/") and "drafts" not in str(p)
                   for p in media_files())


def test_a_fee_formula_is_previewed_and_its_input_required(client, w):
    FeeItem.objects.create(variant=w.variant, order=2, kind=FeeKind.FEE, name="Phí thẩm định",
                           formula="1000 * so_trang")
    draft = start(client, w.variant)
    form, _ = docs(w)
    page = client.get(reverse("submission:draft", kwargs={"uuid": draft.uuid})).content.decode()
    assert 'id="fee_so_trang"' in page and "Thiếu giá trị cho: so_trang." in page
    response = post(client, draft, action="submit", files={f"doc-{form.pk}": pdf()})
    assert response.status_code == 422 and "Nhập “so_trang”" in response.content.decode()
    assert not Dossier.objects.exists()
    response = post(client, draft, action="submit", fee_so_trang="12")
    assert response.status_code == 302
    assert Dossier.objects.get().fee_total == 50000 + 12000


def test_a_commune_procedure_asks_for_the_commune(client, w):
    from motcua.org.models import Desk

    variant = factories.full_procedure(None, level="commune", name="Chứng thực bản sao")
    desk = Desk.objects.create(name="Bộ phận Một cửa xã A", host_unit=w.tree["commune_a"])
    desk.serves.set([w.tree["commune_a"]])
    draft = start(client, variant)
    doc = variant.documents.get(order=1)
    page = client.get(reverse("submission:draft", kwargs={"uuid": draft.uuid})).content.decode()
    assert "UBND xã A" in page and "UBND xã B" in page
    response = post(client, draft, action="submit", files={f"doc-{doc.pk}": pdf()})
    assert response.status_code == 422 and "Chọn cơ quan giải quyết" in response.content.decode()
    response = post(client, draft, action="submit", resolving_unit=str(w.tree["commune_a"].pk))
    assert response.status_code == 302
    d = Dossier.objects.get()
    assert d.resolving_unit == w.tree["commune_a"] and d.receiving_desk == desk


def test_the_draft_belongs_to_the_account_and_resumes_on_another_device(client, w):
    from django.test import Client

    draft = start(client, w.variant)
    form, _ = docs(w)
    post(client, draft, files={f"doc-{form.pk}": pdf("tren-dien-thoai.pdf")}, delivery_address="Số 9 Hàng Bạc")
    laptop = Client()
    laptop.force_login(w.citizen)
    page = laptop.get(reverse("submission:draft", kwargs={"uuid": draft.uuid})).content.decode()
    assert "tren-dien-thoai.pdf" in page and 'value="Số 9 Hàng Bạc"' in page
    assert start(laptop, w.variant).pk == draft.pk
