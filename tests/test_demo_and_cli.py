"""The demo province, the `motcua` command, and the product served over real HTTP."""

import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from motcua import demo
from motcua.accounts.models import Role, StaffMembership
from motcua.catalog.models import Procedure, Sector
from motcua.org.models import OrgUnit, UnitKind
from motcua.org.services import unit_by_identifier

MOTCUA = [sys.executable, "-m", "motcua.cli"]
ON_SQLITE = os.environ.get("MOTCUA_TEST_DB", "SQLite") == "SQLite"
only_once = pytest.mark.skipif(not ON_SQLITE, reason="subprocess tests use their own SQLite database; run once")


@pytest.mark.django_db
def test_demo_province_is_complete_and_loads_once():
    assert demo.load_demo() is True
    assert OrgUnit.objects.filter(kind=UnitKind.DEPARTMENT).count() >= 3
    assert OrgUnit.objects.filter(kind=UnitKind.COMMUNE).count() >= 4
    assert OrgUnit.objects.filter(kind=UnitKind.SERVICE_CENTRE).count() == 1
    assert Procedure.objects.count() >= 30 and Sector.objects.count() >= 6
    roles = StaffMembership.objects.values_list("role", flat=True)
    assert set(roles) == set(Role.values)
    assert StaffMembership.objects.values("unit").distinct().count() >= 8
    hac_thanh = OrgUnit.objects.get(identifier="000.20.01.H56")
    assert unit_by_identifier("000.01.11.H56", on=__import__("datetime").date(2025, 1, 1)) == hac_thanh
    assert demo.load_demo() is False


