"""Report benchmark: Biểu 06 for a whole province-year, on SQLite and PostgreSQL, against DuckDB.

    .venv/bin/python bench/report_bench.py [--dossiers 3000000] [--db sqlite|postgresql|both]
                                           [--year 2025] [--repeat 3] [--rebuild] [--seed 1]

Builds (once; reused while --dossiers and --seed match) a province-year of dossiers in the demo
province, then times ``reports.queries.bieu06`` — the report ``motcua report`` prints — for the
whole province over the whole year (every row counts) and over its last quarter, grouped by unit
and by sector. The same rows are loaded into DuckDB (the ``bench`` extra) and the very same SQL
statement (``bieu06_sql.statement``, DuckDB dialect) is timed there; the script prints our time,
DuckDB's and the ratio, and checks that DuckDB's counts equal ours. When the QĐ 766 index is
present (``reports.index766.compute``) it is timed over the year as well ("index for all units").

Targets (issue 7): Biểu 06 ≤ 1 s on PostgreSQL, ≤ 3 s on SQLite; the index ≤ 2 s.

**The rows are synthesised, not generated.** A province-year through ``motcua generate`` (ledger
events, steps, documents for every dossier) would take hours; the report reads the dossier table
and three small child tables only, so this script writes those directly with a fast seeded row
synthesiser: the demo province's units and procedures (each procedure at the units that resolve
it), channels 45 % online / 50 % at the desk / 5 % by post, working-hour reception over the year,
due instants from each procedure's time limit in working days (weekends skipped, holidays not), a
mix of early, on-time and late ends, 7 % supplement requests (some never answered), apologies with a
new date for a third of the late ones, 2 % withdrawn or stopped, 3 % refused, fees on a quarter of
the dossiers paid online for half of them, and the dossiers received near the year's end still
open. These rows have no ledger: ``motcua report --verify`` and ``verify-ledger`` are meaningless
on them.

Cache: SQLite in var/report_bench/bench.sqlite3, PostgreSQL in the database ``motcua_report_bench``
on the server of MOTCUA_BENCH_PG (default postgresql://postgres@127.0.0.1:5432), DuckDB in
var/report_bench/bench.duckdb. --rebuild starts them afresh.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "report_bench"
PG_SERVER = os.environ.get("MOTCUA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
PG_NAME = "motcua_report_bench"
TARGETS = {"sqlite": 3.0, "postgresql": 1.0}
INDEX_TARGET = 2.0
CHUNK = 50_000
DAY = 86400
OFFSET = 7 * 3600  # Asia/Ho_Chi_Minh


# --- the parent: one child process per database, then the table -------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=3_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each query (the best and median shown)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build the databases afresh")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args)), flush=True)
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    report(run_children(__file__, args), args)


def run_children(script: str, args, flags: tuple[str, ...] = ()) -> dict:
    """Each database in a child process of ``script`` (a Django set-up per database): {db: its RESULT}.
    ``flags`` are the extra boolean options to pass on."""
    results = {}
    for db in (("sqlite", "postgresql") if args.db == "both" else (args.db,)):
        command = [sys.executable, script, "--child", db, "--dossiers", str(args.dossiers), "--year", str(args.year),
                   "--repeat", str(args.repeat), "--seed", str(args.seed)] + (["--rebuild"] if args.rebuild else [])
        command += [f"--{flag.replace('_', '-')}" for flag in flags if getattr(args, flag)]
        result = None
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT) as process:
            for line in process.stdout:   # as the child prints it: a build's progress shows while it runs
                if line.startswith("RESULT "):
                    result = json.loads(line[7:])
                else:
                    print(line, end="", flush=True)
        if process.returncode != 0:
            sys.exit(process.returncode)
        results[db] = result
    return results


def report(results: dict, args) -> None:
    print(f"\nBiểu 06, whole province, {args.dossiers:,} dossiers in {args.year} (best / median of {args.repeat} runs, s)")
    print(f"{'database':11} {'query':22} {'ours':>7} {'median':>7} {'DuckDB':>7} {'ours/DuckDB':>12} {'target':>7}")
    for db, r in results.items():
        for name, t in r["times"].items():
            duck = r["duckdb"].get(name)
            ratio = f"{t['best'] / duck:>12.1f}" if duck else f"{'–':>12}"
            target = TARGETS[db]
            mark = "ok" if t["best"] <= target else "OVER"
            print(f"{db:11} {name:22} {t['best']:>7.3f} {t['median']:>7.3f} {duck or 0:>7.3f} {ratio} "
                  f"{target:>5.1f} {mark}")
        if r.get("index766") is not None:
            t = r["index766"]
            print(f"{db:11} {'QĐ 766 index, year':22} {t:>7.3f} {'':>7} {'':>7} {'':>12} {INDEX_TARGET:>5.1f} "
                  f"{'ok' if t <= INDEX_TARGET else 'OVER'}")
        else:
            print(f"{db:11} QĐ 766 index: {r.get('index766_note')}")


# --- a child: one database ----------------------------------------------------------------------------


def child(args) -> dict:
    db = args.child
    open_database(db, CACHE, PG_NAME, args.rebuild)
    from motcua.reports.bieu06 import Period

    ensure_built(db, CACHE, args, build, lambda: _has_rows(args.dossiers))
    year = Period(dt.date(args.year, 1, 1), dt.date(args.year, 12, 31))
    quarter = Period(dt.date(args.year, 10, 1), dt.date(args.year, 12, 31))
    cases = {"year, by unit": (year, "unit"), "year, by sector": (year, "sector"),
             "Q4, by unit": (quarter, "unit"), "Q4, by sector": (quarter, "sector")}
    times = {name: _time_ours(period, by, args.repeat) for name, (period, by) in cases.items()}
    duck = duckdb_times(db, args, cases)
    result = {"times": times, "duckdb": duck}
    result.update(_time_index(year))
    return result


def _has_rows(n: int) -> bool:
    from motcua.dossiers.models import Dossier

    return Dossier.objects.count() == n


def open_database(db: str, cache: Path, pg_name: str, rebuild: bool) -> None:
    """Point Django at a bench's own database — ``cache``/bench.sqlite3, or the PostgreSQL database
    ``pg_name`` (created when missing) — emptied first with ``rebuild``; set Django up and migrate."""
    if db == "sqlite":
        path = cache / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        if rebuild:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        _create_pg_database(pg_name, rebuild)
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{pg_name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ensure_built(db: str, cache: Path, args, build, present=lambda: True) -> None:
    """``build(db, args)`` unless the cache marker says these rows are there already (and ``present()``)."""
    marker = cache / f"{db}.json"
    wanted = {"dossiers": args.dossiers, "seed": args.seed, "year": args.year}
    if args.rebuild or not marker.exists() or json.loads(marker.read_text()) != wanted or not present():
        marker.unlink(missing_ok=True)
        began = time.perf_counter()
        build(db, args)
        marker.write_text(json.dumps(wanted))
        print(f"[{db}] built {args.dossiers:,} dossiers in {time.perf_counter() - began:.0f} s", flush=True)
    else:
        print(f"[{db}] reusing {args.dossiers:,} dossiers ({marker})", flush=True)


def _create_pg_database(name: str, rebuild: bool) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _time_ours(period, by: str, repeat: int) -> dict:
    from django.db import connection

    from motcua.reports import queries
    from motcua.reports.bieu06 import Policy, check

    queries.bieu06(period, Policy(), by=by)  # warm the caches: the timed runs are the steady state
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = queries.bieu06(period, Policy(), by=by)
        seconds.append(time.perf_counter() - began)
    assert check(result) == [], check(result)
    connection.close()
    return {"best": min(seconds), "median": statistics.median(seconds), "received": result.total.received}


def _time_index(year) -> dict:
    try:
        from motcua.reports.index766.compute import compute
    except ImportError:
        return {"index766": None, "index766_note": "not timed: motcua.reports.index766.compute is not there yet"}
    compute(year)  # warm-up
    began = time.perf_counter()
    compute(year)
    return {"index766": time.perf_counter() - began}


# --- the row synthesiser ------------------------------------------------------------------------------


def _utc(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def _add_working_days(ts: int, days: float) -> int:
    """ts plus ``days`` working days (Mon–Fri; holidays ignored: a benchmark, not a deadline)."""
    whole = int(days)
    local_day = (ts + OFFSET) // DAY
    weekday = (local_day + 3) % 7  # 1970-01-01 was a Thursday (3)
    weeks, rest = divmod(whole, 5)
    extra = weeks * 7
    while rest:
        extra += 1
        if (weekday + extra) % 7 < 5:
            rest -= 1
    if (weekday + extra) % 7 >= 5:  # landed on a weekend: the next Monday
        extra += 7 - (weekday + extra) % 7
    return ts + extra * DAY + int((days - whole) * 8 * 3600)


def _days_of(value, unit: str) -> float:
    value = float(value)
    return {"working_hours": value / 8, "working_days": value, "calendar_days": value * 5 / 7,
            "months": value * 21}.get(unit, value)


class Synthesiser:
    """Seeded rows for the dossier table and its supplement, extension and payment tables."""

    def __init__(self, args):
        from motcua.accounts.models import Applicant
        from motcua.dossiers import generate as g
        from motcua.org.models import Desk
        from django.contrib.auth import get_user_model

        world = g.load_world(only_usable=False)
        self.choices = []  # (version, variant, resolving unit, limit in days, limit value, unit, rule, fee)
        for v in world.variants:
            for unit in g._resolving_units(world, v) or ():
                self.choices.append((v.version_pk, v.pk, unit, max(0.5, _days_of(v.limit_value, v.limit_unit)),
                                     str(v.limit_value), v.limit_unit, v.supplement_rule or "pause"))
        if not self.choices:
            raise SystemExit("the demo province has no procedure with a resolving unit")
        self.weights = [random.Random(i).paretovariate(1.2) for i in range(len(self.choices))]  # busy and quiet ones
        self.applicants = list(Applicant.objects.values_list("pk", flat=True)[:1000])
        desk = Desk.objects.order_by("pk").first()
        self.desk, self.desk_unit = desk.pk, desk.host_unit_id
        self.user = get_user_model().objects.order_by("pk").values_list("pk", flat=True).first()
        self.rng = random.Random(args.seed)
        self.start = int(dt.datetime(args.year, 1, 1, tzinfo=dt.timezone.utc).timestamp()) - OFFSET
        self.end = int(dt.datetime(args.year + 1, 1, 1, tzinfo=dt.timezone.utc).timestamp()) - OFFSET - 7 * 3600
        self.july = int(dt.datetime(args.year, 7, 1, tzinfo=dt.timezone.utc).timestamp()) - OFFSET
        self.n = args.dossiers
        self.ids = {"sup": 0, "ext": 0, "pay": 0}

    def _received(self, i: int) -> int:
        """Reception instants spread over the year's working hours, in order."""
        r = self.rng
        ts = self.start + int((self.end - self.start) * (i + r.random()) / self.n)
        local = ts + OFFSET
        day = local // DAY
        while (day + 3) % 7 >= 5:  # weekend → Friday
            day -= 1
        return day * DAY - OFFSET + int(7.5 * 3600 + r.random() * 9 * 3600)

    def chunks(self):
        """Lists of (dossier, supplements, extensions, payments) rows, CHUNK dossiers at a time."""
        from motcua.dossiers import timeliness

        r = self.rng
        picks = r.choices(range(len(self.choices)), weights=self.weights, k=self.n)
        out = ([], [], [], [])
        for i in range(self.n):
            version, variant, unit, days, limit_value, limit_unit, rule = self.choices[picks[i]]
            received = self._received(i)
            u = r.random()
            channel = "online" if u < 0.45 else "in_person" if u < 0.95 else "postal"
            due = original = _add_working_days(received, days)
            span = max(3600, due - received)
            state, finished, outcome = "processing", None, ""
            fate = r.random()
            sup = ext = None
            if fate < 0.07:  # a supplement within the first working days
                asked = received + int(r.uniform(0.05, 0.6) * min(span, 3 * DAY))
                if r.random() < 0.06:
                    sup = (asked, None)
                    state = "awaiting_supplement"
                else:
                    answered = asked + int(r.uniform(1, 10) * DAY)
                    sup = (asked, answered)
                    due = _add_working_days(answered, days) if rule == "restart" else due + (answered - asked)
                    span = max(3600, due - received)
            if state != "awaiting_supplement":
                kind = r.random()
                if kind < 0.02:
                    state = "withdrawn" if kind < 0.013 else "stopped"
                    finished = received + int(r.uniform(0.1, 0.9) * span)
                else:
                    how = r.random()
                    if how < 0.70:
                        finished = received + int(r.uniform(0.15, 0.95) * span)
                    elif how < 0.82:
                        finished = due - int(r.uniform(0, 3) * 3600)
                    else:
                        late_by = int(r.uniform(0.05, 0.8) * span)
                        if r.random() < 0.33 and due - received > 2 * DAY:  # apologised a day or more before
                            asked = received + int(r.uniform(0.3, 0.7) * (due - DAY - received))
                            new_due = _add_working_days(due, r.choice((2, 3, 5, 10)))
                            ext = (asked, due, new_due)
                            due = new_due
                            late_by = int(r.uniform(-0.5, 0.3) * span)
                        finished = due + late_by
                    refused = r.random() < 0.03
                    state, outcome = ("refused", "refused") if refused else (
                        "returned" if r.random() < 0.9 else "result_ready", "granted")
            if finished is not None and finished > self.end:  # not over by the year's end: still open
                finished, state, outcome = None, "processing", ""
            if ext is not None and ext[0] > self.end:
                ext, due = None, ext[1]
            if sup is not None and sup[1] is not None and sup[1] > self.end:
                sup = (sup[0], None) if sup[0] <= self.end else None
                state = "awaiting_supplement" if sup else state
                due = original if sup else due
            fee = 50_000 if r.random() < 0.25 else 0
            pay = None
            if fee and (finished is None or r.random() < 0.97):
                paid_at = received + int(r.uniform(0, 2) * DAY)
                if paid_at <= self.end:
                    pay = ("online" if r.random() < 0.5 else "cash", paid_at)
            dossier_id = i + 1
            code = None if finished is None else timeliness.pack(
                _utc(finished), _utc(due), _utc(original), state in timeliness.WITHDRAWN)
            paid_online = pay[1] if pay is not None and pay[0] == "online" else None
            out[0].append((
                dossier_id, uuid.UUID(int=r.getrandbits(128), version=4), channel, state,
                "ND118" if received >= self.july else "ND61", version, variant, r.choice(self.applicants),
                self.desk, self.desk_unit, unit, received - int(r.uniform(0, 3) * 3600), received, limit_value,
                limit_unit, rule, original, due, finished,
                finished + DAY if finished is not None and state == "returned" else None, fee,
                fee if pay else 0, outcome, code, paid_online))
            if sup is not None:
                self.ids["sup"] += 1
                out[1].append((self.ids["sup"], dossier_id, sup[0], sup[1]))
            if ext is not None:
                self.ids["ext"] += 1
                out[2].append((self.ids["ext"], dossier_id) + ext)
            if pay is not None:
                self.ids["pay"] += 1
                out[3].append((self.ids["pay"], dossier_id, fee, pay[0], pay[1]))
            if len(out[0]) == CHUNK:
                yield out
                out = ([], [], [], [])
        if out[0]:
            yield out


