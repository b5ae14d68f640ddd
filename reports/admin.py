from django.contrib import admin

from reports.models import Notice, SpotCheck, SpotCheckDraw, StatedCategory, StatedReport


class StatedCategoryInline(admin.TabularInline):
    model = StatedCategory
    extra = 0


@admin.register(StatedReport)
class StatedReportAdmin(admin.ModelAdmin):
    list_display = ["title", "published_on", "as_of", "total", "closed", "closure_rate", "entered_by"]
    search_fields = ["title", "source"]
    date_hierarchy = "as_of"
    inlines = [StatedCategoryInline]


class SpotCheckInline(admin.TabularInline):
    model = SpotCheck
    extra = 0
    raw_id_fields = ["case"]
    readonly_fields = ["checked_by", "checked_at"]


@admin.register(SpotCheckDraw)
class SpotCheckDrawAdmin(admin.ModelAdmin):
    list_display = ["drawn_at", "start", "end", "size_kind", "size", "per_team", "seed", "population", "drawn_by"]
    list_filter = ["size_kind"]
    readonly_fields = ["seed", "population", "drawn_by", "drawn_at"]
    inlines = [SpotCheckInline]


@admin.register(SpotCheck)
class SpotCheckAdmin(admin.ModelAdmin):
    list_display = ["case", "draw", "method", "finding", "checked_by", "checked_at", "reopened"]
    list_filter = ["method", "finding", "reopened"]
    search_fields = ["case__number", "notes"]
    raw_id_fields = ["case", "draw"]
    list_select_related = ["case", "draw", "checked_by"]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["title", "start", "end", "status", "created_by", "published_at"]
    list_filter = ["status"]
    search_fields = ["title", "body"]
    readonly_fields = ["weights", "ranking", "published_at", "published_by"]
