"""The monthly tally is the ledger's now (cases/0017): the reports let the model go, not the table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_tally_team_index"),
        ("cases", "0017_casetally"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="CaseTally")],
            database_operations=[],
        ),
    ]
