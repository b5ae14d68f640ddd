"""Reports, spot-check draws and notices belong to a town; a notice without one is the county's.
What there is today was the one town's: it becomes that town's."""

import os

import django.db.models.deletion
from django.db import migrations, models

TOWN_FIELD = {
    "on_delete": django.db.models.deletion.PROTECT,
    "related_name": "+",
    "to": "villages.town",
    "verbose_name": "乡镇（街道）",
}
RECORDS = ("StatedReport", "SpotCheckDraw", "Notice")


def to_the_one_town(apps, schema_editor):
    Town = apps.get_model("villages", "Town")
    rows = {name: apps.get_model("reports", name).objects.filter(town__isnull=True) for name in RECORDS}
    if not any(queryset.exists() for queryset in rows.values()):
        return
    town = Town.objects.order_by("id").first()
    if town is None:  # records but no village yet: the town the deployment's settings named (villages/0004)
        town = Town.objects.create(
            code=os.environ.get("CASE_NUMBER_PREFIX", "SH"),
            name=os.environ.get("TOWN_NAME", "三合镇"),
            phone=os.environ.get("TOWN_PHONE", "0750-5524538"),
            division_code=os.environ.get("TOWN_DIVISION_CODE", "440781104"),
        )
    for queryset in rows.values():
        queryset.update(town=town)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_tally_by_town"),
        ("villages", "0004_towns"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="statedreport", name="reports_statedreport_unique_title_date"),
        *(
            migrations.AddField(model_name=name.lower(), name="town", field=models.ForeignKey(null=True, **TOWN_FIELD))
            for name in RECORDS
        ),
        migrations.RunPython(to_the_one_town, migrations.RunPython.noop),
        *(
            migrations.AlterField(model_name=name, name="town", field=models.ForeignKey(**TOWN_FIELD))
            for name in ("statedreport", "spotcheckdraw")
        ),
        migrations.AlterField(
            model_name="notice",
            name="town",
            field=models.ForeignKey(blank=True, help_text="空表示县（市）的通报。", null=True, **TOWN_FIELD),
        ),
        migrations.AddConstraint(
            model_name="statedreport",
            constraint=models.UniqueConstraint(
                fields=("town", "title", "as_of"), name="reports_statedreport_unique_title_date"
            ),
        ),
    ]
