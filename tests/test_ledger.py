"""The ledger: tampering of every kind is caught, and the tables can be rebuilt from events alone."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

import factories
from motcua.calendar import Duration
from motcua.dossiers import services as s
from motcua.dossiers.files import Upload
from motcua.dossiers.ledger import replay, restore, snapshot, verify
from motcua.dossiers.models import Dossier, LedgerEvent
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
    events = {pk: list(LedgerEvent.objects.filter(dossier_id=pk).order_by("seq")) for pk in originals}
    LedgerEvent.objects.all().delete()
    Dossier.objects.update(current_step=None)
    Dossier.objects.all().delete()
    assert not Dossier.objects.exists()
    for pk, chain in events.items():
        rebuilt = restore(replay(chain), chain)
        LedgerEvent.objects.bulk_create(chain)
        assert snapshot(Dossier.objects.get(pk=rebuilt.pk)) == originals[pk]
    assert verify() == []