_DOSSIER_COLUMNS = (
    "id, reference, code, channel, state, regime, procedure_version_id, variant_id, applicant_id, "
    "representative_name, representative_id_number, representative_phone, contact_email, contact_phone, "
    "receiving_desk_id, receiving_unit_id, resolving_unit_id, returning_unit_id, delivery, delivery_address, sets, "
    "idempotency_key, submitted_at, received_at, clock_start, limit_value, limit_unit, cutoff, supplement_rule, "
    "original_due_at, due_at, transfer_due_at, finished_at, returned_at, current_step_id, fee_total, fee_paid, "
    "outcome, result_number, result_issued_at, return_method, originals_returned, book_year, book_number, "
    "version, ledger_length, ledger_head, timeliness, paid_online_at")


def _rows(chunk, instant, ref, boolean):
    """Full table rows from the synthesiser's tuples; ``instant``/``ref``/``boolean`` convert for a database."""
    dossiers, sups, exts, pays = chunk
    d_rows = [(d[0], ref(d[1]), None, d[2], d[3], d[4], d[5], d[6], d[7], "", "", "", "", "", d[8], d[9], d[10],
               d[9], "desk", "", 1, None, instant(d[11]), instant(d[12]), instant(d[12]), d[13], d[14], None, d[15],
               instant(d[16]), instant(d[17]), None, instant(d[18]), instant(d[19]), None, d[20], d[21], d[22], "",
               None, "", boolean(False), None, None, 0, 0, "", d[23], instant(d[24])) for d in dossiers]
    s_rows = [(s[0], s[1], "processing", f"{s[0]}/HDHS", instant(s[2]), None, "[]", "Thiếu giấy tờ",
               instant(s[3]), None) for s in sups]
    e_rows = [(e[0], e[1], f"{e[0]}/XL", instant(e[2]), None, "Chờ xác minh", "3", "working_days", instant(e[3]),
               instant(e[4])) for e in exts]
    p_rows = [(p[0], p[1], p[2], p[3], f"BL{p[0]}", instant(p[4])) for p in pays]
    return d_rows, s_rows, e_rows, p_rows


