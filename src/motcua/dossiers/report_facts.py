"""The report facts stored on the dossier row, derived from the fields and rows they summarise.

``Dossier.timeliness`` (dossiers.timeliness: early / on time / late under every comparison policy, set
when the dossier finishes) and ``Dossier.paid_online_at`` (its first online payment) let Biểu 06 count
a province-year from one index instead of comparing instants and looking up payments per dossier.
Services keep them current as they write (``services._command``, ``_record_payment``), the history
generator as it builds, ``ledger.restore`` and the migration that added them through ``refresh`` /
``backfill`` here. They are not history (ledger.DERIVED); ``motcua report --verify`` recounts the report
from the ledger's own fields, so a stored fact that disagrees with them shows as a difference.

The QĐ 766 document facts (reports.index766.facts_sql reads them instead of ~3 documents per dossier):

- ``e_intake_at``: the first instant a lodged (intake or supplement) document with a SHA-256 was added;
- ``e_result_at``: the first instant a result document with a SHA-256 was added;
- ``reused_at`` (4.3): the first instant a lodged document with a SHA-256 was added that the same
  applicant had ALREADY given in a dossier submitted earlier — a document of that dossier (lodged or
  an electronic result) with the same SHA-256 added no later than this one (``y.added_at <= x.added_at``).
  What was added to the earlier dossier afterwards does not make this one reused after the fact.

The QĐ 766 lateness and complaint facts (the index reads no side table at all):

- ``supplement_at``, ``supplemented_at``: the first supplement request after appraisal (stage
  "processing", in order of request) and its completion; ``supplement_again_at``: the second one's
  request — more than one counts the dossier late (2.1). As of a cutoff, the dossier waits for a
  supplement when the first was requested before it and not completed before it;
- ``feedback_at``: the first feedback (PAKN) submitted about the dossier;
- ``disliked_at``: when its rating was "not satisfied" (satisfaction ≤ ``DISLIKED``).

``supplements_changed``, ``feedback_given`` and ``rated`` keep them as services write those rows;
``supplement_facts`` is the definition the bulk generator shares; ``backfill_index766`` the set-based
one for the migration and ``refresh``.

The QĐ 766 2.2 durations: ``elapsed_seconds`` and ``allowed_seconds``, whole seconds (each instant
truncated to its second) from the clock's start (``clock_start``, else ``received_at``) to the finish
and to the due instant, for a finished dossier with a due instant — fixed when it finishes, set with
``timeliness`` (``seconds_of``; ``backfill_seconds`` the set-based twin). Summing two stored integers
instead of subtracting instants parsed per row (SQLite stores them as text) halves the index on SQLite.

``documents_added`` keeps them as services add documents (an indexed look-up through the applicant's
dossiers, ``dossier_applicant``, and the documents' dossier index); it also looks forward, so the stored
value is this definition whatever order the rows are written in (a history written dossier by dossier,
a restore). ``reused_sql`` is the same definition set-based, for the back-fill, ``refresh`` and the bulk
generator.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, connections
from django.db.models import Min, Q

from motcua.dossiers import timeliness
from motcua.dossiers.models import (DocumentStage, Dossier, DossierDocument, Payment, PaymentMethod, SupplementRequest,
                                    SupplementStage)

__all__ = ["WITHDRAWN", "DISLIKED", "timeliness_of", "seconds_between", "seconds_of", "own_facts", "backfill_seconds", "supplement_facts", "supplements_changed", "feedback_given",
           "rated", "backfill_index766", "documents_added", "reused_sql", "refresh_reused", "refresh_documents",
           "backfill_documents", "refresh", "backfill"]

RESULT = DocumentStage.RESULT.value
_D, _DOC = Dossier._meta.db_table, DossierDocument._meta.db_table

WITHDRAWN = timeliness.WITHDRAWN
DISLIKED = 2  # a rating's overall satisfaction (1–5) at or below this is "not satisfied" (QĐ 766 5.4)
PROCESSING = SupplementStage.PROCESSING.value
_SUP = SupplementRequest._meta.db_table
_INDEX766 = ("supplement_at", "supplemented_at", "supplement_again_at", "feedback_at", "disliked_at")


def timeliness_of(d: Dossier) -> int | None:
    if d.finished_at is None:
        return None
    return timeliness.pack(d.finished_at, d.due_at, d.original_due_at, d.state in WITHDRAWN)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_SECOND = dt.timedelta(seconds=1)


def _second(at: dt.datetime) -> int:
    return (at - _EPOCH) // _SECOND   # exact: no float


def seconds_between(finished, due, start) -> tuple[int | None, int | None]:
    """(elapsed, allowed) whole seconds from ``start`` to ``finished`` and to ``due``; (None, None) unless
    all three are known."""
    if finished is None or due is None or start is None:
        return None, None
    first = _second(start)
    return _second(finished) - first, _second(due) - first


def seconds_of(d: Dossier) -> tuple[int | None, int | None]:
    """``d``'s (elapsed_seconds, allowed_seconds) by the definition above."""
    return seconds_between(d.finished_at, d.due_at, d.clock_start or d.received_at)


