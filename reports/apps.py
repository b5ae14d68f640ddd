from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = _("统计报表")

    def ready(self):
        from reports import (
            pipl,  # noqa: F401 (its receivers: the spot checks' share of a resident's data)
            spotchecks,  # noqa: F401 (its line in a case's history: cases.history.RENDERERS)
        )
