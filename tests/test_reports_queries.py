"""Biểu 06 from the tables (reports.queries) over history made by the generator.

A few thousand dossiers over eight months of the demo province: in every month, every grouping and
both granularities the identities hold in every row and the total; a month's in-progress is the
next month's carried-over (row by row); the received count agrees with a plain count of the rows;
the facts come in one query; a scope narrows the report to the unit's subtree.
"""

from __future__ import annotations

import datetime as dt

import pytest

from reports_support import MONTHS, generate_history, months
from motcua.dossiers.models import Dossier
from motcua.org.models import OrgUnit
from motcua.reports import queries
from motcua.reports.bieu06 import Period, Policy, ReportError, build, check

DOSSIERS = 3000


@pytest.fixture
def history(db):
    generate_history(DOSSIERS, seed=7)


def test_identities_and_carry_over_hold_on_generated_history(history, django_assert_num_queries):
    periods = months(dt.date(2025, 11, 1), MONTHS)   # the window's months, and one after it
    seen_resolved = seen_over = seen_carried = seen_waiting = seen_withdrawn = 0
    for granularity in ("date", "instant"):
        for by in queries.GROUPINGS:
            previous = None
            for period in periods:
                with django_assert_num_queries(1):
                    facts = queries.facts(period, queries.Scope(), by)
                report = build(facts, period, Policy(granularity))
                assert check(report) == [], (granularity, by, period)
                if previous is not None:
                    before = {row.key: row.counts.in_progress for row in previous.rows}
                    now = {row.key: row.counts.carried_over for row in report.rows}
                    keys = set(before) | set(now)
                    assert {k: before.get(k, 0) for k in keys} == {k: now.get(k, 0) for k in keys}, period
                    assert previous.total.in_progress == report.total.carried_over
                received_in = Dossier.objects.filter(received_at__gte=period.starts, received_at__lt=period.ends)
                t = report.total
                assert t.received_online + t.received_direct == received_in.count()
                assert t.received_online == received_in.filter(channel="online").count()
                resolved = Dossier.objects.filter(finished_at__gte=period.starts, finished_at__lt=period.ends,
                                                  received_at__isnull=False)
                assert t.resolved == resolved.count()
                seen_resolved += t.resolved
                seen_over += t.in_progress_over + t.resolved_late
                seen_carried += t.carried_over
                seen_waiting += t.awaiting_supplement
                seen_withdrawn += t.withdrawn_returned
                previous = report
    # The history exercises every kind of count, or the checks above would prove little.
    assert min(seen_resolved, seen_over, seen_carried, seen_waiting, seen_withdrawn) > 0


def test_a_unit_scope_counts_only_its_subtree(history):
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    whole = queries.bieu06(period, Policy(), by="unit")
    busiest = max(whole.rows, key=lambda r: r.counts.received)
    unit = OrgUnit.objects.get(identifier=busiest.key[0])
    parent = unit.parent
    scoped = queries.bieu06(period, Policy(), queries.resolve_scope(unit=parent.identifier), by="unit")
    under = set(OrgUnit.objects.filter(path__startswith=parent.path).values_list("identifier", flat=True))
    assert {row.key[0] for row in scoped.rows} <= under
    assert busiest.key in {row.key for row in scoped.rows}
    expected = sum(r.counts.received for r in whole.rows if r.key[0] in under)
    assert scoped.total.received == expected
    assert check(scoped) == []


def test_sector_procedure_and_level_scopes(history):
    period = Period(dt.date(2025, 11, 1), dt.date(2026, 6, 30))
    by_sector = queries.bieu06(period, Policy(), by="sector")
    code = by_sector.rows[0].key[0]
    one = queries.bieu06(period, Policy(), queries.resolve_scope(sector=code), by="procedure")
    assert one.total.received == by_sector.rows[0].counts.received
    procedure = one.rows[0].key[0]
    only = queries.bieu06(period, Policy(), queries.resolve_scope(procedure=procedure), by="procedure")
    assert [r.key for r in only.rows] == [one.rows[0].key]
    levels = [queries.bieu06(period, Policy(), queries.resolve_scope(level=lv)).total.received
              for lv in ("ministry", "province", "commune")]
    assert sum(levels) == by_sector.total.received


@pytest.mark.django_db
def test_unknown_codes_are_refused_in_vietnamese():
    with pytest.raises(ReportError, match="Không tìm thấy cơ quan, đơn vị có mã “XYZ”"):
        queries.resolve_scope(unit="XYZ")
    with pytest.raises(ReportError, match="lĩnh vực"):
        queries.resolve_scope(sector="nope")
    with pytest.raises(ReportError, match="thủ tục"):
        queries.resolve_scope(procedure="9.999")
    with pytest.raises(ReportError, match="Cấp “huyen” không hợp lệ"):
        queries.resolve_scope(level="huyen")
    with pytest.raises(ReportError, match="Cách nhóm"):
        queries.facts(Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31)), queries.Scope(), "month")
