"""The applicant's evaluation of a dossier's handling, TT 01/2018/TT-VPCP Điều 13–15. Pure Python.

Điều 13 defines nine indicators, each scored 2 / 1 / 0. Six of them are judged per dossier
(Điều 14 k1: 1, 2, 3, 4, 6, 7) and are what the applicant answers here; 5, 8 and 9 are judged per
unit from the unit's own data (the statistics compute them, not the applicant). The wording of each
answer follows the article; the indicator set is versioned (``CRITERIA_SETS``) because the
NĐ 118/2025 – TT 03/2025 evaluation articles were not read (shared/domain.md §1.10).

Aggregation (Điều 15):
- an indicator's score over many dossiers is the mean of the dossier scores, rounded to 1 decimal;
- a staff member's total uses indicators 1, 2, 3, 4 and 7 (maximum 10) and is classified
  ≥ 5 / 3.5 to < 5 / < 3.5;
- a unit's total adds indicators 5, 6, 8 and 9 (maximum 18), classified ≥ 15 / 12 / 9 / 6 / < 6;
- an indicator without data is left out of a total (the thresholds stay as written).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping

__all__ = [
    "Option", "Criterion", "CRITERIA_SETS", "CURRENT_SET", "criteria", "SATISFACTION", "SATISFIED_LEVELS",
    "STAFF_INDICATORS", "UNIT_ONLY_INDICATORS", "DOSSIER_INDICATORS", "REQUIRED_INDICATORS",
    "check_answers", "dossier_score", "indicator_score", "staff_total", "unit_total",
    "classify_staff", "classify_unit", "ScoringError",
]


class ScoringError(ValueError):
    """An answer sheet the law's scale cannot hold; ``field`` names the indicator."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors  # field → message, every problem of the sheet at once
        self.field, self.message = next(iter(errors.items()))
        super().__init__(self.message)


@dataclass(frozen=True)
class Option:
    points: int
    text: str


@dataclass(frozen=True)
class Criterion:
    number: int
    title: str
    options: tuple[Option, Option, Option]  # 2, 1, 0 points in that order
    required: bool = True  # False: the applicant may say they cannot judge it (left out of totals)

    @property
    def field(self) -> str:
        return f"i{self.number}"


_TT01_2018 = (
    Criterion(1, "Tổng thời gian giải quyết thủ tục hành chính so với thời gian cho phép theo quy định "
                 "của pháp luật", (
        Option(2, "Ngắn hơn thời gian quy định"),
        Option(1, "Bằng thời gian quy định"),
        Option(0, "Dài hơn thời gian quy định"))),
    Criterion(2, "Thời gian thực hiện của từng cơ quan, đơn vị tham gia giải quyết (kể cả đơn vị phối hợp) "
                 "so với quy định", (
        Option(2, "Cơ quan, đơn vị xử lý ngắn hơn thời hạn quy định"),
        Option(1, "Cơ quan, đơn vị xử lý bằng thời hạn quy định"),
        Option(0, "Cơ quan, đơn vị xử lý dài hơn thời hạn quy định")), required=False),
    Criterion(3, "Số lần phải liên hệ với nơi tiếp nhận hồ sơ để hoàn thiện hồ sơ thủ tục hành chính "
                 "(kể cả liên hệ theo hình thức trực tuyến)", (
        Option(2, "Không phải liên hệ lần nào để hoàn thiện hồ sơ"),
        Option(1, "Chỉ phải liên hệ một lần để hoàn thiện hồ sơ"),
        Option(0, "Phải liên hệ hơn một lần để hoàn thiện hồ sơ (trừ trường hợp do lỗi của người nộp hồ sơ)"))),
    Criterion(4, "Số lượng cơ quan, đơn vị, tổ chức phải liên hệ để hoàn thiện hồ sơ thủ tục hành chính "
                 "(kể cả liên hệ theo hình thức trực tuyến)", (
        Option(2, "Không phải liên hệ với cơ quan, đơn vị, tổ chức nào"),
        Option(1, "Chỉ liên hệ với Bộ phận Một cửa (cộng thêm cơ quan được pháp luật giao kiểm tra, xác minh "
                  "thực địa, tổ chức hội đồng thẩm định, thẩm tra, nếu có)"),
        Option(0, "Phải liên hệ với hơn một cơ quan, đơn vị, tổ chức"))),
    Criterion(6, "Công khai thủ tục hành chính", (
        Option(2, "Được công khai chính xác, đầy đủ, kịp thời bằng cả hình thức niêm yết và điện tử"),
        Option(1, "Được công khai chính xác, đầy đủ, kịp thời bằng hình thức niêm yết hoặc điện tử"),
        Option(0, "Không được công khai chính xác, đầy đủ, kịp thời")), required=False),
    Criterion(7, "Thái độ của cán bộ, công chức, viên chức khi hướng dẫn lập hồ sơ, tiếp nhận hồ sơ và giải "
                 "quyết thủ tục hành chính", (
        Option(2, "Tiếp nhận, xử lý, trả kết quả sớm hơn thời hạn và không có phản ánh, kiến nghị về hành vi, "
                  "thái độ nhũng nhiễu, gây phiền hà, không thực hiện hoặc thực hiện không đúng quy định"),
        Option(1, "Tiếp nhận, xử lý, trả kết quả đúng thời hạn và không có phản ánh, kiến nghị về hành vi, "
                  "thái độ nhũng nhiễu, gây phiền hà, không thực hiện hoặc thực hiện không đúng quy định"),
        Option(0, "Có phản ánh, kiến nghị về hành vi, thái độ nhũng nhiễu, gây phiền hà, không thực hiện hoặc "
                  "thực hiện không đúng quy định pháp luật"))),
)

