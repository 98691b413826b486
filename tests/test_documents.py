"""The one-stop forms as real PDFs: rendered with WeasyPrint, read back with poppler's pdftotext,
pdfinfo and pdfimages. No database. Each form is rendered once per regime (module-scoped cache)."""

from __future__ import annotations

import base64
import copy
import dataclasses
import datetime as dt
import http.server
import io
import os
import re
import subprocess
import tempfile
import threading
import unicodedata
from typing import Any

import pytest
from PIL import Image

from motcua.calendar import TZ
from motcua.documents.contract import CONTEXT_SCHEMAS
from motcua.documents.formatting import place_date, vn_date, vn_money, vn_time
from motcua.documents.forms import (
    FORMS, REGIMES, FormError, form_label, form_title, legal_basis, render_form, render_html,
)
from motcua.documents.pdf import OfflineFetcher, html_to_pdf
from motcua.documents.qr import qr_png_data_uri

# No database here, and the forms render the same on every backend: run once, not per database.
pytestmark = pytest.mark.skipif(os.environ.get("MOTCUA_TEST_DB", "SQLite") != "SQLite",
                                reason="database-independent; runs on the SQLite pass only")

UTC = dt.timezone.utc
NAME = "Nguyễn Thị Hằng"
CODE = "000.00.12.H56-250124-0001"
LOOKUP = f"https://dichvucong.thanhhoa.gov.vn/tra-cuu?ma={CODE}"
MARKUP = "<b>Lô 3</b>"  # user text that looks like HTML
INJECTED = '<img src="http://203.0.113.7/x.png">'  # and a remote resource, as text


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


def base_context() -> dict[str, Any]:
    return {
        "agency": {"name": "Bộ phận Một cửa xã Quảng Phú", "parent_name": "UBND xã Quảng Phú",
                   "place": "Thanh Hóa"},
        "number": "125/TNHS",
        # 20:00 UTC on the 20th is 03:00 on the 21st in Hanoi: the date line must say the 21st.
        "issued_at": dt.datetime(2026, 11, 20, 20, 0, tzinfo=UTC),
        "dossier": {
            "code": CODE, "reference": None, "procedure_code": "1.001193",
            "procedure_name": "Đăng ký khai sinh", "variant_name": None,
            "received_at": at(2025, 1, 24, 10, 0), "due_at": at(2025, 2, 5, 10, 0),
            "original_due_at": at(2025, 2, 5, 10, 0), "legal_time": "15 ngày làm việc",
            "delivery": "Trực tiếp tại Bộ phận Một cửa", "fee_total": 50_000, "sets": 1,
            "lookup_url": LOOKUP,
        },
        # The name arrives decomposed (NFD), as some keyboards and PDFs produce it.
        "applicant": {"name": unicodedata.normalize("NFD", NAME), "id_label": "Số định danh cá nhân",
                      "id_number": "038090001234", "address": f"{MARKUP} Lê Lợi, phường Hạc Thành",
                      "phone": "0912345678", "email": None},
        "representative": None,
        "documents": [{"name": "Tờ khai đăng ký khai sinh", "kind_label": "Bản chính", "count": 1},
                      {"name": f"Giấy chứng sinh {INJECTED}", "kind_label": "Bản chính", "count": 1}],
        "officer": {"name": "Lê Văn Đức", "title": None},
        "book": {"volume": 2, "number": 1537},
    }


