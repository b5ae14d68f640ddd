"""The monthly tally moves from the reports to the ledger it counts: the model only. Its table keeps
its name (reports_casetally), as do its indexes, its key and its triggers, so nothing in the
database changes and a tally of millions of rows is not copied. Its content type follows it (with
any permission given on it); reports/0008 lets the reports' model go."""

from django.db import migrations, models


def content_type_to(app_label: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        other = "reports" if app_label == "cases" else "cases"
        if not ContentType.objects.filter(app_label=app_label, model="casetally").exists():
            ContentType.objects.filter(app_label=other, model="casetally").update(app_label=app_label)

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_case_town_raised_index"),
        ("reports", "0007_tally_team_index"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CaseTally",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("month", models.DateField(verbose_name="月份")),
                        ("town_id", models.BigIntegerField(verbose_name="乡镇（街道）")),
                        ("village_id", models.BigIntegerField(verbose_name="村（社区）")),
                        ("team_id", models.BigIntegerField(default=0, verbose_name="驻点团队")),
                        ("category_id", models.BigIntegerField(default=0, verbose_name="问题大类")),
                        ("subcategory_id", models.BigIntegerField(default=0, verbose_name="问题小类")),
                        ("raised", models.IntegerField(default=0, verbose_name="收集")),
                        ("raised_closed", models.IntegerField(default=0, verbose_name="收集且现已办结")),
                        ("closed", models.IntegerField(default=0, verbose_name="办结")),
                        ("fed_back", models.IntegerField(default=0, verbose_name="已反馈")),
                        ("due_passed", models.IntegerField(default=0, verbose_name="已过期限")),
                        ("closed_due_passed", models.IntegerField(default=0, verbose_name="已办结且已过期限")),
                    ],
                    options={
                        "verbose_name": "问题月度计数",
                        "verbose_name_plural": "问题月度计数",
                        "db_table": "reports_casetally",
                        "indexes": [
                            models.Index(fields=["town_id", "month"], name="reports_casetally_town"),
                            models.Index(fields=["village_id", "month"], name="reports_casetally_village"),
                            models.Index(fields=["team_id", "month"], name="reports_casetally_team"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("month", "town_id", "village_id", "team_id", "category_id", "subcategory_id"),
                                name="reports_casetally_unique_key",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to("cases"), content_type_to("reports")),
    ]
