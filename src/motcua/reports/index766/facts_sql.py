"""The per-dossier QĐ 766 facts as one set-based SQL statement (SQLite and PostgreSQL).

The dossier's own columns carry most facts as instants stored when they happened
(dossiers.report_facts): the first online payment (``paid_online_at``), the first lodged file with a
SHA-256 (``e_intake_at``), the first electronic result (``e_result_at``), the first lodged file the same
applicant had already given in a dossier submitted earlier (``reused_at``, 4.3). A fact "true as of the
cutoff" is ``fact_at < cutoff``: exact for a running period too. The documents are not read at all (at a
province-year ~9,000,000 rows; 4.3 was a window over all of them: README "Service index (QĐ 766)",
"Speed"). The dossier columns come from one covering index (``dossier_index766``, led by the resolving
unit; SQLite is told to use it).

Lateness and complaints are stored the same way (``supplement_at``, ``supplemented_at``,
``supplement_again_at``, ``feedback_at``, ``disliked_at``), so no side table is joined either: the statement
is one pass over one index, which PostgreSQL splits over parallel workers. As of the cutoff, a second
supplement request makes the dossier late, and it waits for a supplement when the first request was made
before the cutoff and not completed before it (then it is late when that request came after its due
instant). Indicator 2.2's Σ elapsed and Σ allowed add whole seconds stored when the dossier finished
(``elapsed_seconds``, ``allowed_seconds``): no instant is parsed or subtracted per row.

Every counter is a condition over the ``facts`` columns, written here once (``CONDITIONS``) and used
twice: summed per resolving unit by ``counts`` and, negated, listed by ``matching`` for the
drill-down — so the two always agree. Each condition is TRUE or FALSE, never NULL (the facts are
0/1 flags), so "NOT condition" lists exactly what the counter did not count.
"""

from __future__ import annotations

import re

from django.db import connection

from motcua.dossiers.models import Channel, Dossier, Outcome
from motcua.dossiers.settled import FACTS, bit

__all__ = ["CONDITIONS", "INDEX", "SETTLED", "UNSETTLED", "counts", "settled_counts", "settled_divisors", "matching"]

_D = Dossier._meta.db_table
GRANTED, ONLINE = Outcome.GRANTED.value, Channel.ONLINE.value
INDEX = "dossier_index766"   # models.Dossier.Meta: every dossier column read below
SETTLED, UNSETTLED = "dossier_settled766", "dossier_unsettled766"   # the settled dossiers' bits; the others

# The counters over one facts row ``f`` (0/1 flags and the dossier's own columns).
_TIMED = "(f.granted = 1 AND f.due_at IS NOT NULL)"
CONDITIONS: dict[str, str] = {
    "late": "f.late = 1",
    "granted": "f.granted = 1",
    "timed": _TIMED,
    "slow": f"({_TIMED} AND f.finished_at > f.due_at)",
    "online": f"f.channel = '{ONLINE}'",
    "fee": "f.fee_total > 0",
    "paid_online": "(f.fee_total > 0 AND f.paid_online = 1)",
    "e_result": "(f.granted = 1 AND f.e_result = 1)",
    # 4.2: the lodged components are electronic, and so is the result when there is one
    "digitised": "(f.e_intake = 1 AND (f.granted = 0 OR f.e_result = 1))",
    "reused": "f.reused = 1",
    "complained": "(f.has_feedback = 1 OR f.disliked = 1)",
}
if list(CONDITIONS) != list(FACTS):
    raise RuntimeError("dossiers.settled.FACTS must name the same counters in the same order")


def _units(column: str, unit_ids) -> str:
    if unit_ids is None:
        return ""
    ids = ", ".join(str(int(u)) for u in unit_ids)
    return f" AND {column} IN ({ids})" if ids else " AND 1 = 0"


def _at(column: str) -> str:
    """1 when the stored instant lies before the cutoff (NULL: never happened), else 0."""
    return f"CASE WHEN {column} < %(cutoff)s THEN 1 ELSE 0 END"


