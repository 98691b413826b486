"""The history generator: the bulk path writes exactly what the service commands write, the history
looks like a real province's, and the command refuses what it cannot do."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from collections import Counter as Tally
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection, transaction

from motcua import demo
from motcua.calendar import TZ
from motcua.catalog.models import ProcedureVariant
from motcua.dossiers import generate as g
from motcua.dossiers import ledger
from motcua.dossiers.models import (
    OPEN_STATES, AgencyTask, Counter, Dossier, DossierDocument, DossierFee, DossierStep, Extension, LedgerEvent,
    Payment, SupplementRequest,
)
from motcua.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db

UNTIL = dt.datetime(2026, 3, 31, 16, 30, tzinfo=TZ)
TABLES = [Dossier, DossierStep, AgencyTask, SupplementRequest, Extension, DossierDocument, DossierFee, Payment,
          LedgerEvent]
EVERY_COMMAND = {
    "submit_online", "register_at_desk", "accept", "request_intake_supplement", "record_intake_supplement",
    "refuse_intake", "claim", "assign", "forward", "send_back", "approve", "refuse", "issue_result", "return_result",
    "request_supplement", "record_supplement", "apologise", "withdraw", "stop", "request_payment", "record_payment",
}
# Rare turns made common, so that 60 lives use every command.
EVENTFUL = {"refuse_intake": 0.05, "intake_supplement": 0.12, "supplement": 0.3, "supplement_withdraw": 0.2,
            "supplement_never": 0.1, "withdraw": 0.05, "stop": 0.08, "send_back": 0.2, "refuse": 0.1, "apology": 1.0,
            "pay_later": 0.4, "never_pays": 0.2, "assigned": 0.4, "postal": 0.2, "other_desk": 0.3}


@pytest.fixture
def world():
    demo.load_demo()
    g.provide_role_holders()
    return g.load_world()


def reset_sequences():
    """PostgreSQL sequences do not roll back with a savepoint: start both paths from the same ids."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), TABLES):
            cursor.execute(sql)


def dump() -> dict:
    """Every generated row as the ORM reads it, and on SQLite also every stored SQL value and its type."""
    data = {model.__name__: list(model.objects.order_by("pk").values_list(
        *[f.attname for f in model._meta.concrete_fields])) for model in TABLES}
    data["Counter"] = list(Counter.objects.order_by("key").values_list("key", "value"))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for model in TABLES:
                table = model._meta.db_table
                columns = [f.column for f in model._meta.concrete_fields]
                types = ", ".join(f'typeof("{c}")' for c in columns)
                cursor.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)}, {types} '
                               f'FROM "{table}" ORDER BY id')
                data[f"sql:{table}"] = cursor.fetchall()  # the ledger's before/after: the same text, byte for byte
            cursor.execute("SELECT name, seq FROM sqlite_sequence WHERE name LIKE 'dossiers_%' ORDER BY name")
            data["sql:sqlite_sequence"] = cursor.fetchall()
    return data


def window(months: int):
    return g.window(UNTIL, months)


def test_bulk_writes_exactly_what_the_services_write(world):
    # Half the procedures stop the clock during a supplement instead of restarting it (demo: all restart).
    paused = [v.pk for v in world.variants[::2]]
    ProcedureVariant.objects.filter(pk__in=paused).update(supplement_rule="pause")
    world = g.load_world()
    start, until = window(4)
    plans = list(g.plan(world, dossiers=60, start=start, until=until, seed=0, rates=EVENTFUL))
    assert len(plans) == 60
    used = {c.name for p in plans for c in p.commands}
    assert used == EVERY_COMMAND, f"not exercised: {EVERY_COMMAND - used}"
    rules = {(p.variant.supplement_rule, c.name) for p in plans for c in p.commands}
    assert {("pause", "record_supplement"), ("restart", "record_supplement")} <= rules

    reset_sequences()
    savepoint = transaction.savepoint()
    by_services = g.run_services(world, plans)
    assert not OutboxMessage.objects.exists()  # generated history notifies nobody
    assert ledger.verify() == []
    reference = dump()
    transaction.savepoint_rollback(savepoint)
    assert not Dossier.objects.exists()

    # built here or in a forked process while this one writes; events printed by the general diff or
    # through the precompiled templates (generate_templates)
    for fork, templates in ((False, False), (False, True), (True, True)):
        reset_sequences()
        savepoint = transaction.savepoint()
        by_bulk = g.run_bulk(world, plans, batch_size=17, fork=fork, templates=templates)  # several batches
        written = dump()
        assert (by_bulk.dossiers, by_bulk.events) == (by_services.dossiers, by_services.events) == (60, len(
            reference["LedgerEvent"]))
        for table in reference:
            assert written[table] == reference[table], (fork, templates, table)
        assert ledger.verify() == []
        # no file kept for generated documents, but the scanned ones record their check
        assert not DossierDocument.objects.exclude(file="").exists()
        assert DossierDocument.objects.exclude(sha256="").exists()
        transaction.savepoint_rollback(savepoint)