_CHILD_COLUMNS = {
    "dossiers_supplementrequest": "id, dossier_id, stage, number, requested_at, requested_by_id, items, reason, "
                                  "completed_at, completed_by_id",
    "dossiers_extension": "id, dossier_id, number, requested_at, requested_by_id, reason, by_value, by_unit, "
                          "previous_due_at, new_due_at",
    "dossiers_payment": "id, dossier_id, amount, method, reference, paid_at",
}


def build(db: str, args) -> None:
    from django.db import connection, transaction

    from motcua import demo
    from motcua.dossiers import generate as g
    from motcua.dossiers import report_facts
    from motcua.org.models import OrgUnit

    if not OrgUnit.objects.exists():
        demo.load_demo()
        g.provide_role_holders()
    synth = Synthesiser(args)
    user = synth.user
    tables = ("dossiers_dossier", *_CHILD_COLUMNS)
    with connection.cursor() as cursor:
        for table in reversed(tables):
            cursor.execute(f"DELETE FROM {table}")
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

    began = time.perf_counter()
    done = 0
    if db == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
        for chunk in synth.chunks():
            d, s, e, p = _rows(chunk, sqlite_instant, lambda u: u.hex, lambda b: b)
            s = [row[:5] + (user,) + row[6:] for row in s]
            e = [row[:4] + (user,) + row[5:] for row in e]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO dossiers_dossier ({_DOSSIER_COLUMNS}) VALUES "
                                   f"({', '.join(['%s'] * 49)})", d)
                for table, rows in zip(_CHILD_COLUMNS, (s, e, p)):
                    if rows:
                        width = len(rows[0])
                        cursor.executemany(f"INSERT INTO {table} ({_CHILD_COLUMNS[table]}) VALUES "
                                           f"({', '.join(['%s'] * width)})", rows)
            done += len(d)
            _progress(db, done, args.dossiers, began)
        _backfill(db, report_facts)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        connection.ensure_connection()
        raw = connection.connection
        for chunk in synth.chunks():
            d, s, e, p = _rows(chunk, pg_instant, str, lambda b: b)
            s = [row[:5] + (user,) + row[6:] for row in s]
            e = [row[:4] + (user,) + row[5:] for row in e]
            with raw.cursor() as cursor:
                for table, columns, rows in (("dossiers_dossier", _DOSSIER_COLUMNS, d),
                                             *((t, _CHILD_COLUMNS[t], rows) for t, rows in zip(_CHILD_COLUMNS,
                                                                                               (s, e, p)))):
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            done += len(d)
            _progress(db, done, args.dossiers, began)
        _backfill(db, report_facts)
        with raw.cursor() as cursor:
            for table in tables:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
            # the back-fills rewrote most dossier rows (PostgreSQL keeps the old versions): compact the table
            # to what rows written once take, or every scan reads twice the pages
            cursor.execute("VACUUM FULL dossiers_dossier")
            cursor.execute("VACUUM ANALYZE")


