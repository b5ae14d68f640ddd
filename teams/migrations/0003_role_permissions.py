# Give the staff groups their model permissions.
#
# Django creates Permission rows in a post_migrate handler, i.e. only after every migration
# has run, so on a fresh database they do not exist yet here. create_permissions() (which
# also creates the content types) is called first, against the migration's historical models.
#
# Access control in the staff site stays by role (teams/roles.py); these permissions describe
# the same roles for the admin and for anyone reading the database. Nobody may delete: the
# ledger must stay complete.

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW, ADD, CHANGE = "view", "add", "change"

ROLE_PERMISSIONS = {
    # Liaison cadres: log visits and the problems raised on them; read what they need to.
    "cadre": {
        "teams": {"visit": (VIEW, ADD, CHANGE), "team": (VIEW,), "subgroup": (VIEW,), "cadre": (VIEW,), "helper": (VIEW,)},
        "villages": {"village": (VIEW,)},
        "cases": {
            "case": (VIEW, ADD, CHANGE),
            "caseevent": (VIEW, ADD),
            "category": (VIEW,),
            "subcategory": (VIEW,),
            "feedback": (VIEW,),
            "referral": (VIEW,),
        },
    },
    # Office staff 党政办: carry every case to the resident's answer; keep the helper register.
    "office": {
        "teams": {
            "visit": (VIEW, ADD, CHANGE),
            "team": (VIEW,),
            "subgroup": (VIEW,),
            "cadre": (VIEW,),
            "helper": (VIEW, ADD, CHANGE),
        },
        "villages": {"village": (VIEW,)},
        "cases": {
            "case": (VIEW, ADD, CHANGE),
            "caseevent": (VIEW, ADD),
            "category": (VIEW,),
            "subcategory": (VIEW,),
            "feedback": (VIEW, ADD, CHANGE),
            "referral": (VIEW, ADD, CHANGE),
        },
    },
    # Supervisors 督查: read everything, change nothing.
    "supervisor": {
        "teams": {"visit": (VIEW,), "team": (VIEW,), "subgroup": (VIEW,), "cadre": (VIEW,), "helper": (VIEW,)},
        "villages": {"village": (VIEW,)},
        "cases": {
            "case": (VIEW,),
            "caseevent": (VIEW,),
            "category": (VIEW,),
            "subcategory": (VIEW,),
            "feedback": (VIEW,),
            "referral": (VIEW,),
        },
    },
}


def _permissions(apps, spec):
    Permission = apps.get_model("auth", "Permission")
    wanted = {
        (app_label, f"{action}_{model}")
        for app_label, models in spec.items()
        for model, actions in models.items()
        for action in actions
    }
    found = Permission.objects.filter(
        content_type__app_label__in={app for app, _ in wanted}, codename__in={code for _, code in wanted}
    ).select_related("content_type")
    return [p for p in found if (p.content_type.app_label, p.codename) in wanted]


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    for label in ("contenttypes", "auth", "villages", "teams", "cases"):
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using, apps=apps)
    Group = apps.get_model("auth", "Group")
    for name, spec in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.add(*_permissions(apps, spec))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, spec in ROLE_PERMISSIONS.items():
        group = Group.objects.filter(name=name).first()
        if group:
            group.permissions.remove(*_permissions(apps, spec))


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0002_roles"),
        ("cases", "0001_initial"),
        ("villages", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
