"""Feedback carries its case's town, so that a town's satisfaction figures read only its own feedback."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_towns(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Feedback = apps.get_model("cases", "Feedback")
    town_of_case = Case.objects.filter(pk=OuterRef("case_id")).values("town_id")[:1]
    Feedback.objects.using(schema_editor.connection.alias).update(town_id=Subquery(town_of_case))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_towns"),
        ("villages", "0004_towns"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedback",
            name="town",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
        migrations.RunPython(copy_towns, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="feedback",
            name="town",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
        migrations.AddIndex(
            model_name="feedback",
            index=models.Index(fields=["town", "given_on"], name="cases_feedback_town_given_on"),
        ),
    ]
