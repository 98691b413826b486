"""The ledger: tampering of every kind is caught, and the tables can be rebuilt from events alone."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection

import factories
from motcua.calendar import Duration
from motcua.dossiers import services as s
from motcua.dossiers.files import Upload
from motcua.dossiers import ledger
from motcua.dossiers.ledger import replay, restore, snapshot, verify
from motcua.dossiers.models import Dossier, DossierStep, LedgerEvent
from test_dossiers import PDF, at, received

pytestmark = pytest.mark.django_db


def busy_dossier(w) -> Dossier:
    """A dossier that touched every child table: steps, tasks, supplements, extension, documents, fees, payments."""
    d = received(w)
    d = s.forward(d, w.receptionist, at=at(15, 10))
    s.claim(d, w.specialist, at=at(15, 10, 5))
    d = s.consult(d, w.specialist, unit=w.tree["construction"], question="Ý kiến về quy hoạch",
                  duration=Duration(1, "working_days"), at=at(15, 11))
    d = s.complete_task(d.tasks.get(), w.outsider_leader, answer="Phù hợp quy hoạch", at=at(15, 14))
    d = s.request_supplement(d, w.specialist, items=["Bản vẽ"], reason="Thiếu bản vẽ", at=at(16, 9))
    d = s.record_supplement(d, w.citizen, documents=[Upload("Bản vẽ", file_name="ban-ve.pdf", content=PDF)],
                            at=at(17, 9))
    d = s.record_payment(d, w.receptionist, amount=50000, method="cash", reference="BL-0001", at=at(17, 10))
    d = s.apologise(d, w.leader, reason="Chờ ý kiến", extension=Duration(1, "working_days"), at=at(18, 9))
    return Dossier.objects.get(pk=d.pk)


@pytest.fixture
def w():
    return factories.dossier_world(supplement_rule="pause")


def problems_of(d):
    return [str(p) for p in verify() if p.dossier_id == d.pk]


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_clean_history_verifies_and_command_says_ok(w, capsys):
    busy_dossier(w)
    assert verify() == []
    call_command("verify_ledger")
    assert "OK   1 hồ sơ" in capsys.readouterr().out


def test_edited_event_is_named(w, capsys):
    d = busy_dossier(w)
    raw("UPDATE dossiers_ledgerevent SET reason = 'sửa lén' WHERE dossier_id = %s AND seq = 3", [d.pk])
    assert problems_of(d) == [f"{d.code}: sự kiện số 3 (forwarded) đã bị sửa"]
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_ledger")
    assert exit_.value.code == 1 and d.code in capsys.readouterr().out


def test_deleted_middle_and_last_events_and_reordering_are_caught(w):
    d = busy_dossier(w)
    other = received(w, when=at(19, 9))
    raw("DELETE FROM dossiers_ledgerevent WHERE dossier_id = %s AND seq = 4", [d.pk])
    raw("DELETE FROM dossiers_ledgerevent WHERE dossier_id = %s AND seq = 1", [other.pk])
    found = {p.dossier_id: p.messages for p in verify()}
    assert "thiếu hoặc sai thứ tự" in found[d.pk][0] and "thiếu hoặc sai thứ tự" in found[other.pk][0]


def test_deleting_the_last_event_or_swapping_two_is_caught(w):
    d = busy_dossier(w)
    other = received(w, when=at(19, 9))
    last = d.ledger_length
    raw("DELETE FROM dossiers_ledgerevent WHERE dossier_id = %s AND seq = %s", [d.pk, last])
    raw("UPDATE dossiers_ledgerevent SET seq = 99 WHERE dossier_id = %s AND seq = 1", [other.pk])
    raw("UPDATE dossiers_ledgerevent SET seq = 1 WHERE dossier_id = %s AND seq = 2", [other.pk])
    raw("UPDATE dossiers_ledgerevent SET seq = 2 WHERE dossier_id = %s AND seq = 99", [other.pk])
    found = {p.dossier_id: " ".join(p.messages) for p in verify()}
    assert "sự kiện cuối bị xóa" in found[d.pk]
    assert "không nối với sự kiện trước" in found[other.pk]


def test_dossier_row_edited_behind_the_ledger_is_caught(w):
    d = busy_dossier(w)
    raw("UPDATE dossiers_dossier SET due_at = %s WHERE id = %s", [at(30, 17), d.pk])
    raw("UPDATE dossiers_dossierstep SET outcome = 'approved' WHERE dossier_id = %s AND seq = 1", [d.pk])
    (problem,) = verify()
    assert "due_at" in str(problem) and "steps" in str(problem)


def test_tables_rebuilt_from_events_alone_equal_the_originals(w):
    d = busy_dossier(w)
    second = s.withdraw(received(w, when=at(19, 9)), w.citizen, reason="Rút", at=at(19, 10))
    originals = {x.pk: snapshot(x) for x in (d, second)}
    # the report facts kept out of the ledger (ledger.DERIVED) are recomputed by restore
    derived = dict(Dossier.objects.filter(pk__in=originals).values_list("pk", "timeliness"))
    assert derived[second.pk] == 40  # withdrawn: on time (digit 1) under all four policies
    events = {pk: list(LedgerEvent.objects.filter(dossier_id=pk).order_by("seq")) for pk in originals}
    LedgerEvent.objects.all().delete()
    Dossier.objects.update(current_step=None)
    Dossier.objects.all().delete()
    assert not Dossier.objects.exists()
    for pk, chain in events.items():
        rebuilt = restore(replay(chain), chain)
        LedgerEvent.objects.bulk_create(chain)
        assert snapshot(Dossier.objects.get(pk=rebuilt.pk)) == originals[pk]
        assert Dossier.objects.get(pk=pk).timeliness == derived[pk]
    assert verify() == []


def test_child_collections_are_recorded_row_by_row_as_canonical_text(w):
    d = busy_dossier(w)
    events = {e.type: e for e in LedgerEvent.objects.filter(dossier=d)}
    steps = list(DossierStep.objects.filter(dossier=d).order_by("seq"))
    # forwarded: the finished step changed, the next step was added; the other steps are not repeated
    forwarded = events["forwarded"]
    before, after = json.loads(forwarded.before), json.loads(forwarded.after)
    first, second = str(steps[0].pk), str(steps[1].pk)
    assert set(after["steps"]) == set(before["steps"]) == {first, second}
    assert before["steps"][second] is None and after["steps"][second]["seq"] == 2
    assert before["steps"][first]["outcome"] == "" and after["steps"][first]["outcome"] == "forwarded"
    assert "version" not in after["dossier"] and after["dossier"]["current_step_id"] == steps[1].pk
    # a payment adds one row; the documents, fees and steps it did not touch are absent
    paid = json.loads(events["payment_recorded"].after)
    assert set(paid) == {"dossier", "payments"} and list(paid["payments"].values())[0]["reference"] == "BL-0001"
    # the stored text is the canonical text the hash covers
    for e in LedgerEvent.objects.filter(dossier=d):
        for text in (e.before, e.after):
            assert text == ledger.fragment(json.loads(text))
        assert e.hash == ledger.chain_hash(reference=d.reference, seq=e.seq, type=e.type, actor_id=e.actor_id_value,
                                           actor_name=e.actor_name, at=e.at, before=json.loads(e.before),
                                           after=json.loads(e.after), reason=e.reason, prev_hash=e.prev_hash)


def test_an_edit_that_keeps_the_json_value_is_caught(w):
    d = busy_dossier(w)
    event = LedgerEvent.objects.get(dossier=d, seq=2)
    spaced = json.dumps(json.loads(event.after), sort_keys=True, ensure_ascii=False)  # same value, other bytes
    raw('UPDATE dossiers_ledgerevent SET "after" = %s WHERE id = %s', [spaced, event.pk])
    assert problems_of(d) == [f"{d.code}: sự kiện số 2 (accepted) đã bị sửa"]


def test_replay_upserts_and_deletes_rows_and_reads_format_1():
    class E:
        def __init__(self, after):
            self.after = json.dumps(after)

    rows = replay([
        E({"dossier": {"id": 7, "state": "submitted"}, "fees": [{"id": 3, "amount": 1}, {"id": 10, "amount": 2}]}),
        E({"fees": {"9": {"id": 9, "amount": 5}, "10": {"id": 10, "amount": 4}}, "dossier": {"state": "received"}}),
        E({"fees": {"3": None}, "payments": {"2": {"id": 2}}}),
    ])
    assert rows["dossier"] == {"id": 7, "state": "received"}
    assert rows["fees"] == [{"id": 9, "amount": 5}, {"id": 10, "amount": 4}]  # ordered by pk, not as text
    assert rows["payments"] == [{"id": 2}] and rows["steps"] == []


def _format_1(before: dict, after: dict) -> tuple[dict, dict]:
    """What ledger.diff wrote before format 2: changed dossier fields, changed collections as whole lists."""
    old, new = {}, {}
    changed = {k: v for k, v in after["dossier"].items() if before["dossier"].get(k, old) != v}
    if changed:
        old["dossier"], new["dossier"] = {k: before["dossier"].get(k) for k in changed}, changed
    for key in ledger.COLLECTIONS:
        if before[key] != after[key]:
            old[key], new[key] = before[key], after[key]
    return old, new


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # like the other transactional tests
def test_migration_0002_keeps_chains_written_as_json_verifying():
    """A chain written in format 1 into the JSONFields of 0001 (as Django printed them) still verifies
    after 0002 has turned the fields into canonical text."""
    from django.db.migrations.executor import MigrationExecutor

    from motcua.api.serialize import event as event_out

    w = factories.dossier_world(supplement_rule="pause")
    d = busy_dossier(w)
    events = list(LedgerEvent.objects.filter(dossier=d).order_by("seq"))
    states = [{"dossier": {}, **{key: [] for key in ledger.COLLECTIONS}}]
    states += [replay(events[:n]) for n in range(1, len(events) + 1)]
    chain, head = [], ledger.GENESIS
    for e, before, after in zip(events, states, states[1:]):
        old, new = _format_1(before, after)
        digest = ledger.chain_hash(reference=d.reference, seq=e.seq, type=e.type, actor_id=e.actor_id_value,
                                   actor_name=e.actor_name, at=e.at, before=old, after=new, reason=e.reason,
                                   prev_hash=head)
        chain.append((e.pk, old, new, head, digest))
        head = digest

    executor = MigrationExecutor(connection)
    executor.migrate([("dossiers", "0001_initial")])
    try:
        old_apps = executor.loader.project_state([("dossiers", "0001_initial")]).apps
        OldEvent = old_apps.get_model("dossiers", "LedgerEvent")
        for pk, old, new, link, digest in chain:
            OldEvent.objects.filter(pk=pk).update(before=old, after=new, prev_hash=link, hash=digest)
        Dossier.objects.filter(pk=d.pk).update(ledger_head=head)
        with connection.cursor() as cursor:
            cursor.execute('SELECT "after" FROM dossiers_ledgerevent WHERE dossier_id = %s AND seq = 1', [d.pk])
            stored = cursor.fetchone()[0]
        assert stored != ledger.fragment(chain[0][2])  # not canonical: spaces (SQLite) or jsonb
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert verify() == []
    for e in LedgerEvent.objects.filter(dossier=d).order_by("seq"):
        assert e.after == ledger.fragment(json.loads(e.after)) and e.before == ledger.fragment(json.loads(e.before))
    assert isinstance(event_out(LedgerEvent.objects.get(dossier=d, seq=3))["after"]["steps"], list)  # format 1
    # a format 2 event appended after the migration continues the format 1 chain
    d = s.withdraw(d, w.citizen, reason="Rút hồ sơ", at=at(19, 10))
    assert LedgerEvent.objects.get(dossier=d, seq=d.ledger_length).prev_hash == head
    assert verify() == [] and replay(LedgerEvent.objects.filter(dossier=d).order_by("seq")) == snapshot(d)
