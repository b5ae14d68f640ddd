from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("问题台账")

    def ready(self):
        from cases.constraints import ensure_composite_keys

        post_migrate.connect(ensure_composite_keys, sender=self)