def own_facts(d: Dossier) -> None:
    """Set on ``d`` (the caller saves it) the facts that follow its own fields — ``timeliness`` and the 2.2
    durations, fixed once it finishes: services call it whenever they save a dossier."""
    d.timeliness = timeliness_of(d)
    d.elapsed_seconds, d.allowed_seconds = seconds_of(d)


def backfill_seconds(scope: str = "1 = 1") -> None:
    """``elapsed_seconds`` and ``allowed_seconds`` of the dossiers matching ``scope`` (SQL), set-based."""
    if connection.vendor == "postgresql":
        def second(column: str) -> str:
            return f"FLOOR(EXTRACT(EPOCH FROM {column}))::bigint"
    else:
        def second(column: str) -> str:
            # text instants in UTC; the fraction is cut off first (SQLite rounds it to milliseconds: .9999995 s up)
            return f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"
    start = second("COALESCE(clock_start, received_at)")
    known = "finished_at IS NOT NULL AND due_at IS NOT NULL AND COALESCE(clock_start, received_at) IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_D} SET elapsed_seconds = NULL, allowed_seconds = NULL "
                       f"WHERE ({scope}) AND elapsed_seconds IS NOT NULL AND NOT ({known})")
        cursor.execute(f"UPDATE {_D} SET elapsed_seconds = {second('finished_at')} - {start}, "
                       f"allowed_seconds = {second('due_at')} - {start} WHERE ({scope}) AND {known}")


def supplement_facts(requests) -> tuple:
    """(first request, its completion, second request) from the dossier's supplement requests after
    appraisal given as (requested_at, completed_at, id) in any order — ordered by request, then id —
    None where there is none."""
    ordered = sorted(requests, key=lambda r: (r[0], r[2]))
    first = ordered[0] if ordered else (None, None)
    return first[0], first[1], ordered[1][0] if len(ordered) > 1 else None


def supplements_changed(d: Dossier) -> None:
    """Set the supplement facts on ``d`` (the caller saves it) after a request was made or completed."""
    rows = SupplementRequest.objects.filter(dossier_id=d.pk, stage=PROCESSING).values_list("requested_at", "completed_at", "pk")
    d.supplement_at, d.supplemented_at, d.supplement_again_at = supplement_facts(rows)


def feedback_given(dossier_id: int | None, at) -> None:
    """Feedback about dossier ``dossier_id`` was submitted ``at``: keep the first instant."""
    if dossier_id is not None:
        Dossier.objects.filter(Q(feedback_at__isnull=True) | Q(feedback_at__gt=at), pk=dossier_id).update(feedback_at=at)


def rated(dossier_id: int, satisfaction: int, at) -> None:
    """The dossier's (one) rating was given ``at``: a "not satisfied" one is a complaint fact."""
    if satisfaction <= DISLIKED:
        Dossier.objects.filter(pk=dossier_id).update(disliked_at=at)


