from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("问题台账")

    def ready(self):
        from cases.constraints import ensure_composite_keys
        from cases.tally import ensure_triggers, take_down_triggers

        post_migrate.connect(ensure_composite_keys, sender=self)
        pre_migrate.connect(take_down_triggers, sender=self)
        post_migrate.connect(ensure_triggers, sender=self)