def test_templates_print_what_the_general_diff_prints(world):
    """The template path's rows and ledger text equal the general diff's, byte for byte, on a few
    hundred eventful lives whose ids cross 99 → 100 and 999 → 1000 inside a dossier (row keys then sort
    differently as text); nearly every event goes through a compiled template."""
    from motcua.dossiers.generate_templates import TemplateSim

    start, until = window(4)
    plans = list(g.plan(world, dossiers=300, start=start, until=until, seed=3, rates=EVENTFUL))
    ids = {key: 97 if key == "dossier" else 995 if key == "events" else 98 for key in g._next_ids(connection)}
    general = list(g._produce(world, plans, ids, {}, connection.vendor, 50, finish=False, templates=False))
    by_templates = list(g._produce(world, plans, ids, {}, connection.vendor, 50, finish=False, templates=True))
    assert by_templates == general
    texts = [text for batch in general for text in batch["rows"]["events"][8::12]]  # each event's after
    assert any('{"100":' in text and ',"99":' in text for text in texts)  # "100" before "99", as text
    sim = TemplateSim(world, g._Numbers(ids, {}), connection.vendor)
    for p in plans:
        sim.run(p)
    events = sum(len(p.commands) for p in plans)
    assert sim.hits + sim.misses == events and sim.hits > 0.95 * events


def test_a_template_gives_way_when_values_coincide():
    """A compiled event checks the structure it was compiled for: a field set to the value it had, or a
    constant that is not the compiled one, sends the event back to the general diff (None)."""
    from motcua.dossiers import generate_templates as t

    structure = (("diff", (("due_at", None, None), ("state", ("received",), ("processing",))), ()), ())
    f = t._compile(structure, "{}")
    old, new = {"due_at": "2026-01-05T01:00:00+00:00", "state": "received"}, {
        "due_at": "2026-01-06T01:00:00+00:00", "state": "processing"}
    assert f(old, new, {}, {}) == ('{"dossier":{"due_at":"2026-01-05T01:00:00+00:00","state":"received"}}',
                                   '{"dossier":{"due_at":"2026-01-06T01:00:00+00:00","state":"processing"}}')
    assert f(old, {**new, "due_at": old["due_at"]}, {}, {}) is None  # unchanged: not in the diff
    assert f({**old, "state": "submitted"}, new, {}, {}) is None  # another constant
    assert f({**old, "code": ""}, new, {}, {}) is None  # another field set


def test_instants_print_as_the_ledger_prints_them():
    """_iso (tables of minutes and seconds) against the ledger's own printing, across days, hours, minutes,
    a leap day and the end of a year."""
    from motcua.dossiers.ledger import _to_json

    moments = [dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=dt.timezone.utc),
               dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc),
               dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=dt.timezone.utc)]
    base = dt.datetime(2025, 7, 1, tzinfo=dt.timezone.utc)
    moments += [base + dt.timedelta(seconds=s) for s in range(0, 2 * 86400, 61)]
    for moment in moments:
        assert g._iso(int(moment.timestamp())) == _to_json(moment)
    assert g._iso(None) is None


def test_step_dues_on_epoch_seconds_equal_the_calendars(world):
    """The bulk path's step due instants (epoch seconds, no datetimes) are calendar.deadline.step_dues's,
    for every procedure, with and without the paper cut-off and pauses, in every kind of time limit."""
    from motcua.calendar import Duration
    from motcua.calendar.deadline import step_dues

    sim = g._Sim(world, g._Numbers(g._next_ids(connection), {}), connection.vendor)
    start, _ = window(6)
    units = set()
    for n, v in enumerate(world.variants):
        for limit in {Duration(v.limit_value, v.limit_unit), Duration(7, "calendar_days"), Duration(1, "months")}:
            cal = next(iter(world.calendars.values())) if n % 2 else world.calendars[max(world.calendars)]
            t0 = g._ts(start) + n * 7919
            spans = () if n % 3 else ((t0 + 3600, t0 + 90000),)
            cutoff = v.paper_cutoff if n % 4 else dt.time(15, 0)
            sim.v, sim.cal, sim.limit, sim.clock_start, sim.spans, sim.cutoff = v, cal, limit, t0, spans, cutoff
            try:
                expected = [g._ts(x) for x in step_dues(cal, dt.datetime.fromtimestamp(t0, TZ), limit,
                                                        [s.budget for s in v.steps],
                                                        [tuple(dt.datetime.fromtimestamp(x, TZ) for x in p)
                                                         for p in spans], cutoff)]
            except g.CalendarError:
                with pytest.raises(g.CalendarError):
                    sim.step_dues()
                continue
            assert sim.step_dues() == expected, (v.label, limit)
            units.add(limit.unit)
    assert units == {"working_days", "working_hours", "calendar_days"}  # months: refused by both


