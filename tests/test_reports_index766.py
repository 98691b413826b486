"""The QĐ 766 service index (reports.index766).

- the pure scoring with hand-made numbers: thresholds, proportional scoring, N/A left out and the
  group and total rescaled, the ranking and its ties, the weights' validation;
- the SQL counts equal a slow Python reference over generated history (with feedback, ratings,
  electronic results added), per unit rolled up over the tree and in total, in a handful of queries;
- the drill-down lists exactly the dossiers (feedback, procedures) that cost points;
- the weights: seeded, versioned by date, edited in the admin with Vietnamese refusals, effective at once;
- ``motcua index766``: JSON and CSV, bad input refused with exit status 2;
- the pages in Chromium, with axe.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from playwright.sync_api import expect

from motcua import demo
from motcua.calendar.core import TZ
from motcua.dossiers import generate as g
from motcua.dossiers import report_facts
from motcua.dossiers.models import DocumentStage, Dossier, DossierDocument, Outcome, SupplementRequest, SupplementStage
from motcua.feedback.models import Evaluation, Feedback, FeedbackKind, FeedbackState
from motcua.org.models import OrgUnit
from motcua.reports.bieu06 import Period, ReportError
from motcua.reports.index766 import compute
from motcua.reports.index766 import scoring as sc
from motcua.reports.index766.config import weights_for
from motcua.reports.index766.drilldown import drilldown
from motcua.reports.index766.periods import name_of, parse_period
from motcua.reports.models import IndexConfig, IndicatorWeight

D = Decimal


# --- pure scoring ------------------------------------------------------------------------------------

def _w(**points):
    p = dict(sc.DEFAULT_WEIGHTS.points)
    p.update({k.replace("_", "."): D(v) for k, v in points.items()})
    return sc.Weights(dict(sc.DEFAULT_WEIGHTS.group_max), p, dict(sc.DEFAULT_WEIGHTS.threshold))


def test_threshold_and_proportional_scoring():
    w = sc.DEFAULT_WEIGHTS
    i31 = sc.INDICATOR_BY_ID["3.1"]                     # 4 points, full from 80 %
    assert sc.score_indicator(i31, 8, 10, w).points == D("4")      # 80 % = the threshold
    assert sc.score_indicator(i31, 9, 10, w).points == D("4")
    s = sc.score_indicator(i31, 2, 5, w)                # 40 % → 40 × 4 / 80 = 2
    assert (s.rate, s.points, s.lost) == (D("40.00"), D("2.00"), D("2.00"))
    i21 = sc.INDICATOR_BY_ID["2.1"]                     # 20 points, proportional
    s = sc.score_indicator(i21, 2, 3, w)
    assert (s.rate, s.points) == (D("66.67"), D("13.33"))   # 2 decimals, half up
    i33 = sc.INDICATOR_BY_ID["3.3"]                     # full from 50 %
    assert sc.score_indicator(i33, 1, 4, w).points == D("2.00")
    assert sc.score_indicator(i33, 0, 4, w).points == D("0.00")


def test_na_is_left_out_and_groups_and_total_rescaled():
    w = sc.DEFAULT_WEIGHTS
    na = sc.score_indicator(sc.INDICATOR_BY_ID["5.1"], 0, 0, w)
    assert na.points is None and na.status == "N/A" and na.lost == 0
    nodata = sc.score_indicator(sc.INDICATOR_BY_ID["1.1"], 5, 5, w)
    assert nodata.points is None and nodata.status == "không có dữ liệu"
    scores = {i.id: sc.score_indicator(i, 0, 0, w) for i in sc.INDICATORS}
    scores["5.4"] = sc.score_indicator(sc.INDICATOR_BY_ID["5.4"], 45, 100, w)   # 45 % of 90 → 3 of 6
    scores["2.1"] = sc.score_indicator(sc.INDICATOR_BY_ID["2.1"], 3, 4, w)      # 75 % → 15 of 20
    u = sc.score_unit("x", scores, w)
    # Mức độ hài lòng: only 5.4 scored (3/6) → rescaled to 9 of 18; Tiến độ: 15/20 (2.2 weighs 0).
    assert u.groups["MDHL"].points == D("9.00") and u.groups["TDGQ"].points == D("15.00")
    assert u.groups["CKMB"].points is None
    # total over the two measured groups: (9 + 15) / (18 + 20) × 100
    assert u.total == D("63.16")
    assert (u.raw, u.measured_max) == (D("18.00"), D("26"))
    empty = sc.score_unit("y", {i.id: sc.score_indicator(i, 0, 0, w) for i in sc.INDICATORS}, w)
    assert empty.total is None


def _unit_score(key, total, tdgq, mdhl):
    u = sc.UnitScore(key, {})
    u.total = None if total is None else D(total)
    u.groups = {"TDGQ": sc.GroupScore(sc.GROUP_BY_CODE["TDGQ"], D(20), D(20), D(0), D(tdgq)),
                "MDHL": sc.GroupScore(sc.GROUP_BY_CODE["MDHL"], D(18), D(18), D(0), D(mdhl))}
    return u


def test_ranking_within_kind_with_documented_ties():
    units = [("xa", "Xã B", 80, 15, 10), ("xa", "Xã A", 80, 15, 10), ("xa", "Xã C", 80, 18, 5),
             ("xa", "Xã D", 90, 1, 1), ("xa", "Xã E", None, 0, 0), ("so", "Sở X", 50, 5, 5)]
    scores = [_unit_score((kind, name), t, a, b) for kind, name, t, a, b in units]
    ranked = sc.rank(scores, peer=lambda k: k[0], name=lambda k: k[1])
    got = [(s.key[1], s.rank) for s in ranked]
    # D first (highest total); C beats A and B on Tiến độ; A and B tie on all three: one rank, by name.
    assert got == [("Xã D", 1), ("Xã C", 2), ("Xã A", 3), ("Xã B", 3), ("Xã E", None), ("Sở X", 1)]


def test_weights_validation_messages():
    w = sc.DEFAULT_WEIGHTS
    assert sc.validate_weights(w.group_max, w.points, w.threshold) == []
    groups = dict(w.group_max, TDGQ=D(25))
    errors = sc.validate_weights(groups, w.points, w.threshold)
    assert "Tổng điểm tối đa của các nhóm phải bằng 100 (hiện là 105)." in errors
    assert any("nhóm “Tiến độ giải quyết” là 20, phải bằng điểm tối đa của nhóm (25)" in e for e in errors)
    bad = sc.validate_weights(w.group_max, dict(w.points, **{"3.1": D(-1)}), dict(w.threshold, **{"3.3": D(0)}))
    assert "Điểm của chỉ số 3.1 không được âm." in bad
    assert "Ngưỡng đạt điểm tối đa của chỉ số 3.3 phải lớn hơn 0 và không quá 100%." in bad


def test_periods_by_name():
    assert parse_period("2026-Q1") == Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert parse_period("2026-02") == Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert parse_period("2025") == Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert name_of(parse_period("2026-Q2")) == "Quý 2/2026" and name_of(parse_period("2026-12")) == "Tháng 12/2026"
    for bad in ("2026-Q5", "2026-13", "quý 1", ""):
        with pytest.raises(ReportError, match="không hợp lệ"):
            parse_period(bad)


# --- generated history and the slow reference ------------------------------------------------------

DOSSIERS, MONTHS = 900, 6
UNTIL = dt.datetime(2026, 5, 31, 17, 0, tzinfo=TZ)
Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
DIGEST = "ab" * 32


@pytest.fixture
def history(db):
    demo.load_demo()
    g.provide_role_holders()
    g.generate(dossiers=DOSSIERS, months=MONTHS, seed=11, until=UNTIL, fork=False)
    # What the generator does not make: electronic results, feedback, ratings.
    docs, feedback, ratings = [], [], []
    for n, d in enumerate(Dossier.objects.filter(received_at__isnull=False).order_by("pk")):
        if d.outcome == Outcome.GRANTED and n % 3 == 0:
            docs.append(DossierDocument(dossier=d, stage=DocumentStage.RESULT, name="Kết quả", kind="original",
                                        sha256=DIGEST, added_at=d.finished_at))
        if n % 9 == 0:
            at = d.received_at + dt.timedelta(days=1)
            due = at + dt.timedelta(days=15)
            late, open_ = n % 27 == 0, n % 4 == 0
            closed = None if open_ else (due + dt.timedelta(days=2) if late else at + dt.timedelta(days=3))
            feedback.append(Feedback(
                kind=FeedbackKind.CONDUCT if n % 2 else FeedbackKind.REGULATION, dossier=d, applicant_id=d.applicant_id,
                sender_name="Người gửi", subject="Chậm", content="Nội dung", unit_id=d.resolving_unit_id,
                submitted_at=at, clock_start=at, answer_due_at=due, refusal_due_at=at + dt.timedelta(days=2),
                state=FeedbackState.OPEN if open_ else FeedbackState.ANSWERED, closed_at=closed,
                answer="" if open_ else "Đã trả lời"))
        if d.finished_at and n % 5 == 0:
            ratings.append(Evaluation(dossier=d, applicant_id=d.applicant_id, unit_id=d.resolving_unit_id,
                                      criteria_set="TT01-2018", channel="online", i1=1, i3=1, i4=1, i7=1,
                                      satisfaction=n % 5 + 1 if n % 2 else 2, rated_at=d.finished_at))
    DossierDocument.objects.bulk_create(docs)
    for doc in docs:  # what services.issue_result keeps with its file
        report_facts.documents_added(doc.dossier, [doc], doc.added_at)
        Dossier.objects.filter(pk=doc.dossier_id).update(e_result_at=doc.dossier.e_result_at)
    Feedback.objects.bulk_create(feedback)
    Evaluation.objects.bulk_create(ratings)
    for f in feedback:  # what feedback.services keeps on the dossier row as it writes them
        report_facts.feedback_given(f.dossier_id, f.submitted_at)
    for e in ratings:
        report_facts.rated(e.dossier_id, e.satisfaction, e.rated_at)
    # Services allow one supplement request after appraisal; an imported or restored history may hold
    # two, which makes the dossier late (2.1): two dossiers of Q1 finished on time get a second one.
    on_time = Dossier.objects.filter(received_at__gte=Q1.starts, received_at__lt=Q1.ends, finished_at__lt=F("due_at"),
                                     supplements__stage="processing", supplements__completed_at__isnull=False)
    for d in on_time.order_by("pk")[:2]:
        first = d.supplements.get(stage=SupplementStage.PROCESSING)
        SupplementRequest.objects.create(dossier=d, stage=SupplementStage.PROCESSING, number="9/HDHS", items=[],
                                         requested_by_id=first.requested_by_id, completed_by_id=first.completed_by_id,
                                         reason="Lần hai", requested_at=first.completed_at + dt.timedelta(hours=1),
                                         completed_at=first.completed_at + dt.timedelta(hours=2))
        report_facts.supplements_changed(d)
        d.save(update_fields=["supplement_at", "supplemented_at", "supplement_again_at"])


def _reference(period: Period, cutoff: dt.datetime) -> dict[int, dict[str, int]]:
    """Every dossier and feedback counter per resolving unit, in plain Python over the rows."""
    starts, end = period.starts, min(period.ends, cutoff)
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    dossiers = list(Dossier.objects.filter(received_at__isnull=False)
                    .prefetch_related("supplements", "payments", "documents", "feedback"))
    rated_badly = {e.dossier_id for e in Evaluation.objects.filter(satisfaction__lte=2, rated_at__lt=cutoff)}
    # 4.3: a file the applicant had already given (lodged or a result, added no later) in ANY dossier of
    # theirs submitted earlier, received or not
    by_applicant = defaultdict(list)
    for d in Dossier.objects.prefetch_related("documents"):
        by_applicant[d.applicant_id].append(d)
    for d in dossiers:
        if not (starts <= d.received_at < end):
            continue
        c = out[d.resolving_unit_id]
        c["received"] += 1
        sups = [s for s in d.supplements.all() if s.stage == SupplementStage.PROCESSING and s.requested_at < cutoff]
        waiting = sorted(s.requested_at for s in sups if s.completed_at is None or s.completed_at >= cutoff)
        finished = d.finished_at is not None and d.finished_at < cutoff
        if len(sups) > 1:
            late = True
        elif d.due_at is None:
            late = False
        elif finished:
            late = d.finished_at > d.due_at
        elif waiting:
            late = waiting[-1] > d.due_at
        else:
            late = d.due_at < cutoff
        granted = finished and d.outcome == Outcome.GRANTED
        docs = [x for x in d.documents.all() if x.sha256 and x.added_at < cutoff]
        e_result = any(x.stage == DocumentStage.RESULT for x in docs)
        lodged = [x for x in docs if x.stage != DocumentStage.RESULT]
        earlier = [y for o in by_applicant[d.applicant_id] if o.submitted_at < d.submitted_at
                   for y in o.documents.all()]
        flags = {
            "late": late, "granted": granted, "timed": granted and d.due_at is not None,
            "slow": granted and d.due_at is not None and d.finished_at > d.due_at,
            "online": d.channel == "online", "fee": d.fee_total > 0,
            "paid_online": d.fee_total > 0 and any(p.method == "online" and p.paid_at < cutoff for p in d.payments.all()),
            "e_result": granted and e_result, "digitised": bool(lodged) and (not granted or e_result),
            "reused": any(y.sha256 == x.sha256 and y.added_at <= x.added_at for x in lodged for y in earlier),
            "complained": any(f.submitted_at < cutoff for f in d.feedback.all()) or d.pk in rated_badly,
        }
        for k, v in flags.items():
            c[k] += int(v)
    for f in Feedback.objects.all():
        if not (starts <= f.submitted_at < end):
            continue
        c = out[f.unit_id]
        c["feedback"] += 1
        c["classified"] += 1
        closed = f.closed_at is not None and f.closed_at < cutoff
        # answered after its deadline, or still unanswered at the cutoff with the deadline passed
        c["fb_late"] += int(f.closed_at > f.answer_due_at if closed else f.answer_due_at < cutoff)
    return out


def _rolled(per_unit, unit: OrgUnit) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for u in OrgUnit.objects.filter(path__startswith=unit.path):
        for k, v in per_unit.get(u.pk, {}).items():
            total[k] += v
    return {k: v for k, v in total.items() if v}


KEYS = ("received", "late", "granted", "timed", "slow", "online", "fee", "paid_online", "e_result", "digitised",
        "reused", "complained", "feedback", "classified", "fb_late")


@pytest.mark.parametrize("now", [None, dt.datetime(2026, 2, 20, 10, 0, tzinfo=TZ)], ids=["ended", "running"])
def test_sql_counts_equal_the_python_reference(history, now, django_assert_max_num_queries):
    # a constant handful: the weights, the tree, one statement per source (the dossiers' two — settled and
    # not — in a transaction of their own, with their settings on PostgreSQL; the online procedures used as
    # versions, then the versions' procedures)
    with django_assert_max_num_queries(14):
        result = compute(Q1, now=now)
    cutoff = result.as_of
    assert cutoff == (Q1.ends if now is None else now)
    ref = _reference(Q1, cutoff)
    assert len(result.rows) >= 5
    for row in result.rows:
        got = {k: v for k, v in row.counts.items() if k in KEYS and v}
        assert got == _rolled(ref, row.unit), row.unit.name
    total = {k: sum(c.get(k, 0) for c in ref.values()) for k in KEYS}
    assert {k: result.total.counts.get(k, 0) for k in KEYS} == total
    # The history exercises every counter, or the comparison would prove little.
    assert all(total[k] > 0 for k in KEYS), total
    assert total["late"] < total["received"] and total["fb_late"] < total["feedback"]
    # The indicators are these counts: 2.1 = on time / received; 5.4 = 100 − late % − complained %.
    s = result.total.score.indicators
    assert (s["2.1"].numerator, s["2.1"].denominator) == (total["received"] - total["late"], total["received"])
    assert s["5.4"].rate == max(D(0), 100 - sc.rate(total["late"], total["received"])
                                - sc.rate(total["complained"], total["received"]))
    assert (s["5.2"].numerator, s["5.2"].denominator) == (total["feedback"] - total["fb_late"], total["feedback"])
    assert s["1.3"].denominator > 0 and s["3.1"].denominator > 0


def test_drilldown_lists_exactly_what_cost_points(history):
    result = compute(Q1)
    row = max((r for r in result.rows if r.unit.kind == "commune"), key=lambda r: r.counts.get("late", 0))
    assert row.counts["late"] > 0
    for ind in ("2.1", "3.3", "3.6", "4.1", "4.2", "4.3", "5.4"):
        s = row.score.indicators[ind]
        d = drilldown(Q1, row.unit, ind)
        listed = set(d.items.values_list("pk", flat=True))
        if ind == "5.4":  # the formula subtracts both rates: a late dossier with a complaint costs twice
            late, complained = row.counts["late"], row.counts["complained"]
            assert max(late, complained) <= len(listed) <= late + complained == s.denominator - s.numerator
        else:
            assert len(listed) == s.denominator - s.numerator, ind
    late = set(drilldown(Q1, row.unit, "2.1").items.values_list("pk", flat=True))
    # the reference's late dossiers of the unit's subtree, one by one
    cutoff = Q1.ends
    expected = set()
    for d in Dossier.objects.filter(resolving_unit__path__startswith=row.unit.path, received_at__gte=Q1.starts,
                                    received_at__lt=Q1.ends).prefetch_related("supplements"):
        sups = [x for x in d.supplements.all() if x.stage == SupplementStage.PROCESSING and x.requested_at < cutoff]
        waiting = [x.requested_at for x in sups if x.completed_at is None or x.completed_at >= cutoff]
        end = (d.finished_at if d.finished_at and d.finished_at < cutoff else max(waiting) if waiting else None)
        if len(sups) > 1 or (d.due_at and (end > d.due_at if end else d.due_at < cutoff)):
            expected.add(d.pk)
    assert late == expected
    fb = drilldown(Q1, row.unit, "5.2")
    assert fb.kind == "feedback" and fb.items.count() == row.counts.get("fb_late", 0)
    procs = drilldown(Q1, row.unit, "3.2")
    s = row.score.indicators["3.2"]
    assert procs.kind == "procedures" and len(procs.items) == s.denominator - s.numerator
    assert drilldown(Q1, row.unit, "1.1").kind == "none"
    with pytest.raises(ReportError, match="Không có chỉ số “9.9”"):
        drilldown(Q1, row.unit, "9.9")


def test_reuse_is_the_same_applicants_file_from_an_earlier_dossier(history):
    """4.3: a lodged file whose SHA-256 the SAME applicant had already given in a dossier submitted
    earlier — there when this one was added (Dossier.reused_at, kept as services add files)."""
    import uuid

    from motcua.accounts.models import Applicant

    base = Dossier.objects.filter(received_at__gte=Q1.starts, received_at__lt=Q1.ends).order_by("pk").first()
    root = OrgUnit.objects.get(parent__isnull=True)
    before = compute(Q1).total.counts

    def copy(applicant, day):
        at = dt.datetime(2026, 1, day, 9, 0, tzinfo=TZ)
        d = Dossier.objects.get(pk=base.pk)
        d.pk, d.reference, d.code, d.book_number, d.idempotency_key, d.current_step = None, uuid.uuid4(), None, None, None, None
        d.applicant, d.submitted_at, d.received_at = applicant, at, at
        d.e_intake_at = d.e_result_at = d.reused_at = None
        d.save()
        return d

    def lodge(d, sha, stage=DocumentStage.INTAKE, day=None):
        at = d.received_at if day is None else dt.datetime(2026, 1, day, 9, 0, tzinfo=TZ)
        doc = DossierDocument.objects.create(dossier=d, stage=stage, name="Căn cước", kind="copy", sha256=sha,
                                             added_at=at)
        report_facts.documents_added(d, [doc], at)   # as services._add_documents
        d.save(update_fields=["e_intake_at", "e_result_at", "reused_at"])

    p = Applicant.objects.create(kind="citizen", full_name="Người thứ nhất", cccd="079999000001")
    q = Applicant.objects.create(kind="citizen", full_name="Người thứ hai", cccd="079999000002")
    first, again, other, twice = copy(p, 5), copy(p, 12), copy(q, 13), copy(q, 14)
    early, late = copy(q, 6), copy(q, 7)
    card, own = "cd" * 32, "ef" * 32
    lodge(first, card)
    lodge(again, card)           # p gave it before: reused
    lodge(other, card)           # q never did: another applicant's file is not theirs
    lodge(twice, own)
    lodge(twice, own)            # twice in one dossier: not from an earlier one
    lodge(first, "aa" * 32, DocumentStage.RESULT)
    lodge(other, "aa" * 32)      # p's result, lodged by q: not reused either
    lodge(late, "bb" * 32)       # q's later dossier first …
    lodge(early, "bb" * 32, day=20)  # … the earlier one gets the same file afterwards: not reused after the fact
    r = Applicant.objects.create(kind="citizen", full_name="Người thứ ba", cccd="079999000003")
    together, alongside, next_day = copy(r, 8), copy(r, 8), copy(r, 9)
    for d in (together, alongside, next_day):   # submitted at the same instant: neither is earlier
        lodge(d, "dd" * 32)
    after = compute(Q1).total.counts
    assert after["received"] == before["received"] + 9
    assert after["reused"] == before["reused"] + 2
    not_reused = set(drilldown(Q1, root, "4.3").items.values_list("pk", flat=True))
    assert {first.pk, other.pk, twice.pk, early.pk, late.pk, together.pk, alongside.pk} <= not_reused
    assert again.pk not in not_reused and next_day.pk not in not_reused
    # The set-based definition (report_facts.reused_sql: the back-fill, the generator, restore) stores the same.
    stored = dict(Dossier.objects.values_list("pk", "reused_at"))
    Dossier.objects.update(reused_at=None)
    report_facts.backfill_documents()
    assert dict(Dossier.objects.values_list("pk", "reused_at")) == stored


@pytest.mark.django_db
def test_incomplete_procedures_cost_points_in_1_3():
    import factories
    from motcua.catalog.models import LegalBasis

    tree = factories.province_tree()
    complete = factories.full_procedure(tree["justice"], code="1.000001").version
    bare = factories.full_procedure(tree["justice"], code="1.000002").version
    LegalBasis.objects.create(version=complete, order=1, number="01/2025/QH15", title="Luật thử nghiệm")
    bare.variants.get().documents.all().delete()
    result = compute(Q1, [tree["justice"]], now=dt.datetime(2026, 2, 1, tzinfo=TZ))
    s = result.rows[0].score.indicators["1.3"]
    assert (s.numerator, s.denominator) == (1, 2)
    d = drilldown(Q1, tree["justice"], "1.3", now=dt.datetime(2026, 2, 1, tzinfo=TZ))
    assert [p.code for p in d.items] == ["1.000002"]
    assert "căn cứ pháp lý" in d.items[0].missing and any("thành phần" in m for m in d.items[0].missing)


# --- the weights ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_seeded_weights_and_versions_by_date(history):
    assert weights_for(dt.date(2026, 1, 1)) == sc.Weights(
        sc.DEFAULT_WEIGHTS.group_max, sc.DEFAULT_WEIGHTS.points, sc.DEFAULT_WEIGHTS.threshold,
        label="áp dụng từ 23/06/2022")
    before = compute(Q1)
    # A new version from 1/3/2026: 2.1 and 2.2 share the progress group. Q1 ends after it: it applies.
    old = IndexConfig.objects.get()
    new = IndexConfig.objects.create(effective_from=dt.date(2026, 3, 1), **{
        f: getattr(old, f) for f in ("max_ckmb", "max_tdgq", "max_tttt", "max_clgq", "max_mdhl", "max_mdsh")})
    for w in old.weights.all():
        pts = {"2.1": 10, "2.2": 10}.get(w.indicator, w.points)
        IndicatorWeight.objects.create(config=new, indicator=w.indicator, points=pts, threshold=w.threshold)
    after = compute(Q1)
    assert after.weights.points["2.2"] == 10 and after.total.score.indicators["2.1"].max == 10
    assert after.total.score.total != before.total.score.total
    # A period that ended before the version keeps the old rules.
    assert compute(Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31))).weights.points["2.2"] == 0


def _admin_post(config: dict, weights: dict[str, tuple]) -> dict:
    data = {"effective_from": config.pop("effective_from"), "note": "Thử", **config,
            "weights-TOTAL_FORMS": str(len(weights)), "weights-INITIAL_FORMS": "0",
            "weights-MIN_NUM_FORMS": "0", "weights-MAX_NUM_FORMS": "20"}
    for n, (ind, (pts, th)) in enumerate(weights.items()):
        data.update({f"weights-{n}-indicator": ind, f"weights-{n}-points": str(pts),
                     f"weights-{n}-threshold": str(th)})
    return data


@pytest.mark.django_db
def test_admin_edits_weights_with_vietnamese_refusals(client):
    import factories
    from motcua.accounts.models import Role

    tree = factories.province_tree()
    admin_user = factories.staff(tree["province"], Role.SYSTEM_ADMIN, username="quantri766")
    client.force_login(admin_user)
    groups = {"max_ckmb": 18, "max_tdgq": 20, "max_tttt": 12, "max_clgq": 10, "max_mdhl": 18, "max_mdsh": 22}
    weights = {i.id: (sc.DEFAULT_WEIGHTS.points[i.id], sc.DEFAULT_WEIGHTS.threshold[i.id]) for i in sc.INDICATORS}
    page = client.get("/admin/reports/indexconfig/add/")
    assert page.status_code == 200 and "Bộ chỉ số 766" in page.content.decode()
    bad = _admin_post({"effective_from": "2026-04-01", **dict(groups, max_tdgq=25)}, weights)
    html = client.post("/admin/reports/indexconfig/add/", bad).content.decode()
    assert "Tổng điểm tối đa của các nhóm phải bằng 100 (hiện là 105)." in html
    assert not IndexConfig.objects.filter(effective_from=dt.date(2026, 4, 1)).exists()
    missing = dict(weights)
    missing.pop("5.4")
    html = client.post("/admin/reports/indexconfig/add/",
                       _admin_post({"effective_from": "2026-04-01", **groups}, missing)).content.decode()
    assert "Thiếu trọng số của các chỉ số: 5.4." in html
    good = dict(weights, **{"2.1": (D(14), D(95)), "2.2": (D(6), D(100))})
    response = client.post("/admin/reports/indexconfig/add/", _admin_post({"effective_from": "2026-04-01", **groups}, good))
    assert response.status_code == 302
    saved = IndexConfig.objects.get(effective_from=dt.date(2026, 4, 1))
    assert saved.changed_by == admin_user and saved.changed_at is not None
    w = weights_for(dt.date(2026, 6, 30))
    assert (w.points["2.1"], w.threshold["2.1"], w.points["2.2"]) == (14, 95, 6)
    # Other roles may not touch the weights.
    client.force_login(factories.staff(tree["province"], Role.INSPECTOR))
    assert client.get("/admin/reports/indexconfig/add/").status_code == 403


# --- the command -----------------------------------------------------------------------------------------

def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("index766", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_command_json_csv_and_refusals(history):
    code, out, _ = _run("--from", "2026-01-01", "--to", "2026-03-31")
    data = json.loads(out)
    assert code == 0 and data["period"] == "Quý 1/2026" and data["units"]
    assert data["total"]["indicators"]["2.1"]["denominator"] == compute(Q1).total.counts["received"]
    unit = OrgUnit.objects.get(identifier=data["units"][-1]["unit"]["identifier"])
    code, out, _ = _run("--period", "2026-Q1", "--unit", unit.identifier, "--format", "csv")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("Hạng,Mã định danh") and unit.name in out
    assert lines[-1].startswith('"Bộ chỉ số') and "Quý 1/2026" in lines[-1]
    for args, message in [(("--from", "2026-02-30", "--to", "2026-03-01"), "không phải ngày hợp lệ"),
                          (("--from", "2026-03-01",), "Thiếu --to"),
                          (("--from", "2026-03-31", "--to", "2026-03-01"), "trước ngày bắt đầu"),
                          (("--period", "2026-Q5"), "Kỳ “2026-Q5” không hợp lệ"),
                          (("--period", "2026", "--from", "2026-01-01"), "không dùng cả hai"),
                          (("--period", "2026", "--unit", "KHONG-CO"), "Không tìm thấy cơ quan"),
                          (("--period", "2026", "--format", "xml"), "Định dạng --format “xml” không hợp lệ")]:
        code, out, err = _run(*args)
        assert code == 2 and message in err and out == "", args


# --- the pages in Chromium ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pages_in_chromium(browser, live_server):
    import a11y
    from django.test import Client

    from motcua.accounts.models import Role, StaffMembership

    demo.load_demo()
    g.provide_role_holders()
    g.generate(dossiers=150, months=3, seed=5, until=UNTIL, fork=False)
    inspector = StaffMembership.objects.filter(role=Role.INSPECTOR, unit__parent__isnull=True).first().user
    client = Client()
    client.force_login(inspector)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/bao-cao/chi-so-766/?ky=2026-Q5")
        assert "Kỳ “2026-Q5” không hợp lệ" in page.get_by_role("alert").inner_text()
        page.get_by_label("Năm, quý hoặc tháng").fill("2026-Q2")
        page.get_by_role("button", name="Xem").click()
        expect(page.get_by_role("heading", name="Xếp hạng: UBND cấp xã")).to_be_visible()
        a11y.assert_accessible(page, "index766")
        page.screenshot(path=str(a11y.ARTIFACTS / "index766.png"), full_page=True)
        first = page.locator("table.index766").first.locator("tbody tr").first
        assert first.locator("td").first.inner_text() == "1"
        first.get_by_role("link").click()
        expect(page.get_by_role("heading", name="Tiến độ giải quyết", exact=False)).to_be_visible()
        a11y.assert_accessible(page, "index766-unit")
        page.get_by_role("link", name="chỉ số 2.1").click()
        expect(page.get_by_role("heading", name="Chỉ số 2.1. Hồ sơ giải quyết đúng hạn, trước hạn")).to_be_visible()
        count = int(page.locator("#drill-count").inner_text())
        links = page.locator("tbody th a")
        assert links.count() == min(count, 500)
        a11y.assert_accessible(page, "index766-drill")
        page.screenshot(path=str(a11y.ARTIFACTS / "index766-drill.png"), full_page=True)
        if count:
            code = links.first.inner_text()
            links.first.click()
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {code}")
    finally:
        context.close()


# --- SQLite: the dossier counts split over two connections ----------------------------------------------

def test_settled_at_is_the_last_instant_a_fact_reads(history):
    """dossiers.settled: NULL while open; once finished the latest of the finish and every instant a fact reads,
    each of them in turn moved a day after the finish (an event that comes later unsettles the dossier)."""
    from motcua.dossiers import settled

    assert Dossier.objects.filter(finished_at__isnull=True, settled_at__isnull=False).count() == 0
    assert Dossier.objects.filter(finished_at__isnull=True).exists()
    finished = list(Dossier.objects.filter(finished_at__isnull=False).order_by("pk")[:len(settled.INSTANTS)])
    assert all(d.settled_at is not None and d.settled_at >= d.finished_at for d in finished)
    for d, name in zip(finished, settled.INSTANTS):
        later = d.finished_at + dt.timedelta(days=1)
        Dossier.objects.filter(pk=d.pk).update(**{name: later})
        assert Dossier.objects.get(pk=d.pk).settled_at == later, name


@pytest.mark.django_db
def test_the_migrations_hold_the_models():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_triggers_store_the_expressions_on_every_write(history):
    """dossiers.settled's triggers: the stored settled_at and facts766 are the expressions over every dossier the
    generator and the services wrote (a lost trigger — a migration that remade the table — leaves them NULL);
    a direct edit of either is undone; a dossier saved open again has none."""
    from motcua.dossiers import settled

    def stale():
        return (Dossier.objects.annotate(s=settled.settled_expression(), f=settled.facts_expression())
                .exclude(Q(settled_at=F("s")) | Q(settled_at__isnull=True, s__isnull=True)).count()
                + Dossier.objects.annotate(f=settled.facts_expression()).exclude(facts766=F("f")).count())

    assert Dossier.objects.filter(settled_at__isnull=False).exists() and stale() == 0
    d = Dossier.objects.filter(finished_at__isnull=False).order_by("pk").first()
    Dossier.objects.filter(pk=d.pk).update(settled_at=d.finished_at - dt.timedelta(days=400), facts766=0)
    assert stale() == 0
    d.refresh_from_db()
    d.finished_at = None
    d.save()
    assert Dossier.objects.get(pk=d.pk).settled_at is None and stale() == 0


@pytest.mark.parametrize("cutoff", [dt.datetime(2026, 2, 20, 10, 0, tzinfo=TZ), Q1.ends, UNTIL,
                                    dt.datetime(2030, 1, 1, tzinfo=TZ)], ids=["running", "Q1 end", "until", "later"])
def test_settled_bits_are_the_conditions_at_every_later_cutoff(history, cutoff):
    """Every settled dossier's stored bits are its facts as of any cutoff after ``settled_at``, counter by counter,
    dossier by dossier (facts_sql.CONDITIONS over the instants); and the index's counts (bits for the settled
    ones, conditions for the others) are the conditions over every dossier."""
    from django.db import connection

    from motcua.dossiers.settled import FACTS, bit
    from motcua.reports.index766 import facts_sql, queries
    from motcua.reports.index766.queries import Window

    # facts that came after the finish, so some dossiers finished before the cutoff are not settled at it
    for n, d in enumerate(Dossier.objects.filter(finished_at__isnull=False).order_by("pk")):
        if n % 7 == 0:
            report_facts.feedback_given(d.pk, d.finished_at + dt.timedelta(days=10))
        elif n % 7 == 1:
            Dossier.objects.filter(pk=d.pk).update(e_result_at=d.finished_at + dt.timedelta(days=3))
    w = Window(dt.datetime(2025, 1, 1, tzinfo=TZ), dt.datetime(2031, 1, 1, tzinfo=TZ), cutoff)
    counted = Dossier.objects.filter(received_at__gte=w.starts, received_at__lt=min(w.ends, w.cutoff))
    settled = counted.filter(settled_at__lt=cutoff)
    unsettled = counted.exclude(pk__in=settled.values("pk"))
    assert settled.exists() and unsettled.filter(finished_at__lt=cutoff).exists() or cutoff.year == 2030
    for name in FACTS:
        holds = set(Dossier.objects.filter(pk__in=RawSQL(*facts_sql.matching(w, None, facts_sql.CONDITIONS[name])))
                    .values_list("pk", flat=True))
        with_bit = set(settled.annotate(b=F("facts766").bitand(bit(name))).filter(b__gt=0).values_list("pk", flat=True))
        assert with_bit == holds & set(settled.values_list("pk", flat=True)), name
    every = queries._counted(connection, *facts_sql.counts(w, None, queries.DOSSIER_COUNTS), {})
    assert queries.dossier_counts(w) == every and sum(c["received"] for c in every.values()) == counted.count()


def test_slices_cover_the_period_up_to_its_cutoff():
    from motcua.reports.index766.queries import Window, _slices

    s, e = dt.datetime(2026, 1, 1, tzinfo=TZ), dt.datetime(2026, 4, 1, tzinfo=TZ)
    for cutoff in (e, dt.datetime(2026, 2, 20, 10, 0, 7, 5, tzinfo=TZ)):
        parts = _slices(Window(s, e, cutoff), 8)
        assert len(parts) == 8 and parts[0].starts == s and parts[-1].ends == min(e, cutoff)
        assert all(a.ends == b.starts and a.starts < a.ends for a, b in zip(parts, parts[1:]))
        assert all(p.cutoff == cutoff and p.starts.microsecond == 0 for p in parts)
    assert _slices(Window(s, e, s), 8) == [Window(s, e, s)]   # a period that has not begun: nothing to cut
    from motcua.reports import split

    short = s + dt.timedelta(seconds=3)   # fewer whole seconds than parts: no empty slice
    assert split.edges(s, short, 8) == [s + dt.timedelta(seconds=i) for i in range(4)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sqlite_splits_the_dossier_counts_over_two_connections(history, monkeypatch):
    """On a large SQLite database the dossier counts run as several statements over slices of the period, taken
    by this connection and a second one in a thread; the index is the same as from the one statement,
    and inside a transaction (uncommitted rows a second connection cannot see) nothing is split."""
    import threading
    import time

    from django.db import connection, transaction

    from motcua.reports import split
    from motcua.reports.index766 import queries
    from motcua.reports.index766.compute import window

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL runs the one statement over its own parallel workers")
    one = {now: compute(Q1, now=now) for now in (None, dt.datetime(2026, 2, 20, 10, 0, tzinfo=TZ))}
    assert not split.worth_it()   # a few hundred dossiers: below PARALLEL_FROM
    monkeypatch.setattr(split, "PARALLEL_FROM", 0)
    seen: list[tuple[int, int, int]] = []
    counted = queries._counted

    def spying(conn, sql, params, divisors):
        seen.append((threading.get_ident(), id(conn), len(params)))
        time.sleep(0.02)   # each part takes a while, as at a province's scale: both connections get some
        return counted(conn, sql, params, divisors)

    monkeypatch.setattr(queries, "_counted", spying)
    for now, expected in one.items():
        seen.clear()
        parted = compute(Q1, now=now)
        # the settled dossiers in PARTS slices, the others in one statement
        assert len(seen) == split.PARTS + 1 and len({s[0] for s in seen}) == 2 and len({s[1] for s in seen}) == 2
        assert [(r.unit, r.counts, r.score) for r in parted.rows] == [(r.unit, r.counts, r.score) for r in expected.rows]
        assert (parted.total.counts, parted.total.score) == (expected.total.counts, expected.total.score)
    # named units: their subtrees, split too
    district = next(r.unit for r in one[None].rows
                    if r.unit.children.exists() and r.counts.get("received"))
    monkeypatch.setattr(queries, "_counted", counted)
    parted = compute(Q1, [district])
    monkeypatch.setattr(split, "PARALLEL_FROM", 10**12)
    assert parted.rows[0].counts == compute(Q1, [district]).rows[0].counts and parted.rows[0].counts["received"] > 0
    monkeypatch.setattr(split, "PARALLEL_FROM", 0)
    with transaction.atomic():
        assert not split.worth_it()
    with monkeypatch.context() as m:   # a private in-memory database: a second connection would see nothing
        m.setitem(connection.settings_dict, "NAME", ":memory:")
        assert not split.worth_it()
    assert split.worth_it()
    # an error in either connection's statement reaches the caller: this one's, and the thread's
    monkeypatch.setattr(queries.facts_sql, "counts", lambda *a, **k: ("SELECT no_such_column FROM dossiers_dossier", []))
    with pytest.raises(Exception, match="no_such_column"):
        queries.dossier_counts(window(Q1, None))
    monkeypatch.undo()
    monkeypatch.setattr(split, "PARALLEL_FROM", 0)

    def failing_in_the_thread(conn, sql, params, divisors):
        time.sleep(0.02)
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("the second connection failed")
        return counted(conn, sql, params, divisors)

    monkeypatch.setattr(queries, "_counted", failing_in_the_thread)
    with pytest.raises(RuntimeError, match="the second connection failed"):
        queries.dossier_counts(window(Q1, None))
