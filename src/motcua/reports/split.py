"""A large report aggregate on SQLite, over both cores.

SQLite runs a statement on one core. On a database with at least ``PARALLEL_FROM`` dossiers (by the highest
id, read from the primary key at no cost) a report's aggregate is cut into several statements, each over a
slice of the period, taken in turn by this connection and a second one in a thread: sqlite3 lets go of the GIL
while a statement runs. More slices than connections keeps both busy when slices differ in size. The parts are
counts or sums, so the caller adds them. PostgreSQL has its own parallel workers.

Used by the QĐ 766 index (``index766.queries``) and Biểu 06 (``bieu06_sql``).
"""

from __future__ import annotations

import datetime as dt
import os
import queue
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection, connections

__all__ = ["PARALLEL_FROM", "PARTS", "worth_it", "edges", "in_parallel"]

PARALLEL_FROM = 200_000
PARTS = 8

T = TypeVar("T")
S = TypeVar("S")


def worth_it() -> bool:
    """Whether to split: SQLite, a database other connections can open and see the same rows in (not inside a
    transaction, whose uncommitted rows a second connection would not see), two cores, and enough dossiers for
    the second connection (~1 ms to open) to pay."""
    if connection.vendor != "sqlite" or connection.in_atomic_block or (os.cpu_count() or 1) < 2:
        return False
    name = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db() and "cache=shared" not in name:   # a private in-memory database
        return False
    from motcua.dossiers.models import Dossier

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {Dossier._meta.db_table}")
        return (cursor.fetchone()[0] or 0) >= PARALLEL_FROM


def edges(starts: dt.datetime, ends: dt.datetime, parts: int) -> list[dt.datetime]:
    """``parts`` + 1 instants cutting [starts, ends) into consecutive slices of (nearly) equal length; inner edges
    on whole seconds (instants compare as text on SQLite). [starts, ends] when there is nothing to cut."""
    if ends <= starts:
        return [starts, ends]
    seconds = (ends - starts).total_seconds()
    inner = [starts + dt.timedelta(seconds=int(seconds * i / parts)) for i in range(1, parts)]
    return [starts, *sorted({e for e in inner if starts < e < ends}), ends]


def in_parallel(statements: list[S], run: Callable[[object, S], T]) -> list[T]:
    """``run(connection, statement)`` for each statement, the statements taken in turn by this connection and a
    second one in a thread; the results in the order they finished. Each connection reads what was committed
    when its statement began, so a dossier written meanwhile may be in one part and not another — as in any
    report run while the desk works. The statements are written by the caller, with this thread's connection."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    for statement in statements:
        work.put(statement)
    parts: list[T] = []

    def drain(conn) -> None:
        while True:
            try:
                statement = work.get_nowait()
            except queue.Empty:
                return
            parts.append(run(conn, statement))   # list.append: atomic

    alias = connection.alias   # read here: ``connection`` in the thread would be that thread's own

    def second() -> None:
        conn = connections.create_connection(alias)   # made, used and closed in this thread
        try:
            drain(conn)
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        helper = pool.submit(second)
        drain(connection)
        helper.result()   # re-raises the thread's error
    return parts