EXTRA: dict[str, dict[str, Any]] = {
    "supplement_request": {
        "missing": [{"name": "Giấy chứng nhận kết hôn", "kind_label": "Bản sao chứng thực",
                     "count": 1, "note": None}],
        "reason": "Thiếu giấy tờ chứng minh quan hệ cha mẹ",
        "contact": "bà Lê Thu, điện thoại 0237 3850 123",
        "representative": {"name": "Trần Văn Bình", "id_number": "038085000111", "phone": None},
    },
    "refusal": {"reasons": ["Không thuộc thẩm quyền giải quyết", f"Giấy ủy quyền không hợp lệ {INJECTED}"]},
    "apology": {"addressee": "Bà Nguyễn Thị Hằng", "reason": "Cần xác minh tại nơi cư trú",
                "new_due_at": at(2025, 2, 12, 16, 30), "return_place": "Bộ phận Một cửa xã Quảng Phú"},
    "stop_notice": {"requested_at": at(2025, 1, 30, 14, 15), "reason": "Công dân đề nghị rút hồ sơ"},
    "control_sheet": {"handoffs": [
        {"agency": "Bộ phận Một cửa", "task": "Chuyển hồ sơ", "handed_at": at(2025, 1, 24, 10, 30),
         "handed_by": "Lê Văn Đức", "received_by": "Trần Minh Khôi", "due_at": at(2025, 1, 24, 17, 0),
         "result_label": "Đúng hạn", "note": None},
        {"agency": "Công chức Tư pháp - Hộ tịch", "task": "Thẩm định", "handed_at": at(2025, 1, 27, 8, 0),
         "handed_by": "Trần Minh Khôi", "received_by": "Phạm Thu An", "due_at": None,
         "result_label": "Trước hạn", "note": "Xác minh"},
    ]},
    "tracking_book": {"year": 2025, "unit_name": "Bộ phận Một cửa", "volume": 2, "rows": [
        {"number": 1537 + i, "code": f"000.00.12.H56-250124-{i + 1:04d}",
         "procedure_name": "Đăng ký khai sinh", "sets": 1, "applicant_name": NAME,
         "address_phone": "Lê Lợi, Hạc Thành; 0912345678", "received_at": at(2025, 1, 24, 10, 0),
         "due_at": at(2025, 2, 5, 10, 0), "returned_at": at(2025, 2, 4, 15, 0) if i == 0 else None,
         "receiver": "Lê Văn Đức", "area": "Xã Quảng Phú", "note": None} for i in range(25)]},
}


def context(form: str) -> dict[str, Any]:
    return {**base_context(), **copy.deepcopy(EXTRA.get(form, {}))}


