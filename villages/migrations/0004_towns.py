"""Towns: the unit of data of a county's deployment. The villages there are become the villages of
one town, named as the deployment named its one town until now (the TOWN_* settings, Sanhe's by
default): nothing is lost and every tracking number stays valid."""

import os

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

# What sanhe/settings.py read before towns were data: the one town's name, phone, division code and
# tracking-number prefix.
FORMER_SETTINGS = {
    "code": ("CASE_NUMBER_PREFIX", "SH"),
    "name": ("TOWN_NAME", "三合镇"),
    "phone": ("TOWN_PHONE", "0750-5524538"),
    "division_code": ("TOWN_DIVISION_CODE", "440781104"),
}


def the_one_town(apps, schema_editor):
    Town = apps.get_model("villages", "Town")
    Village = apps.get_model("villages", "Village")
    if not Village.objects.exists():
        return
    town = Town.objects.create(
        **{field: os.environ.get(name, default) for field, (name, default) in FORMER_SETTINGS.items()}
    )
    Village.objects.update(town=town)


class Migration(migrations.Migration):
    dependencies = [
        ("villages", "0003_open311_clients"),
    ]

    operations = [
        migrations.CreateModel(
            name="Town",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "code",
                    models.CharField(
                        help_text="问题编号的前缀，如三合镇的“SH”（SH-2015-0001）。",
                        max_length=4,
                        validators=[
                            django.core.validators.RegexValidator("^[A-Z]{2,4}$", "简码是2至4个大写英文字母。")
                        ],
                        verbose_name="简码",
                    ),
                ),
                ("name", models.CharField(help_text="如“三合镇”。", max_length=50, verbose_name="名称")),
                (
                    "division_code",
                    models.CharField(
                        help_text="国家统计用区划代码，9位。",
                        max_length=9,
                        validators=[django.core.validators.RegexValidator("^\\d{9}$", "乡镇区划代码是9位数字。")],
                        verbose_name="区划代码",
                    ),
                ),
                (
                    "phone",
                    models.CharField(
                        blank=True, help_text="公开栏和回执上的咨询电话。", max_length=30, verbose_name="联系电话"
                    ),
                ),
                (
                    "generated",
                    models.BooleanField(
                        default=False, help_text="演示数据自行生成的乡镇，不是真实数据。", verbose_name="演示生成"
                    ),
                ),
            ],
            options={
                "verbose_name": "乡镇（街道）",
                "verbose_name_plural": "乡镇（街道）",
                "ordering": ["division_code"],
                "constraints": [
                    models.UniqueConstraint(fields=("code",), name="villages_town_unique_code"),
                    models.UniqueConstraint(fields=("division_code",), name="villages_town_unique_division_code"),
                    models.UniqueConstraint(fields=("name",), name="villages_town_unique_name"),
                ],
            },
        ),
        migrations.AddField(
            model_name="village",
            name="town",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="villages",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
        migrations.RunPython(the_one_town, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="village",
            name="town",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="villages",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
        migrations.AddConstraint(
            model_name="village",
            constraint=models.UniqueConstraint(fields=("town", "id"), name="villages_village_unique_town_id"),
        ),
    ]
