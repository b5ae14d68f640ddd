"""A town's month of closings and deadlines found without the county's: the town's dashboard and
meeting pack read the cases closed or due in the month (reports/tally.py), and the closed_on and
due_on indexes hold every town's."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0020_town_scoped_open_indexes'),
        ('teams', '0008_county_supervisor'),
        ('villages', '0005_open311_to_public'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['town', 'closed_on'], name='cases_case_town_closed_on'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['town', 'due_on'], name='cases_case_town_due_on'),
        ),
    ]
