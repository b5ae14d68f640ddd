"""Open311's clients and posts are the public pages' now (public/0001): the territory lets the models
go, not the tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("villages", "0004_towns"),
        ("public", "0001_open311"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Open311Post"), migrations.DeleteModel(name="Open311Client")],
            database_operations=[],
        ),
    ]
