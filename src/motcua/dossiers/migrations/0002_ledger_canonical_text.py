"""Ledger fragments become canonical JSON text.

``LedgerEvent.before``/``after`` were JSONFields: SQLite kept Django's ``json.dumps`` text (spaces, ASCII
escapes) behind a JSON_VALID check, PostgreSQL a jsonb value. They become TextFields holding the
canonical text the chain hash is computed over (sorted keys, no spaces, UTF-8), so the stored bytes
and the hashed bytes are the same. Existing rows are rewritten into that text; their JSON value does
not change, so every chain written before this migration still verifies (format 1 fragments, with
whole child collections, are still read by ``ledger.replay``).
"""

import json

from django.db import migrations, models

BATCH = 2000


def canonical(text):
    value = json.loads(text) if isinstance(text, str) else text
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def rewrite(apps, schema_editor):
    LedgerEvent = apps.get_model("dossiers", "LedgerEvent")
    events = LedgerEvent.objects.using(schema_editor.connection.alias)
    last = 0
    while True:  # in primary-key pages: never update a table under an open cursor on it
        page = list(events.filter(pk__gt=last).order_by("pk").values_list("pk", "before", "after")[:BATCH])
        if not page:
            return
        last = page[-1][0]
        changed = []
        for pk, before, after in page:
            b, a = canonical(before), canonical(after)
            if (b, a) != (before, after):
                changed.append(LedgerEvent(pk=pk, before=b, after=a))
        if changed:
            events.bulk_update(changed, ["before", "after"])


class Migration(migrations.Migration):

    dependencies = [
        ("dossiers", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ledgerevent",
            name="after",
            field=models.TextField(default="{}", verbose_name="Sau"),
        ),
        migrations.AlterField(
            model_name="ledgerevent",
            name="before",
            field=models.TextField(default="{}", verbose_name="Trước"),
        ),
        # Backwards, the canonical text is valid JSON as it is.
        migrations.RunPython(rewrite, migrations.RunPython.noop),
    ]
