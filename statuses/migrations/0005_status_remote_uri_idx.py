from django.db import migrations, models

# Built and dropped CONCURRENTLY on PostgreSQL: a plain CREATE INDEX would hold every write to
# statuses for as long as it reads the table. The new index comes first, so uri lookups are never
# without one.
NEW = """CREATE INDEX {how}IF NOT EXISTS "status_remote_uri_idx" ON "statuses_status" ("uri")
WHERE NOT ("uri" = '')"""
OLD = 'CREATE INDEX {how}IF NOT EXISTS "status_uri_idx" ON "statuses_status" ("uri")'


def _how(schema_editor) -> str:
    return "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""


def forwards(apps, schema_editor) -> None:
    how = _how(schema_editor)
    schema_editor.execute(NEW.format(how=how))
    schema_editor.execute(f'DROP INDEX {how}IF EXISTS "status_uri_idx"')


def backwards(apps, schema_editor) -> None:
    how = _how(schema_editor)
    schema_editor.execute(OLD.format(how=how))
    schema_editor.execute(f'DROP INDEX {how}IF EXISTS "status_remote_uri_idx"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("statuses", "0004_status_redundant_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="status", name="status_uri_idx"),
                migrations.AddIndex(
                    model_name="status",
                    index=models.Index(
                        condition=models.Q(("uri", ""), _negated=True),
                        fields=["uri"],
                        name="status_remote_uri_idx",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
