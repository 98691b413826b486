"""The per-dossier QĐ 766 facts as one set-based SQL statement (SQLite and PostgreSQL).

Each side table is read ONCE and reduced to one row per dossier (GROUP BY dossier_id; a fact "true
as of the cutoff" is a condition on the side row's own instant), then LEFT JOINed to the dossiers
counted. No correlated subquery runs per dossier: at a province-year (3,000,000 dossiers, ~9,000,000
documents) the old EXISTS lookups cost a minute; see README "Service index (QĐ 766)", "Speed".

4.3 "reused": a lodged file whose SHA-256 the same applicant had already lodged in a dossier they
submitted earlier. One window over the documents joined to their dossiers gives, per (applicant,
SHA-256), the first submission instant that holds it; the file is reused when that instant is before
its own dossier's submission (the dossiers with such a file, DISTINCT, are joined). Every document of the applicant counts as "earlier", whatever its stage or
when it was added (as the earlier dossier holds it now).

Every counter is a condition over the ``facts`` columns, written here once (``CONDITIONS``) and used
twice: summed per resolving unit by ``counts`` and, negated, listed by ``matching`` for the
drill-down — so the two always agree. Each condition is TRUE or FALSE, never NULL (the facts are
0/1 flags), so "NOT condition" lists exactly what the counter did not count.
"""

from __future__ import annotations

import re

from django.db import connection

from motcua.dossiers.models import (Channel, DocumentStage, Dossier, DossierDocument, Outcome, Payment, PaymentMethod,
                                    SupplementRequest, SupplementStage)
from motcua.feedback.models import Evaluation, Feedback

__all__ = ["CONDITIONS", "counts", "matching"]

_D, _DOC, _SUP = Dossier._meta.db_table, DossierDocument._meta.db_table, SupplementRequest._meta.db_table
_PAY, _FB, _EV = Payment._meta.db_table, Feedback._meta.db_table, Evaluation._meta.db_table
RESULT, GRANTED, ONLINE = DocumentStage.RESULT.value, Outcome.GRANTED.value, Channel.ONLINE.value

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


def _seconds(a: str, b: str, vendor: str) -> str:
    if vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({a} - {b}))::float8"
    return f"((julianday({a}) - julianday({b})) * 86400.0)"


def _units(column: str, unit_ids) -> str:
    if unit_ids is None:
        return ""
    ids = ", ".join(str(int(u)) for u in unit_ids)
    return f" AND {column} IN ({ids})" if ids else " AND 1 = 0"


