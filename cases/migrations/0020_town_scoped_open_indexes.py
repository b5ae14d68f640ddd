"""The town's counts of its open cases from indexes alone: every staff page counts within the user's
town (town_id = …), and without the town in the index each open case's row was read to check it (at
1,000,000 cases: the case list 84 ms, /triage/ 100 ms). Building them takes about a second per
million cases, writes to cases_case waiting meanwhile."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0019_feedback_town_key'),
        ('teams', '0008_county_supervisor'),
        ('villages', '0005_open311_to_public'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='cases_case_village_status_due',
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='cases_case_registered_raised',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('voided_at__isnull', True)), fields=['village', 'status', 'due_on'], include=('town', 'fed_back_on'), name='cases_case_village_status_due'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(models.Q(('status', 'closed'), _negated=True), ('voided_at__isnull', True)), fields=['town', 'due_on'], name='cases_case_open_town_due'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status', 'registered'), ('voided_at__isnull', True)), fields=['raised_on', 'number'], include=('town',), name='cases_case_registered_raised'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(models.Q(('status', 'closed'), _negated=True), ('fed_back_on__isnull', False), ('voided_at__isnull', True)), fields=['town'], name='cases_case_open_fed_back_town'),
        ),
    ]
