from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """The pages anyone may read: the village and town boards (公开栏), /track/ and Open311. They
    stand above every other app (ARCHITECTURE.md); their own tables are Open311's clients and posts."""

    name = "public"
    verbose_name = _("公开")
