"""Citizen-evaluation scores, TT 01/2018 Điều 13–15 (reports.score_rules, reports.scores, motcua scores).

Hand-made cases for each indicator and the classifications, left-out indicators and rounding (pure);
then the scores from the tables over a small generated history — the SQL-counted facts agree with a
plain per-dossier reading, a rating, a founded and an unfounded complaint move the right points, a
unit scope narrows the rows — and the command's output and refusals.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import subprocess
import sys
from decimal import Decimal

import pytest

from motcua.calendar.core import TZ
from motcua.reports.bieu06 import Period, ReportError
from motcua.reports.score_rules import (DossierFacts, FeedbackFacts, OnlineFacts, aggregate, dossier_points,
                                        indicator8, indicator9)

D = Decimal


def at(day: int, hour: int = 10, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=TZ)


def test_the_rules_are_pure():
    text = open(importlib.util.find_spec("motcua.reports.score_rules").origin, encoding="utf-8").read()
    assert "from django" not in text and "import django" not in text


# --- indicator by indicator ---------------------------------------------------------------------------------

def test_indicator_1_total_time_against_the_legal_time():
    assert dossier_points(DossierFacts(at(9), at(10)))[1] == 2            # shorter
    assert dossier_points(DossierFacts(at(10, 16), at(10, 9)))[1] == 1    # the same day: equal (date granularity)
    assert dossier_points(DossierFacts(at(10, 16), at(10, 9)), "instant")[1] == 0
    assert dossier_points(DossierFacts(at(11), at(10)))[1] == 0           # longer
    # no due instant (nothing to compare): the applicant's rating, or left out
    assert dossier_points(DossierFacts(at(11), None, rating={1: 1}))[1] == 1
    assert dossier_points(DossierFacts(at(11), None))[1] is None
    # the IS's own times win over a rating that contradicts them
    assert dossier_points(DossierFacts(at(11), at(10), rating={1: 2}))[1] == 0


def test_indicator_2_every_agency_against_its_allotment():
    early, equal, late = (at(2), at(3)), (at(3, 15), at(3, 9)), (at(4), at(3))
    assert dossier_points(DossierFacts(at(9), at(10), (early, early)))[2] == 2
    assert dossier_points(DossierFacts(at(9), at(10), (early, equal)))[2] == 1
    assert dossier_points(DossierFacts(at(9), at(10), (early, late, equal)))[2] == 0
    assert dossier_points(DossierFacts(at(9), at(10), (), rating={2: 1}))[2] == 1   # no timed step: the rating
    assert dossier_points(DossierFacts(at(9), at(10)))[2] is None                 # nor a rating: left out


def test_indicator_3_contacts_counted_by_supplement_requests():
    assert [dossier_points(DossierFacts(at(9), at(10), supplements=n))[3] for n in (0, 1, 2, 5)] == [2, 1, 0, 0]


def test_indicators_4_and_6_only_from_the_rating():
    p = dossier_points(DossierFacts(at(9), at(10), rating={4: 1, 6: 0}))
    assert (p[4], p[6]) == (1, 0)
    p = dossier_points(DossierFacts(at(9), at(10)))
    assert (p[4], p[6]) == (None, None)


def test_indicator_7_attitude():
    assert dossier_points(DossierFacts(at(9), at(10), rating={7: 1}))[7] == 1                 # the rating
    assert dossier_points(DossierFacts(at(9), at(10), founded_complaint=True, rating={7: 2}))[7] == 0
    assert dossier_points(DossierFacts(at(9), at(10)))[7] == 2       # not rated: early, no complaint
    assert dossier_points(DossierFacts(at(10), at(10)))[7] == 1      # on time
    assert dossier_points(DossierFacts(at(11), at(10)))[7] == 0      # late: neither 2 nor 1 applies
    assert dossier_points(DossierFacts(at(11), None))[7] is None


def test_indicator_8_feedback_handling():
    assert indicator8(FeedbackFacts()) == 2                                   # no feedback at all
    assert indicator8(FeedbackFacts(judged=10, on_time=10)) == 2
    assert indicator8(FeedbackFacts(judged=10, on_time=9)) == 1                # exactly 90 %
    assert indicator8(FeedbackFacts(judged=100, on_time=89)) == 0
    assert indicator8(FeedbackFacts(judged=10, on_time=9, prolonged=1)) == 0    # a prolonged case
    assert indicator8(FeedbackFacts(judged=1, on_time=0, prolonged=1)) == 0


def test_indicator_9_online_service():
    assert indicator9(OnlineFacts(procedures=10, online=2, received=10, received_online=3)) == 2
    assert indicator9(OnlineFacts(procedures=10, online=1, received=10, received_online=3)) == 1  # < 20 % online
    assert indicator9(OnlineFacts(procedures=10, online=5, received=100, received_online=15)) == 1
    assert indicator9(OnlineFacts(procedures=10, online=5, received=100, received_online=14)) == 0
    assert indicator9(OnlineFacts(procedures=10, online=5, received=10, received_online=9, online_late=1)) == 0
    assert indicator9(OnlineFacts(procedures=10, online=0, received=10, received_online=5)) == 0   # none deployed
    assert indicator9(OnlineFacts(procedures=3, online=3)) is None              # nothing received: no data


# --- aggregation, rounding, classification -------------------------------------------------------------------

def test_staff_scores_round_half_up_and_leave_out_missing_indicators():
    points = [{1: 2, 2: None, 3: 1, 4: 1, 7: 2}, {1: 1, 2: None, 3: 1, 4: 1, 7: 1},
              {1: 1, 2: None, 3: 1, 4: 1, 7: 1}, {1: 1, 2: None, 3: 2, 4: 1, 7: 1}]
    s = aggregate(points)
    assert s.indicators == {1: D("1.3"), 2: None, 3: D("1.3"), 4: D("1.0"), 7: D("1.3")}   # 1.25 → 1.3
    assert s.total == D("4.9") and s.reachable == 8 and s.dossiers == 4
    assert s.classification == "Hoàn thành từ 70% đến dưới 100% nhiệm vụ"


@pytest.mark.parametrize("each, label", [(1, "Hoàn thành 100% nhiệm vụ"),               # 5.0: exactly 5
                                         (0.7, "Hoàn thành từ 70% đến dưới 100% nhiệm vụ"),  # 3.5
                                         (0.6, "Hoàn thành dưới 70% nhiệm vụ")])          # 3.0
def test_staff_classification_thresholds(each, label):
    # ten dossiers; each indicator's mean is ``each`` exactly
    ones = int(each * 10)
    points = [{i: (1 if n < ones else 0) for i in (1, 2, 3, 4, 7)} for n in range(10)]
    s = aggregate(points)
    assert s.total == D(str(each)) * 5
    assert s.classification == label


@pytest.mark.parametrize("dossier, own, total, label", [
    ((2, 2, 2, 2, 2, 2), (2, 2), "16.0", "Xuất sắc"),
    ((2, 2, 2, 2, 2, 1), (2, 0), "13.0", "Tốt"),
    ((1, 1, 1, 1, 1, 1), (2, 1), "9.0", "Khá"),
    ((1, 1, 1, 1, 1, 1), (0, 0), "6.0", "Trung bình"),
    ((0, 0, 0, 0, 0, 0), (2, 2), "4.0", "Yếu"),
])
def test_unit_totals_add_the_unit_indicators(dossier, own, total, label):
    s = aggregate([dict(zip((1, 2, 3, 4, 6, 7), dossier))], {5: None, 8: own[0], 9: own[1]})
    assert s.indicators[5] is None and s.reachable == 16   # 5 left out: 8 indicators with data
    assert s.total == D(total) and s.classification == label
    # without the ratings 4 and 6 the thresholds stay as written (Điều 15): a lower total
    thin = aggregate([{1: 1, 2: 1, 3: 1, 4: None, 6: None, 7: 1}], {5: None, 8: 2, 9: 2})
    assert thin.total == D("8.0") and thin.reachable == 12 and thin.classification == "Trung bình"


def test_unit_classification_thresholds():
    from motcua.feedback.scoring import classify_unit
    assert [classify_unit(D(x)) for x in ("15", "14.9", "12", "11.9", "9", "8.9", "6", "5.9")] == [
        "Xuất sắc", "Tốt", "Tốt", "Khá", "Khá", "Trung bình", "Trung bình", "Yếu"]


def test_a_unit_without_any_dossier_has_only_its_own_indicators():
    s = aggregate([], {5: None, 8: 2, 9: None})
    assert s.dossiers == 0 and s.total == D("2.0") and s.reachable == 2


def test_periods():
    from motcua.reports.scores import score_period
    assert score_period(2026) == Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert score_period("2026", "1") == Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert score_period(2026, 4) == Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    for year, quarter, message in (("26", None, "Năm “26” không hợp lệ"), ("abc", "1", "Năm “abc”"),
                                   (2026, "5", "Quý “5” không hợp lệ"), (2026, "0", "Quý “0”")):
        with pytest.raises(ReportError, match=message):
            score_period(year, quarter)


# --- from the tables ---------------------------------------------------------------------------------------------

UNTIL = dt.datetime(2026, 3, 31, 17, 0, tzinfo=TZ)
Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))


@pytest.fixture
def history(db):
    from motcua import demo
    from motcua.dossiers import generate as g

    demo.load_demo()
    g.provide_role_holders()
    g.generate(dossiers=400, months=3, seed=11, until=UNTIL, fork=False)


def _plain(d, granularity="date"):
    """One dossier's facts read object by object (the reference for the SQL-counted ones)."""
    from motcua.dossiers.models import Extension

    ext = Extension.objects.filter(dossier=d).first()
    timings = [(s.finished_at, s.due_at) for s in d.steps.all() if s.finished_at and s.due_at]
    timings += [(t.completed_at, t.due_at) for t in d.tasks.all() if t.completed_at]
    return dossier_points(DossierFacts(d.finished_at, ext.previous_due_at if ext else d.due_at, tuple(timings),
                                       d.supplements.count(), False, {}), granularity)


