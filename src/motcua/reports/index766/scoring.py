"""QĐ 766/QĐ-TTg service index as pure arithmetic (no Django): the indicator catalogue, the weights,
the scoring of one indicator, a unit's groups and total, and the ranking.

Rules (shared/domain.md §5.2, and the choices README "Service index (QĐ 766)" documents):
- rate = numerator / denominator × 100, rounded half-up to 2 decimals;
- points = ``max`` when rate ≥ threshold, else rate × max / threshold (a threshold of 100 is plain
  proportional scoring), rounded to 2 decimals;
- an indicator is N/A when its denominator is 0 or MotCua holds no data for it: it is LEFT OUT, and
  its group is rescaled over the indicators that were scored (group points = earned / scored max ×
  group max); a group with nothing scored is N/A and the total is rescaled over the groups scored
  (total = Σ group points / Σ their maxima × 100). A unit is never punished for what cannot be
  measured, and units with different data stay comparable (TT 01/2018 Art 15 does the same:
  indicators lacking data are left out).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["Group", "Indicator", "GROUPS", "INDICATORS", "Weights", "DEFAULT_WEIGHTS", "WeightsError",
           "IndicatorScore", "GroupScore", "UnitScore", "rate", "score_indicator", "score_unit", "rank",
           "validate_weights"]

HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


def _q(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Group:
    code: str          # the national portal's field (report_tinh_766_service)
    name: str
    default_max: int


@dataclass(frozen=True)
class Indicator:
    id: str            # the formula document's number ("2.1")
    group: str         # Group.code
    name: str
    held: bool         # does MotCua hold the data to compute it?
    default_points: Decimal
    default_threshold: Decimal = HUNDRED   # 100 = proportional
    unit: str = "hồ sơ"                    # what numerator and denominator count
    why_not: str = ""                      # for indicators MotCua cannot compute


GROUPS: tuple[Group, ...] = (
    Group("CKMB", "Công khai, minh bạch", 18),
    Group("TDGQ", "Tiến độ giải quyết", 20),
    Group("TTTT", "Dịch vụ công trực tuyến", 12),
    Group("CLGQ", "Thanh toán trực tuyến", 10),
    Group("MDHL", "Mức độ hài lòng", 18),
    Group("MDSH", "Số hóa hồ sơ", 22),
)
GROUP_BY_CODE = {g.code: g for g in GROUPS}

_D = Decimal
NATIONAL = "dữ liệu nằm ở Cơ sở dữ liệu quốc gia về TTHC / Cổng DVCQG, MotCua không lưu"
INDICATORS: tuple[Indicator, ...] = (
    Indicator("1.1", "CKMB", "TTHC được công bố đúng hạn", False, _D(4), unit="thủ tục", why_not=NATIONAL),
    Indicator("1.2", "CKMB", "TTHC được cập nhật, công khai đúng hạn trên CSDL quốc gia", False, _D(4),
              unit="thủ tục", why_not=NATIONAL),
    Indicator("1.3", "CKMB", "TTHC có đầy đủ bộ phận cấu thành", True, _D(6), unit="thủ tục"),
    Indicator("1.4", "CKMB", "Hồ sơ được đồng bộ lên Cổng DVCQG", False, _D(4),
              why_not="cần số liệu của Hệ thống báo cáo quốc gia và Cổng DVCQG"),
    Indicator("2.1", "TDGQ", "Hồ sơ giải quyết đúng hạn, trước hạn", True, _D(20)),
    Indicator("2.2", "TDGQ", "Thời gian giải quyết bình quân trong thời hạn quy định", True, _D(0)),
    Indicator("3.1", "TTTT", "TTHC cung cấp dịch vụ công trực tuyến", True, _D(4), _D(80), unit="thủ tục"),
    Indicator("3.2", "TTTT", "Dịch vụ công trực tuyến có phát sinh hồ sơ", True, _D(4), unit="thủ tục"),
    Indicator("3.3", "TTTT", "Hồ sơ nộp trực tuyến", True, _D(4), _D(50)),
    Indicator("3.5", "CLGQ", "TTHC có nghĩa vụ tài chính được tích hợp thanh toán trực tuyến", True, _D(4),
              _D(80), unit="thủ tục"),
    Indicator("3.6", "CLGQ", "Hồ sơ được thanh toán trực tuyến", True, _D(6)),
    Indicator("5.1", "MDHL", "Phản ánh, kiến nghị được phân loại", True, _D(5), unit="phản ánh, kiến nghị"),
    Indicator("5.2", "MDHL", "Phản ánh, kiến nghị được xử lý đúng hạn", True, _D(5), unit="phản ánh, kiến nghị"),
    Indicator("5.3", "MDHL", "Hài lòng về xử lý phản ánh, kiến nghị", True, _D(2), unit="phản ánh, kiến nghị"),
    Indicator("5.4", "MDHL", "Hài lòng về giải quyết TTHC", True, _D(6), _D(90)),
    Indicator("4.1", "MDSH", "Hồ sơ có kết quả điện tử", True, _D(5)),
    Indicator("4.2", "MDSH", "Hồ sơ được số hóa", True, _D(5), _D(80)),
    Indicator("4.3", "MDSH", "Hồ sơ tái sử dụng dữ liệu số hóa", True, _D(4), _D(80)),
    Indicator("4.4", "MDSH", "Hồ sơ số hóa kết nối kho dữ liệu cá nhân trên Cổng DVCQG", False, _D(4),
              why_not="cần kết nối kho quản lý dữ liệu điện tử của tổ chức, cá nhân trên Cổng DVCQG"),
    Indicator("4.5", "MDSH", "Khai thác dữ liệu dân cư (CSDLQG về dân cư, VNeID)", False, _D(4),
              why_not="cần kết nối CSDL quốc gia về dân cư / VNeID"),
)
INDICATOR_BY_ID = {i.id: i for i in INDICATORS}


class WeightsError(ValueError):
    """Weights that do not add up; ``messages`` are Vietnamese."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Weights:
    """Group maxima {group code: points} and per indicator (points, threshold %)."""

    group_max: dict[str, Decimal]
    points: dict[str, Decimal]
    threshold: dict[str, Decimal]
    label: str = "mặc định"