def facts(w, unit_ids=None, unsettled=False) -> tuple[str, dict]:
    """One row per dossier received in the window (at the given resolving units): its own columns and
    the 0/1 facts the conditions read, as of ``w.cutoff``. With ``unsettled``, only the dossiers not settled
    before the cutoff (``settled_counts`` counts the others), found from their own index."""
    index = f" INDEXED BY {UNSETTLED if unsettled else INDEX}" if connection.vendor == "sqlite" else ""
    only = " AND (d.settled_at IS NULL OR d.settled_at >= %(cutoff)s)" if unsettled else ""
    sql = f"""
SELECT d.id, d.resolving_unit_id AS unit_id, d.channel, d.fee_total, d.finished_at, d.due_at,
       d.elapsed_seconds, d.allowed_seconds,
       CASE WHEN d.finished_at < %(cutoff)s AND d.outcome = '{GRANTED}' THEN 1 ELSE 0 END AS granted,
       CASE WHEN d.supplement_again_at < %(cutoff)s THEN 1
            WHEN d.due_at IS NULL THEN 0
            WHEN d.finished_at < %(cutoff)s THEN CASE WHEN d.finished_at > d.due_at THEN 1 ELSE 0 END
            WHEN d.supplement_at < %(cutoff)s AND (d.supplemented_at IS NULL OR d.supplemented_at >= %(cutoff)s)
              THEN CASE WHEN d.supplement_at > d.due_at THEN 1 ELSE 0 END
            WHEN d.due_at < %(cutoff)s THEN 1 ELSE 0 END AS late,
       {_at("d.paid_online_at")} AS paid_online,
       {_at("d.e_result_at")} AS e_result, {_at("d.e_intake_at")} AS e_intake,
       {_at("d.reused_at")} AS reused,
       {_at("d.feedback_at")} AS has_feedback, {_at("d.disliked_at")} AS disliked
FROM {_D} d{index}
WHERE d.received_at >= %(starts)s AND d.received_at < %(ends)s{_units('d.resolving_unit_id', unit_ids)}{only}"""
    return sql, _values(w)


def _values(w) -> dict:
    """The window's named placeholders: the period up to its cutoff, and the cutoff."""
    return {"starts": w.starts, "ends": min(w.ends, w.cutoff), "cutoff": w.cutoff}


def _positional(sql: str, values: dict) -> tuple[str, list]:
    """Named placeholders → ``%s`` with the values in order, adapted for the database (SQLite
    compares instants as UTC text)."""
    adapt = connection.ops.adapt_datetimefield_value
    params: list = []

    def take(m):
        params.append(adapt(values[m[1]]))
        return "%s"

    return re.sub(r"%\((\w+)\)s", take, sql), params


def counts(w, unit_ids=None, names=tuple(CONDITIONS), unsettled=False) -> tuple[str, list]:
    """{unit, received, <name>…, elapsed, allowed} per resolving unit: one statement (``unsettled``: over the
    dossiers not settled before the cutoff only)."""
    inner, values = facts(w, unit_ids, unsettled)
    sums = ",\n       ".join(f"SUM(CASE WHEN {CONDITIONS[n]} THEN 1 ELSE 0 END) AS n_{n}" for n in names)
    # 2.2: Σ elapsed and Σ allowed over the timed dossiers, whole seconds stored when each finished
    sql = (f"SELECT f.unit_id, COUNT(*) AS n_received,\n       {sums},\n"
           f"       SUM(CASE WHEN {_TIMED} THEN f.elapsed_seconds END) AS n_elapsed,\n"
           f"       SUM(CASE WHEN {_TIMED} THEN f.allowed_seconds END) AS n_allowed\n"
           f"FROM ({inner}) f\nGROUP BY f.unit_id")
    return _positional(sql, values)


def settled_counts(w, unit_ids=None, names=tuple(CONDITIONS)) -> tuple[str, list]:
    """``counts`` over the dossiers settled before the cutoff, from their stored fact bits (dossiers.settled):
    ``n_<name>`` is the SUM of that bit's value (``bit(name)`` × the count; ``settled_divisors`` gives the
    divisors), so each row costs one AND and one sum per counter instead of the conditions over the instants."""
    index = f" INDEXED BY {SETTLED}" if connection.vendor == "sqlite" else ""
    sums = ",\n       ".join(f"SUM(d.facts766 & {bit(n)}) AS n_{n}" for n in names)
    timed = f"(d.facts766 & {bit('timed')}) <> 0"
    sql = (f"SELECT d.resolving_unit_id, COUNT(*) AS n_received,\n       {sums},\n"
           f"       SUM(CASE WHEN {timed} THEN d.elapsed_seconds END) AS n_elapsed,\n"
           f"       SUM(CASE WHEN {timed} THEN d.allowed_seconds END) AS n_allowed\n"
           f"FROM {_D} d{index}\n"
           f"WHERE d.received_at >= %(starts)s AND d.received_at < %(ends)s"
           f"{_units('d.resolving_unit_id', unit_ids)} AND d.settled_at < %(cutoff)s\n"
           f"GROUP BY d.resolving_unit_id")
    return _positional(sql, _values(w))


def settled_divisors(names=tuple(CONDITIONS)) -> dict[str, int]:
    return {n: bit(n) for n in names}


def matching(w, unit_ids, condition: str) -> tuple[str, list]:
    """The ids of the counted dossiers for which the SQL ``condition`` over ``f`` holds."""
    inner, values = facts(w, unit_ids)
    return _positional(f"SELECT f.id FROM ({inner}) f WHERE {condition}", values)
