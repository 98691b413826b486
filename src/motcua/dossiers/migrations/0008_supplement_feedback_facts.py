"""Dossier.supplement_at, supplemented_at, supplement_again_at, feedback_at, disliked_at: the supplement,
feedback and rating facts stored on the row (dossiers.report_facts), so neither Biểu 06 (dossiers waiting
for a supplement at the period's end) nor the QĐ 766 index (lateness, complaints) reads a side table per
dossier. The covering indexes are dropped first (the back-fill's updates do not maintain them), the facts
are back-filled set-based, and the indexes are built again with them."""

from django.db import migrations, models

from motcua.dossiers.migrations._backfill import backfill


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('catalog', '0002_variant_supplement_rule_cutoff'),
        ('dossiers', '0007_index766_facts'),
        ('feedback', '0001_initial'),  # the back-fill reads feedback and ratings
        ('org', '0002_orgunit_calendar'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_report_unit',
        ),
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_report_version',
        ),
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_index766',
        ),
        migrations.AddField(
            model_name='dossier',
            name='disliked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Đánh giá không hài lòng lúc'),
        ),
        migrations.AddField(
            model_name='dossier',
            name='feedback_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Phản ánh, kiến nghị đầu tiên lúc'),
        ),
        migrations.AddField(
            model_name='dossier',
            name='supplement_again_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Yêu cầu bổ sung lần hai lúc'),
        ),
        migrations.AddField(
            model_name='dossier',
            name='supplement_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Yêu cầu bổ sung (sau thẩm định) lần đầu lúc'),
        ),
        migrations.AddField(
            model_name='dossier',
            name='supplemented_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Đã bổ sung lần đầu lúc'),
        ),
        migrations.RunPython(backfill("backfill_index766"), migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['resolving_unit', 'received_at', 'finished_at', 'timeliness', 'paid_online_at', 'channel', 'state', 'due_at', 'original_due_at', 'supplement_at', 'supplemented_at', 'supplement_again_at', 'procedure_version', 'id'], name='dossier_report_unit'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['procedure_version', 'received_at', 'finished_at', 'timeliness', 'paid_online_at', 'channel', 'state', 'due_at', 'original_due_at', 'supplement_at', 'supplemented_at', 'supplement_again_at', 'resolving_unit', 'id'], name='dossier_report_version'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['resolving_unit', 'received_at', 'finished_at', 'due_at', 'clock_start', 'outcome', 'channel', 'fee_total', 'paid_online_at', 'e_intake_at', 'e_result_at', 'reused_at', 'supplement_at', 'supplemented_at', 'supplement_again_at', 'feedback_at', 'disliked_at', 'id'], name='dossier_index766'),
        ),
    ]