def facts(w, unit_ids=None) -> tuple[str, dict]:
    """One row per dossier received in the window (at the given resolving units): its own columns and
    the 0/1 facts the conditions read, as of ``w.cutoff``."""
    dossiers = f"d.received_at >= %(starts)s AND d.received_at < %(ends)s{_units('d.resolving_unit_id', unit_ids)}"
    # The applicant's documents that can be "earlier" for a counted dossier: its dossiers submitted
    # before the window ends (a counted dossier is submitted before it is received). For a few units,
    # only the applicants of their dossiers.
    own = "" if unit_ids is None else f" AND od.applicant_id IN (SELECT d.applicant_id FROM {_D} d WHERE {dossiers})"
    mine = "" if unit_ids is None else f" AND dossier_id IN (SELECT d.id FROM {_D} d WHERE {dossiers})"
    sql = f"""
SELECT d.id, d.resolving_unit_id AS unit_id, d.channel, d.fee_total, d.finished_at, d.due_at,
       COALESCE(d.clock_start, d.received_at) AS clock_start,
       CASE WHEN d.finished_at < %(cutoff)s AND d.outcome = '{GRANTED}' THEN 1 ELSE 0 END AS granted,
       CASE WHEN s.n > 1 THEN 1
            WHEN d.due_at IS NULL THEN 0
            WHEN d.finished_at < %(cutoff)s THEN CASE WHEN d.finished_at > d.due_at THEN 1 ELSE 0 END
            WHEN s.waiting_at IS NOT NULL THEN CASE WHEN s.waiting_at > d.due_at THEN 1 ELSE 0 END
            WHEN d.due_at < %(cutoff)s THEN 1 ELSE 0 END AS late,
       CASE WHEN p.dossier_id IS NULL THEN 0 ELSE 1 END AS paid_online,
       COALESCE(x.e_result, 0) AS e_result, COALESCE(x.e_intake, 0) AS e_intake,
       CASE WHEN r.dossier_id IS NULL THEN 0 ELSE 1 END AS reused,
       CASE WHEN fb.dossier_id IS NULL THEN 0 ELSE 1 END AS has_feedback,
       CASE WHEN ev.dossier_id IS NULL THEN 0 ELSE 1 END AS disliked
FROM {_D} d
LEFT JOIN (SELECT dossier_id, COUNT(*) AS n,
                  MAX(CASE WHEN completed_at IS NULL OR completed_at >= %(cutoff)s THEN requested_at END) AS waiting_at
           FROM {_SUP} WHERE stage = '{SupplementStage.PROCESSING.value}' AND requested_at < %(cutoff)s
           GROUP BY dossier_id) s ON s.dossier_id = d.id
LEFT JOIN (SELECT DISTINCT dossier_id FROM {_PAY}
           WHERE method = '{PaymentMethod.ONLINE.value}' AND paid_at < %(cutoff)s) p ON p.dossier_id = d.id
LEFT JOIN (SELECT dossier_id, MAX(CASE WHEN stage = '{RESULT}' THEN 1 ELSE 0 END) AS e_result,
                  MAX(CASE WHEN stage <> '{RESULT}' THEN 1 ELSE 0 END) AS e_intake
           FROM {_DOC} WHERE sha256 <> '' AND added_at < %(cutoff)s{mine}
           GROUP BY dossier_id) x ON x.dossier_id = d.id
LEFT JOIN (SELECT DISTINCT a.dossier_id
           FROM (SELECT o.dossier_id, o.stage, o.added_at, od.submitted_at,
                        MIN(od.submitted_at) OVER (PARTITION BY od.applicant_id, o.sha256) AS first_at
                 FROM {_DOC} o JOIN {_D} od ON od.id = o.dossier_id
                 WHERE o.sha256 <> '' AND od.submitted_at < %(ends)s{own}) a
           WHERE a.stage <> '{RESULT}' AND a.added_at < %(cutoff)s AND a.first_at < a.submitted_at) r
          ON r.dossier_id = d.id
LEFT JOIN (SELECT DISTINCT dossier_id FROM {_FB}
           WHERE dossier_id IS NOT NULL AND submitted_at < %(cutoff)s) fb ON fb.dossier_id = d.id
LEFT JOIN (SELECT dossier_id FROM {_EV} WHERE satisfaction <= 2 AND rated_at < %(cutoff)s) ev ON ev.dossier_id = d.id
WHERE {dossiers}"""
    return sql, {"starts": w.starts, "ends": min(w.ends, w.cutoff), "cutoff": w.cutoff}


def _positional(sql: str, values: dict) -> tuple[str, list]:
    """Named placeholders → ``%s`` with the values in order, adapted for the database (SQLite
    compares instants as UTC text)."""
    adapt = connection.ops.adapt_datetimefield_value
    params: list = []

    def take(m):
        params.append(adapt(values[m[1]]))
        return "%s"

    return re.sub(r"%\((\w+)\)s", take, sql), params


def counts(w, unit_ids=None, names=tuple(CONDITIONS)) -> tuple[str, list]:
    """{unit, received, <name>…, elapsed, allowed} per resolving unit: one statement."""
    inner, values = facts(w, unit_ids)
    vendor = connection.vendor
    sums = ",\n       ".join(f"SUM(CASE WHEN {CONDITIONS[n]} THEN 1 ELSE 0 END) AS n_{n}" for n in names)
    elapsed = _seconds("f.finished_at", "f.clock_start", vendor)
    allowed = _seconds("f.due_at", "f.clock_start", vendor)
    sql = (f"SELECT f.unit_id, COUNT(*) AS n_received,\n       {sums},\n"
           f"       SUM(CASE WHEN {_TIMED} THEN {elapsed} END) AS n_elapsed,\n"
           f"       SUM(CASE WHEN {_TIMED} THEN {allowed} END) AS n_allowed\n"
           f"FROM ({inner}) f\nGROUP BY f.unit_id")
    return _positional(sql, values)


def matching(w, unit_ids, condition: str) -> tuple[str, list]:
    """The ids of the counted dossiers for which the SQL ``condition`` over ``f`` holds."""
    inner, values = facts(w, unit_ids)
    return _positional(f"SELECT f.id FROM ({inner}) f WHERE {condition}", values)
