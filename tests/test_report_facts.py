"""The report facts stored on the dossier (dossiers.timeliness, dossiers.report_facts).

``Dossier.timeliness`` packs the finished dossier's early / on time / late under the four comparison
policies; Biểu 06 reads its policy's digit in SQL. These tests hold the stored facts to their sources:
the packing to ``classify_finished`` itself, the SQL digit to ``unpack``, and every stored value — as
the generator and the services write it, and as the migration back-fills it — to a recomputation.
(tests/test_generate.py proves the generator writes what the services write, column by column;
tests/test_reports_sql.py that the report read from these facts equals the pure definition.)
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from django.db import connection
from django.db.models import Min

from reports_support import generate_history
from motcua.calendar.core import TZ
from motcua.calendar.deadline import EARLY, LATE, ON_TIME, Granularity, classify_finished
from motcua.dossiers import report_facts, timeliness
from motcua.dossiers.models import Dossier, Payment, PaymentMethod

UTC = dt.timezone.utc


def _instants():
    """Instants around two local days' edges (Asia/Ho_Chi_Minh is UTC+7: local midnight is 17:00 UTC)."""
    day = dt.datetime(2025, 3, 3, tzinfo=TZ)
    return [day + dt.timedelta(hours=h, seconds=s) for h in (0, 8, 23, 24, 32) for s in (0, 1)] + \
        [dt.datetime(2025, 3, 3, 16, 59, 59, tzinfo=UTC), dt.datetime(2025, 3, 3, 17, 0, tzinfo=UTC)]


def test_every_slot_holds_the_classification_of_its_policy():
    moments = _instants()
    seen = set()
    for finished, due, original in itertools.product(moments, moments, moments[::3]):
        code = timeliness.pack(finished, due, original, withdrawn=False)
        assert 0 <= code < 81
        for due_kind, granularity in timeliness.SLOTS:
            compared = original if due_kind == timeliness.ORIGINAL else due
            expected = classify_finished(finished, compared, granularity)
            assert timeliness.unpack(code, due_kind, granularity) == expected
            seen.add(expected)
    assert seen == {EARLY, ON_TIME, LATE}


def test_withdrawn_or_without_a_due_instant_is_on_time_everywhere():
    late = dt.datetime(2025, 3, 10, 9, tzinfo=TZ)
    due = dt.datetime(2025, 3, 3, 9, tzinfo=TZ)
    assert timeliness.pack(late, due, due, withdrawn=False) == 2 + 2 * 3 + 2 * 9 + 2 * 27  # late everywhere
    for code in (timeliness.pack(late, due, due, withdrawn=True), timeliness.pack(late, None, None, withdrawn=False)):
        assert all(timeliness.unpack(code, *slot) == ON_TIME for slot in timeliness.SLOTS)
    # late against the extended instant, early against an original one that was later
    mixed = timeliness.pack(late, due, dt.datetime(2025, 3, 12, tzinfo=TZ), withdrawn=False)
    assert timeliness.unpack(mixed, timeliness.EXTENDED, Granularity.DATE) == LATE
    assert timeliness.unpack(mixed, timeliness.ORIGINAL, Granularity.INSTANT) == EARLY


def test_an_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="no timeliness slot"):
        timeliness.unpack(0, "sometimes", Granularity.DATE)


@pytest.mark.django_db
def test_the_sql_digit_is_the_unpacked_one():
    codes = list(range(81))
    with connection.cursor() as cursor:
        for slot in timeliness.SLOTS:
            digit = timeliness.column_sql("code", *slot)
            values = " UNION ALL ".join(f"SELECT {c} AS code" for c in codes)
            cursor.execute(f"SELECT code, {digit} FROM ({values}) t ORDER BY code")
            got = {code: value for code, value in cursor.fetchall()}
            assert got == {c: timeliness.CODES[timeliness.unpack(c, *slot)] for c in codes}, slot


def _recomputed() -> dict[int, tuple]:
    first_online = dict(Payment.objects.filter(method=PaymentMethod.ONLINE).values("dossier_id")
                        .annotate(first=Min("paid_at")).values_list("dossier_id", "first"))
    return {d.pk: (report_facts.timeliness_of(d), first_online.get(d.pk)) for d in Dossier.objects.all()}


def _stored() -> dict[int, tuple]:
    return {pk: (code, paid) for pk, code, paid in Dossier.objects.values_list("pk", "timeliness", "paid_online_at")}


@pytest.mark.django_db
def test_generated_history_stores_the_facts_and_the_backfill_rebuilds_them():
    generate_history(600, seed=5)
    stored = _stored()
    assert stored == _recomputed()
    finished = [code for code, _ in stored.values() if code is not None]
    paid = [at for _, at in stored.values() if at is not None]
    assert len(finished) > 300 and len(paid) > 20
    assert {timeliness.unpack(c, timeliness.EXTENDED, Granularity.DATE) for c in finished} == {EARLY, ON_TIME, LATE}
    Dossier.objects.update(timeliness=None, paid_online_at=None)
    assert report_facts.backfill(chunk=97) == len(finished)   # chunks that do not divide the count
    assert _stored() == stored


