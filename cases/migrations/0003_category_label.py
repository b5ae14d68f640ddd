from django.db import migrations


class Migration(migrations.Migration):
    """A category's name is its `label`: `name` alone is what privacy scans take for a person's name."""

    dependencies = [("cases", "0002_notice_board_indexes")]

    operations = [
        migrations.RenameField("category", "name", "label"),
        migrations.RenameField("subcategory", "name", "label"),
    ]
