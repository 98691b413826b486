"""Dossier.timeliness and Dossier.paid_online_at: report facts stored on the row (dossiers.report_facts),
back-filled here for the dossiers already there."""

from django.db import migrations, models

from motcua.dossiers.migrations._backfill import backfill


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('catalog', '0002_variant_supplement_rule_cutoff'),
        ('dossiers', '0005_report_index'),
        ('org', '0002_orgunit_calendar'),
    ]

    operations = [
        migrations.AddField(
            model_name='dossier',
            name='timeliness',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='Đúng hạn theo từng cách so sánh (mã)'),
        ),
        migrations.AddField(
            model_name='dossier',
            name='paid_online_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Thanh toán trực tuyến lần đầu lúc'),
        ),
        migrations.RunPython(backfill("backfill"), migrations.RunPython.noop, elidable=True),
        # the report's covering index, now one per grouping (models.Dossier.Meta): after the back-fill
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_report',
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['resolving_unit', 'received_at', 'finished_at', 'timeliness', 'paid_online_at', 'channel', 'state', 'due_at', 'original_due_at', 'procedure_version', 'id'], name='dossier_report_unit'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['procedure_version', 'received_at', 'finished_at', 'timeliness', 'paid_online_at', 'channel', 'state', 'due_at', 'original_due_at', 'resolving_unit', 'id'], name='dossier_report_version'),
        ),
    ]
