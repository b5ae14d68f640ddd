"""The admin of Open311's clients and their posts (public/open311/): the models are the territory's
tables (villages), the keys' life is the intake's."""

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from public.models import Open311Client, Open311Post
from public.open311 import intake
from sanhe.lib.admin import ReadOnlyMixin


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    """Open311's API keys: a new client's key is shown once, in the message after saving; only its
    digest is kept. A key is revoked with the action, never deleted (its log refers to it)."""

    list_display = ["name", "key_prefix", "contact", "created_at", "last_used_at", "revoked_at", "posts_per_hour"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "contact", "key_prefix"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["name", "contact", "posts_per_hour", *readonly_fields]
    actions = ["revoke"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Open311Client, form, change: bool) -> None:
        raw_key = None if change else intake.issue_key(obj)
        super().save_model(request, obj, form, change)
        if raw_key:
            messages.warning(
                request,
                _("“%(name)s”的 api_key 是：%(key)s 。它只显示这一次，系统只保存其摘要：请现在复制，安全地交给对方。")
                % {"name": obj.name, "key": raw_key},
            )

    @admin.action(description=gettext_lazy("停用所选接入方的 api_key"), permissions=["change"])
    def revoke(self, request, queryset) -> None:
        clients = list(queryset.filter(revoked_at__isnull=True))
        for client in clients:
            intake.revoke(client)
        messages.success(request, _("已停用 %(n)s 个 api_key。") % {"n": len(clients)})


@admin.register(Open311Post)
class Open311PostAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Every POST to Open311, read only."""

    list_display = ["created_at", "client", "outcome", "status_code", "case", "remote_ip", "message"]
    list_filter = ["outcome", "status_code", "client"]
    list_select_related = ["client", "case"]
    search_fields = ["case__number", "remote_ip", "token"]
    date_hierarchy = "created_at"
