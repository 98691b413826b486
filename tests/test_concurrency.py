"""Two officers act on the same dossier at the same moment: exactly one wins, the other gets a conflict.

Real threads, each with its own database connection, released together by a barrier. Run on
PostgreSQL (row locks); SQLite's in-memory test database cannot be shared between threads safely.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

import factories
from motcua.dossiers import services as s
from motcua.dossiers.errors import Conflict
from motcua.dossiers.models import Dossier, LedgerEvent
from test_dossiers import at, received

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"),
]


def race(*calls):
    """Run the calls in threads released at once; returns each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_two_officers_claim_at_once_exactly_one_wins():
    w = factories.dossier_world()
    for round_ in range(5):
        d = s.forward(received(w, when=at(15 + round_, 9)), w.receptionist, at=at(15 + round_, 10))
        results = race(lambda: s.claim(d.pk, w.specialist, at=at(15 + round_, 11)),
                       lambda: s.claim(d.pk, w.specialist2, at=at(15 + round_, 11)))
        wins = [r for r in results if isinstance(r, Dossier)]
        conflicts = [r for r in results if isinstance(r, Conflict)]
        assert len(wins) == 1 and len(conflicts) == 1, results
        assert "đang do cán bộ" in conflicts[0].message
        d.refresh_from_db()
        assert d.current_step.assignee_id == wins[0].current_step.assignee_id
        assert LedgerEvent.objects.filter(dossier=d, type="claimed").count() == 1


def test_same_version_twice_one_succeeds_the_other_is_stale():
    w = factories.dossier_world()
    d = s.forward(received(w), w.receptionist, at=at(15, 10))
    version = d.version
    results = race(lambda: s.assign(d.pk, w.leader, assignee=w.specialist, version=version, at=at(15, 11)),
                   lambda: s.assign(d.pk, w.leader, assignee=w.specialist2, version=version, at=at(15, 11)))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Dossier"]
    d.refresh_from_db()
    assert d.version == version + 1 and LedgerEvent.objects.filter(dossier=d, type="assigned").count() == 1


def test_a_gateway_callback_arriving_twice_at_once_records_one_payment():
    w = factories.dossier_world()
    d = received(w)
    results = race(*[lambda: s.record_payment(d.pk, None, amount=50000, method="online", reference="VNP-1")] * 2)
    assert all(isinstance(r, Dossier) for r in results), results
    assert d.payments.count() == 1 and LedgerEvent.objects.filter(dossier=d, type="payment_recorded").count() == 1


def test_a_double_click_on_submit_makes_one_dossier():
    from test_dossiers import lodge_online

    w = factories.dossier_world()
    results = race(*[lambda: lodge_online(w, key="double-click-123")] * 2)
    assert all(isinstance(r, Dossier) for r in results), results
    assert results[0].pk == results[1].pk and Dossier.objects.count() == 1
