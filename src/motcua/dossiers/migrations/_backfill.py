"""The RunPython step of the migrations that add stored report facts (0006–0009). The leading underscore
keeps Django's migration loader from taking this module for a migration."""


def backfill(name: str):
    """A RunPython function: ``report_facts.<name>()`` over the dossiers already there, then, on PostgreSQL,
    the deferred foreign-key checks its UPDATEs queued, now — CREATE INDEX later in the same transaction
    refuses pending trigger events."""

    def run(apps, schema_editor):
        from motcua.dossiers import report_facts  # the current code: the fields exist from here on

        getattr(report_facts, name)()
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    return run
