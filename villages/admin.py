from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy

from villages.models import Village


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "kind", "households", "population", "case_count", "figures_generated"]
    list_display_links = ["code", "name"]
    list_filter = ["kind", "figures_generated"]
    search_fields = ["code", "name", "short_name"]
    ordering = ["code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(case_count=Count("cases"))

    @admin.display(description=gettext_lazy("问题数"), ordering="case_count")
    def case_count(self, village: Village) -> int:
        return village.case_count
