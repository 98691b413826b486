"""The weights in force for a period: the IndexConfig version effective on the period's last day
(the earliest version for periods before any), read in two queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from motcua.reports.index766.scoring import DEFAULT_WEIGHTS, GROUPS, Weights, WeightsError, validate_weights

__all__ = ["weights_for", "weights_of"]


def weights_of(config) -> Weights:
    from motcua.reports.models import GROUP_FIELDS

    rows = {w.indicator: w for w in config.weights.all()}
    points = dict(DEFAULT_WEIGHTS.points)
    threshold = dict(DEFAULT_WEIGHTS.threshold)
    for key, w in rows.items():
        points[key], threshold[key] = Decimal(w.points), Decimal(w.threshold)
    group_max = {g.code: Decimal(getattr(config, GROUP_FIELDS[g.code])) for g in GROUPS}
    errors = validate_weights(group_max, points, threshold)
    if errors:  # the admin refuses such a version; a hand-edited database is refused here
        raise WeightsError(errors)
    return Weights(group_max, points, threshold, label=f"áp dụng từ {config.effective_from:%d/%m/%Y}")


def weights_for(day: dt.date) -> Weights:
    from motcua.reports.models import IndexConfig

    config = (IndexConfig.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
              or IndexConfig.objects.order_by("effective_from").first())
    return DEFAULT_WEIGHTS if config is None else weights_of(config)