DEFAULT_WEIGHTS = Weights({g.code: Decimal(g.default_max) for g in GROUPS},
                          {i.id: i.default_points for i in INDICATORS},
                          {i.id: i.default_threshold for i in INDICATORS})


def validate_weights(group_max: dict[str, Decimal], points: dict[str, Decimal],
                     threshold: dict[str, Decimal]) -> list[str]:
    """Every broken rule, in Vietnamese (empty when the weights are usable)."""
    errors = []
    for g in GROUPS:
        if g.code not in group_max:
            errors.append(f"Thiếu điểm tối đa của nhóm “{g.name}”.")
        elif group_max[g.code] < 0:
            errors.append(f"Điểm tối đa của nhóm “{g.name}” không được âm.")
    for i in INDICATORS:
        if i.id not in points or i.id not in threshold:
            errors.append(f"Thiếu trọng số hoặc ngưỡng của chỉ số {i.id}.")
            continue
        if points[i.id] < 0:
            errors.append(f"Điểm của chỉ số {i.id} không được âm.")
        if not (0 < threshold[i.id] <= 100):
            errors.append(f"Ngưỡng đạt điểm tối đa của chỉ số {i.id} phải lớn hơn 0 và không quá 100%.")
    if errors:
        return errors
    total = sum(group_max.values(), Decimal(0))
    if total != 100:
        errors.append(f"Tổng điểm tối đa của các nhóm phải bằng 100 (hiện là {total.normalize():f}).")
    for g in GROUPS:
        summed = sum((points[i.id] for i in INDICATORS if i.group == g.code), Decimal(0))
        if summed != group_max[g.code]:
            errors.append(f"Tổng điểm các chỉ số nhóm “{g.name}” là {summed.normalize():f}, phải bằng điểm "
                          f"tối đa của nhóm ({group_max[g.code].normalize():f}).")
    return errors