def run(args, env, **kw):
    return subprocess.run([*MOTCUA, *args], env=env, capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture
def cli_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(MOTCUA_VAR_DIR=str(tmp_path / "var"), PYTHONPATH=str(Path(__file__).resolve().parent.parent / "src"))
    return env


@only_once
def test_every_command_has_help(cli_env):
    top = run(["--help"], cli_env)
    assert top.returncode == 0 and "load-demo" in top.stdout and "catalog" in top.stdout
    from motcua.cli import COMMANDS

    for command in [c for c in COMMANDS if c != "deadline"]:  # deadline's own tests cover its help
        result = run([command, "--help"], cli_env)
        assert result.returncode == 0, (command, result.stderr)
        assert "usage:" in result.stdout


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@only_once
def test_demo_then_serve_over_http(cli_env, tmp_path):
    result = run(["demo", "--no-serve"], cli_env)
    assert result.returncode == 0, result.stderr
    assert "tiepnhan.hacthanh" in result.stdout and demo.DEMO_PASSWORD in result.stdout
    database = tmp_path / "var" / "motcua.sqlite3"
    assert sqlite3.connect(database).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600

    port = free_port()
    server = subprocess.Popen([*MOTCUA, "serve"], env=dict(cli_env, PORT=str(port)),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        home = urllib.request.urlopen(base + "/").read().decode()
        assert "Hệ thống thông tin giải quyết thủ tục hành chính" in home and "UBND tỉnh Thanh Hóa" in home
        found = urllib.request.urlopen(base + "/?q=" + urllib.parse.quote("dang ky khai sinh")).read().decode()
        assert "1.001193" in found
        static = urllib.request.urlopen(base + "/static/admin/css/base.css")
        assert static.status == 200

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = opener.open(base + "/admin/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "quantri.tuphap",
                                       "password": demo.DEMO_PASSWORD, "next": "/admin/"}).encode()
        request = urllib.request.Request(base + "/can-bo/dang-nhap/", data=body,
                                         headers={"Referer": base + "/can-bo/dang-nhap/"})
        page = opener.open(request).read().decode()
        assert "Danh mục thủ tục hành chính" in page
        units = opener.open(base + "/admin/org/orgunit/").read().decode()
        assert "Sở Tư pháp tỉnh Thanh Hóa" in units and "UBND xã Thọ Xuân" not in units
    finally:
        server.terminate()
        server.wait(timeout=10)


@only_once
def test_demo_prints_emails_and_starts_the_local_payment_gateway(cli_env):
    port, gateway_port = free_port(), free_port()
    env = {k: v for k, v in cli_env.items() if k not in ("EMAIL_BACKEND", "MOTCUA_VNPAY_HASH_SECRET")}
    env.update(PORT=str(port), MOTCUA_VNPAY_URL=f"http://127.0.0.1:{gateway_port}/paymentv2/vpcpay.html")
    server = subprocess.Popen([*MOTCUA, "demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in server.stdout:  # the demo says what it started before it serves
            lines.append(line)
            if "đang phục vụ" in line:
                break
        text = "".join(lines)
        assert "Thư điện tử (kể cả mã xác thực tài khoản) được in ra tại đây." in text
        assert f"Cổng thanh toán thử nghiệm (giao thức VNPay) tại http://127.0.0.1:{gateway_port}/" in text
        with pytest.raises(urllib.error.HTTPError) as refused:  # the gateway answers: an unsigned request is refused
            urllib.request.urlopen(f"http://127.0.0.1:{gateway_port}/paymentv2/vpcpay.html?vnp_Amount=1", timeout=5)
        assert refused.value.code == 400
    finally:
        server.terminate()
        server.wait(timeout=10)


@only_once
def test_catalog_cli_round_trip_and_refusal(cli_env, tmp_path):
    assert run(["demo", "--no-serve"], cli_env).returncode == 0
    exported = tmp_path / "catalog.json"
    assert run(["catalog", "export", str(exported)], cli_env).returncode == 0
    doc = json.loads(exported.read_text(encoding="utf-8"))
    assert len(doc["procedures"]) >= 30
    doc["procedures"][0]["versions"][0]["variants"][0]["steps"][0]["budget"]["value"] = "99"
    doc["procedures"][1]["name"] = "Tên đã đổi"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run(["catalog", "import", str(broken)], cli_env)
    assert result.returncode != 0
    assert "$.procedures[0].versions[0].variants[0].steps: Tổng thời gian" in result.stderr
    again = run(["catalog", "export"], cli_env)
    assert json.loads(again.stdout) == json.loads(exported.read_text(encoding="utf-8"))  # nothing changed
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{", encoding="utf-8")
    assert "Không đọc được tệp danh mục" in run(["catalog", "import", str(bad_json)], cli_env).stderr


@only_once
def test_createadmin_and_secret_key(cli_env, tmp_path):
    assert run(["migrate", "-v0"], cli_env).returncode == 0
    result = run(["createadmin", "--username", "root2"], dict(cli_env, MOTCUA_ADMIN_PASSWORD="Mot-mat-khau-rat-dai-1"))
    assert result.returncode == 0, result.stderr
    again = run(["createadmin", "--username", "root2"], dict(cli_env, MOTCUA_ADMIN_PASSWORD="Mot-mat-khau-rat-dai-1"))
    assert again.returncode != 0 and "đã tồn tại" in again.stderr
    key = (tmp_path / "var" / "secret_key").read_text()
    probe = "from django.conf import settings; print(settings.SECRET_KEY, settings.DEBUG, settings.TIME_ZONE, settings.LANGUAGE_CODE)"
    out = subprocess.run([sys.executable, "-c", f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='motcua.settings'; {probe}"],
                         env=cli_env, capture_output=True, text=True).stdout.split()
    assert out == [key, "False", "Asia/Ho_Chi_Minh", "vi"]
    out = subprocess.run([sys.executable, "-c", f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='motcua.settings'; {probe}"],
                         env=dict(cli_env, SECRET_KEY="from-env", DEBUG="1"), capture_output=True, text=True).stdout.split()
    assert out[:2] == ["from-env", "True"]
