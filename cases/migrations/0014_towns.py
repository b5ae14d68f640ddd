"""Cases, categories and tracking numbers belong to a town (villages 0004): a case's town is its
village's; each town numbers its own cases, the one town's sequences carry on where they were."""

import django.db.models.deletion
from django.db import migrations, models


def town_of_each_case(apps, schema_editor):
    schema_editor.execute(
        "UPDATE cases_case SET town_id = (SELECT v.town_id FROM villages_village v WHERE v.id = cases_case.village_id)"
    )


def sequences_to_the_one_town(apps, schema_editor):
    Town = apps.get_model("villages", "Town")
    YearSequence = apps.get_model("cases", "YearSequence")
    NumberSequence = apps.get_model("cases", "NumberSequence")
    years = list(YearSequence.objects.all())
    if not years:
        return
    town = Town.objects.get()  # numbers were taken, so there were villages, so one town (villages 0004)
    NumberSequence.objects.bulk_create(NumberSequence(town=town, year=row.year, last=row.last) for row in years)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_hotline_work_orders"),
        ("villages", "0004_towns"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="town",
            field=models.ForeignKey(
                blank=True,
                help_text="留空为全县通用；填写时只有这个乡镇使用。",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="categories",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="town",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
        migrations.RunPython(town_of_each_case, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="case",
            name="town",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
        migrations.RenameModel("NumberSequence", "YearSequence"),
        migrations.CreateModel(
            name="NumberSequence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(verbose_name="年份")),
                ("last", models.PositiveIntegerField(default=0, verbose_name="已用到")),
                (
                    "town",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="villages.town",
                        verbose_name="乡镇（街道）",
                    ),
                ),
            ],
            options={
                "verbose_name": "编号序列",
                "verbose_name_plural": "编号序列",
                "constraints": [
                    models.UniqueConstraint(fields=("town", "year"), name="cases_numbersequence_unique_year")
                ],
            },
        ),
        migrations.RunPython(sequences_to_the_one_town, migrations.RunPython.noop),
        migrations.DeleteModel("YearSequence"),
    ]
