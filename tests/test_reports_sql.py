"""Biểu 06 counted by the database (reports.bieu06_sql) equals the pure arithmetic (reports.bieu06).

Over 2,500 generated dossiers of the demo province (eight months): every month, a quarter and the
whole window, every grouping, both granularities and both due instants, the whole province and
narrower scopes — the SQL report equals ``build(facts(...))`` row by row and in the total. The
history holds the cases the SQL treats specially (open at the period's end with a due instant that
moved later, waiting for a supplement, paid online, withdrawn), or the equality would prove little.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports_support import MONTHS, generate_history, months
from motcua.dossiers.models import Dossier
from motcua.reports import queries
from motcua.reports.bieu06 import COLUMNS, Period, Policy, check, classify

DOSSIERS = 2500


@pytest.fixture
def history(db):
    generate_history(DOSSIERS, seed=11)


def as_table(report):
    return {row.key: row.counts.as_dict() for row in report.rows}, report.total.as_dict()


def test_sql_equals_the_pure_arithmetic(history):
    periods = months(dt.date(2025, 11, 1), MONTHS) + [Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
                                                      Period(dt.date(2025, 1, 1), dt.date(2026, 12, 31))]
    policies = [Policy("date", "extended"), Policy("instant", "extended"), Policy("date", "original"),
                Policy("instant", "original")]
    compared = 0
    for period in periods:
        for policy in policies:
            for by in queries.GROUPINGS:
                with CaptureQueriesContext(connection) as run:
                    sql = queries.bieu06(period, policy, by=by)
                selects = [q["sql"] for q in run.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
                assert len(selects) == 2 and "GROUP BY" in selects[0]   # the counts, then the rows' labels
                pure = queries.bieu06_python(period, policy, by=by)
                assert as_table(sql) == as_table(pure), (period, policy, by)
                assert check(sql) == []
                compared += 1
    assert compared == len(periods) * len(policies) * 3


def test_sql_equals_pure_in_narrower_scopes(history):
    period = Period(dt.date(2026, 2, 1), dt.date(2026, 4, 30))
    whole = queries.bieu06(period, Policy(), by="unit")
    busiest = max(whole.rows, key=lambda r: r.counts.received)
    sector = queries.bieu06(period, Policy(), by="sector").rows[0].key[0]
    procedure = queries.bieu06(period, Policy(), by="procedure").rows[-1].key[0]
    scopes = [queries.resolve_scope(unit=busiest.key[0]), queries.resolve_scope(sector=sector),
              queries.resolve_scope(procedure=procedure), queries.resolve_scope(level="commune"),
              queries.resolve_scope(unit=busiest.key[0], level="province")]
    for scope in scopes:
        for policy in (Policy("date"), Policy("instant", "original")):
            for by in queries.GROUPINGS:
                sql = queries.bieu06(period, policy, scope, by)
                assert as_table(sql) == as_table(queries.bieu06_python(period, policy, scope, by)), (scope, by)
    assert queries.bieu06(period, Policy(), scopes[0], "unit").total.received > 0


def test_the_history_has_the_cases_the_sql_treats_apart(history):
    """Open at a month's end with a due instant that moved later (so the SQL must find the one in
    force then), waiting for a supplement, paid online, withdrawn or stopped, early, on time, late."""
    moved = waiting = paid = withdrawn = early = late = over = 0
    for period in months(dt.date(2025, 11, 1), MONTHS - 1):
        current = dict(Dossier.objects.values_list("pk", "due_at"))
        for pk, _, f in queries.dossier_facts(period, queries.Scope(), "sector"):
            open_then = f.finished_at is None or f.finished_at >= period.ends
            moved += open_then and f.due_at != current[pk]
        t = queries.bieu06(period, Policy()).total
        waiting += t.awaiting_supplement
        paid += t.paid_online
        withdrawn += t.withdrawn_returned
        early += t.resolved_early
        late += t.resolved_late
        over += t.in_progress_over
    assert min(moved, waiting, paid, withdrawn, early, late, over) > 0, (moved, waiting, paid, withdrawn, early,
                                                                         late, over)


def test_a_cells_dossiers_are_those_the_pure_arithmetic_counts_there(history):
    """queries.cell_dossiers (the drill-down's list, the report's statement with one cell's condition)
    names exactly the dossiers ``classify`` puts in that cell: every column and "received in the
    period", the total and single rows, by sector and by unit, one channel, both granularities."""
    period = Period(dt.date(2026, 2, 1), dt.date(2026, 4, 30))
    checked = 0
    for by in ("sector", "unit"):
        for policy in (Policy(), Policy("instant", "original")):
            facts = queries.dossier_facts(period, queries.Scope(), by)
            rows = sorted({f.group[0] for _, _, f in facts if f.group[0]})
            for row in [None, rows[0], rows[-1]]:
                for channel in (None, "online"):
                    for column in [*map(str, COLUMNS), "new"]:
                        expected = sorted(
                            (code or "", pk) for pk, code, f in facts
                            if (row is None or f.group[0] == row) and (channel is None or f.channel == channel)
                            and (c := classify(f, period, policy))
                            and ((c.received_online or c.received_direct) if column == "new" else c.column(int(column))))
                        got = queries.cell_dossiers(period, policy, queries.Scope(), by, column, row=row, channel=channel)
                        assert got == [pk for _, pk in expected], (by, policy, row, channel, column)
                        checked += len(got)
    assert checked > 1000


def test_a_second_supplement_request_is_counted_from_its_rows(history):
    """Services allow one supplement request after appraisal, and the SQL reads that one from the row
    (Dossier.supplement_at, supplemented_at); an imported or restored history may hold a second, and then
    the SQL looks at the requests themselves. Some such dossiers wait on their second request at a
    month's end, some were supplemented again before it."""
    from motcua.dossiers import report_facts
    from motcua.dossiers.models import SupplementRequest

    ends = [p.ends for p in months(dt.date(2025, 11, 1), MONTHS)]
    waiting_on_second = 0
    for n, d in enumerate(Dossier.objects.filter(supplemented_at__isnull=False).order_by("pk")[:40]):
        first = d.supplements.get(stage="processing")
        again = first.completed_at + dt.timedelta(hours=1)
        done = None if n % 2 else again + dt.timedelta(days=3 + 20 * (n % 4 == 0))
        SupplementRequest.objects.create(dossier=d, stage="processing", number="9/HDHS", items=[], reason="Lần hai",
                                         requested_at=again, requested_by_id=first.requested_by_id, completed_at=done,
                                         completed_by_id=first.requested_by_id if done else None)
        report_facts.supplements_changed(d)
        d.save(update_fields=["supplement_at", "supplemented_at", "supplement_again_at"])
        waiting_on_second += any(again < end and (done is None or done >= end)
                                 and (d.finished_at is None or d.finished_at >= end) for end in ends)
    assert waiting_on_second > 0
    for period in months(dt.date(2025, 11, 1), MONTHS):
        for policy in (Policy(), Policy("instant", "extended")):
            assert as_table(queries.bieu06(period, policy)) == as_table(queries.bieu06_python(period, policy)), period


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_splits_the_report_over_two_connections(history, monkeypatch):
    """On a large SQLite database (reports.split) Biểu 06 runs as split.PARTS statements, each over a slice of
    the period by reception instant (the first also takes the carried-over dossiers), taken by this connection
    and a second one in a thread: the report is the one statement's for periods long and short, every
    grouping, both policies and narrower scopes."""
    import threading

    from motcua.reports import bieu06_sql, split

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL counts in its own parallel workers")
    assert not split.worth_it()   # 2,500 dossiers: below PARALLEL_FROM
    whole = queries.bieu06(Period(dt.date(2026, 2, 1), dt.date(2026, 4, 30)), Policy(), by="unit")
    busiest = max(whole.rows, key=lambda r: r.counts.received).key[0]
    sector = queries.bieu06(Period(dt.date(2026, 2, 1), dt.date(2026, 4, 30)), Policy(), by="sector").rows[0].key[0]
    scopes = [queries.Scope(), queries.resolve_scope(unit=busiest), queries.resolve_scope(sector=sector),
              queries.resolve_scope(level="commune")]
    periods = [Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
               Period(dt.date(2025, 1, 1), dt.date(2026, 12, 31)), Period(dt.date(2026, 3, 2), dt.date(2026, 3, 2))]
    cases = [(p, policy, scope, by) for p in periods for policy in (Policy("date"), Policy("instant", "original"))
             for scope in scopes for by in queries.GROUPINGS]
    one = [as_table(queries.bieu06(*case)) for case in cases]
    assert any(total["received"] for _, total in one) and any(total["carried_over"] for _, total in one)

    monkeypatch.setattr(split, "PARALLEL_FROM", 0)
    seen: list[tuple[int, int]] = []
    fetched = bieu06_sql._fetched

    def spying(conn, part):
        seen.append((threading.get_ident(), id(conn)))
        time.sleep(0.01)   # each part takes a while, as at a province's scale: both connections get some
        return fetched(conn, part)

    monkeypatch.setattr(bieu06_sql, "_fetched", spying)
    for case, expected in zip(cases, one):
        seen.clear()
        assert as_table(queries.bieu06(*case)) == expected, case
        assert len(seen) == split.PARTS and len({s[0] for s in seen}) == 2 and len({s[1] for s in seen}) == 2, case