def _backfill(db: str, report_facts) -> None:
    """The supplement facts and the 2.2 durations on the dossier rows, set-based from the rows just written
    (migrations 0008 and 0009's way)."""
    from django.db import transaction

    began = time.perf_counter()
    with transaction.atomic():
        report_facts.backfill_index766()
        report_facts.backfill_seconds()
    print(f"[{db}] supplement facts and durations back-filled in {time.perf_counter() - began:.1f} s", flush=True)


def _progress(db: str, done: int, total: int, began: float) -> None:
    if done % 500_000 == 0 or done == total:
        print(f"[{db}] {done:,} / {total:,} dossiers written ({time.perf_counter() - began:.0f} s)", flush=True)


# --- DuckDB: the same rows, the same statement ---------------------------------------------------------


def duckdb_times(db: str, args, cases: dict) -> dict:
    try:
        import duckdb
    except ImportError:
        print("DuckDB is not installed (pip install -e '.[bench]'): no comparison", flush=True)
        return {}
    from motcua.reports import bieu06_sql
    from motcua.reports.bieu06 import Policy

    path = CACHE / "bench.duckdb"
    marker = CACHE / "duckdb.json"
    wanted = {"dossiers": args.dossiers, "seed": args.seed, "year": args.year, "facts": "supplement"}
    if args.rebuild or not path.exists() or not marker.exists() or json.loads(marker.read_text()) != wanted:
        marker.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        began = time.perf_counter()
        _load_duckdb(duckdb, path, args)
        marker.write_text(json.dumps(wanted))
        print(f"[duckdb] loaded {args.dossiers:,} dossiers in {time.perf_counter() - began:.0f} s", flush=True)
    conn = duckdb.connect(str(path), read_only=True)
    times = {}
    try:
        for name, (period, by) in cases.items():
            sql, instants = bieu06_sql.statement(period, Policy(), by, "", "duckdb")
            for key in instants:
                sql = sql.replace(f"%({key})s", f"${key}")
            params = {k: v.astimezone(dt.timezone.utc).replace(tzinfo=None) for k, v in instants.items()}
            conn.execute(sql, params).fetchall()  # warm-up
            seconds = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                rows = conn.execute(sql, params).fetchall()
                seconds.append(time.perf_counter() - began)
            received = sum(c.received for c in bieu06_sql.decode(rows).values())
            if received != _ours_received(period, by):
                raise SystemExit(f"DuckDB counts {received} dossiers for {name}, we count another number")
            times[name] = min(seconds)
    finally:
        conn.close()
    return times


