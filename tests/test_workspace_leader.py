"""Leaders' views: approvals waiting, overdue and at-risk dossiers of the units below, workload per
officer, and the dossier list every number drills down to."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

import factories
from motcua.accounts.models import Role
from motcua.dossiers import services as s
from motcua.dossiers.files import Upload
from motcua.dossiers.models import Dossier
from motcua.dossiers.progress import standing

pytestmark = pytest.mark.django_db


def lodge(w, variant, days_ago: float, *, forward=True, claim_by=None, to_leader=False) -> Dossier:
    when = timezone.now() - dt.timedelta(days=days_ago)
    d = s.submit_online(w.applicant, variant, actor=w.citizen, at=when, documents=[
        Upload("Đơn đề nghị", required_id=variant.documents.get(order=1).pk, file_name="don.pdf",
               content=b"%PDF-1.4\n%%EOF\n")])
    d = s.accept(d, w.receptionist, at=when + dt.timedelta(minutes=5))
    if forward:
        d = s.forward(d, w.receptionist, at=when + dt.timedelta(minutes=10))
    if claim_by is not None:
        d = s.claim(d, claim_by, at=when + dt.timedelta(minutes=15))
    if to_leader:
        d = s.forward(d, claim_by, at=when + dt.timedelta(minutes=20))
    return d


@pytest.fixture
def w(settings):
    settings.MOTCUA_AT_RISK_SHARE = 1.0  # any working time spent on an open step makes it at risk
    w = factories.dossier_world(days="30")
    w.short = factories.full_procedure(w.tree["justice"], days="3", name="Thủ tục ngắn")
    w.waiting = lodge(w, w.variant, 4, claim_by=w.specialist, to_leader=True)      # at the leader's step
    w.late = [lodge(w, w.short, 12, claim_by=w.specialist) for _ in range(2)]      # overdue, held by specialist
    w.risky = lodge(w, w.variant, 4, claim_by=w.specialist2)                        # at risk (share 1.0)
    w.fresh = lodge(w, w.variant, 0, forward=False)                                 # at the desk's step
    w.builder_unit = lodge(w, factories.full_procedure(w.tree["construction"]), 1)  # another department
    return w


def codes(html: str) -> set[str]:
    return set(re.findall(r"\d{3}\.\d{2}\.\d{2}\.H99-\d{6}-\d{4}", html))


def test_the_leader_sees_approvals_overdue_at_risk_and_workload(client, w):
    client.force_login(w.leader)
    html = client.get("/can-bo/lanh-dao/").content.decode()
    approvals = html[html.index("Kết quả chờ phê duyệt"):html.index("Đơn vị cấp dưới")]
    assert codes(approvals) == {w.waiting.code}
    now = timezone.now()
    statuses = {d.code: standing(Dossier.objects.get(pk=d.pk), now).status
                for d in [w.waiting, *w.late, w.risky, w.fresh]}
    assert statuses[w.late[0].code] == "over" and statuses[w.risky.code] == "at_risk"
    expected_risk = {c for c, st in statuses.items() if st == "at_risk"}
    units = html[html.index("Đơn vị cấp dưới"):html.index("Khối lượng việc")]
    assert "Sở Tư pháp" in units and "Sở Xây dựng" not in units  # only the units below this leader
    assert re.search(r'aria-label="2 hồ sơ quá hạn của Sở Tư pháp"', units)
    assert re.search(rf'aria-label="{len(expected_risk)} hồ sơ sắp đến hạn của Sở Tư pháp"', units)
    workload = html[html.index("Khối lượng việc"):html.index("Quá hạn lâu nhất")]
    assert re.search(rf'can_bo={w.specialist.username}">2</a>', workload)   # the two late ones
    assert re.search(rf'can_bo={w.specialist2.username}">1</a>', workload)
    assert "Chưa ai nhận" in workload and "Lãnh đạo" in workload
    assert f'<span class="n">{len(expected_risk)}</span> sắp đến hạn' in html


def test_every_number_drills_down_to_its_dossiers(client, w):
    client.force_login(w.leader)
    unit = w.tree["justice"].pk
    now = timezone.now()
    over = client.get("/can-bo/ho-so/", {"don_vi": unit, "tinh_trang": "qua_han"}).content.decode()
    assert codes(over) == {d.code for d in w.late} and "2 hồ sơ" in over
    risk = client.get("/can-bo/ho-so/", {"don_vi": unit, "tinh_trang": "sap_den_han"}).content.decode()
    assert codes(risk) == {d.code for d in Dossier.objects.filter(resolving_unit=unit, code__isnull=False)
                           if standing(d, now).status == "at_risk"}
    held = client.get("/can-bo/ho-so/", {"can_bo": w.specialist.username}).content.decode()
    assert codes(held) == {w.late[0].code, w.late[1].code}
    everything = client.get("/can-bo/ho-so/", {"trang_thai": ""}).content.decode()
    assert {w.waiting.code, w.fresh.code, w.risky.code} <= codes(everything)
    assert w.builder_unit.code not in everything  # another department's, outside this leader's reach
    found = client.get("/can-bo/ho-so/", {"ma": w.risky.code})
    assert found.status_code == 302 and found["Location"] == f"/can-bo/ho-so/{w.risky.code}/"
    missing = client.get("/can-bo/ho-so/", {"ma": w.builder_unit.code}).content.decode()
    assert "Không tìm thấy hồ sơ mã" in missing


def test_the_lists_page_by_key(client, w):
    for _ in range(30):
        lodge(w, w.variant, 0.5)
    client.force_login(w.leader)
    first = client.get("/can-bo/ho-so/", {"trang_thai": ""})
    key = first.context["next_key"]
    assert key and len(first.context["rows"]) == 25
    rest = client.get("/can-bo/ho-so/", {"trang_thai": "", "sau": key})
    shown = [d.pk for d, _ in first.context["rows"]] + [d.pk for d, _ in rest.context["rows"]]
    assert len(shown) == len(set(shown)) == Dossier.objects.filter(resolving_unit=w.tree["justice"]).count()
    opened = client.get("/can-bo/ho-so/")  # the default: what is still being resolved, soonest due first
    dues = [d.due_at for d, _ in opened.context["rows"]]
    assert dues == sorted(dues) and opened.context["count"] == Dossier.objects.filter(
        resolving_unit=w.tree["justice"], state__in=("received", "processing")).count()


def test_only_leaders_open_the_leaders_page(client, w):
    client.force_login(w.specialist)
    assert client.get("/can-bo/lanh-dao/").status_code == 403
    page = client.get("/can-bo/").content.decode()
    assert "Theo dõi, điều hành" not in page and "Tra cứu hồ sơ" in page
    province_leader = factories.staff(w.tree["province"], Role.LEADER)
    client.force_login(province_leader)
    html = client.get("/can-bo/lanh-dao/").content.decode()
    assert "Sở Tư pháp" in html and "Sở Xây dựng" in html  # the province leader sees every department
