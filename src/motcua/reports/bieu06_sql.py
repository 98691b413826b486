"""Biểu 06 aggregated by the database: one GROUP BY query with a conditional SUM per column.

``bieu06.classify`` is the definition; this module says the same thing in SQL so that a province-year
(millions of dossiers) is counted where the rows are, on SQLite and PostgreSQL alike
(tests/test_reports_sql.py proves both equal to the pure-Python result over generated history).

The query has three layers:

1. ``rows``: the dossiers the period counts (received before its end, not finished before its
   start, in scope), each with the few values the columns need. The values that need another table
   are computed only for the rows that need them (a ``CASE`` around ``d.id IN (subquery)``, a list
   each database builds once — SQLite an ephemeral index, PostgreSQL a hash): the due
   instant *in force at the period's end* only for dossiers still open then whose due instant ever
   moved, the supplement-waiting flag only for dossiers still open, the online payment only for
   dossiers received in the period.
2. ``facts``: per row, which column group it falls in (0/1/2 codes), from plain comparisons.
3. the outer ``GROUP BY``: a SUM per column.

``OFFSET 0`` (SQLite: ``LIMIT -1 OFFSET 0``) on the inner layers keeps both databases from
flattening them into the outer query, which would evaluate every subquery and date conversion once
per reference instead of once per row (measured: 3× slower on PostgreSQL).

Local dates (the ``date`` granularity): Asia/Ho_Chi_Minh is a fixed UTC+7 (``calendar.core.TZ``),
so SQLite's ``date(x, '+25200 seconds')`` on the stored UTC text is the local date (taken only for
instants at or after 17:00 UTC; before, the stored date is the local one); PostgreSQL shifts the
UTC wall time by the same offset. Open dossiers need no conversion at all: "over deadline at the
period's end" is ``due < threshold`` for an instant threshold computed here (see ``_over_before``).

SQLite reads the covering index ``dossier_report`` (``INDEXED BY``: its planner otherwise walks the
finished-at or unit index and fetches the wide rows one by one). Rows are grouped by the dossier's
own foreign key (resolving unit or procedure version) — no join on millions of rows — and folded
into sectors or procedures by ``queries`` afterwards.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager, nullcontext

from django.db import connection, transaction

from motcua.calendar.core import TZ
from motcua.calendar.deadline import Granularity
from motcua.reports.bieu06 import ORIGINAL, Counts, Period, Policy

__all__ = ["aggregate", "statement", "listing", "COLUMN_CONDITIONS", "GROUP_COLUMNS", "KEYS"]

# Grouping → the dossier column the rows are grouped by (queries folds versions into their procedure).
GROUP_COLUMNS = {"unit": "resolving_unit_id", "sector": "procedure_version_id", "procedure": "procedure_version_id"}
KEYS = list(Counts().as_dict())  # the SELECT's column order after the group column
_OFFSET = int(TZ.utcoffset(None).total_seconds())
WORK_MEM = "256MB"  # PostgreSQL, for this statement only (SET LOCAL): see ``aggregate``


def _tables():
    from motcua.dossiers.models import Dossier, Extension, Payment, SupplementRequest

    return {"d": Dossier._meta.db_table, "ext": Extension._meta.db_table, "sup": SupplementRequest._meta.db_table,
            "pay": Payment._meta.db_table}


def _local_date(column: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"(({column} AT TIME ZONE 'UTC') + interval '{_OFFSET} seconds')::date"
    if dialect == "duckdb":  # bench/report_bench.py: naive UTC timestamps
        return f"CAST({column} + INTERVAL {_OFFSET} SECOND AS DATE)"
    # SQLite stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC. Before 17:00 UTC the local date is the
    # stored date — office hours always are — so date() (a parse per call) only runs for the others.
    return (f"CASE WHEN substr({column}, 12, 2) < '{24 - _OFFSET // 3600:02d}' THEN substr({column}, 1, 10) "
            f"ELSE date({column}, '+{_OFFSET} seconds') END")


def _over_before(period: Period, policy: Policy) -> dt.datetime:
    """An open dossier is over its deadline at the period's end when its due instant is before this.

    ``classify_open(last, due)`` with ``last`` the period's last instant: by instant, due < last; by
    date, the due day before the period's last day, i.e. due < that day's local midnight."""
    if policy.granularity == Granularity.INSTANT:
        return period.ends - dt.timedelta(microseconds=1)
    return dt.datetime.combine(period.end, dt.time(0), TZ)


def _param(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def aggregate(period: Period, policy: Policy, by: str, where: str = "", where_params: dict | None = None
              ) -> dict[int | None, Counts]:
    """Counts per group value (a resolving unit id or a procedure version id). ``where`` is an extra
    SQL condition on the dossier alias ``d`` (the scope), with its named parameters."""
    sql, instants = statement(period, policy, by, where, connection.vendor)
    with _session() as cursor:
        cursor.execute(sql, {**(where_params or {}), **{k: _param(v) for k, v in instants.items()}})
        result = cursor.fetchall()
    return {row[0]: Counts(**{k: int(v or 0) for k, v in zip(KEYS, row[1:])}) for row in result}


@contextmanager
def _session():
    """A cursor set up for these statements."""
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic() if postgresql else nullcontext(), connection.cursor() as cursor:
        if postgresql:
            # The IN lists (online payments, supplements, apologies: hundreds of thousands of ids in a
            # province-year) are hashed once only when they fit in work_mem; otherwise PostgreSQL scans
            # the list again for every dossier (minutes at 3,000,000). JIT compiling this one statement
            # costs more (~0.9 s) than it saves.
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")
        yield cursor


def statement(period: Period, policy: Policy, by: str, where: str = "", dialect: str = "sqlite"
              ) -> tuple[str, dict[str, dt.datetime]]:
    """The SQL text (``%(name)s`` parameters) and its instants, for ``sqlite``, ``postgresql`` or
    ``duckdb`` (the benchmark's comparison runs the very same statement there)."""
    facts = _facts(period, policy, by, where, dialect, listing=False)
    sql = f"""
      SELECT g, COUNT(*),
        SUM(CASE WHEN came = 0 THEN 1 ELSE 0 END), SUM(CASE WHEN came = 1 THEN 1 ELSE 0 END),
        SUM(CASE WHEN came = 2 THEN 1 ELSE 0 END),
        SUM(done), SUM(CASE WHEN res = 0 THEN 1 ELSE 0 END), SUM(CASE WHEN res = 1 THEN 1 ELSE 0 END),
        SUM(CASE WHEN res = 2 THEN 1 ELSE 0 END),
        SUM(1 - done), SUM(CASE WHEN open IN (0, 2) THEN 1 ELSE 0 END), SUM(CASE WHEN open = 1 THEN 1 ELSE 0 END),
        SUM(CASE WHEN open = 2 THEN 1 ELSE 0 END), SUM(done * wd), SUM(paid)
      FROM ({facts}) f GROUP BY g"""
    return sql, _instants(period, policy)


# A column of the form (or "new": received in the period, 4 + 5) → the condition on the facts row
# that the aggregate's SUM for it counts: the drill-down lists exactly what a cell counts.
COLUMN_CONDITIONS = {
    "3": "1 = 1", "4": "came = 0", "5": "came = 1", "6": "came = 2", "new": "came IN (0, 1)",
    "7": "done = 1", "8": "res = 0", "9": "res = 1", "10": "res = 2",
    "11": "done = 0", "12": "open IN (0, 2)", "13": "open = 1",
}


def listing(period: Period, policy: Policy, by: str, column: str, where: str = "",
            where_params: dict | None = None, groups: list[int] | None = None) -> list[tuple[str | None, int]]:
    """(code, id) of the dossiers one cell of the report counts: ``column`` a key of
    COLUMN_CONDITIONS, ``groups`` the row's group values (None: the total row)."""
    facts = _facts(period, policy, by, where, connection.vendor, listing=True)
    keep = COLUMN_CONDITIONS[column]
    if groups is not None:
        keep += f" AND g IN ({', '.join(str(int(g)) for g in groups) or 'NULL'})"
    sql = f"SELECT code, id FROM ({facts}) f WHERE {keep}"
    with _session() as cursor:
        cursor.execute(sql, {**(where_params or {}), **{k: _param(v) for k, v in _instants(period, policy).items()}})
        return cursor.fetchall()


def _instants(period: Period, policy: Policy) -> dict[str, dt.datetime]:
    return {"starts": period.starts, "ends": period.ends, "over_before": _over_before(period, policy)}


def _facts(period: Period, policy: Policy, by: str, where: str, dialect: str, *, listing: bool) -> str:
    """One row of facts per dossier the period counts (``listing``: with its id and code too)."""
    t = _tables()
    fence = "LIMIT -1 OFFSET 0" if dialect == "sqlite" else "OFFSET 0"
    group = GROUP_COLUMNS[by]
    # The due instant in force at the period's end (only asked of dossiers open then whose due moved):
    # due instants only move at a processing supplement's completion and at the apology (services:
    # record_supplement, apologise), once each; the apology's new date stands from then on.
    #  - apologised before the end: the apology's new date;
    #  - else supplemented before the end: the due instant that supplement left — the one the later
    #    apology replaced (previous_due_at), or the current one when there was no apology;
    #  - else the original due instant (both moves came after the end).
    due_in_force = f"""CASE
        WHEN d.id IN (SELECT e.dossier_id FROM {t['ext']} e WHERE e.requested_at < %(ends)s)
          THEN (SELECT e.new_due_at FROM {t['ext']} e WHERE e.dossier_id = d.id)
        WHEN d.id IN (SELECT s.dossier_id FROM {t['sup']} s WHERE s.stage = 'processing'
                      AND s.completed_at < %(ends)s)
          THEN COALESCE((SELECT e.previous_due_at FROM {t['ext']} e WHERE e.dossier_id = d.id), d.due_at)
        ELSE d.original_due_at END"""
    if policy.due == ORIGINAL:
        open_due = due_col = "d.original_due_at"
    else:
        open_due = f"""CASE WHEN d.due_at = d.original_due_at OR d.original_due_at IS NULL THEN d.due_at
                       ELSE {due_in_force} END"""
        due_col = "d.due_at"
    if policy.granularity == Granularity.DATE:
        fin_key, due_key = _local_date("d.finished_at", dialect), _local_date(due_col, dialect)
    else:
        fin_key, due_key = "d.finished_at", due_col
    waiting = f"""CASE WHEN d.id IN (SELECT s.dossier_id FROM {t['sup']} s WHERE s.stage = 'processing'
                  AND s.requested_at < %(ends)s AND (s.completed_at IS NULL OR s.completed_at >= %(ends)s))
                  THEN 1 ELSE 0 END"""
    paid = f"""CASE WHEN d.id IN (SELECT p.dossier_id FROM {t['pay']} p WHERE p.method = 'online'
               AND p.paid_at < %(ends)s) THEN 1 ELSE 0 END"""
    rows = f"""
      SELECT d.{group} AS g, {"d.id AS id, d.code AS code," if listing else ""}
        CASE WHEN d.received_at < %(starts)s THEN 2 WHEN d.channel = 'online' THEN 0 ELSE 1 END AS came,
        CASE WHEN d.finished_at < %(ends)s THEN 1 ELSE 0 END AS done,
        CASE WHEN d.state IN ('withdrawn', 'stopped') THEN 1 ELSE 0 END AS wd,
        CASE WHEN d.finished_at < %(ends)s AND {due_col} IS NOT NULL THEN {fin_key} END AS fin_key,
        CASE WHEN d.finished_at < %(ends)s THEN {due_key} END AS due_key,
        CASE WHEN d.finished_at < %(ends)s THEN NULL ELSE {open_due} END AS open_due,
        CASE WHEN d.finished_at < %(ends)s THEN 0 ELSE {waiting} END AS waiting,
        CASE WHEN d.received_at >= %(starts)s THEN {paid} ELSE 0 END AS paid
      FROM {t['d']} d {"INDEXED BY dossier_report" if dialect == "sqlite" else ""}
      WHERE d.received_at < %(ends)s AND (d.finished_at IS NULL OR d.finished_at >= %(starts)s) {where}
      {fence}"""
    # res: 0 early, 1 on time, 2 late (finished in the period); open: 0 within, 1 over, 2 waiting.
    return f"""
      SELECT g, {"id, code," if listing else ""} came, done, wd, waiting, paid,
        CASE WHEN done = 0 THEN NULL WHEN wd = 1 OR fin_key IS NULL THEN 1
             WHEN fin_key < due_key THEN 0 WHEN fin_key = due_key THEN 1 ELSE 2 END AS res,
        CASE WHEN done = 1 THEN NULL WHEN waiting = 1 THEN 2
             WHEN open_due IS NOT NULL AND open_due < %(over_before)s THEN 1 ELSE 0 END AS open
      FROM ({rows}) r {fence}"""
