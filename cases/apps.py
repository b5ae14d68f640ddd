from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    verbose_name = _("问题台账")

    def ready(self):
        from cases import checks  # noqa: F401 (registers the check that the schema's triggers are there)
        from cases.tally import recount_after_flush

        post_migrate.connect(recount_after_flush, sender=self)
