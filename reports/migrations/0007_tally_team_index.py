from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_towns"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="casetally",
            index=models.Index(fields=["team_id", "month"], name="reports_casetally_team"),
        ),
    ]
