"""History generator benchmark: bulk dossiers/s into a fresh SQLite database, its ratio to the target,
and its speed-up over the service commands measured in the same run.

    .venv/bin/python bench/generate_bench.py [--dossiers 100000] [--months 12] [--services 100] [--seed 1]

Target (issue): ≥ 5,000 dossiers/s into SQLite, measured as a user meets it: `motcua generate` into the
database `load-demo` left (no dossier yet). Anchor: the services path (every command through
dossiers.services, one transaction each) on a small N, in the same run, into a copy of that database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

TARGET = 5000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=100_000, help="dossiers written by the bulk path")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--services", type=int, default=100, help="dossiers written by the services path (anchor)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database (its path is printed)")
    parser.add_argument("--general", action="store_true",
                        help="print the ledger events by the general diff instead of the precompiled templates")
    parser.add_argument("--compare-printers", type=int, default=0, metavar="N",
                        help="also build N planned dossiers in this process by both event printers, in turns "
                             "(the least CPU of 3 turns each: steadier than the pipeline on busy cores)")
    parser.add_argument("--finish-in", choices=("writer", "builder"),
                        help="which process chains the hashes and prepares the SQL values (default: the setting)")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="motcua-generate-bench-")
    os.environ.pop("DATABASE_URL", None)
    os.environ["MOTCUA_VAR_DIR"] = folder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from motcua import demo
    from motcua.calendar import TZ
    from motcua.dossiers import generate as g
    from motcua.dossiers.models import Dossier, LedgerEvent

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo.load_demo()
    g.provide_role_holders()
    world = g.load_world()
    print(f"fresh SQLite database with the demo province in {time.perf_counter() - began:.1f} s: "
          f"{Path(folder) / 'motcua.sqlite3'}")
    start, until = g.window(timezone.now(), args.months)
    start = max(start, dt.datetime.combine(min(v.valid_from for v in world.variants), dt.time(0), TZ))

    # A copy of the database as `load-demo` left it, for the anchor below.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database = Path(connection.settings_dict["NAME"])
    anchor_database = database.with_name("anchor.sqlite3")
    shutil.copyfile(database, anchor_database)

    # The bulk path into the database as `load-demo` left it (what `motcua generate` meets after `make demo`):
    # this process writes, a forked one plans and builds the rows and events.
    if args.finish_in:
        g._FINISH_IN_WRITER = args.finish_in == "writer"
    bulk = g.run_bulk(world, g.plan(world, dossiers=args.dossiers, start=start, until=until, seed=args.seed),
                      fork=True, templates=not args.general)
    size = database.stat().st_size
    total = Dossier.objects.count()
    assert total == args.dossiers, total
    events = LedgerEvent.objects.count()

    # The anchor: the service commands, one by one, into the copy (the same province, no dossier yet). Not
    # into the bulk's database: lives lodged before thousands of its dossiers would make the services
    # update those dossiers' reuse facts, as for a history replayed out of order.
    connection.close()
    connection.settings_dict["NAME"] = str(anchor_database)
    services = g.run_services(world, g.plan(world, dossiers=args.services, start=start, until=until,
                                            seed=args.seed + 1))
    assert Dossier.objects.count() == args.services
    connection.close()

    print(f"history {start:%d/%m/%Y} – {until:%d/%m/%Y}; {events / total:.1f} ledger events and "
          f"{size / total / 1024:.1f} KiB of database per dossier")
    rows = [
        ("services path (reference)", services.dossiers, services.seconds, services.rate),
        ("bulk path", bulk.dossiers, bulk.seconds, bulk.rate),
    ]
    print(f"{'':28} {'dossiers':>9} {'seconds':>9} {'dossiers/s':>11}")
    for name, n, seconds, rate in rows:
        print(f"{name:28} {n:>9,} {seconds:>9.2f} {rate:>11,.0f}")
    per = 1e6 / bulk.dossiers
    print(f"bulk stages (wall): chaining and writing {bulk.write_seconds * per:,.0f} µs/dossier (this process), "
          f"waiting for the builder {bulk.wait_seconds * per:,.0f} µs/dossier")
    # CPU time does not count the time other programs take the cores: what the pipeline costs, and
    # the rate it would reach with two cores of its own (the busier process sets the pace).
    writer_cpu, builder_cpu = bulk.cpu_seconds * per, bulk.builder_cpu_seconds * per
    own_cores = 1e6 / max(writer_cpu, builder_cpu)
    print(f"events printed by {'the general diff' if args.general else 'precompiled templates'}; hashes chained "
          f"and SQL values prepared in the {'writer' if g._FINISH_IN_WRITER else 'builder'}")
    print(f"bulk CPU: writer {writer_cpu:,.0f} µs/dossier, builder {builder_cpu:,.0f} µs/dossier "
          f"→ {own_cores:,.0f} dossiers/s with two idle cores; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"bulk / target ({TARGET:,}/s): {bulk.rate / TARGET:.2f}×   "
          f"bulk / services (same run): {bulk.rate / services.rate:,.0f}×   "
          f"two idle cores / target: {own_cores / TARGET:.2f}×")
    if args.compare_printers:
        compare_printers(g, world, start, until, args.compare_printers, args.seed)
    if args.keep:
        print(f"kept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


def compare_printers(g, world, start, until, n: int, seed: int) -> None:
    """Builder CPU per dossier (rows and ledger text, no planning) by the general diff and by the
    precompiled templates, on the same plans; the two outputs must be identical."""
    import gc

    plans = list(g.plan(world, dossiers=n, start=start, until=until, seed=seed))
    ids = {key: 1 for key in ("dossier", *g.COLLECTION_KEYS, "events")}
    best: dict[bool, float] = {}
    outputs = {}
    gc.disable()
    try:
        for _ in range(3):
            for templates in (False, True):
                began = time.process_time()
                outputs[templates] = list(g._produce(world, plans, ids, {}, "sqlite", 2000, finish=False,
                                                     templates=templates))
                best[templates] = min(best.get(templates, 1e9), (time.process_time() - began) / n * 1e6)
    finally:
        gc.enable()
    assert outputs[False] == outputs[True], "the two printers differ"
    print(f"builder CPU without planning ({n:,} dossiers, least of 3): general diff {best[False]:,.0f} µs/dossier, "
          f"precompiled templates {best[True]:,.0f} µs/dossier (identical output)")


if __name__ == "__main__":
    main()