CRITERIA_SETS: dict[str, tuple[Criterion, ...]] = {"TT01_2018": _TT01_2018}
CURRENT_SET = "TT01_2018"

# Điều 15: staff totals use 1, 2, 3, 4, 7; unit totals add the unit-level 5, 8, 9 and 6.
STAFF_INDICATORS = (1, 2, 3, 4, 7)
UNIT_ONLY_INDICATORS = (5, 6, 8, 9)
DOSSIER_INDICATORS = tuple(c.number for c in _TT01_2018)
REQUIRED_INDICATORS = tuple(c.number for c in _TT01_2018 if c.required)

# Overall satisfaction, five levels (RHL, HL, BT, KHL, RKHL as the satisfaction counters use them).
SATISFACTION = {5: "Rất hài lòng", 4: "Hài lòng", 3: "Bình thường", 2: "Không hài lòng", 1: "Rất không hài lòng"}
SATISFIED_LEVELS = (5, 4)

_STAFF_SCALE = ((Decimal(5), "Hoàn thành 100% nhiệm vụ"), (Decimal("3.5"), "Hoàn thành từ 70% đến dưới 100% nhiệm vụ"),
                (Decimal(0), "Hoàn thành dưới 70% nhiệm vụ"))
_UNIT_SCALE = ((Decimal(15), "Xuất sắc"), (Decimal(12), "Tốt"), (Decimal(9), "Khá"), (Decimal(6), "Trung bình"),
               (Decimal(0), "Yếu"))
_TENTH = Decimal("0.1")


def criteria(criteria_set: str = CURRENT_SET) -> tuple[Criterion, ...]:
    return CRITERIA_SETS[criteria_set]


def check_answers(answers: Mapping[int, int | None], satisfaction: int | None,
                  criteria_set: str = CURRENT_SET) -> dict[int, int | None]:
    """The answer sheet, checked: every required indicator answered 2, 1 or 0, the optional ones
    answered or None, overall satisfaction 1–5. Returns {indicator: points or None}."""
    sheet: dict[int, int | None] = {}
    errors: dict[str, str] = {}
    for c in criteria(criteria_set):
        value = answers.get(c.number)
        if value is None:
            if c.required:
                errors[c.field] = f"Chưa chọn mức đánh giá cho chỉ số {c.number}."
        elif isinstance(value, bool) or value not in (0, 1, 2):
            errors[c.field] = f"Chỉ số {c.number} chỉ nhận 2, 1 hoặc 0 điểm."
        sheet[c.number] = value
    unknown = set(answers) - set(sheet)
    if unknown:
        errors[f"i{min(unknown)}"] = f"Không có chỉ số {min(unknown)} trong bộ tiêu chí người nộp hồ sơ đánh giá."
    if isinstance(satisfaction, bool) or satisfaction not in SATISFACTION:
        errors["satisfaction"] = "Chưa chọn mức hài lòng chung."
    if errors:
        raise ScoringError(errors)
    return sheet


def dossier_score(points: Mapping[int, int | None]) -> tuple[int, int]:
    """One dossier's staff score (Điều 15 k1a: indicators 1, 2, 3, 4, 7) and the maximum it could
    reach with the indicators that have data: (score, maximum)."""
    present = [points[i] for i in STAFF_INDICATORS if points.get(i) is not None]
    return sum(present), 2 * len(present)


def indicator_score(dossier_points: Iterable[int | None]) -> Decimal | None:
    """Σ dossier scores on one indicator / number of dossiers scored, to 1 decimal (half up);
    None when no dossier has data (the indicator is then left out of totals)."""
    values = [p for p in dossier_points if p is not None]
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def _total(scores: Mapping[int, Decimal | None], indicators: Iterable[int]) -> Decimal | None:
    present = [scores[i] for i in indicators if scores.get(i) is not None]
    return sum(present, Decimal(0)) if present else None


def staff_total(scores: Mapping[int, Decimal | None]) -> Decimal | None:
    """A staff member's total from their indicator scores 1, 2, 3, 4, 7 (maximum 10)."""
    return _total(scores, STAFF_INDICATORS)


def unit_total(scores: Mapping[int, Decimal | None]) -> Decimal | None:
    """A unit's total: the staff indicators (aggregated for the unit) plus 5, 6, 8, 9 (maximum 18)."""
    return _total(scores, (*STAFF_INDICATORS, *UNIT_ONLY_INDICATORS))


def _classify(score, scale) -> str:
    value = Decimal(str(score))
    for floor, label in scale:
        if value >= floor:
            return label
    return scale[-1][1]


def classify_staff(score) -> str:
    """Điều 15: ≥ 5 → 100% of the task; 3.5 to < 5 → 70% to < 100%; < 3.5 → < 70%."""
    return _classify(score, _STAFF_SCALE)


def classify_unit(score) -> str:
    """Điều 15: ≥ 15 xuất sắc; 12 to < 15 tốt; 9 to < 12 khá; 6 to < 9 trung bình; < 6 yếu."""
    return _classify(score, _UNIT_SCALE)
