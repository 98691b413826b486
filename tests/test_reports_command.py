"""`motcua report`: Biểu 06 as JSON or CSV on generated history; bad input refused with exit 2."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reports_support import run_command
from motcua import demo
from motcua.calendar.core import TZ
from motcua.dossiers import generate as g
from motcua.org.models import OrgUnit

ROOT = Path(__file__).resolve().parent.parent


def report(*args) -> tuple[int, str, str]:
    return run_command("report", *args)


@pytest.fixture
def history(db):
    demo.load_demo()
    g.provide_role_holders()
    g.generate(dossiers=600, months=4, seed=11, until=dt.datetime(2026, 4, 30, 17, tzinfo=TZ), fork=False)


def test_json_to_standard_output(history):
    code, out, _ = report("--from", "2026-01-01", "--to", "2026-03-31", "--by", "unit")
    assert code == 0
    data = json.loads(out)
    assert (data["from"], data["to"], data["by"]) == ("2026-01-01", "2026-03-31", "unit")
    assert data["policy"] == {"granularity": "date", "due": "extended"}
    assert "theo ngày" in data["footnote"]
    assert data["columns"]["9"]["heading"] == "Đã giải quyết: đúng hạn"
    t = data["total"]
    assert t["received"] > 0 and t["received"] == sum(r["received"] for r in data["rows"])
    assert t["received"] == t["resolved"] + t["in_progress"]
    assert OrgUnit.objects.filter(identifier=data["rows"][0]["code"]).exists()


def test_csv_to_a_file_with_a_unit_scope_and_instant_policy(history, tmp_path):
    unit = OrgUnit.objects.filter(parent__isnull=True).first()
    target = tmp_path / "bieu06.csv"
    code, out, err = report("--from", "2026-01-01", "--to", "2026-03-31", "--unit", unit.identifier,
                            "--format", "csv", "--output", str(target), "--granularity", "instant", "--due", "original")
    assert code == 0 and out == "" and "Đã ghi" in err
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads Vietnamese headings from UTF-8 only with the mark
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["STT", "Mã lĩnh vực", "Lĩnh vực", "(3) Số hồ sơ nhận giải quyết – Tổng số"]
    total = rows[-2]
    assert total[2] == "Tổng cộng"
    body = rows[1:-2]
    assert int(total[3]) == sum(int(r[3]) for r in body) > 0
    assert int(total[3]) == int(total[7]) + int(total[11])     # col 3 = col 7 + col 11 (after STT, code, name)
    assert "theo thời điểm" in rows[-1][0] and "hạn ban đầu" in rows[-1][0] and unit.name in rows[-1][0]


@pytest.mark.django_db
@pytest.mark.parametrize("args, message", [
    ([], "Thiếu --from"),
    (["--from", "2026-01-01"], "Thiếu --to"),
    (["--from", "01/01/2026", "--to", "2026-03-31"], "--from “01/01/2026” không phải ngày hợp lệ"),
    (["--from", "2026-02-30", "--to", "2026-03-31"], "--from “2026-02-30” không phải ngày hợp lệ"),
    (["--from", "2026-03-01", "--to", "2026-01-31"], "trước ngày bắt đầu"),
    (["--from", "2026-01-01", "--to", "2026-03-31", "--by", "month"], "Cách nhóm --by “month” không hợp lệ"),
    (["--from", "2026-01-01", "--to", "2026-03-31", "--format", "docx"], "Định dạng --format “docx” không hợp lệ"),
    (["--from", "2026-01-01", "--to", "2026-03-31", "--granularity", "week"], "date hoặc instant"),
    (["--from", "2026-01-01", "--to", "2026-03-31", "--due", "latest"], "original hoặc extended"),
    (["--from", "2026-01-01", "--to", "2026-03-31", "--unit", "KHONG-CO"], "Không tìm thấy cơ quan"),
    (["--from", "2026-01-01", "--to", "2026-03-31", "--level", "huyen"], "Cấp “huyen” không hợp lệ"),
    (["--from", "2026-01-01", "--to", "2026-03-31", "--output", "/khong/co/thu/muc/a.json"], "không tồn tại"),
])
def test_bad_input_is_refused_with_exit_2(args, message):
    code, out, err = report(*args)
    assert code == 2 and out == ""
    assert message in err


def test_the_real_command_refuses_a_bad_date_with_exit_2(tmp_path):
    """Through the `motcua` entry point in its own process: the message on stderr, nothing on stdout."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(MOTCUA_VAR_DIR=str(tmp_path / "var"), PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run([sys.executable, "-m", "motcua.cli", "report", "--from", "2026-13-01", "--to", "2026-12-31"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert "--from “2026-13-01” không phải ngày hợp lệ dạng YYYY-MM-DD." in done.stderr