def _index766_sql(scope: str) -> list[str]:
    """UPDATEs setting the supplement, feedback and rating facts by their definitions for the dossiers
    matching ``scope``: cleared where set, then each side table grouped by dossier once (UPDATE … FROM)."""
    from motcua.feedback.models import Evaluation, Feedback

    fb, ev = Feedback._meta.db_table, Evaluation._meta.db_table
    # the second request: the least requested_at above the first's (equal instants: two at once, late too)
    second = (f"(SELECT s2.requested_at FROM {_SUP} s2 WHERE s2.dossier_id = v.dossier_id AND s2.stage = '{PROCESSING}' "
              f"AND s2.id <> v.first_id AND s2.requested_at >= v.first ORDER BY s2.requested_at LIMIT 1)")
    return [
        f"UPDATE {_D} SET supplement_at = NULL, supplemented_at = NULL, supplement_again_at = NULL, feedback_at = NULL, "
        f"disliked_at = NULL WHERE ({scope}) AND (supplement_at IS NOT NULL OR feedback_at IS NOT NULL "
        f"OR disliked_at IS NOT NULL)",
        f"UPDATE {_D} SET supplement_at = v.first, supplemented_at = v.done, supplement_again_at = {second} FROM ("
        f"SELECT s.dossier_id, s.id AS first_id, s.requested_at AS first, s.completed_at AS done FROM {_SUP} s "
        f"WHERE s.stage = '{PROCESSING}' AND NOT EXISTS (SELECT 1 FROM {_SUP} e WHERE e.dossier_id = s.dossier_id "
        f"AND e.stage = '{PROCESSING}' AND (e.requested_at < s.requested_at "
        f"OR (e.requested_at = s.requested_at AND e.id < s.id)))) v "
        f"WHERE {_D}.id = v.dossier_id AND ({scope})",
        f"UPDATE {_D} SET feedback_at = v.first FROM (SELECT dossier_id, MIN(submitted_at) AS first FROM {fb} "
        f"WHERE dossier_id IS NOT NULL GROUP BY dossier_id) v WHERE {_D}.id = v.dossier_id AND ({scope})",
        f"UPDATE {_D} SET disliked_at = v.rated_at FROM (SELECT dossier_id, rated_at FROM {ev} "
        f"WHERE satisfaction <= {DISLIKED}) v WHERE {_D}.id = v.dossier_id AND ({scope})",
    ]


def backfill_index766(scope: str = "1 = 1") -> None:
    """The supplement, feedback and rating facts of the dossiers matching ``scope`` (SQL on the dossier
    table): the migration that added them (every dossier), ``refresh`` (one), a repair."""
    with connection.cursor() as cursor:
        for sql in _index766_sql(scope):
            cursor.execute(sql)


def documents_added(d: Dossier, rows: list[DossierDocument], at) -> None:
    """Keep the document facts as ``rows`` (just written, added ``at``) join dossier ``d``: set on ``d``
    (the caller saves it); dossiers of the applicant submitted later whose lodged file this one makes
    reused are updated here (only when rows are written out of time order: a replayed history)."""
    lodged = {r.sha256 for r in rows if r.sha256 and r.stage != RESULT}
    if lodged and (d.e_intake_at is None or at < d.e_intake_at):
        d.e_intake_at = at
    if any(r.sha256 and r.stage == RESULT for r in rows) and (d.e_result_at is None or at < d.e_result_at):
        d.e_result_at = at
    if lodged and (d.reused_at is None or at < d.reused_at) and DossierDocument.objects.filter(
            dossier__applicant_id=d.applicant_id, dossier__submitted_at__lt=d.submitted_at,
            sha256__in=lodged, added_at__lte=at).exists():
        d.reused_at = at
    given = {r.sha256 for r in rows if r.sha256}
    if not given:
        return
    later = (DossierDocument.objects.filter(dossier__applicant_id=d.applicant_id, dossier__submitted_at__gt=d.submitted_at,
                                            sha256__in=given, added_at__gte=at).exclude(stage=RESULT)
             .values("dossier_id").annotate(first=Min("added_at")).values_list("dossier_id", "first"))
    for pk, first in later:
        Dossier.objects.filter(Q(reused_at__isnull=True) | Q(reused_at__gt=first), pk=pk).update(reused_at=first)


