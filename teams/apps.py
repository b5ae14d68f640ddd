from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "teams"
    verbose_name = _("驻点团队")

    def ready(self) -> None:
        from teams import roster, security  # noqa: F401 — security connects the security log's receivers

        roster.connect_signals()  # cached <select>s are rendered again after a roster change


class SanheAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our site: a session awaiting its second factor sees no admin page."""

    default = False  # teams' own config stays TeamsConfig

    default_site = "teams.otp.SanheAdminSite"
