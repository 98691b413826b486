"""QĐ 766 index benchmark: the index for every unit of a province-year, on SQLite and PostgreSQL.

    .venv/bin/python bench/index_bench.py [--dossiers 3000000] [--db sqlite|postgresql|both]
                                          [--year 2025] [--repeat 3] [--rebuild] [--seed 1]

Builds (once; reused while --dossiers, --seed and --year match) a province-year of dossiers WITH
the side rows the index reads, then times ``reports.index766.compute`` for the whole province over
the whole year (every unit listed, median of --repeat runs after a warm-up), prints the figures and
the ratio to the 2 s target (issue 7), and checks that both databases count the same. On each it also
times, as the same-run anchor, the dossier counts as ONE statement working every fact out from the
instants (``facts_sql.counts`` over every dossier — the index before the settled bits of
``dossiers.settled``, and on SQLite before the split over two connections) and checks the index counts
the same.

The dossier rows, supplement requests, apologies and payments come from the row synthesiser of
bench/report_bench.py (same seed, same rows). This script adds what the index reads besides:
- applicants: one per three dossiers of the year, so most people lodge more than one dossier;
- lodged documents: online dossiers carry 2–3 scanned files, desk and postal ones are scanned for
  70 % of them (the rest stay paper: no SHA-256). The applicant's identity card scan has the same
  SHA-256 in each of their dossiers that attaches it (60 %), which is what 4.3 "reused" counts; 5 %
  attach the province's blank form, whose SHA-256 is shared by everyone (reuse only counts within
  one applicant, so it must not);
- electronic results for 75 % of the granted dossiers, added when they finish;
- feedback (PAKN) about 0.4 % of the dossiers, a quarter of them answered late or still open late;
- ratings for 30 % of the finished dossiers, 6 % of them "not satisfied" (1–2 of 5).
About 2.9 documents per dossier in all. These rows have no ledger (see report_bench.py).
The dossier rows carry the QĐ 766 facts the services store (dossiers.report_facts: e_intake_at,
e_result_at, reused_at), worked out here as the rows are made (reuse across chunks in memory; the few
found only when an earlier-submitted dossier comes after a later one are updated at the end); the
supplement, feedback and rating facts and the 2.2 durations are back-filled at the end by
``report_facts.backfill_index766`` and ``backfill_seconds`` (migrations 0008 and 0009's back-fills, timed and
printed).

Cache: SQLite in var/index_bench/bench.sqlite3, PostgreSQL in the database ``motcua_index_bench``
on the server of MOTCUA_BENCH_PG (default postgresql://postgres@127.0.0.1:5432). --rebuild starts
them afresh.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report_bench as rb  # noqa: E402  (the dossier row synthesiser)

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "index_bench"
PG_NAME = "motcua_index_bench"
TARGET = 2.0
DAY = rb.DAY
BLANK_FORM = "f0" * 32   # the province's blank application form, attached by anyone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=3_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build the databases afresh")
    parser.add_argument("--build-only", action="store_true", help="build (or check) the databases, time nothing")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args)), flush=True)
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    results = rb.run_children(__file__, args, flags=("build_only",))
    if args.build_only:
        return
    print(f"\nQĐ 766 index, every unit of the province, {args.dossiers:,} dossiers in {args.year} "
          f"(median of {args.repeat} runs after a warm-up, s)")
    print(f"{'database':11} {'median':>7} {'best':>7} {'target':>7} {'× target':>9} {'units':>6} {'documents':>11}")
    for db, r in results.items():
        mark = "ok" if r["median"] <= TARGET else "OVER"
        print(f"{db:11} {r['median']:>7.3f} {r['best']:>7.3f} {TARGET:>7.1f} {r['median'] / TARGET:>9.2f} "
              f"{r['units']:>6} {r['documents']:>11,} {mark}")
    for db, r in results.items():
        print(f"{db} anchor (the dossier counts alone, every fact from the instants, one statement): "
              f"{r['anchor']:.3f} s; the whole index {r['median']:.3f} s ({r['anchor'] / r['median']:.2f}× the anchor's speed)")
    if len(results) == 2:
        a, b = (results[db]["counts"] for db in ("sqlite", "postgresql"))
        print("same counts on both databases" if a == b else f"COUNTS DIFFER: sqlite {a} / postgresql {b}")
        if a != b:
            sys.exit(1)


# --- a child: one database ----------------------------------------------------------------------------


def child(args) -> dict:
    db = args.child
    rb.open_database(db, CACHE, PG_NAME, args.rebuild)
    from motcua.dossiers.models import DossierDocument
    from motcua.reports.bieu06 import Period
    from motcua.reports.index766.compute import compute

    rb.ensure_built(db, CACHE, args, build)
    if args.build_only:
        return {}
    year = Period(dt.date(args.year, 1, 1), dt.date(args.year, 12, 31))
    began = time.perf_counter()
    result = compute(year)
    print(f"[{db}] first run (cold caches) {time.perf_counter() - began:.3f} s", flush=True)
    seconds = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        result = compute(year)
        seconds.append(time.perf_counter() - began)
    print(f"[{db}] runs: {', '.join(f'{s:.3f}' for s in seconds)} s; total "
          f"{result.total.score.total} points, counts {result.total.counts}", flush=True)
    # elapsed and allowed are sums of float seconds: compared to the second
    counts = {k: round(v) for k, v in sorted(result.total.counts.items())}
    out = {"median": statistics.median(seconds), "best": min(seconds), "units": len(result.rows),
           "documents": DossierDocument.objects.count(), "counts": counts}
    # The anchor, same data, same run: the dossier counts as ONE statement working every fact out from the
    # instants, as before the settled bits (and on SQLite on one core, as before the split); same counts.
    from django.db import connection, transaction

    from motcua.reports.index766 import facts_sql, queries
    from motcua.reports.index766.compute import window

    w = window(year, None)
    anchor, found = [], queries.dossier_counts(w)
    for _ in range(args.repeat):
        began = time.perf_counter()
        with transaction.atomic():
            if db == "postgresql":   # that statement's settings (index766.queries before the bits)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('jit', 'off', true), set_config('enable_seqscan', 'off', true), "
                                   "set_config('enable_bitmapscan', 'off', true)")
            every = queries._counted(connection, *facts_sql.counts(w, None, queries.DOSSIER_COUNTS), {})
        anchor.append(time.perf_counter() - began)
    if every != found:
        raise SystemExit("the index's dossier counts differ from the conditions over every dossier")
    out["anchor"] = statistics.median(anchor)
    print(f"[{db}] anchor, every fact from the instants in one statement: {out['anchor']:.3f} s (same counts)",
          flush=True)
    return out


# --- the side rows ------------------------------------------------------------------------------------


class SideRows:
    """Applicants, documents, feedback and ratings for the synthesiser's dossier tuples (seeded)."""

    def __init__(self, args, first_applicant: int, user: int):
        self.rng = random.Random(args.seed * 7919 + 1)
        self.first_applicant = first_applicant
        self.applicants = max(1, args.dossiers // 3)
        self.user = user
        self.ids = {"doc": 0, "fb": 0, "ev": 0}
        # 4.3 reuse across chunks: {applicant: [(dossier, submitted, {SHA-256: first added})]} for the files that
        # can recur (the identity card, the blank form; every other SHA-256 is random); and the reuses found
        # when an earlier-submitted dossier comes after a later one (fixed by ``late_reuses`` at the end)
        self.given: dict[int, list] = {}
        self.late: list[tuple[int, int]] = []

    def applicant_rows(self):
        now = "2024-12-31 00:00:00"
        for n in range(self.applicants):
            pk = self.first_applicant + n
            yield (pk, "citizen", f"Công dân {pk}", f"{pk:012d}", "", None, "", "", "", None, now)

    def identity(self, applicant: int) -> str:
        return f"{applicant * 2654435761 % (1 << 64):016x}" * 4   # the same scan in each of their dossiers

    def _reuse(self, pk: int, applicant: int, submitted: int, lodged: dict[str, int]) -> int | None:
        """reused_at of this dossier by report_facts' definition (a lodged file the applicant had already
        given in a dossier submitted earlier, added no later); records what it makes of later ones."""
        reused = None
        earlier = self.given.setdefault(applicant, [])
        for other, other_submitted, files in earlier:
            for sha, at in lodged.items():
                if other_submitted < submitted and files.get(sha, at + 1) <= at:
                    reused = at if reused is None else min(reused, at)
                elif other_submitted > submitted and sha in files and files[sha] >= at:
                    self.late.append((other, files[sha]))
        if lodged:
            earlier.append((pk, submitted, lodged))
        return reused

    def for_chunk(self, dossiers):
        """(documents, feedback, ratings) rows and {dossier: (e_intake_at, e_result_at, reused_at)} for one
        chunk of dossier tuples (report_bench layout)."""
        r = self.rng
        docs, feedback, ratings, facts = [], [], [], {}

        def doc(dossier, stage, name, sha, at):
            self.ids["doc"] += 1
            docs.append((self.ids["doc"], dossier, None, stage, name, "copy", 1, "", "", sha,
                         "application/pdf" if sha else "", 250_000 if sha else 0, at))

        for d in dossiers:
            pk, channel, applicant, unit = d[0], d[2], d[7], d[10]
            submitted, received, finished, outcome = d[11], d[12], d[18], d[22]
            scanned = channel == "online" or r.random() < 0.7
            at = submitted if channel == "online" else received
            recurring = {}
            if r.random() < 0.6:
                doc(pk, "intake", "Căn cước", self.identity(applicant) if scanned else "", at)
                recurring[self.identity(applicant)] = at
            if r.random() < 0.05:
                doc(pk, "intake", "Tờ khai (mẫu trắng)", BLANK_FORM if scanned else "", at)
                recurring[BLANK_FORM] = at
            for name in ("Tờ khai", "Giấy tờ kèm theo")[: 1 + (r.random() < 0.7)]:
                doc(pk, "intake", name, f"{r.getrandbits(256):064x}" if scanned else "", at)
            e_result = None
            if outcome == "granted" and finished is not None and r.random() < 0.75:
                doc(pk, "result", "Kết quả", f"{r.getrandbits(256):064x}", finished)
                e_result = finished
            facts[pk] = (at if scanned else None, e_result,
                         self._reuse(pk, applicant, submitted, recurring if scanned else {}))
            if r.random() < 0.004:
                self.ids["fb"] += 1
                sent = received + int(r.uniform(0.5, 20) * DAY)
                due = sent + 10 * DAY
                fate = r.random()
                closed = None if fate < 0.15 else (due + int(r.uniform(1, 5) * DAY) if fate < 0.3
                                                   else sent + int(r.uniform(1, 9) * DAY))
                state_ = "open" if closed is None else "answered"
                feedback.append((self.ids["fb"], f"bench-{self.ids['fb']:058d}",
                                 "conduct" if r.random() < 0.4 else "regulation", None, pk, applicant,
                                 f"Công dân {applicant}", "", "", "Chậm giải quyết", "Nội dung", unit, sent, sent,
                                 due, sent + 3 * DAY, state_, "" if closed is None else "Đã trả lời", closed,
                                 None if closed is None else self.user, False, 0))
            if finished is not None and r.random() < 0.3:
                self.ids["ev"] += 1
                satisfaction = r.choice((1, 2)) if r.random() < 0.06 else r.choice((3, 4, 5, 5, 5))
                ratings.append((self.ids["ev"], pk, applicant, unit, "TT01-2018", "online", 2, None, 2, 2, None, 2,
                                satisfaction, "", finished + int(r.uniform(0.1, 3) * DAY), None))
        return docs, feedback, ratings, facts


_COLUMNS = {
    "accounts_applicant": "id, kind, full_name, cccd, tax_code, date_of_birth, address, phone, email, user_id, "
                          "created_at",
    "dossiers_dossierdocument": "id, dossier_id, required_id, stage, name, kind, count, file, file_name, sha256, "
                                "content_type, size, added_at",
    "feedback_feedback": "id, token, kind, procedure_id, dossier_id, applicant_id, sender_name, email, phone, subject, "
                         "content, unit_id, submitted_at, clock_start, answer_due_at, refusal_due_at, state, answer, "
                         "closed_at, closed_by_id, unfounded, transfers",
    "feedback_evaluation": "id, dossier_id, applicant_id, unit_id, criteria_set, channel, i1, i2, i3, i4, i6, i7, "
                           "satisfaction, comment, rated_at, rated_by_id",
}
_INSTANTS = {"accounts_applicant": (), "dossiers_dossierdocument": (12,), "feedback_feedback": (12, 13, 14, 15, 18),
             "feedback_evaluation": (14,)}


def build(db: str, args) -> None:
    from django.db import connection, transaction

    from motcua import demo
    from motcua.accounts.models import Applicant
    from motcua.dossiers import generate as g
    from motcua.dossiers import report_facts
    from motcua.org.models import OrgUnit

    if not OrgUnit.objects.exists():
        demo.load_demo()
        g.provide_role_holders()
    tables = ("feedback_evaluation", "feedback_feedback", "dossiers_dossierdocument", "dossiers_extension",
              "dossiers_supplementrequest", "dossiers_payment", "dossiers_dossier")
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("DELETE FROM accounts_applicant WHERE full_name LIKE 'Công dân %%' AND cccd LIKE '0%%'"
                       " AND user_id IS NULL AND id > 1000000")
    synth = rb.Synthesiser(args)
    first = 1_000_001
    side = SideRows(args, first, synth.user)
    synth.applicants = list(range(first, first + side.applicants))
    user = synth.user
    day_text: dict[int, str] = {}

    def sqlite_instant(ts):
        if ts is None:
            return None
        day, rest = divmod(ts, DAY)
        text = day_text.get(day)
        if text is None:
            text = day_text[day] = dt.date.fromordinal(719163 + day).isoformat()
        return f"{text} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}"

    def pg_instant(ts):
        return None if ts is None else sqlite_instant(ts) + "+00"

    instant = sqlite_instant if db == "sqlite" else pg_instant

    def convert(table, rows):
        positions = _INSTANTS[table]
        if not positions:
            return rows
        out = []
        for row in rows:
            row = list(row)
            for p in positions:
                row[p] = instant(row[p])
            out.append(row)
        return out

    began = time.perf_counter()
    if db == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")

        def write(table, columns, rows):
            if rows:
                with connection.cursor() as cursor:
                    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(rows[0]))})",
                                       rows)
    else:
        connection.ensure_connection()
        raw = connection.connection

        def write(table, columns, rows):
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    applicants = list(side.applicant_rows())
    for start in range(0, len(applicants), rb.CHUNK):
        with transaction.atomic():
            write("accounts_applicant", _COLUMNS["accounts_applicant"], applicants[start:start + rb.CHUNK])
    done = 0
    for chunk in synth.chunks():
        if db == "sqlite":
            d, s, e, p = rb._rows(chunk, sqlite_instant, lambda u: u.hex, lambda b: b)
        else:
            d, s, e, p = rb._rows(chunk, pg_instant, str, lambda b: b)
        s = [row[:5] + (user,) + row[6:] for row in s]
        e = [row[:4] + (user,) + row[5:] for row in e]
        docs, feedback, ratings, facts = side.for_chunk(chunk[0])
        # the QĐ 766 document facts the services store (dossiers.report_facts)
        d = [(*row, *(instant(ts) for ts in facts[row[0]])) for row in d]
        with transaction.atomic():
            write("dossiers_dossier", rb._DOSSIER_COLUMNS + ", e_intake_at, e_result_at, reused_at", d)
            for table, rows in zip(rb._CHILD_COLUMNS, (s, e, p)):
                write(table, rb._CHILD_COLUMNS[table], rows)
            for table, rows in (("dossiers_dossierdocument", docs), ("feedback_feedback", feedback),
                                ("feedback_evaluation", ratings)):
                write(table, _COLUMNS[table], convert(table, rows))
        done += len(d)
        rb._progress(db, done, args.dossiers, began)
    with transaction.atomic(), connection.cursor() as cursor:
        # reuses found only when an earlier-submitted dossier came after a later one (a few)
        for pk, at in side.late:
            cursor.execute("UPDATE dossiers_dossier SET reused_at = %s WHERE id = %s AND "
                           "(reused_at IS NULL OR reused_at > %s)", [instant(at), pk, instant(at)])
    # the supplement, feedback and rating facts: set-based from the rows just written, as migration 0008 does
    filled = time.perf_counter()
    with transaction.atomic():
        report_facts.backfill_index766()
        report_facts.backfill_seconds()
    print(f"[{db}] supplement, feedback and rating facts and durations back-filled in "
          f"{time.perf_counter() - filled:.1f} s", flush=True)
    with connection.cursor() as cursor:
        if db == "sqlite":
            cursor.execute("ANALYZE")
        else:
            for table in (*tables, "accounts_applicant"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
    if db != "sqlite":
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.connection.cursor() as cursor:
            # the back-fills rewrote most dossier rows (PostgreSQL keeps the old versions): compact the table
            # to what rows written once take, or every scan reads twice the pages
            cursor.execute("VACUUM FULL dossiers_dossier")
            cursor.execute("VACUUM ANALYZE")
    print(f"[{db}] {Applicant.objects.count():,} applicants, {side.ids['doc']:,} documents, "
          f"{side.ids['fb']:,} feedback, {side.ids['ev']:,} ratings, {len(side.late):,} reuses found late",
          flush=True)


if __name__ == "__main__":
    main()
