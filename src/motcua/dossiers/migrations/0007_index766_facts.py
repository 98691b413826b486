"""Dossier.e_intake_at, e_result_at, reused_at: the QĐ 766 document facts stored on the row
(dossiers.report_facts), back-filled here set-based for the dossiers already there; then the 766
statement's covering index (after the back-fill: one index build instead of updates through it)."""

from django.db import migrations, models

from motcua.dossiers.migrations._backfill import backfill


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('catalog', '0002_variant_supplement_rule_cutoff'),
        ('dossiers', '0006_report_facts'),
        ('org', '0002_orgunit_calendar'),
    ]

    operations = [
        migrations.AddField(
            model_name='dossier',
            name='e_intake_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Nộp tệp điện tử đầu tiên lúc'),
        ),
        migrations.AddField(
            model_name='dossier',
            name='e_result_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Có kết quả điện tử lúc'),
        ),
        migrations.AddField(
            model_name='dossier',
            name='reused_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Dùng lại tệp đã nộp lúc'),
        ),
        migrations.RunPython(backfill("backfill_documents"), migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['resolving_unit', 'received_at', 'finished_at', 'due_at', 'clock_start', 'outcome', 'channel', 'fee_total', 'paid_online_at', 'e_intake_at', 'e_result_at', 'reused_at', 'id'], name='dossier_index766'),
        ),
    ]