def test_scores_from_the_tables_agree_with_a_plain_reading(history, django_assert_max_num_queries):
    from motcua.reports import scores

    with django_assert_max_num_queries(8):
        report = scores.compute(Q1, granularity="date")
    judged = scores.resolved_dossiers(Q1)
    assert sum(r.scores.dossiers for r in report.units) == judged.count() > 100
    unit = max(report.units, key=lambda r: r.scores.dossiers)
    mine = list(judged.filter(resolving_unit=unit.unit))
    expected = aggregate([_plain(d) for d in mine], {5: None, 8: unit.scores.indicators[8] and int(unit.scores.indicators[8]),
                                                     9: unit.scores.indicators[9] and int(unit.scores.indicators[9])})
    assert unit.scores.indicators == expected.indicators and unit.scores.total == expected.total
    assert unit.scores.indicators[5] is None   # left out: MotCua does not record it
    assert report.staff and all(s.scores.total is not None for s in report.staff)
    # the generated history has supplements, late steps and apologies, or the comparison proved little
    values = [p for d in mine for p in [_plain(d)]]
    assert {p[3] for p in values} >= {1, 2} and {p[2] for p in values} & {0, 1}


def test_a_rating_and_a_founded_complaint_move_the_points(history):
    from motcua.dossiers.models import Dossier
    from motcua.feedback.models import Evaluation, EvaluationChannel, Feedback, FeedbackKind, FeedbackState
    from motcua.reports import scores

    judged = scores.resolved_dossiers(Q1).order_by("pk")
    first, second = list(judged[:2])
    unit = first.resolving_unit
    before = {r.unit.pk: r for r in scores.compute(Q1).units}[unit.pk]
    assert before.scores.indicators[4] is None and before.scores.indicators[6] is None
    Evaluation.objects.create(dossier=first, applicant=first.applicant, unit=unit, criteria_set="TT01_2018",
                              channel=EvaluationChannel.ONLINE, i1=2, i3=2, i4=1, i6=0, i7=2, satisfaction=4,
                              rated_at=first.finished_at)
    base = dict(kind=FeedbackKind.CONDUCT, sender_name="Nguyễn Văn A", email="a@example.vn", subject="Thái độ",
                content="Cán bộ gây phiền hà.", unit=unit, submitted_at=at(5), clock_start=at(5),
                answer_due_at=at(20), refusal_due_at=at(8))
    Feedback.objects.create(dossier=first, **base)                                     # open: a complaint exists
    Feedback.objects.create(dossier=second, unfounded=True, state=FeedbackState.ANSWERED, answer="Không đúng.",
                            closed_at=at(10), **base)                                   # found untrue: not counted
    after = {r.unit.pk: r for r in scores.compute(Q1).units}[unit.pk]
    assert after.scores.indicators[4] == D("1.0") and after.scores.indicators[6] == D("0.0")  # one rated dossier
    # 7: the first dossier scores 0 (a complaint exists, whatever its rating says); the second keeps its
    # time-derived points (the complaint was found untrue); the others are unchanged
    expected = []
    for d in Dossier.objects.filter(pk__in=scores.resolved_dossiers(Q1).filter(resolving_unit=unit).values("pk")):
        p = _plain(d)
        if d.pk == first.pk:
            p[7] = 0
        expected.append(p)
    assert after.scores.indicators[7] == aggregate(expected, {}).indicators[7]
    assert after.scores.indicators[1] == before.scores.indicators[1]   # the IS's time, not the rating's 2
    # feedback handling at the quarter's end: one answered on time, one still open past its due (prolonged)
    assert (after.feedback.judged, after.feedback.on_time, after.feedback.prolonged) == (2, 1, 1)
    assert after.scores.indicators[8] == D("0.0")