# --- the QĐ 766 document facts (e_intake_at, e_result_at, reused_at) ------------------------------------


def _documents_recomputed() -> dict[int, tuple]:
    """The definition (report_facts' docstring) in plain Python over every document."""
    from collections import defaultdict

    from motcua.dossiers.models import DocumentStage, DossierDocument

    dossiers = {d.pk: d for d in Dossier.objects.all()}
    files = defaultdict(list)
    for x in DossierDocument.objects.exclude(sha256=""):
        files[x.dossier_id].append(x)
    by_applicant = defaultdict(list)
    for d in dossiers.values():
        by_applicant[d.applicant_id].append(d)
    out = {}
    for pk, d in dossiers.items():
        lodged = [x for x in files[pk] if x.stage != DocumentStage.RESULT]
        results = [x.added_at for x in files[pk] if x.stage == DocumentStage.RESULT]
        earlier = [y for o in by_applicant[d.applicant_id] if o.submitted_at < d.submitted_at for y in files[o.pk]]
        reused = [x.added_at for x in lodged if any(y.sha256 == x.sha256 and y.added_at <= x.added_at for y in earlier)]
        out[pk] = (min((x.added_at for x in lodged), default=None), min(results, default=None), min(reused, default=None))
    return out


def _documents_stored() -> dict[int, tuple]:
    return {pk: tuple(rest) for pk, *rest in Dossier.objects.values_list("pk", "e_intake_at", "e_result_at", "reused_at")}


@pytest.mark.django_db
def test_document_facts_of_generated_history_and_their_backfill():
    generate_history(600, seed=5)
    stored = _documents_stored()
    assert stored == {pk: tuple(v) for pk, v in _documents_recomputed().items()}
    reused = [pk for pk, (_, _, at) in stored.items() if at is not None]
    # the generator scans every file to the same placeholder: an applicant's later dossiers reuse it
    assert len(reused) > 50 and sum(1 for v in stored.values() if v[0] is not None) > len(reused)
    # ledger.restore's refresh: one dossier, and its applicant's others (reuse links them)
    one = Dossier.objects.get(pk=reused[0])
    Dossier.objects.filter(applicant_id=one.applicant_id).update(e_intake_at=None, reused_at=None)
    report_facts.refresh(one)
    assert _documents_stored() == stored
    Dossier.objects.update(e_intake_at=None, e_result_at=None, reused_at=dt.datetime(2020, 1, 1, tzinfo=UTC))
    report_facts.backfill_documents()
    assert _documents_stored() == stored


@pytest.mark.django_db
def test_documents_added_in_any_order_keep_the_definition():
    """Services keep the facts as files are added, whichever dossier is written first: a file lodged
    in an earlier-submitted dossier afterwards does not make a later one reused; one written later
    with an earlier instant does (a replayed history); a result file is an earlier source too."""
    from motcua.dossiers.models import DocumentStage, DossierDocument

    from motcua.accounts.models import Applicant

    generate_history(40, seed=2)
    base = Dossier.objects.order_by("pk").first()
    applicant = Applicant.objects.create(kind="citizen", full_name="Người thử", cccd="079999000009")
    day = dt.datetime(2026, 1, 5, 9, tzinfo=TZ)

    def dossier(n):
        d = Dossier.objects.get(pk=base.pk)
        d.pk, d.reference, d.code, d.book_number, d.idempotency_key, d.current_step = None, uuid.uuid4(), *[None] * 4
        d.submitted_at = d.received_at = day + dt.timedelta(days=n)
        d.e_intake_at = d.e_result_at = d.reused_at = None
        d.applicant = applicant
        d.save()
        return d

    def add(d, sha, days, stage=DocumentStage.INTAKE):
        at = day + dt.timedelta(days=days)
        row = DossierDocument.objects.create(dossier=d, stage=stage, name="Tệp", kind="copy", sha256=sha, added_at=at)
        d.refresh_from_db()
        report_facts.documents_added(d, [row], at)
        Dossier.objects.filter(pk=d.pk).update(e_intake_at=d.e_intake_at, e_result_at=d.e_result_at,
                                               reused_at=d.reused_at)

    a, b, c, e = dossier(100), dossier(101), dossier(102), dossier(103)
    add(b, "11" * 32, 101)          # b before a has it …
    add(a, "11" * 32, 110)          # … a gets it later: b is not reused
    add(c, "22" * 32, 104)          # written first, added on day 104
    add(a, "22" * 32, 103)          # a (submitted earlier) had it on day 103: c reused at 104, found when a is written
    add(a, "33" * 32, 105, DocumentStage.RESULT)
    add(e, "33" * 32, 106)          # a's electronic result, lodged again: reused
    stored = {d.pk: Dossier.objects.filter(pk=d.pk).values_list("e_intake_at", "e_result_at", "reused_at").get()
              for d in (a, b, c, e)}
    at = lambda n: day + dt.timedelta(days=n)  # noqa: E731
    assert stored == {a.pk: (at(103), at(105), None), b.pk: (at(101), None, None), c.pk: (at(104), None, at(104)),
                      e.pk: (at(106), None, at(106))}
    assert _documents_stored() == {pk: tuple(v) for pk, v in _documents_recomputed().items()}