def poppler(tool: str, pdf: bytes, *args: str) -> str:
    """Run a poppler tool (pdftotext, pdfinfo, pdfimages) on ``pdf``; its stdout."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        cmd = [tool, *args, file.name] + (["-"] if tool == "pdftotext" else [])
        return subprocess.run(cmd, capture_output=True, check=True).stdout.decode()


@dataclasses.dataclass
class Rendered:
    pdf: bytes
    text: str  # pdftotext -layout, as extracted (no normalisation)

    @property
    def flat(self) -> str:
        """The text with whitespace runs collapsed, for phrases that stay on one line."""
        return " ".join(self.text.split())


CASES = [(form, regime) for regime in REGIMES for form in FORMS]


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], Rendered]:
    out = {}
    for form, regime in CASES:
        pdf = render_form(form, regime, context(form))
        out[form, regime] = Rendered(pdf, poppler("pdftotext", pdf, "-layout"))
    return out


# --- every form, both regimes -----------------------------------------------------------------

@pytest.mark.parametrize("form,regime", CASES)
def test_header_title_and_legal_basis(rendered, form, regime):
    doc = rendered[form, regime]
    assert doc.pdf.startswith(b"%PDF-")
    assert form_title(form, regime) in doc.text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in doc.text
    assert "Độc lập - Tự do - Hạnh phúc" in doc.text
    assert "UBND XÃ QUẢNG PHÚ" in doc.text and "BỘ PHẬN MỘT CỬA XÃ QUẢNG PHÚ" in doc.text
    assert "Thanh Hóa, ngày 21 tháng 11 năm 2026" in doc.text  # issued_at shown in Asia/Ho_Chi_Minh
    if form == "stop_notice" and regime == "ND61":
        assert "Mẫu số" not in doc.text and "Ban hành kèm theo" not in doc.text
    else:
        number = {"ND61": "01/2018/TT-VPCP", "ND118": "03/2025/TT-VPCP"}[regime]
        assert f"{form_label(form, regime)} (Ban hành kèm theo Thông tư số {number})" in doc.text


@pytest.mark.parametrize("form,regime", CASES)
def test_code_and_applicant_nfc(rendered, form, regime):
    doc = rendered[form, regime]
    assert CODE in doc.text
    assert NAME in doc.text  # given as NFD, printed NFC, diacritics intact
    assert unicodedata.normalize("NFD", NAME) not in doc.text


@pytest.mark.parametrize("form,regime", CASES)
def test_page_size(rendered, form, regime):
    info = poppler("pdfinfo", rendered[form, regime].pdf)
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    expected = {"tracking_book": (841.89, 595.28), "control_sheet": (595.28, 841.89)}.get(form, (419.53, 595.28))
    assert (width, height) == pytest.approx(expected, abs=0.5)


# --- form-specific fields -----------------------------------------------------------------------

@pytest.mark.parametrize("regime", REGIMES)
def test_receipt_fields(rendered, regime):
    text = rendered["receipt", regime].flat
    for phrase in ("Mã hồ sơ:", "Tiếp nhận hồ sơ của: Nguyễn Thị Hằng", "Số định danh cá nhân: 038090001234",
                   "Nội dung yêu cầu giải quyết: Đăng ký khai sinh; mã thủ tục: 1.001193",
                   "Tờ khai đăng ký khai sinh", "2. Số lượng hồ sơ: 1 (bộ)",
                   "theo quy định: 15 ngày làm việc",
                   "4. Thời gian nhận hồ sơ: 10 giờ 00 phút, ngày 24/01/2025",
                   "giải quyết hồ sơ: 10 giờ 00 phút, ngày 05/02/2025",
                   "Trực tiếp tại Bộ phận Một cửa", "7. Phí, lệ phí: 50.000 đồng",
                   "Quyển số: 2, Số thứ tự: 1537", "NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", "Lê Văn Đức"):
        assert phrase in text, phrase


@pytest.mark.parametrize("regime", REGIMES)
def test_receipt_has_one_image_the_qr_of_the_lookup_url(rendered, regime):
    listing = poppler("pdfimages", rendered["receipt", regime].pdf, "-list").splitlines()[2:]
    assert len(listing) == 1  # the injected <img> in a document name is text, not an image
    assert qr_png_data_uri(LOOKUP) in render_html("receipt", regime, context("receipt"))
    # the code stands alone twice: in the prominent box and under the QR code
    lines = [line.strip() for line in rendered["receipt", regime].text.splitlines()]
    assert lines.count(CODE) == 2


def test_other_forms_have_no_image(rendered):
    for (form, regime), doc in rendered.items():
        if form != "receipt":
            assert poppler("pdfimages", doc.pdf, "-list").splitlines()[2:] == [], (form, regime)


@pytest.mark.parametrize("regime", REGIMES)
def test_supplement_request_fields(rendered, regime):
    text = rendered["supplement_request", regime].flat
    assert "Hồ sơ của: Nguyễn Thị Hằng" in text
    assert "Giấy chứng nhận kết hôn" in text and "Bản sao" in text
    assert "Lý do: Thiếu giấy tờ chứng minh quan hệ cha mẹ" in text
    assert "bà Lê Thu, điện thoại 0237 3850 123" in text
    assert "Người được ủy quyền: Trần Văn Bình; số giấy tờ: 038085000111" in text
    assert "NGƯỜI HƯỚNG DẪN" in text


@pytest.mark.parametrize("regime", REGIMES)
def test_refusal_lists_every_reason(rendered, regime):
    text = rendered["refusal", regime].flat
    assert "1. Không thuộc thẩm quyền giải quyết" in text
    assert f"2. Giấy ủy quyền không hợp lệ {INJECTED}" in text


@pytest.mark.parametrize("regime,wording", [("ND61", "hẹn lại ngày trả kết quả vào"),
                                            ("ND118", "đề nghị gia hạn thời gian giải quyết hồ sơ")])
def test_apology_fields(rendered, regime, wording):
    text = rendered["apology", regime].flat
    assert "Kính gửi: Bà Nguyễn Thị Hằng" in text
    assert "Ngày 24/01/2025" in text
    assert "Thời hạn trả kết quả giải quyết hồ sơ: 10 giờ 00 phút, ngày 05/02/2025" in text
    assert "Lý do: Cần xác minh tại nơi cư trú" in text
    assert wording in text and "16 giờ 30 phút, ngày 12/02/2025" in text
    assert "Địa điểm trả kết quả: Bộ phận Một cửa xã Quảng Phú" in text
    assert "THỦ TRƯỞNG CƠ QUAN" in text


@pytest.mark.parametrize("regime", REGIMES)
def test_stop_notice_fields(rendered, regime):
    text = rendered["stop_notice", regime].flat
    assert "Thời gian yêu cầu dừng giải quyết: 14 giờ 15 phút, ngày 30/01/2025" in text
    assert "Lý do: Công dân đề nghị rút hồ sơ" in text
    assert "thông báo dừng giải quyết hồ sơ nêu trên kể từ ngày 21/11/2026" in text


@pytest.mark.parametrize("regime", REGIMES)
def test_control_sheet_handoffs(rendered, regime):
    text = rendered["control_sheet", regime].text
    for phrase in ("Kèm theo hồ sơ của: Nguyễn Thị Hằng", "Người giao: Lê Văn Đức", "Người nhận: Trần Minh Khôi",
                   "Đúng hạn", "Trước hạn", "Xác minh", "Thời gian nhận hồ sơ: 10 giờ 00 phút, ngày 24/01/2025"):
        assert phrase in text, phrase


@pytest.mark.parametrize("regime", REGIMES)
def test_tracking_book_rows_and_pages(rendered, regime):
    doc = rendered["tracking_book", regime]
    assert "Năm 2025 — Quyển số: 2" in doc.flat
    numbers = [int(m) for m in re.findall(r"^\s*(\d{4})\s+000\.00\.12", doc.text, re.M)]
    assert numbers == list(range(1537, 1562))  # the yearly numbering, in order, none lost at page breaks
    pages = int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", doc.pdf))[1])
    assert pages >= 2 and f"Trang {pages}" in doc.text
    assert doc.text.count("Tên thủ tục hành chính") == pages  # the column header repeats on each page
    assert "04/02/2025" in doc.text  # returned_at of the first row


def test_empty_control_sheet_prints_blank_rows():
    ctx = context("control_sheet") | {"handoffs": []}
    assert render_html("control_sheet", "ND118", ctx).count("Người giao:") == 3


# --- escaping and no network --------------------------------------------------------------------

def test_user_text_is_escaped(rendered):
    html = render_html("receipt", "ND118", context("receipt"))
    assert "&lt;b&gt;Lô 3&lt;/b&gt;" in html and MARKUP not in html
    assert '&lt;img src=&quot;http://203.0.113.7/x.png&quot;&gt;' in html
    assert MARKUP in rendered["receipt", "ND118"].text  # printed literally
    assert 'Giấy chứng sinh <img src="http://203.0.113.7/' in rendered["receipt", "ND118"].text


def test_safe_strings_from_the_caller_are_escaped_too():
    from django.utils.safestring import mark_safe

    ctx = context("refusal") | {"reasons": [mark_safe("<script>x</script>")]}
    assert "&lt;script&gt;" in render_html("refusal", "ND61", ctx)


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server naming
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_remote_and_local_urls_are_never_fetched():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/logo.png"
        fetcher = OfflineFetcher()
        html = f'<html><head><link rel="stylesheet" href="file:///etc/passwd"></head><body><img src="{url}"></body></html>'
        with pytest.raises(FormError, match="outside the document"):
            html_to_pdf(html, fetcher=fetcher)
        assert fetcher.refused and all(not u.startswith("data:") for u in fetcher.refused)
    finally:
        server.shutdown()
        server.server_close()
    assert _Counter.hits == []


def test_data_urls_are_allowed():
    pdf = html_to_pdf(f'<img src="{qr_png_data_uri("x")}" style="width:20mm">')
    assert len(poppler("pdfimages", pdf, "-list").splitlines()[2:]) == 1


# --- the contract -------------------------------------------------------------------------------

def _drop(ctx: dict, path: str) -> dict:
    node: Any = ctx
    parts = re.findall(r"[^.\[\]]+", path)
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if isinstance(node, list):
        del node[int(last)]
    else:
        del node[last]
    return ctx


@pytest.mark.parametrize("form,path", [
    ("receipt", "dossier.code"), ("receipt", "dossier.lookup_url"), ("receipt", "book.number"),
    ("receipt", "documents[0].name"), ("receipt", "agency.place"), ("receipt", "issued_at"),
    ("supplement_request", "reason"), ("refusal", "reasons"), ("apology", "new_due_at"),
    ("apology", "dossier.original_due_at"), ("stop_notice", "requested_at"), ("control_sheet", "dossier.due_at"),
    ("tracking_book", "rows[3].code"), ("tracking_book", "year"), ("refusal", "applicant.name"),
])
def test_missing_required_key_is_named(form, path):
    with pytest.raises(FormError, match=re.escape(f"missing required key '{path}'")):
        render_form(form, "ND118", _drop(context(form), path))


def test_empty_and_ill_typed_values():
    with pytest.raises(FormError, match="missing required key 'applicant.name'"):
        render_form("receipt", "ND61", context("receipt") | {"applicant": {"name": "  "}})
    with pytest.raises(FormError, match="'reasons' needs at least 1 item"):
        render_form("refusal", "ND61", context("refusal") | {"reasons": []})
    with pytest.raises(FormError, match="'issued_at' must be a timezone-aware datetime"):
        render_form("refusal", "ND61", context("refusal") | {"issued_at": dt.datetime(2026, 11, 21, 9)})
    ctx = context("receipt")
    ctx["dossier"]["fee_total"] = "50000"
    with pytest.raises(FormError, match="'dossier.fee_total' must be a non-negative integer"):
        render_form("receipt", "ND61", ctx)
    with pytest.raises(FormError, match="unknown form 'receipe'"):
        render_form("receipe", "ND61", {})
    with pytest.raises(FormError, match="unknown regime 'ND43'"):
        render_form("receipt", "ND43", {})


def test_dataclasses_are_accepted():
    @dataclasses.dataclass
    class Applicant:
        name: str
        address: str | None = None

    ctx = context("refusal") | {"applicant": Applicant("Trần Văn Bình")}
    assert "Trần Văn Bình" in render_html("refusal", "ND118", ctx)


def test_registry():
    assert set(FORMS) == set(CONTEXT_SCHEMAS) == {
        "receipt", "supplement_request", "refusal", "apology", "stop_notice", "control_sheet", "tracking_book"}
    assert [form_label(f, "ND61") for f in FORMS] == [
        "Mẫu số 01", "Mẫu số 02", "Mẫu số 03", "Mẫu số 04", "", "Mẫu số 05", "Mẫu số 06"]
    assert [form_label(f, "ND118") for f in FORMS] == [f"Mẫu số {n:02d}" for n in (1, 2, 3, 4, 5, 6, 7)]
    assert form_title("apology", "ND61") == "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    assert form_title("apology", "ND118") == "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"
    assert legal_basis("tracking_book", "ND118") == "Mẫu số 07 (Ban hành kèm theo Thông tư số 03/2025/TT-VPCP)"
    assert legal_basis("stop_notice", "ND61") == ""


# --- formatting and QR --------------------------------------------------------------------------

def test_formatting():
    instant = dt.datetime(2025, 1, 24, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi
    assert vn_time(instant) == "10 giờ 00 phút, ngày 24/01/2025"
    assert vn_date(instant) == "24/01/2025"
    assert vn_money(50_000) == "50.000 đồng" and vn_money(1_234_567) == "1.234.567 đồng" and vn_money(0) == "0 đồng"
    assert place_date("Thanh Hóa", at(2026, 2, 5, 9)) == "Thanh Hóa, ngày 05 tháng 02 năm 2026"
    assert place_date("Thanh Hóa", at(2026, 3, 15, 9)) == "Thanh Hóa, ngày 15 tháng 3 năm 2026"


def test_qr_data_uri():
    uri = qr_png_data_uri(LOOKUP)
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert image.format == "PNG" and image.width == image.height
    assert qr_png_data_uri(LOOKUP) == uri  # deterministic
    with pytest.raises(FormError):
        qr_png_data_uri("  ")