def _ours_received(period, by: str) -> int:
    from motcua.reports import queries
    from motcua.reports.bieu06 import Policy

    return queries.bieu06(period, Policy(), by=by).total.received


_TS = "TIMESTAMP"  # naive UTC, as the dialect's local-date expression expects
_DUCK_TABLES = {
    "d": ("dossiers_dossier", {"id": "BIGINT", "channel": "VARCHAR", "state": "VARCHAR", "procedure_version_id": "BIGINT",
                               "resolving_unit_id": "BIGINT", "received_at": _TS, "original_due_at": _TS,
                               "due_at": _TS, "finished_at": _TS, "timeliness": "INTEGER",
                               "paid_online_at": _TS}),
    "s": ("dossiers_supplementrequest", {"id": "BIGINT", "dossier_id": "BIGINT", "stage": "VARCHAR",
                                         "requested_at": _TS, "completed_at": _TS}),
    "e": ("dossiers_extension", {"id": "BIGINT", "dossier_id": "BIGINT", "requested_at": _TS,
                                 "previous_due_at": _TS, "new_due_at": _TS}),
    "p": ("dossiers_payment", {"id": "BIGINT", "dossier_id": "BIGINT", "method": "VARCHAR", "paid_at": _TS}),
}


_DUCK_SUPPLEMENT_FACTS = f"""
ALTER TABLE dossiers_dossier ADD COLUMN supplement_at {_TS};
ALTER TABLE dossiers_dossier ADD COLUMN supplemented_at {_TS};
ALTER TABLE dossiers_dossier ADD COLUMN supplement_again_at {_TS};
UPDATE dossiers_dossier SET supplement_at = f.first_at, supplemented_at = f.first_done,
       supplement_again_at = f.second_at
FROM (SELECT dossier_id,
             max(requested_at) FILTER (WHERE n = 1) AS first_at,
             max(completed_at) FILTER (WHERE n = 1) AS first_done,
             max(requested_at) FILTER (WHERE n = 2) AS second_at
      FROM (SELECT dossier_id, requested_at, completed_at,
                   row_number() OVER (PARTITION BY dossier_id ORDER BY requested_at, id) AS n
            FROM dossiers_supplementrequest WHERE stage = 'processing') AS ranked
      GROUP BY dossier_id) AS f
WHERE dossiers_dossier.id = f.dossier_id;
"""


