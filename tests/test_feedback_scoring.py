"""The pure scoring of TT 01/2018 Điều 13–15 and the PAKN deadlines (no database)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal

import pytest

from motcua.calendar import TZ, civil_service
from motcua.feedback import deadlines, scoring


def test_the_pure_modules_import_no_django():
    source = importlib.util.find_spec("motcua.feedback.scoring").origin
    text = open(source, encoding="utf-8").read()
    assert "import django" not in text and "from django" not in text
    text = open(importlib.util.find_spec("motcua.feedback.deadlines").origin, encoding="utf-8").read()
    assert "from django" not in text


def test_criteria_follow_the_article():
    cs = scoring.criteria()
    assert [c.number for c in cs] == [1, 2, 3, 4, 6, 7]  # Điều 14 k1: the per-dossier indicators
    assert all([o.points for o in c.options] == [2, 1, 0] for c in cs)
    assert [c.number for c in cs if not c.required] == [2, 6]
    assert "hơn một lần" in cs[2].options[2].text and "lỗi của người nộp" in cs[2].options[2].text
    assert "cả hình thức niêm yết và điện tử" in cs[4].options[0].text


def test_answer_sheet_is_checked_whole():
    sheet = scoring.check_answers({1: 2, 2: None, 3: 1, 4: 0, 6: None, 7: 2}, 5)
    assert sheet == {1: 2, 2: None, 3: 1, 4: 0, 6: None, 7: 2}
    with pytest.raises(scoring.ScoringError) as exc:
        scoring.check_answers({1: 3, 3: None, 7: True}, 0)
    assert exc.value.errors == {
        "i1": "Chỉ số 1 chỉ nhận 2, 1 hoặc 0 điểm.", "i3": "Chưa chọn mức đánh giá cho chỉ số 3.",
        "i4": "Chưa chọn mức đánh giá cho chỉ số 4.", "i7": "Chỉ số 7 chỉ nhận 2, 1 hoặc 0 điểm.",
        "satisfaction": "Chưa chọn mức hài lòng chung."}
    with pytest.raises(scoring.ScoringError, match="Không có chỉ số 5"):
        scoring.check_answers({1: 2, 3: 2, 4: 2, 7: 2, 5: 2}, 4)


def test_dossier_score_uses_the_staff_indicators_and_leaves_out_missing_ones():
    assert scoring.dossier_score({1: 2, 2: 2, 3: 2, 4: 2, 6: 0, 7: 2}) == (10, 10)  # 6 is not a staff indicator
    assert scoring.dossier_score({1: 1, 2: None, 3: 0, 4: 1, 6: 2, 7: 1}) == (3, 8)


def test_indicator_average_rounds_half_up_to_one_decimal():
    assert scoring.indicator_score([2, 1, 1, 1]) == Decimal("1.3")  # 1.25 → 1.3, not banker's 1.2
    assert scoring.indicator_score([2, 2, 1]) == Decimal("1.7")
    assert scoring.indicator_score([None, None]) is None
    assert scoring.indicator_score([0, None, 2]) == Decimal("1.0")


def test_totals_and_classifications_at_the_thresholds():
    staff = {1: Decimal("1.0"), 2: None, 3: Decimal("1.5"), 4: Decimal("1.5"), 7: Decimal("1.0")}
    assert scoring.staff_total(staff) == Decimal("5.0")
    assert scoring.classify_staff(Decimal("5.0")) == "Hoàn thành 100% nhiệm vụ"
    assert scoring.classify_staff(Decimal("4.9")) == "Hoàn thành từ 70% đến dưới 100% nhiệm vụ"
    assert scoring.classify_staff(Decimal("3.5")) == "Hoàn thành từ 70% đến dưới 100% nhiệm vụ"
    assert scoring.classify_staff(Decimal("3.4")) == "Hoàn thành dưới 70% nhiệm vụ"
    unit = {**staff, 5: Decimal(2), 6: Decimal("1.5"), 8: Decimal(2), 9: Decimal("0.5")}
    assert scoring.unit_total(unit) == Decimal("11.0")
    assert [scoring.classify_unit(x) for x in (15, "14.9", 12, "11.9", 9, "8.9", 6, "5.9", 0)] == [
        "Xuất sắc", "Tốt", "Tốt", "Khá", "Khá", "Trung bình", "Trung bình", "Yếu", "Yếu"]
    assert scoring.staff_total({1: None}) is None


def test_pakn_deadlines_count_working_days_and_overdue_is_derived():
    cal = civil_service()
    # Friday 25/4/2025; Saturday 26/4 is the make-up working day for Friday 2/5; 30/4–2/5 are off.
    start = dt.datetime(2025, 4, 25, 10, 0, tzinfo=TZ)
    due = deadlines.dues(cal, start)
    assert due.refusal == dt.datetime(2025, 4, 28, 10, 0, tzinfo=TZ)  # Sat 26 (1), Mon 28 (2)
    assert due.answer == dt.datetime(2025, 5, 20, 10, 0, tzinfo=TZ)  # 26, 28, 29, then 5/5 … 20/5 (15)
    assert deadlines.standing(due=due.answer, closed_at=None, now=due.answer) == "open"
    assert deadlines.standing(due=due.answer, closed_at=None, now=due.answer + dt.timedelta(seconds=1)) == "overdue"
    assert deadlines.standing(due=due.answer, closed_at=due.answer, now=start) == "on_time"
    assert deadlines.standing(due=due.answer, closed_at=due.answer + dt.timedelta(hours=1), now=start) == "late"