def rate(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """Percentage to 2 decimals, None when the denominator is 0."""
    if not denominator:
        return None
    return _q(Decimal(numerator) * HUNDRED / Decimal(denominator))


@dataclass
class IndicatorScore:
    indicator: Indicator
    numerator: Decimal | int | None
    denominator: Decimal | int | None
    rate: Decimal | None
    max: Decimal
    threshold: Decimal
    points: Decimal | None          # None = N/A (left out)
    note: str = ""

    @property
    def lost(self) -> Decimal:
        return Decimal(0) if self.points is None else _q(self.max - self.points)

    @property
    def status(self) -> str:
        if not self.indicator.held:
            return "không có dữ liệu"
        return "N/A" if self.points is None else "có điểm"


def score_indicator(ind: Indicator, numerator, denominator, weights: Weights, *,
                    rate_value: Decimal | None = None, note: str = "") -> IndicatorScore:
    """Threshold scoring of one indicator; ``rate_value`` overrides numerator/denominator for the
    indicators whose rate is not a plain share (2.2, 5.4)."""
    mx, th = weights.points[ind.id], weights.threshold[ind.id]
    if not ind.held:
        return IndicatorScore(ind, None, None, None, mx, th, None, note or ind.why_not)
    if not denominator:
        return IndicatorScore(ind, numerator, denominator, None, mx, th, None, note or "mẫu số bằng 0")
    r = rate(numerator, denominator) if rate_value is None else rate_value
    r = _q(max(Decimal(0), min(HUNDRED, r)))
    pts = mx if r >= th else _q(r * mx / th)
    return IndicatorScore(ind, numerator, denominator, r, mx, th, pts, note)


@dataclass
class GroupScore:
    group: Group
    max: Decimal
    scored_max: Decimal        # Σ max of the indicators scored
    earned: Decimal            # Σ points of the indicators scored
    points: Decimal | None     # rescaled to the group max; None = nothing scored


@dataclass
class UnitScore:
    key: object                # the unit (or anything hashable) this is the score of
    indicators: dict[str, IndicatorScore]
    groups: dict[str, GroupScore] = field(default_factory=dict)
    total: Decimal | None = None
    raw: Decimal = Decimal(0)         # points earned without rescaling
    measured_max: Decimal = Decimal(0)  # the maximum those could have reached
    rank: int | None = None


def score_unit(key, indicator_scores: dict[str, IndicatorScore], weights: Weights) -> UnitScore:
    u = UnitScore(key, indicator_scores)
    total_points = total_max = Decimal(0)
    for g in GROUPS:
        mine = [s for s in indicator_scores.values() if s.indicator.group == g.code and s.points is not None]
        scored_max = sum((s.max for s in mine), Decimal(0))
        earned = sum((s.points for s in mine), Decimal(0))
        gmax = weights.group_max[g.code]
        points = _q(earned * gmax / scored_max) if scored_max > 0 else None
        u.groups[g.code] = GroupScore(g, gmax, scored_max, earned, points)
        u.raw += earned
        u.measured_max += scored_max
        if points is not None:
            total_points += points
            total_max += gmax
    u.total = _q(total_points * HUNDRED / total_max) if total_max > 0 else None
    u.raw = _q(u.raw)
    return u


def rank(scores: list[UnitScore], *, peer=lambda key: None, name=lambda key: str(key)) -> list[UnitScore]:
    """Ranks within each peer group (``peer(key)``, e.g. the kind of unit: communes against communes).

    Order: the higher total first; ties broken by the higher "Tiến độ giải quyết" group, then the
    higher "Mức độ hài lòng" group, then the name (alphabetical); units still equal on the three
    numbers share a rank (1, 1, 3). Units without a total (nothing measurable) are not ranked.
    Returns the scores sorted by peer group then rank."""
    def number(value):
        return Decimal(-1) if value is None else value

    def merit(s: UnitScore):
        return (number(s.total), number(s.groups["TDGQ"].points), number(s.groups["MDHL"].points))

    out: list[UnitScore] = []
    peers: dict = {}
    for s in scores:
        peers.setdefault(peer(s.key), []).append(s)
    for group in peers.values():
        ranked = sorted((s for s in group if s.total is not None),
                        key=lambda s: (tuple(-x for x in merit(s)), name(s.key)))
        previous, place = None, 0
        for i, s in enumerate(ranked, 1):
            if merit(s) != previous:
                place, previous = i, merit(s)
            s.rank = place
        out += ranked + [s for s in group if s.total is None]
    return out
