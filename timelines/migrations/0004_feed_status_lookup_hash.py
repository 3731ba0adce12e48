"""Feed indexes: the read index duplicated the unique constraint, and the b-tree on status_id
misled the planner into scanning it for feed reads (see ``timelines.models.FeedEntry``)."""

from django.db import migrations, models

TABLE = "timelines_feedentry"


def create_lookup(apps, schema_editor):
    using = "USING hash " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"CREATE INDEX feed_status_lookup ON {TABLE} {using}(status_id)")


def drop_lookup(apps, schema_editor):
    schema_editor.execute("DROP INDEX feed_status_lookup")


class Migration(migrations.Migration):
    dependencies = [
        ("timelines", "0003_notificationpermission_notificationpolicy_and_more"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="feedentry", name="feed_read_idx"),
        migrations.RemoveIndex(model_name="feedentry", name="feed_status_idx"),
        migrations.RunPython(create_lookup, drop_lookup),
    ]