def reused_sql(scope: str) -> list[str]:
    """UPDATEs setting ``reused_at`` by its definition for the dossiers matching ``scope`` (SQL over the
    dossier table's columns, unqualified names allowed): cleared, then set from the lodged files grouped
    by dossier (UPDATE … FROM).

    "An earlier file" without a semi-join: one window over the files (with a SHA-256) of the scope's
    applicants, partitioned by (applicant, SHA-256) and ordered by their dossiers' submission, gives each
    file the least ``added_at`` among the files of dossiers submitted strictly before (``GROUPS … 1
    PRECEDING``: every earlier peer group; the frame only grows, so each row adds to the last one's work —
    ``EXCLUDE GROUP`` instead re-aggregated the frame for every row); a lodged file is reused when that
    instant is no later than its own. A semi-join probing every file of the same applicant and SHA-256 is
    quadratic when an applicant lodges the same file in thousands of dossiers (the generator's three demo
    applicants do): 13.7 s for 20,000 generated dossiers on PostgreSQL. The scope's applicants and
    dossiers are computed once (MATERIALIZED): inlined, PostgreSQL probed them again for every file when
    ``scope`` holds an IN of its own."""
    return [f"UPDATE {_D} SET reused_at = NULL WHERE ({scope}) AND reused_at IS NOT NULL",
            f"WITH a AS MATERIALIZED (SELECT DISTINCT applicant_id FROM {_D} WHERE {scope}), "
            f"s AS MATERIALIZED (SELECT id FROM {_D} WHERE {scope}) "
            f"UPDATE {_D} SET reused_at = v.first FROM ("
            f"SELECT w.dossier_id, MIN(w.added_at) AS first FROM ("
            f"SELECT x.dossier_id, x.stage, x.added_at, MIN(x.added_at) OVER (PARTITION BY dx.applicant_id, x.sha256 "
            f"ORDER BY dx.submitted_at GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier "
            f"FROM {_DOC} x JOIN {_D} dx ON dx.id = x.dossier_id "
            f"WHERE x.sha256 <> '' AND dx.submitted_at IS NOT NULL AND dx.applicant_id IN (SELECT applicant_id FROM a)) w "
            f"WHERE w.stage <> '{RESULT}' AND w.earlier <= w.added_at AND w.dossier_id IN (SELECT id FROM s) "
            f"GROUP BY w.dossier_id) v WHERE {_D}.id = v.dossier_id"]


def _first_file_sql(scope: str, everyone: bool = False) -> list[str]:
    """UPDATEs setting ``e_intake_at`` / ``e_result_at`` for the dossiers matching ``scope``: the
    documents grouped by dossier once, joined by UPDATE … FROM (SQLite ≥ 3.33, PostgreSQL) — a subquery
    per dossier ran over 7 minutes for 3,000,000 dossiers on PostgreSQL — after clearing those without
    files. Unless ``everyone``, only the scope's documents are grouped."""
    files = f"SELECT 1 FROM {_DOC} x WHERE x.dossier_id = {_D}.id AND x.sha256 <> ''"
    mine = "" if everyone else f" AND dossier_id IN (SELECT id FROM {_D} WHERE {scope})"
    return [f"UPDATE {_D} SET e_intake_at = NULL, e_result_at = NULL WHERE ({scope}) "
            f"AND (e_intake_at IS NOT NULL OR e_result_at IS NOT NULL) AND NOT EXISTS ({files})",
            f"UPDATE {_D} SET e_intake_at = v.intake, e_result_at = v.result FROM ("
            f"SELECT dossier_id, MIN(CASE WHEN stage <> '{RESULT}' THEN added_at END) AS intake, "
            f"MIN(CASE WHEN stage = '{RESULT}' THEN added_at END) AS result FROM {_DOC} "
            f"WHERE sha256 <> ''{mine} GROUP BY dossier_id) v WHERE {_D}.id = v.dossier_id AND ({scope})"]


def refresh_reused(applicants: str, using: str = "default") -> None:
    """``reused_at`` of every dossier with files of the applicants selected by ``applicants`` (SQL giving
    applicant ids): reuse links an applicant's dossiers, so they are recomputed together (the bulk
    generator, after writing; ``refresh``)."""
    with connections[using].cursor() as cursor:
        for sql in reused_sql(f"applicant_id IN ({applicants}) AND (reused_at IS NOT NULL OR e_intake_at IS NOT NULL)"):
            cursor.execute(sql)


