"""Editable configuration of the QĐ 766 service index: weights and thresholds, versioned by the
date they take effect. Data and constraints only; the rules that they add up are in
``index766.scoring.validate_weights`` (called by the admin form and by ``index766.config``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.reports.index766.scoring import GROUPS, INDICATORS

__all__ = ["IndexConfig", "IndicatorWeight", "GROUP_FIELDS"]

# Group code → the field of IndexConfig holding its maximum points.
GROUP_FIELDS = {g.code: f"max_{g.code.lower()}" for g in GROUPS}


def _points(label: str):
    return models.DecimalField(label, max_digits=5, decimal_places=2)


class IndexConfig(models.Model):
    """One version of the weights: in force from ``effective_from`` until the next version's date.
    A period is scored with the version in force on its last day, so old periods keep their rules."""

    effective_from = models.DateField(_("Áp dụng từ ngày"), unique=True)
    note = models.CharField(_("Căn cứ, ghi chú"), max_length=500, blank=True)
    max_ckmb = _points(_("Nhóm Công khai, minh bạch (điểm tối đa)"))
    max_tdgq = _points(_("Nhóm Tiến độ giải quyết (điểm tối đa)"))
    max_tttt = _points(_("Nhóm Dịch vụ công trực tuyến (điểm tối đa)"))
    max_clgq = _points(_("Nhóm Thanh toán trực tuyến (điểm tối đa)"))
    max_mdhl = _points(_("Nhóm Mức độ hài lòng (điểm tối đa)"))
    max_mdsh = _points(_("Nhóm Số hóa hồ sơ (điểm tối đa)"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Người sửa gần nhất"),
                                   on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    changed_at = models.DateTimeField(_("Sửa lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("cấu hình Bộ chỉ số 766")
        verbose_name_plural = _("cấu hình Bộ chỉ số 766 (trọng số, ngưỡng)")
        ordering = ["-effective_from"]
        constraints = [models.CheckConstraint(
            condition=Q(max_ckmb__gte=0, max_tdgq__gte=0, max_tttt__gte=0, max_clgq__gte=0, max_mdhl__gte=0,
                        max_mdsh__gte=0), name="indexconfig_group_max_not_negative")]

    def __str__(self) -> str:
        return f"Bộ chỉ số 766 áp dụng từ {self.effective_from:%d/%m/%Y}"


class IndicatorWeight(models.Model):
    config = models.ForeignKey(IndexConfig, verbose_name=_("Cấu hình"), on_delete=models.CASCADE,
                               related_name="weights")
    indicator = models.CharField(_("Chỉ số"), max_length=5,
                                 choices=[(i.id, f"{i.id} – {i.name}") for i in INDICATORS])
    points = _points(_("Điểm tối đa"))
    threshold = models.DecimalField(_("Ngưỡng đạt điểm tối đa (%)"), max_digits=5, decimal_places=2,
                                    help_text=_("Tỷ lệ đạt từ ngưỡng này được điểm tối đa; dưới ngưỡng: "
                                                "tỷ lệ × điểm tối đa / ngưỡng. 100 = tính tỷ lệ thuận."))

    class Meta:
        verbose_name = _("trọng số chỉ số")
        verbose_name_plural = _("trọng số, ngưỡng các chỉ số")
        ordering = ["config", "indicator"]
        constraints = [
            models.UniqueConstraint(fields=["config", "indicator"], name="indicatorweight_unique"),
            models.CheckConstraint(condition=Q(points__gte=0), name="indicatorweight_points_not_negative"),
            models.CheckConstraint(condition=Q(threshold__gt=0, threshold__lte=100),
                                   name="indicatorweight_threshold_range"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.points} điểm, ngưỡng {self.threshold}%"
