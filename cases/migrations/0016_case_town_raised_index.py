"""A town's cases raised in a period found by one index (town, raised_on), which also serves the
town's foreign key: the key's own index goes (the new one is built first)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_feedback_town"),
        ("villages", "0004_towns"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["town", "raised_on"], name="cases_case_town_raised"),
        ),
        migrations.AlterField(
            model_name="case",
            name="town",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
    ]
