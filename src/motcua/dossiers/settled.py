"""The QĐ 766 facts of a dossier that can no longer change, as two columns the database computes from the
row itself on every write (triggers: every writer keeps them without knowing they exist).

A dossier is *settled* at ``settled_at``: it has finished, and every instant the index's facts read
(reports.index766.facts_sql) is at or before it — the finish, the second supplement request, the first
online payment, electronic file and result, reuse, feedback and "not satisfied" rating. As of any cutoff
after ``settled_at`` each fact "happened before the cutoff" is just "happened", so the facts are the same
for every such cutoff and are stored once as bits (``facts766``, bit k = the k-th name of ``FACTS``).
The index sums those bits for the dossiers settled before its cutoff (most of a finished period) and
works the facts out from the instants only for the rest. A later event (feedback a year on) moves
``settled_at`` with it, so the bits are never read for a cutoff they do not hold at.

For an open dossier ``settled_at`` is NULL and the bits mean nothing.

Why triggers and not generated columns: SQLite takes a query that names a generated column as reading
every column of the table, so no index covers it; the narrow index would send each of 3,000,000 rows to
the table (measured: the index 4.9 s instead of 1.5 s). Plain columns set by a trigger are covered. The
triggers are written from the expressions here (``install``); a change to them needs a migration that
calls ``install`` again — the tests compare the stored columns with these expressions on every dossier.
"""

from __future__ import annotations

from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Greatest

__all__ = ["COMPUTED", "FACTS", "INPUTS", "INSTANTS", "bit", "expressions_sql", "facts_expression", "install",
           "settled_expression", "uninstall"]

_GRANTED = Q(outcome="granted")   # models.Outcome.GRANTED (this module is imported by models)
_TIMED = _GRANTED & Q(due_at__isnull=False)

# Each fact of a settled dossier, in bit order; reports.index766.facts_sql.CONDITIONS has the same names
# as of a cutoff, and the tests hold the two equal on every settled dossier.
FACTS: dict[str, Q] = {
    # 2.1: a second supplement request, or finished after the due instant
    "late": Q(supplement_again_at__isnull=False) | (Q(due_at__isnull=False) & Q(finished_at__gt=F("due_at"))),
    "granted": _GRANTED,
    "timed": _TIMED,
    "slow": _TIMED & Q(finished_at__gt=F("due_at")),
    "online": Q(channel="online"),
    "fee": Q(fee_total__gt=0),
    "paid_online": Q(fee_total__gt=0) & Q(paid_online_at__isnull=False),
    "e_result": _GRANTED & Q(e_result_at__isnull=False),
    "digitised": Q(e_intake_at__isnull=False) & (~_GRANTED | Q(e_result_at__isnull=False)),
    "reused": Q(reused_at__isnull=False),
    "complained": Q(feedback_at__isnull=False) | Q(disliked_at__isnull=False),
}

# The instants besides ``finished_at`` that a fact reads; the latest of them all is ``settled_at``.
INSTANTS = ("supplement_again_at", "paid_online_at", "e_intake_at", "e_result_at", "reused_at", "feedback_at",
            "disliked_at")


# The columns the triggers set, and those whose change makes them compute them again (every column the
# expressions read; the computed ones too, so a direct edit of them is undone).
COMPUTED = ("settled_at", "facts766")
INPUTS = ("finished_at", "due_at", "outcome", "channel", "fee_total", *INSTANTS, *COMPUTED)


def bit(name: str) -> int:
    return 1 << list(FACTS).index(name)


def facts_expression():
    terms = [Case(When(q, then=Value(bit(name))), default=Value(0)) for name, q in FACTS.items()]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def settled_expression():
    # an instant that never happened counts as the finish (GREATEST is NULL with a NULL argument on SQLite)
    latest = Greatest(F("finished_at"), *(Coalesce(F(name), F("finished_at")) for name in INSTANTS))
    return Case(When(finished_at__isnull=False, then=latest), default=Value(None))


_TRIGGERS = ("dossier_settled766_insert", "dossier_settled766_update")


def _sql(model, schema_editor, expression) -> str:
    """``expression`` over one row of ``model``'s table as SQL with its values written in (a trigger takes no
    parameters), the columns unqualified."""
    from django.db.models.sql import Query

    connection = schema_editor.connection
    query = Query(model, alias_cols=False)
    sql, params = connection.ops.compiler("SQLCompiler")(query, connection, None).compile(
        expression.resolve_expression(query, allow_joins=False))
    return sql % tuple(schema_editor.quote_value(p) for p in params)


def expressions_sql(model, schema_editor) -> tuple[str, str]:
    """(settled_at, facts766) as SQL over one row's unqualified columns: for the triggers, and for a writer that
    computes them as it inserts (the bulk generator on SQLite, so the trigger need not write the row again)."""
    return _sql(model, schema_editor, settled_expression()), _sql(model, schema_editor, facts_expression())


def _new(sql: str) -> str:
    """The columns of ``sql`` as those of the row being written (``NEW``)."""
    import re

    return re.sub(r'(?<![\w."])"(\w+)"', r'NEW."\1"', sql)


def install(model, schema_editor) -> None:
    """Create (or replace) the triggers that keep ``COMPUTED`` on ``model``'s table (the dossier model, or the
    migration's historical one), then set them on every row."""
    uninstall(model, schema_editor)
    table, qn = model._meta.db_table, schema_editor.quote_name
    settled, facts = expressions_sql(model, schema_editor)
    every_row = f"UPDATE {qn(table)} SET {qn('settled_at')} = {settled}, {qn('facts766')} = {facts}"
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE FUNCTION {_TRIGGERS[0]}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"NEW.{qn('settled_at')} := {_new(settled)}; NEW.{qn('facts766')} := {_new(facts)}; RETURN NEW; END $$")
        schema_editor.execute(f"CREATE TRIGGER {_TRIGGERS[0]} BEFORE INSERT OR UPDATE OF "
                              f"{', '.join(qn(c) for c in INPUTS)} ON {qn(table)} FOR EACH ROW EXECUTE FUNCTION {_TRIGGERS[0]}()")
        schema_editor.execute(every_row)   # after the trigger: a row written meanwhile is not missed
    else:
        # SQLite: AFTER triggers write the row again (its BEFORE triggers cannot change NEW), only when the stored
        # values are not already the expressions' (a writer that computed them pays no second write). Every row
        # first, or the trigger would write each one twice; this connection holds the only write lock meanwhile.
        schema_editor.execute(every_row)
        body = f"{every_row} WHERE id = NEW.id"
        when = (f"WHEN NEW.{qn('settled_at')} IS NOT ({_new(settled)}) "
                f"OR NEW.{qn('facts766')} IS NOT ({_new(facts)})")
        schema_editor.execute(f"CREATE TRIGGER {_TRIGGERS[0]} AFTER INSERT ON {qn(table)} {when} BEGIN {body}; END")
        schema_editor.execute(f"CREATE TRIGGER {_TRIGGERS[1]} AFTER UPDATE OF {', '.join(qn(c) for c in INPUTS)} "
                              f"ON {qn(table)} {when} BEGIN {body}; END")


def uninstall(model, schema_editor) -> None:
    table, qn = model._meta.db_table, schema_editor.quote_name
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_TRIGGERS[0]} ON {qn(table)}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {_TRIGGERS[0]}()")
    else:
        for name in _TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
