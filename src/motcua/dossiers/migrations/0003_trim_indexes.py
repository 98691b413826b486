"""Indexes that nothing queries are dropped: each costs every insert and update of a dossier.

Django gives every ForeignKey an index of its own. The dossier table had 18; it keeps 11:

kept                                   serves
  reference, code (unique)             lookup by reference (tracking, API) and by code (desk, search)
  state                                lists filtered by state
  due_at                               overdue and at-risk lists, "due before" filters
  finished_at                          statistics by period of completion
  (applicant, idempotency_key) unique  one dossier per online submission key (partial)
  (receiving_unit, book_year, book_number) unique  the tracking book (partial); also serves the book list
  (resolving_unit, state, due_at)      an agency's lists and inbox by state and due instant; also every
                                       resolving_unit lookup (first column)
  (receiving_unit, received_at)        the desk's lists and statistics by period of receipt; also every
                                       receiving_unit lookup (first column)
  (applicant, submitted_at)  new       the applicant's "my dossiers" list, newest first; also every
                                       applicant lookup (replaces the applicant FK index)
  current_step                         the one reference from the dossier to a child row: while a
                                       dossier points at a step not yet written (SQLite defers the FK
                                       to the commit), every new step looks for the dossiers pointing
                                       at it — a full scan without this index; deleting a step also
                                       sets it NULL through it

dropped
  procedure_version, variant, receiving_desk   followed from the dossier only (joins go dossier →
                                       catalogue/desk, never the other way on a hot path;
                                       deleting a procedure version, variant or desk — which PROTECT
                                       refuses while dossiers use it — scans instead)
  returning_unit                       equal to the receiving unit for every dossier lodged today; only
                                       one arm of the visibility predicate, which cannot use it anyway
                                       (an OR with an EXISTS)
  resolving_unit, receiving_unit, applicant  first column of a composite index above
  received_at                          per unit: (receiving_unit, received_at); province-wide periods
                                       read a large share of the table, where a scan is the plan anyway

Child tables and the ledger: the dossier FK index of steps, tasks, fees, payments and ledger events
repeats the first column of their unique constraint ((dossier, seq), (dossier, batch, sequence_no),
(dossier, order), (dossier, reference), (dossier, seq)); the step's unit FK index repeats the first
column of dossierstep_inbox (unit, finished_at, due_at). Documents, supplements and the extension
keep theirs (nothing else starts with the dossier).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('catalog', '0002_variant_supplement_rule_cutoff'),
        ('dossiers', '0002_ledger_canonical_text'),
        ('org', '0002_orgunit_calendar'),
    ]

    operations = [
        migrations.AlterField(
            model_name='agencytask',
            name='dossier',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='dossiers.dossier', verbose_name='Hồ sơ'),
        ),
        migrations.AlterField(
            model_name='dossier',
            name='applicant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='dossiers', to='accounts.applicant', verbose_name='Người nộp'),
        ),
        migrations.AlterField(
            model_name='dossier',
            name='procedure_version',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='dossiers', to='catalog.procedureversion', verbose_name='Phiên bản thủ tục'),
        ),
        migrations.AlterField(
            model_name='dossier',
            name='received_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Thời điểm tiếp nhận'),
        ),
        migrations.AlterField(
            model_name='dossier',
            name='receiving_desk',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='dossiers', to='org.desk', verbose_name='Bộ phận tiếp nhận'),
        ),
        migrations.AlterField(
            model_name='dossier',
            name='receiving_unit',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='received_dossiers', to='org.orgunit', verbose_name='Đơn vị tiếp nhận'),
        ),
        migrations.AlterField(
            model_name='dossier',
            name='resolving_unit',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='resolved_dossiers', to='org.orgunit', verbose_name='Cơ quan giải quyết'),
        ),
        migrations.AlterField(
            model_name='dossier',
            name='returning_unit',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='returned_dossiers', to='org.orgunit', verbose_name='Đơn vị trả kết quả'),
        ),
        migrations.AlterField(
            model_name='dossier',
            name='variant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='dossiers', to='catalog.procedurevariant', verbose_name='Trường hợp'),
        ),
        migrations.AlterField(
            model_name='dossierfee',
            name='dossier',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='fees', to='dossiers.dossier', verbose_name='Hồ sơ'),
        ),
        migrations.AlterField(
            model_name='dossierstep',
            name='dossier',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='steps', to='dossiers.dossier', verbose_name='Hồ sơ'),
        ),
        migrations.AlterField(
            model_name='dossierstep',
            name='unit',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='dossier_steps', to='org.orgunit', verbose_name='Đơn vị thực hiện'),
        ),
        migrations.AlterField(
            model_name='ledgerevent',
            name='dossier',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='dossiers.dossier'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='dossier',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='payments', to='dossiers.dossier', verbose_name='Hồ sơ'),
        ),
        migrations.AddIndex(
            model_name='dossier',
            index=models.Index(fields=['applicant', 'submitted_at'], name='dossier_applicant'),
        ),
    ]