def test_a_unit_scope_narrows_the_rows(history):
    from motcua.org.models import OrgUnit
    from motcua.reports import scores

    whole = scores.compute(Q1)
    ward = max(whole.units, key=lambda r: r.scores.dossiers).unit
    narrow = scores.compute(Q1, unit=ward)
    assert {r.unit.pk for r in narrow.units} <= set(OrgUnit.objects.filter(path__startswith=ward.path)
                                                   .values_list("pk", flat=True))
    assert {r.unit.pk: r.scores.total for r in narrow.units}[ward.pk] == {r.unit.pk: r.scores.total
                                                                         for r in whole.units}[ward.pk]
    reach = OrgUnit.objects.filter(pk=ward.pk)
    assert [r.unit.pk for r in scores.compute(Q1, units=reach).units] == [ward.pk]


# --- the command ---------------------------------------------------------------------------------------------------

def test_the_command_prints_json_and_csv(history, capsys):
    from django.core.management import call_command

    call_command("scores", "--year", "2026", "--quarter", "1")
    data = json.loads(capsys.readouterr().out)
    assert data["period"] == "Quý 1 năm 2026" and data["units"] and data["staff"]
    row = data["units"][0]
    assert set(row["indicators"]) == {str(i) for i in range(1, 10)} and row["indicators"]["5"] is None
    assert row["maximum"] == 18 and row["classification"] in {"Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"}
    call_command("scores", "--year", "2026", "--staff", "--format", "csv")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("STT,Tài khoản,Họ và tên") and "Năm 2026" in lines[-1] and len(lines) > 3


@pytest.mark.parametrize("args, message", [
    ([], "Thiếu --year"),
    (["--year", "20x6"], "Năm “20x6” không hợp lệ"),
    (["--year", "2026", "--quarter", "5"], "Quý “5” không hợp lệ"),
    (["--year", "2026", "--format", "xml"], "Định dạng --format “xml” không hợp lệ"),
    (["--year", "2026", "--unit", "KHONGCO"], "Không tìm thấy cơ quan, đơn vị có mã “KHONGCO”"),
])
def test_the_command_refuses_bad_input_in_vietnamese(db, args, message, capsys):
    from django.core.management import call_command

    with pytest.raises(SystemExit) as exc:
        call_command("scores", *args)
    out = capsys.readouterr()
    assert exc.value.code == 2 and message in out.err and out.out == ""


def test_the_command_messages_reach_stderr(tmp_path):
    # through the real entry point: the Vietnamese message on stderr, exit 2, nothing on stdout
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "motcua.cli", "scores", "--year", "2026", "--quarter", "7"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and "Quý “7” không hợp lệ (1, 2, 3 hoặc 4)." in done.stderr and done.stdout == ""
