from django.contrib import admin
from django.urls import include, path

from sanhe.lib import health

urlpatterns = [
    path("health/", health.health, name="health"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("cases/", include("cases.urls")),
    path("reports/", include("reports.urls")),
    path("notice/", include("public.urls")),
    path("track/", include("public.track_urls")),
    path("open311/", include("public.open311.urls")),
    path("api/", include("sanhe.api.urls")),
    path("", include("cases.desk_urls")),
    path("", include("teams.urls")),
]