def test_the_history_looks_like_a_province(world):
    start, until = window(6)
    result = g.run_bulk(world, g.plan(world, dossiers=1500, start=start, until=until, seed=5))
    assert result.dossiers == Dossier.objects.count() == 1500
    dossiers = list(Dossier.objects.values("id", "channel", "state", "resolving_unit_id", "variant_id", "due_at",
                                           "finished_at", "received_at"))
    channels = Tally(d["channel"] for d in dossiers)
    assert set(channels) == {"online", "in_person", "postal"}
    assert 0.25 < channels["online"] / 1500 < 0.65 and channels["postal"] < channels["in_person"]
    states = Tally(d["state"] for d in dossiers)
    assert states["returned"] > 0.7 * 1500
    for state in ("withdrawn", "intake_refused", "refused", "stopped", "result_ready", "processing"):
        assert states[state] > 0, state
    finished = [d for d in dossiers if d["state"] in ("result_ready", "returned", "refused")]
    late = sum(d["finished_at"] > d["due_at"] for d in finished)
    assert 0.02 < late / len(finished) < 0.15
    still_open = [d for d in dossiers if d["state"] in OPEN_STATES]
    assert still_open and any(d["due_at"] < until for d in still_open)  # some overdue at the end
    # spread over every agency that resolves dossiers and nearly every procedure
    assert {d["resolving_unit_id"] for d in dossiers} == set(world.calendars)
    assert len({d["variant_id"] for d in dossiers}) >= 0.9 * len(world.variants)

    unit_of = {d["id"]: d["resolving_unit_id"] for d in dossiers}
    # every act inside the agency's office hours, never after the end of the history
    for dossier_id, at in LedgerEvent.objects.values_list("dossier_id", "at"):
        assert at <= until and world.calendars[unit_of[dossier_id]].is_working_moment(at), (dossier_id, at)
    # a supplement after appraisal within 3 working days of receipt
    received = {d["id"]: d["received_at"] for d in dossiers}
    supplements = SupplementRequest.objects.filter(stage="processing").values_list("dossier_id", "requested_at")
    assert supplements
    for dossier_id, at in supplements:
        cal = world.calendars[unit_of[dossier_id]]
        assert cal.working_seconds(received[dossier_id], at) <= 3 * cal.hours_per_day
    # apologies: a few, once, at the latest one working day before the due instant
    apologies = list(Extension.objects.values_list("dossier_id", "requested_at", "previous_due_at", "new_due_at"))
    assert 0 < len(apologies) < 0.08 * 1500
    for dossier_id, at, previous, new in apologies:
        cal = world.calendars[unit_of[dossier_id]]
        assert at <= cal.before(previous, cal.hours_per_day) and new > previous
    sample = Dossier.objects.filter(pk__in=[d["id"] for d in dossiers[::15]])
    assert ledger.verify(sample) == []


def test_the_plan_is_a_function_of_the_seed(world):
    start, until = window(2)

    def lives(seed):
        return [(p.reference, [(c.name, c.at, c.actor) for c in p.commands])
                for p in g.plan(world, dossiers=80, start=start, until=until, seed=seed)]

    first = lives(1)
    assert first == lives(1) and first != lives(2)
    keys = [p.key for p in g.plan(world, dossiers=80, start=start, until=until, seed=1)]
    assert keys == sorted(keys)  # executed in reception order: codes grow with time
    with pytest.raises(g.GenerationError):
        list(g.plan(world, dossiers=5, start=start, until=until, rates={"no_such_rate": 1}))


def test_missing_role_holders_are_provided_once(world):
    from motcua.accounts.models import StaffMembership

    clerks = set(StaffMembership.objects.filter(role="clerk").values_list("unit_id", flat=True))
    for v in world.variants:
        if v.competent_unit_id:
            assert v.competent_unit_id in clerks
    assert g.provide_role_holders() == []


