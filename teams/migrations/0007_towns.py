"""Teams and staff belong to a town (villages 0004): a team its village's, a cadre their team's, and
office staff and supervisors the one town there was; team numbers are unique within a town."""

import django.db.models.deletion
from django.db import migrations, models

STAFF_GROUPS = ("office", "supervisor", "cadre")


def towns_of_teams_and_staff(apps, schema_editor):
    Town = apps.get_model("villages", "Town")
    Team = apps.get_model("teams", "Team")
    Cadre = apps.get_model("teams", "Cadre")
    User = apps.get_model("auth", "User")
    for team in Team.objects.select_related("village"):
        team.town_id = team.village.town_id
        team.save(update_fields=["town"])
    for cadre in Cadre.objects.filter(team__isnull=False).select_related("team"):
        cadre.town_id = cadre.team.town_id
        cadre.save(update_fields=["town"])
    towns = list(Town.objects.all()[:2])
    if len(towns) != 1:
        return  # no data yet: nothing to place
    # Until now every account worked for the one town: it still does.
    Cadre.objects.filter(team__isnull=True, town__isnull=True).update(town=towns[0])
    without = User.objects.filter(groups__name__in=STAFF_GROUPS, cadre__isnull=True).distinct()
    Cadre.objects.bulk_create(
        Cadre(user=user, name=f"{user.last_name}{user.first_name}" or user.username, town=towns[0])
        for user in without
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("teams", "0006_api_token"),
        ("villages", "0004_towns"),
    ]

    operations = [
        migrations.AddField(
            model_name="cadre",
            name="town",
            field=models.ForeignKey(
                blank=True,
                help_text="干部、党政办人员、督查人员所在的乡镇；县级账号留空。",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="staff",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
        migrations.AddField(
            model_name="team",
            name="town",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="teams",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
        migrations.RunPython(towns_of_teams_and_staff, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="team",
            name="town",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="teams",
                to="villages.town",
                verbose_name="乡镇（街道）",
            ),
        ),
        migrations.AlterModelOptions(
            name="team",
            options={"ordering": ["town_id", "number"], "verbose_name": "驻点团队", "verbose_name_plural": "驻点团队"},
        ),
        migrations.RemoveConstraint(model_name="team", name="teams_team_unique_number"),
        migrations.AddConstraint(
            model_name="team",
            constraint=models.UniqueConstraint(fields=("town", "number"), name="teams_team_unique_number"),
        ),
    ]
