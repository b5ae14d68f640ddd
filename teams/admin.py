import csv

from django.contrib import admin
from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanhe.lib.admin import ReadOnlyMixin
from sanhe.lib.cells import neutralise_formula
from teams.models import ApiToken, Cadre, Helper, SecurityEvent, Subgroup, Team, Visit


@admin.register(Cadre)
class CadreAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "team", "phone", "user", "generated"]
    list_filter = ["team", "generated"]
    search_fields = ["name", "position", "phone", "user__username"]
    list_select_related = ["team", "user"]
    autocomplete_fields = ["user", "team"]


class SubgroupInline(admin.TabularInline):
    model = Subgroup
    fields = ["name", "members"]
    autocomplete_fields = ["members"]
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "village", "leader", "liaison", "member_count", "subgroup_count"]
    list_display_links = ["number", "name"]
    search_fields = ["name", "village__name", "village__short_name"]
    list_select_related = ["village", "leader", "liaison"]
    autocomplete_fields = ["village", "leader", "liaison"]
    ordering = ["number"]
    inlines = [SubgroupInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=Count("members", distinct=True),
                subgroup_count=Count("subgroups", distinct=True),
            )
        )

    @admin.display(description=_("成员数"), ordering="member_count")
    def member_count(self, team: Team) -> int:
        return team.member_count

    @admin.display(description=_("小组数"), ordering="subgroup_count")
    def subgroup_count(self, team: Team) -> int:
        return team.subgroup_count


@admin.register(Subgroup)
class SubgroupAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "member_count"]
    list_filter = ["team"]
    search_fields = ["name", "team__name"]
    list_select_related = ["team"]
    autocomplete_fields = ["team", "members"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("成员数"), ordering="member_count")
    def member_count(self, subgroup: Subgroup) -> int:
        return subgroup.member_count


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ["date", "team", "village", "on_thursday", "households_visited", "generated"]
    list_display_links = ["date", "team"]
    list_filter = ["team", "village", "generated"]
    search_fields = ["team__name", "village__name", "village__short_name", "key_people", "summary"]
    list_select_related = ["team", "village"]
    autocomplete_fields = ["team", "village", "subgroups", "created_by"]
    date_hierarchy = "date"
    readonly_fields = ["created_at"]
    fields = [
        "team",
        "village",
        "date",
        "off_day_reason",
        "subgroups",
        "households_visited",
        "key_people",
        "briefing_notes",
        "summary",
        "created_by",
        "created_at",
        "generated",
    ]

    @admin.display(description=_("周四驻点"), boolean=True)
    def on_thursday(self, visit: Visit) -> bool:
        return visit.on_thursday


@admin.register(Helper)
class HelperAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "organisation", "phone", "active"]
    list_filter = ["kind", "active", "villages"]
    search_fields = ["name", "organisation", "phone"]
    filter_horizontal = ["villages"]


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The security log: read by the administrator only, never edited, exported as csv."""

    list_display = ["at", "kind", "username", "ip", "detail"]
    list_filter = ["kind", "at"]
    search_fields = ["username"]
    actions = ["export_csv"]
    list_per_page = 100

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.action(description=_("导出所选日志（csv）"))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        filename = f"security-log-{timezone.localdate():%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.write("\ufeff")  # Excel reads the file as UTF-8
        writer = csv.writer(response)
        writer.writerow([_("时间"), _("类型"), _("用户名"), _("IP地址"), _("详情")])
        for event in queryset.order_by("at", "id").iterator():
            at = timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S")
            row = [at, event.get_kind_display(), event.username, event.ip, event.detail]
            writer.writerow([neutralise_formula(str(cell)) for cell in row])
        return response


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every user's API keys (never their digest); issued by users themselves on their account page."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    fields = ["name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    readonly_fields = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # a key is shown once to whoever issues it: users issue their own

    @admin.action(description=_("停用所选API密钥"))
    def revoke(self, request, queryset) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
        self.message_user(request, _("已停用所选API密钥。"))
