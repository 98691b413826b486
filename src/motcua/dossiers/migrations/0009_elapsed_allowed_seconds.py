"""Dossier.elapsed_seconds, allowed_seconds: a finished dossier's whole seconds from the clock's start to its
finish and to its due instant (dossiers.report_facts), stored so the QĐ 766 index (2.2) sums integers
instead of parsing and subtracting instants per row. ``dossier_index766`` covers them instead of
``clock_start``; it is dropped before the back-fill and built again after it. ``dossier_online`` (the
online dossiers by unit and procedure version) serves the index's "online procedures used"."""

from django.db import migrations, models

from motcua.dossiers.migrations._backfill import backfill


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0008_supplement_feedback_facts'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='dossier',
            name='dossier_index766',
        ),
        migrations.AddField(
            model_name='dossier',
            name='allowed_seconds',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='Thời hạn giải quyết (giây)'),
        ),
        migrations.AddField(
            model_name='dossier',
            name='elapsed_seconds',
            field=models.BigIntegerField(blank=True, null=True, verbose_name='Thời gian giải quyết (giây)'),
        ),
        migrations.RunPython(backfill("backfill_seconds"), migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['resolving_unit', 'received_at', 'finished_at', 'due_at', 'outcome', 'channel', 'fee_total', 'paid_online_at', 'e_intake_at', 'e_result_at', 'reused_at', 'supplement_at', 'supplemented_at', 'supplement_again_at', 'feedback_at', 'disliked_at', 'elapsed_seconds', 'allowed_seconds', 'id'], name='dossier_index766'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(condition=models.Q(('channel', 'online')), fields=['resolving_unit', 'procedure_version', 'received_at'], name='dossier_online'),
        ),
    ]
