"""Two more foreign-key indexes nothing queries: who finished a step and which required document a
file answers are only ever followed from the step or the document (the control sheet, the API), never
looked up from the user or the catalogue; each cost an index insert per step and per document."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_variant_supplement_rule_cutoff'),
        ('dossiers', '0003_trim_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='dossierdocument',
            name='required',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='catalog.requireddocument', verbose_name='Theo thành phần'),
        ),
        migrations.AlterField(
            model_name='dossierstep',
            name='finished_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='Người hoàn thành'),
        ),
    ]
