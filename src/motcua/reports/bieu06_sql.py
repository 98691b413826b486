"""Biểu 06 aggregated by the database: one GROUP BY query with a conditional SUM per column.

``bieu06.classify`` is the definition; this module says the same thing in SQL so that a province-year
(millions of dossiers) is counted where the rows are, on SQLite and PostgreSQL alike
(tests/test_reports_sql.py proves both equal to the pure-Python result over generated history).

The query has two layers:

1. ``facts``: the dossiers the period counts (received before its end, not finished before its
   start, in scope), one row each with the column group it falls in (0/1/2 codes, see ``_facts``).
   A finished dossier's early / on time / late was stored when it finished (``Dossier.timeliness``,
   a base-3 digit per policy: dossiers.timeliness) and its first online payment when it was paid
   (``Dossier.paid_online_at``), so for the millions of finished rows every code is a plain
   comparison — no instant converted to a local date, no payment looked up. Whether a dossier still
   open at the period's end waits for a supplement is read from the supplement instants stored on the
   row too (``supplement_at``, ``supplemented_at``). Only the open dossiers whose due instant ever moved
   look at another table: the apology, for the due instant *in force at the period's end* (an indexed
   look-up each). "Over deadline at the period's end" is ``due < threshold`` for an instant
   threshold computed here (``_over_before``), so open dossiers need no date conversion either.
2. the outer ``GROUP BY``: a SUM per column.

``OFFSET 0`` (SQLite: ``LIMIT -1 OFFSET 0``) on the inner layer keeps both databases from
flattening it into the outer query, which would evaluate every subquery once per reference instead
of once per row.

SQLite reads a covering index led by the grouping column (``dossier_report_unit`` or
``dossier_report_version``, ``INDEXED BY``): it walks it in group order, so the GROUP BY needs no
sort of millions of rows and never touches the wide rows. Rows are grouped by the dossier's own
foreign key (resolving unit or procedure version) — no join on millions of rows — and folded into
sectors or procedures by ``queries`` afterwards. On a large SQLite database (``reports.split``) the statement
is cut by reception instant into slices counted over two connections, one per core (``_slices``).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager, nullcontext

from django.db import connection, transaction

from motcua.calendar.core import TZ
from motcua.calendar.deadline import Granularity
from motcua.dossiers import timeliness
from motcua.reports import split
from motcua.reports.bieu06 import ONLINE, ORIGINAL, Counts, Period, Policy

__all__ = ["aggregate", "statement", "listing", "COLUMN_CONDITIONS", "GROUP_COLUMNS"]

# Grouping → the dossier column the rows are grouped by (queries folds versions into their procedure).
GROUP_COLUMNS = {"unit": "resolving_unit_id", "sector": "procedure_version_id", "procedure": "procedure_version_id"}
WORK_MEM = "256MB"  # PostgreSQL, for this statement only (SET LOCAL): see ``aggregate``


def _tables():
    from motcua.dossiers.models import Dossier, Extension, Payment, SupplementRequest

    return {"d": Dossier._meta.db_table, "ext": Extension._meta.db_table, "sup": SupplementRequest._meta.db_table,
            "pay": Payment._meta.db_table}


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
    params = _params(period, policy, where_params)
    if split.worth_it():
        return decode(row for rows in split.in_parallel(_slices(period, policy, by, where, params), _fetched)
                      for row in rows)
    sql, _ = statement(period, policy, by, where, connection.vendor)
    with _session() as cursor:
        cursor.execute(sql, params)
        return decode(cursor.fetchall())


def _slices(period: Period, policy: Policy, by: str, where: str, params: dict) -> list[tuple[str, dict]]:
    """SQLite, a large database: the statement cut by reception instant into ``split.PARTS`` slices of the
    period (the first one also takes every dossier received before it: the carried-over ones). Each names
    every group value, so SQLite seeks each group's range of the grouping's index (``d.received_at`` is the
    index's second column) instead of walking it whole. Every column is a count or a sum over rows, so the
    parts add up to the one statement's result."""
    from motcua.dossiers.models import Dossier

    group = Dossier._meta.get_field(GROUP_COLUMNS[by].removesuffix("_id"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {group.related_model._meta.db_table} ORDER BY id")
        ids = ", ".join(str(int(pk)) for pk, in cursor.fetchall()) or "NULL"
    cuts = split.edges(period.starts, period.ends, split.PARTS)
    parts = []
    for n, (lo, hi) in enumerate(zip(cuts, cuts[1:])):
        within = f" AND d.{GROUP_COLUMNS[by]} IN ({ids})" + (" AND d.received_at >= %(received_from)s" if n else "")
        sql, _ = statement(period, policy, by, where + within, "sqlite")
        parts.append((sql, {**params, "received_from": _param(lo), "received_before": _param(hi)}))
    return parts


def _fetched(conn, part: tuple[str, dict]) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(*part)
        return cursor.fetchall()


def decode(rows) -> dict[int | None, Counts]:
    """``statement``'s result rows → Counts per group value (PostgreSQL and DuckDB give a group up to
    two rows, one per branch, added here)."""
    counted: dict[int | None, Counts] = {}
    for row in rows:
        values = dict(zip(_SELECTED, (int(v or 0) for v in row[1:])))
        new = values.pop("new")
        values["received_direct"] = new - values["received_online"]
        values["carried_over"] = values["received"] - new
        values["in_progress"] = values["received"] - values["resolved"]
        # within = in progress − over (waiting for a supplement counts within): one evaluation of
        # the due-in-force subqueries per open dossier instead of two
        values["in_progress_within"] = values["in_progress"] - values["in_progress_over"]
        counted.setdefault(row[0], Counts()).add(Counts(**values))
    return counted


@contextmanager
def _session():
    """A cursor set up for these statements."""
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic() if postgresql else nullcontext(), connection.cursor() as cursor:
        if postgresql:
            # A hashed list (the drill-down's IN of group ids, a sub-plan the planner chooses to hash)
            # is built once only when it fits in work_mem; otherwise PostgreSQL rescans it for every
            # dossier (minutes at 3,000,000). JIT compiling this one statement costs more (~0.9 s) than
            # it saves.
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")
        yield cursor


def statement(period: Period, policy: Policy, by: str, where: str = "", dialect: str = "sqlite"
              ) -> tuple[str, dict[str, dt.datetime]]:
    """The SQL text (``%(name)s`` parameters) and its instants, for ``sqlite``, ``postgresql`` or
    ``duckdb`` (the benchmark's comparison runs the very same statement there); ``decode`` reads its
    rows.

    A SUM per column. SQLite walks the grouping's covering index in group order (no sort).
    PostgreSQL and DuckDB count in two branches (UNION ALL): the dossiers finished in the period need
    no other table, so PostgreSQL hashes them in parallel workers; the few still open at the end
    carry the sub-queries, which would keep the whole plan serial."""
    e, source = _codes(period, policy, by, where, dialect)
    if dialect == "sqlite":
        return _sums(e, by, source, "all"), _instants(period, policy)
    finished = _source(by, where, dialect, f"d.finished_at >= %(starts)s AND {_FINISHED}")
    still_open = _source(by, where, dialect, _OPEN)
    return (f"{_sums(e, by, finished, 'finished')}\n      UNION ALL{_sums(e, by, still_open, 'open')}",
            _instants(period, policy))


def _sums(e: dict[str, str], by: str, source: str, rows: str) -> str:
    """SELECT group value, then ``_SELECTED`` (a COUNT, then SUMs), GROUP BY the group value, over the
    dossiers of ``source``: ``all`` of them, or only those ``finished`` in the period (the columns of
    the open ones are 0: no sub-query in that branch) or those still ``open`` at its end. Columns that
    are a plain difference of two others (in person = new − online, carried over = all − new, in
    progress = all − resolved) are left to ``decode``: a third fewer expressions per row."""
    def count(condition: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    finished = {"all": _FINISHED, "finished": "1 = 1", "open": "1 = 0"}[rows]
    new = "d.received_at >= %(starts)s"
    columns = {
        "new": count(new),
        "received_online": count(f"{new} AND d.channel = '{ONLINE}'"),
        "resolved": {"all": count(_FINISHED), "finished": "COUNT(*)", "open": "0"}[rows],
        **{name: "0" if rows == "open" else count(f"{finished} AND {e['digit']} = {k}")
           for k, name in enumerate(("resolved_early", "resolved_on_time", "resolved_late"))},
        "in_progress_over": "0" if rows == "finished" else count(f"{e['open']} = 1"),
        "awaiting_supplement": "0" if rows == "finished" else count(f"{e['open']} = 2"),
        "withdrawn_returned": f"SUM(CASE WHEN {finished} THEN {e['wd']} ELSE 0 END)",
        "paid_online": f"SUM({e['paid']})",
    }
    group = GROUP_COLUMNS[by]
    return f"""
      SELECT d.{group} AS g, COUNT(*),
        {(',' + chr(10) + '        ').join(columns[name] for name in _SELECTED[1:])}
      {source}
      GROUP BY d.{group}"""


# The aggregate's columns after the group value (``new``: received in the period; decode derives the rest).
_SELECTED = ["received", "new", "received_online", "resolved", "resolved_early", "resolved_on_time",
             "resolved_late", "in_progress_over", "awaiting_supplement", "withdrawn_returned", "paid_online"]


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
    facts = _facts(period, policy, by, where, connection.vendor)
    keep = COLUMN_CONDITIONS[column]
    if groups is not None:
        keep += f" AND g IN ({', '.join(str(int(g)) for g in groups) or 'NULL'})"
    sql = f"SELECT code, id FROM ({facts}) f WHERE {keep}"
    with _session() as cursor:
        cursor.execute(sql, _params(period, policy, where_params))
        return cursor.fetchall()


def _params(period: Period, policy: Policy, where_params: dict | None) -> dict:
    """The statement's parameters: the scope's, then the period's instants as the database takes them."""
    return {**(where_params or {}), **{k: _param(v) for k, v in _instants(period, policy).items()}}


def _instants(period: Period, policy: Policy) -> dict[str, dt.datetime]:
    # received_before: the period's end, or a slice's (``_slices``) — named apart from ``ends`` so that SQLite
    # sees one upper bound on the index's received_at, not two it cannot compare
    return {"starts": period.starts, "ends": period.ends, "over_before": _over_before(period, policy),
            "received_before": period.ends}


def _codes(period: Period, policy: Policy, by: str, where: str, dialect: str) -> tuple[dict[str, str], str]:
    """Per dossier, the SQL expressions of its codes — ``came`` 0 online / 1 in person or by post /
    2 carried over; ``done`` 1 when finished in the period; ``wd`` ended without a resolution; ``res``
    0 early / 1 on time / 2 late (finished in the period); ``open`` 0 within / 1 over / 2 waiting for a
    supplement (still open at the end); ``paid`` — and the FROM … WHERE of the dossiers counted."""
    t = _tables()
    # Supplements after appraisal are stored on the row (Dossier.supplement_at, supplemented_at: the first
    # request and its completion; supplement_again_at: a second one). Services allow one request, so the
    # stored pair answers for every dossier but the rare one with a second request (an imported or restored
    # history), which looks at its requests (an indexed EXISTS) instead.
    def supplements(stored: str, any_request: str) -> str:
        return (f"(CASE WHEN d.supplement_again_at IS NULL THEN ({stored}) ELSE EXISTS (SELECT 1 FROM {t['sup']} s "
                f"WHERE s.dossier_id = d.id AND s.stage = 'processing' AND {any_request}) END)")

    supplemented = supplements("d.supplemented_at < %(ends)s", "s.completed_at < %(ends)s")
    waiting = supplements("d.supplement_at < %(ends)s AND (d.supplemented_at IS NULL OR d.supplemented_at >= %(ends)s)",
                          "s.requested_at < %(ends)s AND (s.completed_at IS NULL OR s.completed_at >= %(ends)s)")
    # The due instant in force at the period's end (only asked of dossiers open then whose due moved):
    # due instants only move at a processing supplement's completion and at the apology (services:
    # record_supplement, apologise), once each; the apology's new date stands from then on.
    #  - apologised before the end: the apology's new date;
    #  - else supplemented before the end: the due instant that supplement left — the one the later
    #    apology replaced (previous_due_at), or the current one when there was no apology;
    #  - else the original due instant (both moves came after the end).
    due_in_force = f"""CASE
        WHEN EXISTS (SELECT 1 FROM {t['ext']} e WHERE e.dossier_id = d.id AND e.requested_at < %(ends)s)
          THEN (SELECT e.new_due_at FROM {t['ext']} e WHERE e.dossier_id = d.id)
        WHEN {supplemented}
          THEN COALESCE((SELECT e.previous_due_at FROM {t['ext']} e WHERE e.dossier_id = d.id), d.due_at)
        ELSE d.original_due_at END"""
    if policy.due == ORIGINAL:
        open_due = "d.original_due_at"
    else:
        open_due = f"""CASE WHEN d.due_at = d.original_due_at OR d.original_due_at IS NULL THEN d.due_at
                       ELSE {due_in_force} END"""
    # A finished dossier's early / on time / late under the policy was stored when it finished
    # (Dossier.timeliness, one base-3 digit per policy): no instant is converted here.
    wd = ", ".join(f"'{s}'" for s in timeliness.WITHDRAWN)
    digit = timeliness.column_sql("d.timeliness", policy.due, policy.granularity, dialect)
    open_kind = f"CASE WHEN {waiting} THEN 2 WHEN ({open_due}) < %(over_before)s THEN 1 ELSE 0 END"
    codes = {
        "came": f"CASE WHEN d.received_at < %(starts)s THEN 2 WHEN d.channel = '{ONLINE}' THEN 0 ELSE 1 END",
        "done": f"CASE WHEN {_FINISHED} THEN 1 ELSE 0 END",
        "wd": f"CASE WHEN d.state IN ({wd}) THEN 1 ELSE 0 END",
        "res": f"CASE WHEN {_FINISHED} THEN {digit} END",
        "open": f"CASE WHEN {_FINISHED} THEN NULL ELSE {open_kind} END",
        "paid": "CASE WHEN d.received_at >= %(starts)s AND d.paid_online_at < %(ends)s THEN 1 ELSE 0 END",
        "digit": digit,  # unguarded: for the finished dossiers' columns of ``_sums``
    }
    return codes, _source(by, where, dialect, "(d.finished_at IS NULL OR d.finished_at >= %(starts)s)")


_FINISHED = "d.finished_at < %(ends)s"  # finished in the period (of the dossiers counted)
_OPEN = "(d.finished_at IS NULL OR d.finished_at >= %(ends)s)"  # still open at its end


def _source(by: str, where: str, dialect: str, finish: str) -> str:
    """FROM … WHERE: the dossiers received before the period's end, in scope, whose finish instant
    meets ``finish``."""
    index = {"unit": "dossier_report_unit"}.get(by, "dossier_report_version")
    return f"""FROM {_tables()['d']} d {f"INDEXED BY {index}" if dialect == "sqlite" else ""}
      WHERE d.received_at < %(received_before)s AND {finish} {where}"""


def _facts(period: Period, policy: Policy, by: str, where: str, dialect: str) -> str:
    """One row per dossier the period counts: its group value, id, code and codes (``_codes``), the
    rows the drill-down's COLUMN_CONDITIONS pick from."""
    codes, source = _codes(period, policy, by, where, dialect)
    fence = "LIMIT -1 OFFSET 0" if dialect == "sqlite" else "OFFSET 0"  # each code once per row
    listed = ", ".join(f"{codes[name]} AS {name}" for name in ("came", "done", "wd", "res", "open", "paid"))
    return f"SELECT d.{GROUP_COLUMNS[by]} AS g, d.id AS id, d.code AS code, {listed} {source} {fence}"
