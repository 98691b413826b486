"""A dossier's forms as real PDFs, read back with pdftotext."""

from __future__ import annotations

import subprocess

import pytest

import factories
from motcua.calendar import Duration
from motcua.dossiers import services as s
from motcua.dossiers.errors import DossierError
from motcua.dossiers.files import Upload
from motcua.dossiers.forms import available_forms, dossier_form, tracking_book
from test_dossiers import at, lodge_online, received

pytestmark = pytest.mark.django_db


def text(pdf: bytes) -> str:
    return " ".join(subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                                   check=True).stdout.decode().split())


@pytest.fixture
def w():
    return factories.dossier_world(supplement_rule="pause")


def test_receipt_supplement_apology_and_control_sheet(w):
    d = received(w)
    name, pdf = dossier_form(d, "receipt")
    receipt = text(pdf)
    assert name == f"receipt-{d.code}.pdf"
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt.upper() and "Mẫu số 01" in receipt
    assert "03/2025/TT-VPCP" in receipt and d.code in receipt and "Nguyễn Thị Hoà" in receipt
    assert "22/09/2025" in receipt and "50.000 đồng" in receipt and "Đơn đề nghị" in receipt
    d = s.forward(d, w.receptionist, at=at(15, 10))
    d = s.request_supplement(d, w.specialist, items=[{"name": "Bản vẽ mặt bằng", "kind": "copy"}],
                             reason="Thiếu bản vẽ", at=at(16, 9))
    supplement = text(dossier_form(d, "supplement_request")[1])
    assert "Mẫu số 02" in supplement and "Bản vẽ mặt bằng" in supplement and "Thiếu bản vẽ" in supplement
    d = s.record_supplement(d, w.citizen, documents=[Upload("Bản vẽ", file_name="b.pdf", content=b"%PDF-1.4\n")],
                            at=at(17, 9))
    d = s.forward(d, w.specialist, at=at(17, 10))
    d = s.apologise(d, w.leader, reason="Cần xác minh thực địa", extension=Duration(2, "working_days"),
                    at=at(18, 10))
    apology = text(dossier_form(d, "apology")[1])
    assert "Mẫu số 04" in apology and "Cần xác minh thực địa" in apology
    assert "23/09/2025" in apology and "25/09/2025" in apology  # the due instant before and after
    sheet = text(dossier_form(d, "control_sheet", now=at(18, 11))[1])
    assert "Mẫu số 06" in sheet and "Thẩm định hồ sơ" in sheet and "Sở Tư pháp" in sheet
    assert set(available_forms(d)) == {"receipt", "control_sheet", "supplement_request", "apology"}


def test_old_regime_numbering_refusal_and_stop_notice(w):
    old = lodge_online(w, when=at(16, 9, month=6))
    old = s.accept(old, w.receptionist, at=at(16, 10, month=6))
    assert old.regime == "ND61"
    assert "01/2018/TT-VPCP" in text(dossier_form(old, "receipt")[1])
    refused = s.register_at_desk(w.receptionist, w.desk, w.applicant, w.variant, at=at(15, 9))
    refused = s.refuse_intake(refused, w.receptionist, reasons=["Không thuộc thẩm quyền giải quyết"], at=at(15, 9, 5))
    assert "Không thuộc thẩm quyền giải quyết" in text(dossier_form(refused, "refusal")[1])
    stopped = received(w, when=at(17, 9))
    stopped = s.stop(stopped, w.leader, reason="Công dân đề nghị dừng", at=at(17, 11))
    notice = text(dossier_form(stopped, "stop_notice")[1])
    assert "Mẫu số 05" in notice and "Công dân đề nghị dừng" in notice and stopped.code in notice
    with pytest.raises(DossierError, match="chưa có"):
        dossier_form(stopped, "apology")


def test_tracking_book_numbers_run_on(w):
    codes = [received(w, when=at(15 + i, 9)).code for i in range(3)]
    book = text(tracking_book(w.tree["province"], 2025))
    for code in codes:
        assert code in book
