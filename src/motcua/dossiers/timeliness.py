"""A finished dossier's timeliness under every comparison policy, stored on the dossier when it ends.

Biểu 06 counts a finished dossier early, on time or late by comparing its finish with its due instant:
by local date or by instant, against the extended due instant or the original one (the report's
policy, ``reports.bieu06.Policy``). The four answers are fixed the moment the dossier finishes — its
due instants never move afterwards — so ``pack`` computes them then and ``Dossier.timeliness`` keeps
them in one small integer, a base-3 digit per policy (``SLOTS``). The report reads its policy's digit
(``column_sql``) instead of converting two instants to local dates for each of millions of rows.

``reports.bieu06.classify`` stays the definition (it compares the instants itself); the tests prove the
stored digit gives the same counts, and ``motcua report --verify`` recomputes everything from the
ledger. A withdrawn or stopped dossier, or one without a due instant, counts as on time (the TT 02/2017
note), under every policy.
"""

from __future__ import annotations

import datetime as dt

from motcua.calendar.deadline import EARLY, LATE, ON_TIME, Granularity, classify_finished

__all__ = ["SLOTS", "WITHDRAWN", "pack", "unpack", "column_sql", "EXTENDED", "ORIGINAL"]

EXTENDED, ORIGINAL = "extended", "original"  # the due instant compared (reports.bieu06 uses the same words)
# (due, granularity) → its base-3 digit, lowest first.
SLOTS = ((EXTENDED, Granularity.DATE), (EXTENDED, Granularity.INSTANT),
         (ORIGINAL, Granularity.DATE), (ORIGINAL, Granularity.INSTANT))
# The dossier states (models.State) that end without a resolution: counted on time.
WITHDRAWN = ("withdrawn", "stopped")
CODES = {EARLY: 0, ON_TIME: 1, LATE: 2}
_STATUSES = {code: status for status, code in CODES.items()}


def pack(finished_at: dt.datetime, due_at: dt.datetime | None, original_due_at: dt.datetime | None,
         withdrawn: bool) -> int:
    """The four classifications of a finished dossier as one integer (0–80)."""
    code = 0
    for i, (due_kind, granularity) in enumerate(SLOTS):
        due = original_due_at if due_kind == ORIGINAL else due_at
        status = ON_TIME if withdrawn or due is None else classify_finished(finished_at, due, granularity)
        code += CODES[status] * 3 ** i
    return code


def _slot(due_kind: str, granularity: str) -> int:
    try:
        return SLOTS.index((due_kind, granularity))
    except ValueError:
        raise ValueError(f"no timeliness slot for due={due_kind!r}, granularity={granularity!r}") from None


def unpack(code: int, due_kind: str, granularity: str) -> str:
    """EARLY, ON_TIME or LATE under one policy."""
    return _STATUSES[code // 3 ** _slot(due_kind, granularity) % 3]


def column_sql(column: str, due_kind: str, granularity: str, dialect: str = "sqlite") -> str:
    """SQL for the policy's digit of ``column``: 0 early, 1 on time, 2 late (NULL when not finished).
    Integer division is ``/`` in SQLite and PostgreSQL, ``//`` in DuckDB (the benchmark's comparison)."""
    # digit k of c is c / 3^k − 3·(c / 3^(k+1)): no "%", which parameterised statements would take
    # for a placeholder
    divide = "//" if dialect == "duckdb" else "/"
    low = 3 ** _slot(due_kind, granularity)
    return f"({column} {divide} {low} - 3 * ({column} {divide} {low * 3}))"