def test_command_generates_with_a_progress_bar(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("generate", "--dossiers", "40", "--months", "2", "--until", "2026-03-31", "--seed", "9",
                 stdout=out, stderr=err)
    assert Dossier.objects.count() == 40
    assert "hồ sơ/s" in out.getvalue() and "40 hồ sơ" in out.getvalue()
    assert "[" + "#" * 30 + "] 100%" in err.getvalue()
    assert not LedgerEvent.objects.filter(at__gt=dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=TZ)).exists()


@pytest.mark.parametrize("args, message", [
    (["--dossiers", "0", "--months", "3"], "--dossiers"),
    (["--dossiers", "-5", "--months", "3"], "--dossiers"),
    (["--dossiers", "10", "--months", "0"], "--months"),
    (["--dossiers", "10", "--months", "3", "--until", "31/03/2026"], "YYYY-MM-DD"),
    (["--dossiers", "10", "--months", "3", "--until", "2999-01-01"], "tương lai"),
])
def test_command_refuses_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message) as refused:
        call_command("generate", *args)
    assert refused.value.returncode == 2


def test_command_needs_the_demo_province():
    with pytest.raises(CommandError, match="load-demo") as refused:
        call_command("generate", "--dossiers", "10", "--months", "3")
    assert refused.value.returncode == 2
    assert not Dossier.objects.exists()


def test_command_exits_2_from_the_shell(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(MOTCUA_VAR_DIR=str(tmp_path), PYTHONPATH=str(Path(__file__).resolve().parent.parent / "src"))
    for args in (["--dossiers", "0", "--months", "1"], ["--dossiers", "x", "--months", "1"]):
        done = subprocess.run([sys.executable, "-m", "motcua.cli", "generate", *args], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2, done.stderr


@pytest.mark.skipif(os.environ.get("MOTCUA_TEST_DB", "SQLite") != "SQLite", reason="its own SQLite file; run once")
def test_generating_into_a_real_sqlite_file_leaves_a_verified_checkpointed_database(tmp_path):
    """Outside a test transaction the bulk run tunes SQLite (and, into a database without dossiers,
    turns synchronous off): afterwards every chain verifies and the WAL is checkpointed away."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(MOTCUA_VAR_DIR=str(tmp_path), PYTHONPATH=str(Path(__file__).resolve().parent.parent / "src"))

    def motcua(*args):
        done = subprocess.run([sys.executable, "-m", "motcua.cli", *args], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    motcua("migrate", "-v", "0")
    motcua("load-demo")
    for seed in (1, 2):  # into a fresh database, then into one that already has dossiers
        assert "300 hồ sơ" in motcua("generate", "--dossiers", "300", "--months", "3", "--until", "2026-03-31",
                                     "--seed", str(seed))
    assert "OK   600 hồ sơ" in motcua("verify-ledger")
    wal = tmp_path / "motcua.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    # The fresh run wrote with its journal in memory and without foreign-key lookups: the file is back
    # in WAL mode, whole, and every generated row's references exist.
    import sqlite3

    db = sqlite3.connect(tmp_path / "motcua.sqlite3")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT COUNT(*) FROM dossiers_ledgerevent").fetchone()[0] > 600
    finally:
        db.close()


@pytest.mark.skipif(os.environ.get("MOTCUA_TEST_DB", "SQLite") != "SQLite", reason="its own SQLite file; run once")
def test_one_process_migrates_loads_the_demo_and_generates_into_a_fresh_file(tmp_path):
    """A script that migrates, loads the demo and generates in one process (as the benches and a provisioning
    script do): the fresh run's switch back to WAL used to end in "database table is locked" at the closing
    checkpoint; the file is now synced instead, and is whole and verified afterwards."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(MOTCUA_VAR_DIR=str(tmp_path), PYTHONPATH=str(Path(__file__).resolve().parent.parent / "src"),
               DJANGO_SETTINGS_MODULE="motcua.settings")
    script = (
        "import datetime as dt, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from motcua import demo\n"
        "from motcua.calendar import TZ\n"
        "from motcua.dossiers import generate as g\n"
        "call_command('migrate', verbosity=0); demo.load_demo(); g.provide_role_holders()\n"
        "r, _, _ = g.generate(dossiers=300, months=3, seed=1, until=dt.datetime(2026, 3, 31, tzinfo=TZ))\n"
        "print('generated', r.dossiers)\n")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "generated 300" in done.stdout, done.stderr
    done = subprocess.run([sys.executable, "-m", "motcua.cli", "verify-ledger"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0 and "OK   300 hồ sơ" in done.stdout, done.stderr
    import sqlite3

    db = sqlite3.connect(tmp_path / "motcua.sqlite3")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()