def refresh_documents(applicants: str) -> None:
    """Every document fact of every dossier of the applicants selected by ``applicants`` (SQL)."""
    with connection.cursor() as cursor:
        for sql in _first_file_sql(f"applicant_id IN ({applicants})"):
            cursor.execute(sql)
    refresh_reused(applicants)


def refresh(d: Dossier) -> None:
    """Recompute the facts of one dossier from its fields, payments and documents, and store them
    (the reuse of the applicant's other dossiers too: this one's files may be their earlier ones)."""
    own_facts(d)
    d.paid_online_at = (Payment.objects.filter(dossier_id=d.pk, method=PaymentMethod.ONLINE)
                        .aggregate(first=Min("paid_at"))["first"])
    Dossier.objects.filter(pk=d.pk).update(timeliness=d.timeliness, paid_online_at=d.paid_online_at,
                                           elapsed_seconds=d.elapsed_seconds, allowed_seconds=d.allowed_seconds)
    refresh_documents(str(int(d.applicant_id)))
    backfill_index766(f"id = {int(d.pk)}")
    fields = ("e_intake_at", "e_result_at", "reused_at", *_INDEX766)
    for name, value in zip(fields, Dossier.objects.filter(pk=d.pk).values_list(*fields).get()):
        setattr(d, name, value)


def backfill_documents() -> None:
    """The document facts for every dossier (migration 0007 that added them; a repair). Set-based:
    only the rows that have or should have a value are written."""
    with connection.cursor() as cursor:
        for sql in _first_file_sql("1 = 1", everyone=True):
            cursor.execute(sql)
        # a reused file needs an earlier dossier of the applicant: the applicant's first one is never reused
        for sql in reused_sql("reused_at IS NOT NULL OR e_intake_at IS NOT NULL"):
            cursor.execute(sql)


def backfill(chunk: int = 20_000) -> int:
    """Timeliness and the first online payment for every dossier (the migration that added them; a
    repair, with ``backfill_documents``). Returns how many finished dossiers got a timeliness code."""
    table, payments = Dossier._meta.db_table, Payment._meta.db_table
    with connection.cursor() as cursor:
        # Set-based and only on the rows that have or should have a value (rewriting millions of NULLs
        # costs minutes): a join to the first online payment per dossier, not a correlated subquery —
        # PostgreSQL rescans an unhashed IN list for every row when it does not fit in work_mem.
        cursor.execute(f"UPDATE {table} SET paid_online_at = NULL WHERE paid_online_at IS NOT NULL")
        cursor.execute(f"UPDATE {table} SET paid_online_at = p.first FROM (SELECT dossier_id, MIN(paid_at) AS first "
                       f"FROM {payments} WHERE method = %s GROUP BY dossier_id) AS p WHERE {table}.id = p.dossier_id",
                       [PaymentMethod.ONLINE.value])
    done, last = 0, 0
    rows = Dossier.objects.filter(finished_at__isnull=False).order_by("pk")
    while True:
        batch = list(rows.filter(pk__gt=last).values_list("pk", "finished_at", "due_at", "original_due_at", "state")
                     [:chunk])
        if not batch:
            return done
        codes = [(pk, timeliness.pack(finished, due, original, state in WITHDRAWN))
                 for pk, finished, due, original, state in batch]
        # one UPDATE … FROM a VALUES list per 2,000 (SQLite ≥ 3.33 and PostgreSQL): bulk_update's CASE with a
        # branch per row is quadratic and took an hour for 3,000,000 dossiers
        with connection.cursor() as cursor:
            for start in range(0, len(codes), 2000):
                part = codes[start:start + 2000]
                values = ", ".join(f"({int(pk)}, {int(code)})" for pk, code in part)
                cursor.execute(f"WITH v(pk, code) AS (VALUES {values}) "
                               f"UPDATE {table} SET timeliness = v.code FROM v WHERE {table}.id = v.pk")
        done += len(batch)
        last = batch[-1][0]
