"""Partial indexes over the open workflow steps (``finished_at IS NULL``): the task inbox and the
leaders' views read only open steps, which are a small share of all steps once history grows (a
leader has finished thousands). SQLite and PostgreSQL both know partial indexes.

They live here, beside the pages that need them, as plain SQL on the dossiers table; the dossiers
app's own model indexes are untouched.
"""

from django.db import migrations

INDEXES = [
    ("ws_openstep_assignee", "assignee_id, due_at, id"),
    ("ws_openstep_unit", "unit_id, due_at, id"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("workspace", "0001_initial"),
        ("dossiers", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "dossiers_dossierstep" ({columns}) WHERE "finished_at" IS NULL',
            f'DROP INDEX IF EXISTS "{name}"',
        )
        for name, columns in INDEXES
    ]
