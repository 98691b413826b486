"""The statistics pages (/bao-cao/) over HTTP and in Chromium.

Who may open them (a receptionist gets 403, the menu shows them to report roles only), the reach of
a department leader, the refusals of bad input in Vietnamese, the downloads, and the promise that
every figure clicks through to exactly its dossiers: each Biểu 06 total cell, the dashboard's
links and the scores' dossier counts against the dossier list. Then one run in Chromium: home →
Biểu 06 → CSV download → dashboard → click a bar → the list shows those dossiers; axe on each page.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re

import openpyxl
import pytest

import a11y
from motcua import demo
from motcua.accounts.models import StaffMembership, User
from motcua.calendar.core import TZ
from motcua.dossiers import generate as g
from motcua.dossiers.models import Dossier
from motcua.org.models import OrgUnit
from motcua.reports import drill, queries
from motcua.reports.bieu06 import COLUMNS, Period, Policy, classify

UNTIL = dt.datetime(2026, 3, 31, 17, 0, tzinfo=TZ)
Q1 = "tu=2026-01-01&den=2026-03-31"
PAGES = ("/bao-cao/", "/bao-cao/bieu-06/", "/bao-cao/bang-dieu-khien/", "/bao-cao/danh-gia/")


def _history():
    demo.load_demo()
    g.provide_role_holders()
    g.generate(dossiers=400, months=3, seed=5, until=UNTIL, fork=False)


@pytest.fixture
def history(db):
    _history()


@pytest.fixture
def province(db):
    demo.load_demo()   # the units and staff, no dossiers: enough for the refusals


def client_for(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def text(response) -> str:
    return response.content.decode()


def errors(response) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'class="error" role="alert">([^<]*)<', text(response))]


def links(response) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*\?bc=[^"]*)"', text(response))]


def listed(client, url) -> tuple[int, list[str]]:
    """(count, codes of every page) of the dossier list at ``url``."""
    r = client.get(url)
    assert r.status_code == 200, errors(r)
    count = int(re.search(r'id="result-count">(\d+) hồ sơ', text(r)).group(1))
    codes = re.findall(r'href="/can-bo/ho-so/([^/"]+)/"', text(r))
    nxt = re.search(r'href="\?([^"]*sau=[^"]*)"', text(r))
    while nxt:
        r = client.get("/can-bo/ho-so/?" + html.unescape(nxt.group(1)))
        codes += re.findall(r'href="/can-bo/ho-so/([^/"]+)/"', text(r))
        nxt = re.search(r'href="\?([^"]*sau=[^"]*)"', text(r))
    return count, list(dict.fromkeys(codes))


# --- access and reach ---------------------------------------------------------------------------------------

def test_a_receptionist_is_refused_and_does_not_see_the_menu_entry(history, client):
    c = client_for(client, "tiepnhan.tinh")
    for url in PAGES:
        assert c.get(url).status_code == 403, url
    assert "Báo cáo, thống kê" not in text(c.get("/can-bo/"))
    c = client_for(client, "thanhtra")
    assert re.search(r'href="/bao-cao/"[^>]*>Báo cáo, thống kê</a>', text(c.get("/can-bo/ho-so/")))
    for url in PAGES:
        assert c.get(url).status_code == 200, url


def test_a_department_leader_sees_only_the_department(history, client):
    # the leader of the busiest unit below the province (a department or a commune)
    leaders = StaffMembership.objects.filter(role="leader", unit__depth__gt=0).select_related("user", "unit")
    m = max(leaders, key=lambda m: Dossier.objects.filter(resolving_unit__path__startswith=m.unit.path).count())
    c = client_for(client, m.user.username)
    justice = m.unit
    province = OrgUnit.objects.get(depth=0) if OrgUnit.objects.filter(depth=0).count() == 1 else None
    r = c.get(f"/bao-cao/bieu-06/?{Q1}&nhom=unit")
    options = re.findall(r'<option value="([^"]*)"[^>]*>', text(r).split('id="f-unit"')[1].split("</select>")[0])
    assert options[0] == justice.identifier
    assert set(options) == set(OrgUnit.objects.filter(path__startswith=justice.path).values_list("identifier", flat=True))
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    expected = queries.bieu06(period, Policy(), queries.Scope(unit=justice), "unit").total.received
    assert re.findall(r'<a href="[^"]*">(\d+)</a>', text(r).split("<tfoot>")[1])[0] == str(expected)
    # another unit, asked for by its code: refused, also through the dossier list's figures
    other = OrgUnit.objects.exclude(path__startswith=justice.path).exclude(identifier="").first()
    r = c.get(f"/bao-cao/bieu-06/?{Q1}&don_vi={other.identifier}")
    assert r.status_code == 400 and errors(r) == [
        f"Cơ quan “{other.identifier}” không có hoặc không thuộc phạm vi báo cáo của bạn."]
    r = c.get(drill.link("b06", period, other, Policy(), nhom="unit", cot=3))
    assert errors(r) == ["Cơ quan của số liệu không có hoặc không thuộc phạm vi báo cáo của bạn."]
    assert 'id="result-count">0 hồ sơ' in text(r)
    r = c.get(f"/bao-cao/danh-gia/?nam=2026&quy=1&don_vi={justice.identifier}")
    names = re.findall(r'<tr><th scope="row">([^<]+)</th>', text(r).split('id="unit-scores"')[1].split("</table>")[0])
    assert names and set(names) <= set(OrgUnit.objects.filter(path__startswith=justice.path).values_list("name", flat=True))
    assert province is None or province.name not in names


@pytest.mark.parametrize("url, message", [
    ("/bao-cao/bieu-06/?tu=2026-02-30&den=2026-03-31", "Từ ngày “2026-02-30” không phải ngày hợp lệ (dd/mm/yyyy)."),
    ("/bao-cao/bieu-06/?tu=2026-03-31&den=2026-01-01", "Ngày kết thúc kỳ báo cáo (01/01/2026) trước ngày bắt đầu (31/03/2026)."),
    (f"/bao-cao/bieu-06/?{Q1}&nhom=tinh", "Cách nhóm “tinh” không hợp lệ (lĩnh vực, cơ quan hoặc thủ tục)."),
    (f"/bao-cao/bieu-06/?{Q1}&format=docx", "Định dạng “docx” không hợp lệ"),
    (f"/bao-cao/bieu-06/?{Q1}&so_sanh=gio", "Cách so sánh “gio” không hợp lệ (date hoặc instant)."),
    ("/bao-cao/bang-dieu-khien/?tu=2023-01-01&den=2026-03-31", "Bảng điều khiển xem tối đa 24 tháng; hãy chọn kỳ ngắn hơn."),
    ("/bao-cao/bang-dieu-khien/?tu=ngay-mai", "Từ ngày “ngay-mai” không phải ngày hợp lệ (dd/mm/yyyy)."),
    ("/bao-cao/danh-gia/?nam=26", "Năm “26” không hợp lệ (bốn chữ số, từ 2000 đến 2100)."),
    ("/bao-cao/danh-gia/?nam=2026&quy=5", "Quý “5” không hợp lệ (1, 2, 3 hoặc 4)."),
])
def test_bad_input_is_refused_in_vietnamese(province, client, url, message):
    r = client_for(client, "thanhtra").get(url)
    assert r.status_code == 400
    assert len(errors(r)) == 1 and errors(r)[0].startswith(message)
    assert 'id="bieu06"' not in text(r) and 'id="unit-scores"' not in text(r) and "<svg" not in text(r)


def test_a_figure_with_bad_parameters_is_refused_on_the_dossier_list(province, client):
    c = client_for(client, "thanhtra")
    province = OrgUnit.objects.order_by("depth", "path").first()
    r = c.get(f"/can-bo/ho-so/?bc=b06&bc_tu=2026-01-01&bc_den=2026-03-31&bc_dv={province.identifier}&bc_cot=99")
    assert errors(r) == ["Cột “99” của Biểu 06 không hợp lệ."] and 'id="result-count">0 hồ sơ' in text(r)
    r = c.get("/can-bo/ho-so/?bc=zzz")
    assert errors(r) == ["Loại số liệu “zzz” không hợp lệ."]


# --- downloads and click-through ----------------------------------------------------------------------------

def test_downloads_carry_the_numbers_of_the_page(history, client):
    c = client_for(client, "thanhtra")
    page = text(c.get(f"/bao-cao/bieu-06/?{Q1}&nhom=unit"))
    hrefs = [html.unescape(h) for h in re.findall(r'href="\?([^"]*format=[^"]*)"', page)]
    assert {re.search(r"format=(\w+)", h).group(1) for h in hrefs} == {"csv", "json", "xlsx", "pdf"}
    r = c.get(f"/bao-cao/bieu-06/?{Q1}&nhom=unit&format=csv")
    assert r["Content-Type"].startswith("text/csv") and "attachment;" in r["Content-Disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    total = next(row for row in rows if len(row) > 3 and row[2] == "Tổng cộng")
    data = json.loads(c.get(f"/bao-cao/bieu-06/?{Q1}&nhom=unit&format=json").content)
    assert int(total[3]) == data["total"]["received"] > 0
    foot = page.split("<tfoot>")[1]
    assert re.findall(r'<a href="[^"]*">(\d+)</a>', foot)[0] == total[3]
    # Excel and PDF: the same files as `motcua report` (exports.render_06), total included
    r = c.get(f"/bao-cao/bieu-06/?{Q1}&nhom=unit&format=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats") and r.content[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    totals = [row for row in sheet.iter_rows(values_only=True) if "Tổng cộng" in row]
    assert totals and int(total[3]) in totals[0]
    r = c.get(f"/bao-cao/bieu-06/?{Q1}&nhom=unit&format=pdf")
    assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")


def test_every_total_cell_of_bieu06_lists_exactly_its_dossiers(history, client):
    c = client_for(client, "thanhtra")
    page = text(c.get(f"/bao-cao/bieu-06/?{Q1}&nhom=unit"))
    foot = page.split("<tfoot>")[1].split("</tfoot>")[0]
    cells = [(html.unescape(h), int(n)) for h, n in re.findall(r'<a href="([^"]*)">(\d+)</a>', foot)]
    assert len(cells) == len(COLUMNS)
    period, policy = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), Policy()
    province = OrgUnit.objects.order_by("depth", "path").first()
    facts = queries.dossier_facts(period, queries.Scope(unit=province), "unit")
    for (href, value), number in zip(cells, COLUMNS):
        count, codes = listed(c, href)
        expected = sorted(code for _, code, f in facts if (k := classify(f, period, policy)) and k.column(number))
        assert count == value == len(expected), number
        if number in (4, 10, 13):   # walk every page of a few columns: exactly those codes
            assert sorted(codes) == expected, number
    assert any(v for _, v in cells[5:8]) and cells[7][1] > 0   # the history has late dossiers


def test_dashboard_and_scores_figures_click_through(history, client):
    c = client_for(client, "thanhtra")
    page = text(c.get(f"/bao-cao/bang-dieu-khien/?{Q1}"))
    assert page.count("<svg") == 5 and "cdn" not in page.lower() and "<script" not in page.split("<main")[1]
    # a table cell and the bar of the same figure carry the same link
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num"><a href="([^"]+)">(\d+)</a>', page)
    checked = 0
    for name, href, value in rows:
        href = html.unescape(href)
        assert html.escape(href) in page.split("<table")[0] or "bc=b06" in href or "bc=buoc" in href or "bc=xl" in href
        count, _ = listed(c, href)
        assert count == int(value), (name, href)
        checked += 1
    assert checked >= 10 and any("bc=buoc" in html.unescape(h) for _, h, _ in rows)
    assert any("bc=xl" in html.unescape(h) for _, h, _ in rows)
    scores_page = text(c.get("/bao-cao/danh-gia/?nam=2026&quy=1"))
    table = scores_page.split('id="unit-scores"')[1].split("</table>")[0]
    for href, value in re.findall(r'<a href="([^"]+)">(\d+)</a>', table)[:3]:
        assert listed(c, html.unescape(href))[0] == int(value)


# --- in Chromium --------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_from_home_to_a_bar_and_its_dossiers_in_a_browser(live_server, page, tmp_path):
    _history()
    page.goto(f"{live_server.url}/can-bo/dang-nhap/?next=/bao-cao/")
    page.get_by_label("Tên đăng nhập").fill("thanhtra")
    page.get_by_label("Mật khẩu").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/bao-cao/")
    a11y.assert_accessible(page, "reports-home")
    page.get_by_role("link", name="Biểu 06 – Tình hình, kết quả giải quyết TTHC").click()
    page.get_by_label("Từ ngày").fill("2026-01-01")
    page.get_by_label("Đến ngày").fill("2026-03-31")
    page.get_by_label("Nhóm theo").select_option("unit")
    page.get_by_role("button", name="Xem báo cáo").click()
    page.locator("#bieu06").wait_for()
    a11y.assert_accessible(page, "reports-bieu06")
    page.screenshot(path=str(a11y.ARTIFACTS / "reports-bieu06.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    saved = tmp_path / "bieu06.csv"
    info.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "STT" and any(r[2:3] == ["Tổng cộng"] for r in rows)
    page.get_by_role("link", name="Báo cáo, thống kê").click()
    page.get_by_role("link", name="Bảng điều khiển").click()
    page.get_by_label("Từ ngày").fill("2026-01-01")
    page.get_by_label("Đến ngày").fill("2026-03-31")
    page.get_by_role("button", name="Xem", exact=True).click()
    page.locator("#kenh svg").wait_for()
    a11y.assert_accessible(page, "reports-dashboard")
    # every label of every chart is drawn inside its picture (long procedure names are shortened)
    outside = page.evaluate("""() => [...document.querySelectorAll('svg.chart text')].filter(t => {
        const box = t.getBBox(), view = t.ownerSVGElement.viewBox.baseVal;
        return box.x < 0 || box.x + box.width > view.width; }).map(t => t.textContent)""")
    assert outside == []
    page.screenshot(path=str(a11y.ARTIFACTS / "reports-dashboard.png"), full_page=True)
    bar = page.locator('#kenh svg a[aria-label^="Trực tuyến"]')
    shown = int(re.search(r": (\d+) hồ sơ", bar.get_attribute("aria-label")).group(1))
    assert shown > 0
    bar.locator("rect").click()
    page.locator("#figure").wait_for()
    assert page.locator("#result-count").inner_text() == f"{shown} hồ sơ"
    a11y.assert_accessible(page, "reports-drill-list")
    codes = set(page.locator("table a[href^='/can-bo/ho-so/']").all_inner_texts())
    province = OrgUnit.objects.order_by("depth", "path").first()
    expected = set(Dossier.objects.filter(resolving_unit__path__startswith=province.path, channel="online",
                                          received_at__gte=dt.datetime(2026, 1, 1, tzinfo=TZ),
                                          received_at__lt=dt.datetime(2026, 4, 1, tzinfo=TZ))
                   .order_by("code").values_list("code", flat=True)[:25])
    assert {c.strip() for c in codes} == expected
