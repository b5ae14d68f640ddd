"""The county's supervisors 县级督查: a group of their own, reading every town (teams.roles); the model
permissions say the same as the town supervisors' for anyone reading the database."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

NAME = "county_supervisor"
VIEWS = {
    "teams": ("visit", "team", "subgroup", "cadre", "helper"),
    "villages": ("town", "village"),
    "cases": ("case", "caseevent", "category", "subcategory", "feedback", "referral"),
}


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    for label in ("contenttypes", "auth", "villages", "teams", "cases"):
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name=NAME)
    for app_label, models in VIEWS.items():
        codenames = [f"view_{model}" for model in models]
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def revoke(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0007_towns"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
