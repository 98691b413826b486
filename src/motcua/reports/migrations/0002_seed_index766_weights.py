"""The default weights of the QĐ 766 index, in force from the decision's date (23/6/2022).

Known points come from shared/domain.md §5.1 (group maxima 18/20/12/10/18/22; 5.1–5.4 = 5/5/2/6;
1.2 = 4; 2.1 = 20); the rest are MotCua's documented defaults, editable in the admin. The values are
written here, not imported, so that later edits of the code's defaults do not rewrite history."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

GROUPS = {"max_ckmb": 18, "max_tdgq": 20, "max_tttt": 12, "max_clgq": 10, "max_mdhl": 18, "max_mdsh": 22}
WEIGHTS = [  # indicator, points, threshold %
    ("1.1", 4, 100), ("1.2", 4, 100), ("1.3", 6, 100), ("1.4", 4, 100),
    ("2.1", 20, 100), ("2.2", 0, 100),
    ("3.1", 4, 80), ("3.2", 4, 100), ("3.3", 4, 50),
    ("3.5", 4, 80), ("3.6", 6, 100),
    ("5.1", 5, 100), ("5.2", 5, 100), ("5.3", 2, 100), ("5.4", 6, 90),
    ("4.1", 5, 100), ("4.2", 5, 80), ("4.3", 4, 80), ("4.4", 4, 100), ("4.5", 4, 100),
]


def seed(apps, schema_editor):
    IndexConfig = apps.get_model("reports", "IndexConfig")
    IndicatorWeight = apps.get_model("reports", "IndicatorWeight")
    if IndexConfig.objects.exists():
        return
    config = IndexConfig.objects.create(
        effective_from=dt.date(2022, 6, 23),
        note="Mặc định của MotCua theo QĐ 766/QĐ-TTg ngày 23/6/2022 (xem README, mục Service index).",
        **{k: Decimal(v) for k, v in GROUPS.items()})
    IndicatorWeight.objects.bulk_create(
        IndicatorWeight(config=config, indicator=i, points=Decimal(p), threshold=Decimal(t)) for i, p, t in WEIGHTS)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
