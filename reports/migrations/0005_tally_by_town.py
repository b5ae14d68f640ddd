"""The tally counts by town too (a town's figures read only its rows). The triggers' SQL now writes
the town: the old ones are dropped here, reports.tally.ensure_triggers puts the new ones back after
the migrate."""

from django.db import migrations, models

from cases import tally_sql  # the tally's SQL, which lived in reports/ when this was written


def drop_triggers(apps, schema_editor):
    for sql in tally_sql.drop_triggers(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def town_of_each_row(apps, schema_editor):
    schema_editor.execute(
        "UPDATE reports_casetally SET town_id = "
        "(SELECT v.town_id FROM villages_village v WHERE v.id = reports_casetally.village_id)"
    )
    # A row of a village since deleted has no town: the recount after the migrate writes what is right.
    schema_editor.execute("DELETE FROM reports_casetally WHERE town_id IS NULL")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_tally_leaves_out_voided"),
        ("cases", "0014_towns"),
        ("villages", "0004_towns"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="casetally", name="reports_casetally_unique_key"),
        migrations.AddField(
            model_name="casetally",
            name="town_id",
            field=models.BigIntegerField(null=True, verbose_name="乡镇（街道）"),
        ),
        migrations.RunPython(town_of_each_row, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="casetally",
            name="town_id",
            field=models.BigIntegerField(verbose_name="乡镇（街道）"),
        ),
        migrations.AddConstraint(
            model_name="casetally",
            constraint=models.UniqueConstraint(
                fields=("month", "town_id", "village_id", "team_id", "category_id", "subcategory_id"),
                name="reports_casetally_unique_key",
            ),
        ),
        migrations.AddIndex(
            model_name="casetally",
            index=models.Index(fields=["town_id", "month"], name="reports_casetally_town"),
        ),
    ]
