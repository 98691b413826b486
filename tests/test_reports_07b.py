"""Biểu 07b (Tổng hợp số lượng TTHC): the pure rules, the catalogue query on a small built
catalogue and on the demo's, and `motcua report --form 07b` in every format."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reports_support import run_command
from motcua.accounts.models import Role
from motcua.catalog.models import Level, OnlineMode, Procedure, ProcedureVariant, TimeUnit, VersionStatus, WorkflowStep
from motcua.catalog.search import receiving_desks, versions_in_force
from motcua.org.models import Desk, UnitKind
from motcua.reports import queries07b
from motcua.reports.bieu07b import (
    Counts07b, ProcedureFacts, Report07b, Row07b, build, check, classify, is_interagency, is_served_by_desk,
    own_agencies,
)
from motcua.reports.queries import Scope, resolve_scope
import factories as f

END = dt.date(2026, 3, 31)


# --- pure rules ----------------------------------------------------------------------------------

def test_own_agencies_are_the_competent_unit_or_the_communes_for_a_commune_procedure():
    assert own_agencies("/1/5/", Level.PROVINCE, ["/1/7/"]) == ("/1/5/",)
    assert own_agencies(None, Level.COMMUNE, ["/1/7/", "/1/8/"]) == ("/1/7/", "/1/8/")
    assert own_agencies(None, Level.MINISTRY, ["/1/7/"]) == ()


@pytest.mark.parametrize("own, steps, expected", [
    (("/1/5/",), [], False),                        # every step at the competent agency (no unit)
    (("/1/5/",), ["/1/5/", "/1/5/9/"], False),      # its own divisions
    (("/1/5/",), ["/1/5/9/", "/1/6/"], True),       # another department does a step
    (("/1/5/",), ["/1/50/"], True),                 # "/1/50/" is not under "/1/5/"
    (("/1/7/", "/1/8/"), ["/1/8/3/"], False),       # a commune procedure, a step in a commune's division
    (("/1/7/", "/1/8/"), ["/1/5/"], True),          # … and a step at a province department
    ((), ["/1/5/"], True),                          # no own agency known: any unit is another
])
def test_interagency(own, steps, expected):
    assert is_interagency(own, steps) is expected


@pytest.mark.parametrize("own, desks, expected", [
    (("/1/5/9/",), ["/1/5/"], True),     # a desk serving the department receives for its division
    (("/1/5/",), ["/1/5/9/"], False),    # … not the other way round
    (("/1/5/",), [], False),
    (("/1/7/", "/1/8/"), ["/1/8/"], True),
    ((), ["/1/"], False),
])
def test_served_by_desk(own, desks, expected):
    assert is_served_by_desk(own, desks) is expected


def test_classify_build_and_identities():
    facts = [
        ProcedureFacts("province", at_desk=True, interagency=False, with_workflow=True, online_mode="full",
                       group=("province", "Cấp tỉnh")),
        ProcedureFacts("province", at_desk=True, interagency=True, with_workflow=False, online_mode="partial",
                       group=("province", "Cấp tỉnh")),
        ProcedureFacts("commune", at_desk=False, interagency=True, with_workflow=True, online_mode="none",
                       group=("commune", "Cấp xã")),
    ]
    assert classify(facts[2]) == Counts07b(procedures=1, with_workflow=1)  # liên thông counts only at a desk
    report = build(facts, END, [("ministry", "Cấp bộ"), ("province", "Cấp tỉnh"), ("commune", "Cấp xã")])
    assert [r.key[0] for r in report.rows] == ["ministry", "province", "commune"]
    assert report.rows[0].counts == Counts07b()
    assert report.rows[1].counts == Counts07b(procedures=2, at_desk=2, one_stop=1, interagency=1, with_workflow=1,
                                              online_full=1, online_partial=1)
    assert report.total.procedures == 3 and check(report) == []


def test_check_names_every_broken_identity():
    bad = Counts07b(procedures=1, at_desk=2, one_stop=1, interagency=0, with_workflow=2, online_full=1, online_partial=1)
    report = Report07b(END, [Row07b(("x", "X"), bad)], Counts07b(procedures=5))
    problems = " | ".join(check(report))
    for expected in ("cột 4 = 5 + 6: 2 ≠ 1", "cột 4 2 > cột 3 1", "cột 7 2 > cột 3 1", "cột 8 + 9 2 > cột 3 1",
                     "≠ tổng các dòng"):
        assert expected in problems


# --- the catalogue query --------------------------------------------------------------------------

def _step_at(procedure: Procedure, unit) -> None:
    variant = ProcedureVariant.objects.get(version__procedure=procedure)
    WorkflowStep.objects.create(variant=variant, order=9, name="Ý kiến cơ quan phối hợp", role=Role.SPECIALIST,
                                unit=unit, budget_value=Decimal("1"), budget_unit=TimeUnit.WORKING_DAYS)


@pytest.fixture
def catalogue(db):
    t = f.province_tree()
    desk = Desk.objects.create(name="Trung tâm Phục vụ hành chính công", host_unit=t["province"])
    desk.serves.set([t["justice"], t["commune_a"]])
    Desk.objects.create(name="Bộ phận đã đóng", host_unit=t["construction"], is_active=False).serves.set([t["construction"]])
    p = {
        "justice": f.procedure(competent_unit=t["justice"]),
        # a division of the justice department, with a step at the construction department: liên thông
        "records": f.procedure(competent_unit=t["records"]),
        "construction": f.procedure(competent_unit=t["construction"]),   # its desk is closed
        "commune": f.procedure(level=Level.COMMUNE),
        "ministry": f.procedure(level=Level.MINISTRY, competent_unit=f.unit("Bộ Tư pháp", kind=UnitKind.MINISTRY)),
        "draft": f.procedure(competent_unit=t["justice"], published=False),
        "retired": f.procedure(competent_unit=t["justice"]),
    }
    _step_at(p["records"], t["construction"])
    _step_at(p["construction"], t["records"])     # liên thông, but not received at an active desk
    p["construction"].versions.update(online_mode=OnlineMode.FULL)
    p["commune"].versions.update(online_mode=OnlineMode.PARTIAL)
    # a second case without workflow steps: the commune procedure has no approved internal workflow
    version = p["commune"].versions.get()
    ProcedureVariant.objects.create(version=version, code="TH2", name="Trường hợp khác",
                                    time_limit_value=Decimal("3"), time_limit_unit=TimeUnit.WORKING_DAYS)
    p["retired"].versions.update(status=VersionStatus.RETIRED, valid_to=dt.date(2025, 12, 31))
    return t, p


def _by_level(report) -> dict[str, Counts07b]:
    return {row.key[0]: row.counts for row in report.rows}


def test_the_summary_of_a_built_catalogue(catalogue):
    report = queries07b.bieu07b(END)
    rows = _by_level(report)
    assert list(rows) == ["ministry", "province", "commune"]
    assert rows["ministry"] == Counts07b(procedures=1, with_workflow=1)
    assert rows["province"] == Counts07b(procedures=3, at_desk=2, one_stop=1, interagency=1, with_workflow=3,
                                         online_full=1)
    assert rows["commune"] == Counts07b(procedures=1, at_desk=1, one_stop=1, online_partial=1)
    assert report.total.procedures == 5 and check(report) == []


def test_a_retired_version_counts_for_a_date_in_its_period(catalogue):
    assert queries07b.bieu07b(dt.date(2025, 12, 31)).total.procedures == 6
    assert queries07b.bieu07b(dt.date(2025, 6, 30)).total.procedures == 0   # before every version


def test_a_unit_scope_keeps_its_procedures_and_the_communes_for_a_commune(catalogue):
    t, _ = catalogue
    justice = queries07b.bieu07b(END, Scope(unit=t["justice"]))
    assert justice.total == Counts07b(procedures=2, at_desk=2, one_stop=1, interagency=1, with_workflow=2)
    commune = _by_level(queries07b.bieu07b(END, Scope(unit=t["commune_a"])))
    assert commune["commune"].procedures == 1 and commune["commune"].at_desk == 1
    # commune B has no desk: its commune-level procedures are not received at a one-stop desk
    commune_b = queries07b.bieu07b(END, Scope(unit=t["commune_b"]))
    assert commune_b.total == Counts07b(procedures=1, online_partial=1)
    assert queries07b.bieu07b(END, Scope(level=Level.COMMUNE)).rows[0].key == ("commune", "Cấp xã")


def test_by_sector(catalogue):
    f.sector("DATDAI", "Đất đai")
    report = queries07b.bieu07b(END, by="sector")
    assert [r.key for r in report.rows] == [("HOTICH", "Hộ tịch")]
    assert report.rows[0].counts == report.total


def test_the_demo_catalogue_agrees_with_the_portal_desk_rule(db):
    """The desk column against catalog.search.receiving_desks (what the portal shows), and the
    online and workflow columns against the catalogue read procedure by procedure."""
    from motcua import demo

    demo.load_demo()
    report = queries07b.bieu07b(END)
    check_rows = check(report)
    assert check_rows == []
    versions = list(versions_in_force(END).select_related("procedure__competent_unit"))
    assert report.total.procedures == len({v.procedure_id for v in versions}) == 32
    at_desk = sum(receiving_desks(v.procedure.competent_unit, v.procedure.level).exists() for v in versions)
    assert report.total.at_desk == at_desk > 0
    assert report.total.online_full == sum(v.online_mode == OnlineMode.FULL for v in versions) > 0
    assert report.total.online_partial == sum(v.online_mode == OnlineMode.PARTIAL for v in versions) > 0
    assert report.total.with_workflow == sum(all(var.steps.exists() for var in v.variants.all()) for v in versions)
    assert _by_level(report)["province"].procedures == Procedure.objects.filter(level=Level.PROVINCE).count()


# --- the command -----------------------------------------------------------------------------------

def report(*args, binary: bool = False) -> tuple[int, str | bytes, str]:
    return run_command("report", *args, binary=binary)


PERIOD = ["--form", "07b", "--from", "2026-01-01", "--to", "2026-03-31"]


def test_command_json_and_csv(catalogue):
    t, _ = catalogue
    code, out, _ = report(*PERIOD)
    assert code == 0
    data = json.loads(out)
    assert (data["report"], data["on"], data["by"]) == ("bieu07b", "2026-03-31", "level")
    assert data["columns"]["6"]["heading"] == "Trong đó: một cửa liên thông"
    assert [r["code"] for r in data["rows"]] == ["ministry", "province", "commune"]
    assert data["total"]["procedures"] == 5 and data["total"]["interagency"] == 1
    code, out, _ = report(*PERIOD, "--format", "csv", "--unit", t["justice"].identifier)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:4] == ["STT", "Mã cấp thực hiện", "Cấp thực hiện", "(3) Tổng số TTHC"]
    assert rows[-2][2] == "Tổng cộng" and rows[-2][3] == "2"
    assert "Sở Tư pháp và các đơn vị trực thuộc" in rows[-1][0]


def test_command_xlsx_to_standard_output_and_pdf_to_a_file(catalogue, tmp_path):
    code, raw, err = report(*PERIOD, "--format", "xlsx", binary=True)
    assert code == 0 and raw[:2] == b"PK", err
    ws = load_workbook(io.BytesIO(raw)).active
    cells = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
    assert "Biểu số 07b/VPCP/KSTT" in cells.values() and "TỔNG HỢP SỐ LƯỢNG THỦ TỤC HÀNH CHÍNH" in cells.values()
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"D11:F11", "E12:F12", "H11:I11", "C11:C13", "G11:G13"} <= merged
    assert (ws["E13"].value, ws["F13"].value) == ("Một cửa", "Một cửa liên thông")
    assert [ws.cell(14, c).value for c in (1, 9)] == ["(1)", "(9)"]
    total = [ws.cell(18, c).value for c in range(2, 10)]
    assert total == ["Tổng cộng", 5, 3, 2, 1, 4, 1, 1]
    target = tmp_path / "bieu07b.pdf"
    code, out, err = report(*PERIOD, "--format", "pdf", "--output", str(target), "--by", "sector")
    assert code == 0 and out == "" and "Đã ghi" in err
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True).stdout
    for expected in ("TỔNG HỢP SỐ LƯỢNG THỦ TỤC HÀNH CHÍNH", "Biểu số 07b/VPCP/KSTT", "Một cửa liên thông",
                     "Hộ tịch", "Tổng cộng", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "THỦ TRƯỞNG ĐƠN VỊ"):
        assert expected in text


@pytest.mark.django_db
@pytest.mark.parametrize("args, message", [
    (["--form", "07a", "--from", "2026-01-01", "--to", "2026-03-31"], "Biểu --form “07a” không hợp lệ (06, 07b)"),
    (PERIOD + ["--by", "unit"], "Cách nhóm --by “unit” không hợp lệ (level, sector)"),
    (["--from", "2026-01-01", "--to", "2026-03-31", "--by", "level"], "Cách nhóm --by “level” không hợp lệ"),
    (PERIOD + ["--format", "pdf", "--output", "/khong/co/thu/muc/b.pdf"], "không tồn tại"),
    (PERIOD + ["--sector", "KHONGCO"], "Không tìm thấy lĩnh vực"),
])
def test_07b_refusals(args, message):
    code, out, err = report(*args)
    assert code == 2 and out == ""
    assert message in err


def test_resolve_scope_is_shared_with_bieu06(catalogue):
    t, _ = catalogue
    assert resolve_scope(unit=t["justice"].identifier).unit == t["justice"]
