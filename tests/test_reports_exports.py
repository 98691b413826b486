"""Biểu 06 exports: the Excel file in the official layout read back with openpyxl (merged header
cells, texts, numbers as numbers, rows and totals equal to the JSON report), the same table as a
PDF read with pdftotext, the Excel file opened by LibreOffice, binary standard output and refusals."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from reports_support import run_command
from motcua import demo
from motcua.calendar.core import TZ
from motcua.dossiers import generate as g
from motcua.org.models import OrgUnit
from motcua.reports.bieu06 import COLUMNS, EXTRA

ROOT = Path(__file__).resolve().parent.parent
PERIOD = ["--from", "2026-01-01", "--to", "2026-03-31"]
KEYS = [key for key, _ in COLUMNS.values()] + list(EXTRA)
HEADER_TOP = 11                     # excel.TABLE_TOP: the header rows 11–14, the numbers row 15
FIRST_DATA_ROW = 16


def report(*args, binary: bool = False) -> tuple[int, str | bytes, str]:
    return run_command("report", *args, binary=binary)


def pdftotext(path: Path, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True).stdout


def assert_a4_landscape(pdf: Path) -> None:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size:")).split()
    width, height = float(size[2]), float(size[4])
    assert (round(width), round(height)) == (842, 595), info


@pytest.fixture
def history(db):
    demo.load_demo()
    g.provide_role_holders()
    g.generate(dossiers=300, months=4, seed=7, until=dt.datetime(2026, 4, 30, 17, tzinfo=TZ), fork=False)
    return OrgUnit.objects.filter(parent__isnull=True).get()


@pytest.fixture
def exported(history, tmp_path):
    """The same report as JSON and as an .xlsx file (by unit, the whole province)."""
    code, out, err = report(*PERIOD, "--by", "unit")
    assert code == 0, err
    target = tmp_path / "bieu06.xlsx"
    code, _, err = report(*PERIOD, "--by", "unit", "--format", "xlsx", "--output", str(target))
    assert code == 0 and "Đã ghi" in err
    return json.loads(out), target, history


def test_xlsx_layout_header_block_and_merged_header(exported):
    data, target, root = exported
    ws = load_workbook(target).active
    assert ws.title == "Biểu 06"
    assert ws["A1"].value == root.name.upper() and ws["A1"].font.bold
    texts = [c.value for row in ws.iter_rows(max_row=9) for c in row if isinstance(c.value, str)]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts and "Độc lập - Tự do - Hạnh phúc" in texts
    assert ws["A4"].value == "Biểu số 06/VPCP/KSTT"
    assert ws["A6"].value.startswith("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")
    assert ws["A7"].value == "Kỳ báo cáo: từ ngày 01/01/2026 đến ngày 31/03/2026"
    assert ws["A8"].value == f"Phạm vi: {data['scope']}"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {
        "A11:A14", "B11:B14",                       # STT, the row's name
        "C11:F11", "C12:C14", "D12:F13",            # received: total; of which (online, direct, carried over)
        "G11:M11", "G12:J12", "G13:G14", "H13:J13",  # results: resolved — total; of which early/on time/late
        "K12:M12", "K13:K14", "L13:M13",            # in progress — total; of which within/over
        "N11:P11", "N12:N14", "O12:O14", "P12:P14",  # the extra "theo dõi thêm" columns
        "A1:C1", "I1:P1", "A6:P6",
    } <= merged
    heading = {c.coordinate: c.value for row in ws.iter_rows(min_row=11, max_row=15) for c in row if c.value}
    assert heading["B11"] == "Cơ quan, đơn vị giải quyết"
    assert (heading["C11"], heading["G11"], heading["N11"]) == (
        "Số hồ sơ nhận giải quyết", "Kết quả giải quyết", "Ghi chú / theo dõi thêm")
    assert (heading["G12"], heading["K12"]) == ("Số hồ sơ đã giải quyết", "Số hồ sơ đang giải quyết")
    assert [heading[f"{c}14"] for c in "DEFHIJLM"] == [
        "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước", "Trước hạn", "Đúng hạn", "Quá hạn",
        "Trong hạn", "Quá hạn"]
    assert [ws.cell(15, c).value for c in range(1, 17)] == [f"({i})" for i in range(1, 17)]


def test_xlsx_numbers_rows_and_total_equal_the_json_report(exported):
    data, target, _ = exported
    ws = load_workbook(target).active
    assert data["rows"], "the generated history must give rows"
    for i, row in enumerate(data["rows"]):
        cells = [ws.cell(FIRST_DATA_ROW + i, c) for c in range(1, 17)]
        assert cells[0].value == row["no"] and cells[1].value == row["name"]
        assert [c.value for c in cells[2:]] == [row[k] for k in KEYS]
        assert all(c.data_type == "n" and isinstance(c.value, int) for c in cells[2:])   # numbers, not text
    total_row = FIRST_DATA_ROW + len(data["rows"])
    total = [ws.cell(total_row, c).value for c in range(2, 17)]
    assert total == ["Tổng cộng"] + [data["total"][k] for k in KEYS]
    assert total[1] == total[5] + total[9] > 0          # col 3 = col 7 + col 11, in the file itself
    assert ws.cell(total_row, 3).font.bold
    left = [ws.cell(r, 1).value for r in range(total_row + 1, total_row + 8)]
    right = [ws.cell(r, 9).value for r in range(total_row + 1, total_row + 8)]   # the right block starts at I
    assert f"Ghi chú: {data['footnote']}" in left and "NGƯỜI LẬP BIỂU" in left
    assert right.index("…, ngày … tháng … năm …") + 1 == right.index("THỦ TRƯỞNG ĐƠN VỊ")


def test_xlsx_page_setup(exported):
    _, target, _ = exported
    ws = load_workbook(target).active
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"   # A4
    assert ws.print_title_rows == "$11:$15"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.column_dimensions["B"].width > ws.column_dimensions["C"].width > 0
    assert ws.freeze_panes == "C16"


def test_xlsx_opens_in_libreoffice(exported, tmp_path):
    """The "Done when" check: LibreOffice converts the file to PDF and shows the official layout."""
    _, target, root = exported
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("MOTCUA_REQUIRE_BROWSER"):
            pytest.fail("soffice is missing: install Debian's libreoffice-calc-nogui")
        pytest.skip("soffice is missing (apt-get install libreoffice-calc-nogui)")
    outdir = tmp_path / "lo"
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                           "--convert-to", "pdf", "--outdir", str(outdir), str(target)],
                          capture_output=True, text=True, timeout=180)
    converted = outdir / "bieu06.pdf"
    assert done.returncode == 0 and converted.exists(), done.stderr
    text = " ".join(pdftotext(converted).split())
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Biểu số 06/VPCP/KSTT",
                     "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", "Số hồ sơ nhận giải quyết",
                     "Kết quả giải quyết", "Số hồ sơ đã giải quyết", "Số hồ sơ đang giải quyết", "Từ kỳ trước",
                     "Tổng cộng", "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", root.name.upper(), "(13)"):
        assert expected in text
    assert_a4_landscape(converted)


def test_pdf_shows_the_same_table(exported, tmp_path):
    data, _, root = exported
    target = tmp_path / "bieu06.pdf"
    code, out, err = report(*PERIOD, "--by", "unit", "--format", "pdf", "--output", str(target))
    assert code == 0 and out == "" and "Đã ghi" in err
    assert target.read_bytes()[:5] == b"%PDF-"
    flat = " ".join(pdftotext(target).split())   # reading order: a wrapped heading's lines in sequence
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Biểu số 06/VPCP/KSTT", "Kỳ báo cáo: từ ngày 01/01/2026",
                     "Số hồ sơ nhận giải quyết", "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Ghi chú / theo dõi thêm", "Tổng cộng",
                     "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", "…, ngày … tháng … năm …", root.name.upper()):
        assert expected in flat
    total_line = next(line for line in pdftotext(target, "-layout").splitlines() if "Tổng cộng" in line)
    numbers = [int(v.replace(".", "")) for v in total_line.split() if v.replace(".", "").isdigit()]
    assert numbers == [data["total"][k] for k in KEYS]
    assert_a4_landscape(target)


def test_binary_formats_go_to_the_binary_standard_output(history):
    code, raw, err = report(*PERIOD, "--format", "xlsx", binary=True)
    assert code == 0 and raw[:2] == b"PK", err
    assert load_workbook(io.BytesIO(raw)).active["A4"].value == "Biểu số 06/VPCP/KSTT"
    code, raw, _ = report(*PERIOD, "--format", "pdf", "--sector", "HOTICH", binary=True)
    assert code == 0 and raw[:5] == b"%PDF-"
    # a text-only stream cannot take bytes: refused, nothing written
    code, out, err = report(*PERIOD, "--format", "pdf")
    assert code == 2 and out == "" and "dùng --output" in err


def test_the_real_command_writes_xlsx_bytes_to_standard_output(tmp_path):
    """Through the `motcua` entry point in its own process, on a fresh SQLite database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(MOTCUA_VAR_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT / "src"))
    run = [sys.executable, "-m", "motcua.cli"]
    subprocess.run(run + ["migrate", "-v0"], env=env, check=True, capture_output=True, timeout=300)
    done = subprocess.run(run + ["report", *PERIOD, "--format", "xlsx"], env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    ws = load_workbook(io.BytesIO(done.stdout)).active
    assert ws["A4"].value == "Biểu số 06/VPCP/KSTT"
    assert [ws.cell(16, c).value for c in (2, 3)] == ["Tổng cộng", 0]     # no dossiers: the total row alone


@pytest.mark.django_db
@pytest.mark.parametrize("args, message", [
    (PERIOD + ["--format", "xlsx", "--output", "/khong/co/thu/muc/a.xlsx"], "Thư mục “/khong/co/thu/muc” không tồn tại"),
    (PERIOD + ["--format", "pdf", "--output", "/khong/co/thu/muc/a.pdf"], "không tồn tại"),
    (PERIOD + ["--format", "xls"], "Định dạng --format “xls” không hợp lệ (json, csv, xlsx, pdf)"),
    (PERIOD + ["--form", "06a"], "Biểu --form “06a” không hợp lệ (06, 07b)"),
])
def test_export_refusals(args, message):
    code, out, err = report(*args)
    assert code == 2 and out == ""
    assert message in err


@pytest.mark.django_db
def test_a_failed_write_leaves_nothing_half_written(tmp_path):
    """The target is a folder: the rename fails, the message is Vietnamese, no temporary file stays."""
    target = tmp_path / "bao-cao.xlsx"
    target.mkdir()
    code, out, err = report(*PERIOD, "--format", "xlsx", "--output", str(target))
    assert code == 2 and "Không ghi được tệp" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bao-cao.xlsx"] and target.is_dir()
