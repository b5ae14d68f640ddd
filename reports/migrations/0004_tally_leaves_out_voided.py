from django.db import migrations

from cases import tally_sql  # the tally's SQL, which lived in reports/ when this was written


def drop_tally_triggers(apps, schema_editor):
    """The triggers' SQL now leaves voided cases out: drop the old ones; reports.tally.ensure_triggers
    (after this migrate) installs the new ones and recounts the tally."""
    vendor = schema_editor.connection.vendor
    for sql in tally_sql.drop_triggers(vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_tally_village_index"),
        ("cases", "0010_void_photos_event_data"),
    ]

    operations = [migrations.RunPython(drop_tally_triggers, migrations.RunPython.noop, elidable=True)]