def _load_duckdb(duckdb, path: Path, args) -> None:
    """The synthesiser's rows (the same seed, so the same rows) into DuckDB through CSV files."""
    import csv
    import tempfile

    synth = Synthesiser(args)

    def instant(ts):
        return "" if ts is None else dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")

    with tempfile.TemporaryDirectory(dir=CACHE) as folder:
        files = {name: open(Path(folder, f"{name}.csv"), "w", newline="") for name in ("d", "s", "e", "p")}
        writers = {name: csv.writer(f) for name, f in files.items()}
        for chunk in synth.chunks():
            dossiers, sups, exts, pays = chunk
            writers["d"].writerows((x[0], x[2], x[3], x[5], x[10], instant(x[12]), instant(x[16]), instant(x[17]),
                                    instant(x[18]), "" if x[23] is None else x[23], instant(x[24]))
                                   for x in dossiers)
            writers["s"].writerows((x[0], x[1], "processing", instant(x[2]), instant(x[3])) for x in sups)
            writers["e"].writerows((x[0], x[1], instant(x[2]), instant(x[3]), instant(x[4])) for x in exts)
            writers["p"].writerows((x[0], x[1], x[3], instant(x[4])) for x in pays)
        for f in files.values():
            f.close()
        conn = duckdb.connect(str(path))
        for name, (table, columns) in _DUCK_TABLES.items():
            conn.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
            spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
            conn.execute(f"INSERT INTO {table} SELECT * FROM read_csv('{Path(folder, name + '.csv')}', "
                         f"header = false, nullstr = '', auto_detect = false, columns = {spec})")
        # the supplement facts the services store on the dossier (report_facts.supplement_facts): the first
        # processing request, its completion and the second request's instant
        conn.execute(_DUCK_SUPPLEMENT_FACTS)
        conn.close()


if __name__ == "__main__":
    main()
