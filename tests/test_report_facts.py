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


# --- the QĐ 766 supplement, feedback and rating facts ------------------------------------------------------


def _index766_recomputed() -> dict[int, tuple]:
    """The definition (report_facts' docstring) in plain Python over the side rows."""
    from motcua.dossiers.models import SupplementRequest, SupplementStage
    from motcua.feedback.models import Evaluation, Feedback

    requests: dict[int, list] = {}
    for s in SupplementRequest.objects.filter(stage=SupplementStage.PROCESSING).order_by("requested_at", "pk"):
        requests.setdefault(s.dossier_id, []).append(s)
    feedback: dict[int, dt.datetime] = {}
    for f in Feedback.objects.exclude(dossier=None):
        feedback[f.dossier_id] = min(feedback.get(f.dossier_id, f.submitted_at), f.submitted_at)
    disliked = {e.dossier_id: e.rated_at for e in Evaluation.objects.filter(satisfaction__lte=2)}
    out = {}
    for pk in Dossier.objects.values_list("pk", flat=True):
        mine = requests.get(pk, [])
        out[pk] = (mine[0].requested_at if mine else None, mine[0].completed_at if mine else None,
                   mine[1].requested_at if len(mine) > 1 else None, feedback.get(pk), disliked.get(pk))
    return out


def _index766_stored() -> dict[int, tuple]:
    return {pk: tuple(rest) for pk, *rest in Dossier.objects.values_list(
        "pk", "supplement_at", "supplemented_at", "supplement_again_at", "feedback_at", "disliked_at")}


@pytest.mark.django_db
def test_supplement_feedback_and_rating_facts_and_their_backfill():
    from motcua.dossiers.models import SupplementRequest, SupplementStage
    from motcua.feedback.models import Evaluation, Feedback, FeedbackKind

    generate_history(600, seed=5)
    stored = _index766_stored()
    assert stored == _index766_recomputed()   # the generator (proved equal to the services) wrote them
    waiting = [pk for pk, (at, done, *_) in stored.items() if at is not None and done is None]
    assert sum(1 for v in stored.values() if v[1] is not None) > 10 and waiting
    # what services refuse but a restored or imported history may hold: a second request (made at the
    # same instant as the first, to hold the tie to the id order), feedback, ratings
    supplemented = Dossier.objects.filter(supplemented_at__isnull=False).order_by("pk")
    for d in supplemented[:3]:
        first = d.supplements.get(stage=SupplementStage.PROCESSING)
        again = first.requested_at if d.pk % 2 else d.supplemented_at + dt.timedelta(days=1)
        SupplementRequest.objects.create(dossier=d, stage=SupplementStage.PROCESSING, number="9/HDHS", items=[],
                                         reason="Lần hai", requested_at=again, requested_by_id=first.requested_by_id)
        report_facts.supplements_changed(d)
        d.save(update_fields=["supplement_at", "supplemented_at", "supplement_again_at"])
    for n, d in enumerate(Dossier.objects.filter(finished_at__isnull=False).order_by("pk")[:40]):
        at = d.finished_at + dt.timedelta(days=1 + n % 3)
        if n % 4 == 0:
            for later in (2, 0):   # the first feedback is the earliest, whatever order they are written in
                Feedback.objects.create(kind=FeedbackKind.CONDUCT, dossier=d, applicant_id=d.applicant_id,
                                        sender_name="Người gửi", subject="Chậm", content="Nội dung",
                                        unit_id=d.resolving_unit_id, submitted_at=at + dt.timedelta(days=later),
                                        clock_start=at, answer_due_at=at, refusal_due_at=at)
                report_facts.feedback_given(d.pk, at + dt.timedelta(days=later))
        Evaluation.objects.create(dossier=d, applicant_id=d.applicant_id, unit_id=d.resolving_unit_id,
                                  criteria_set="TT01-2018", channel="online", i1=1, i3=1, i4=1, i7=1,
                                  satisfaction=1 + n % 5, rated_at=at)
        report_facts.rated(d.pk, 1 + n % 5, at)
    kept = _index766_stored()
    assert kept == _index766_recomputed()
    assert sum(1 for v in kept.values() if v[2] is not None) == 3
    assert sum(1 for v in kept.values() if v[3] is not None) == 10
    assert sum(1 for v in kept.values() if v[4] is not None) == 16   # satisfaction 1 or 2 of 40
    # the back-fill (migration 0008) rebuilds them from nothing and clears what has no source
    Dossier.objects.update(supplement_at=None, supplemented_at=None, supplement_again_at=None, feedback_at=None,
                           disliked_at=dt.datetime(2020, 1, 1, tzinfo=UTC))
    report_facts.backfill_index766()
    assert _index766_stored() == kept
    # ledger.restore's refresh: one dossier
    one = Dossier.objects.filter(supplement_again_at__isnull=False).first()
    Dossier.objects.filter(pk=one.pk).update(supplement_again_at=None, supplement_at=None)
    report_facts.refresh(one)
    assert _index766_stored() == kept and one.supplement_again_at == kept[one.pk][2]


# --- the QĐ 766 2.2 durations (elapsed_seconds, allowed_seconds) -----------------------------------------


def test_seconds_between_truncates_each_instant_to_its_second():
    start = dt.datetime(2025, 3, 3, 1, 0, 0, 999_999, tzinfo=UTC)
    assert report_facts.seconds_between(start + dt.timedelta(seconds=10), start + dt.timedelta(days=1), start) \
        == (10, 86_400)
    # 01:00:00.999999 → 01:00:00; 01:00:01.000001 → 01:00:01: one second, not two microseconds
    assert report_facts.seconds_between(start + dt.timedelta(microseconds=2), start, start) == (1, 0)
    assert report_facts.seconds_between(None, start, start) == (None, None)
    assert report_facts.seconds_between(start, None, start) == (None, None)
    assert report_facts.seconds_between(start, start, None) == (None, None)


def _seconds_stored() -> dict[int, tuple]:
    return {pk: (e, a) for pk, e, a in Dossier.objects.values_list("pk", "elapsed_seconds", "allowed_seconds")}


@pytest.mark.django_db
def test_elapsed_and_allowed_seconds_of_generated_history_and_their_backfill():
    generate_history(600, seed=5)
    stored = _seconds_stored()
    assert stored == {d.pk: report_facts.seconds_of(d) for d in Dossier.objects.all()}
    timed = [v for v in stored.values() if v[0] is not None]
    assert len(timed) > 300 and any(e > a for e, a in timed) and any(e <= a for e, a in timed)
    # sub-second instants (the services keep microseconds): truncated alike in Python and in SQL
    one = Dossier.objects.filter(finished_at__isnull=False, due_at__isnull=False).order_by("pk").first()
    Dossier.objects.filter(pk=one.pk).update(finished_at=one.finished_at + dt.timedelta(microseconds=999_999),
                                             due_at=one.due_at + dt.timedelta(microseconds=1))
    one.refresh_from_db()
    stored[one.pk] = report_facts.seconds_of(one)
    # the back-fill (migration 0009) rebuilds them and clears what has no finish
    Dossier.objects.update(elapsed_seconds=7, allowed_seconds=None)
    report_facts.backfill_seconds()
    assert _seconds_stored() == stored
