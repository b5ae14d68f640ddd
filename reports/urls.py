from django.urls import path

from reports.views import checks, dashboard, pack, public, reconcile, teams

app_name = "reports"
urlpatterns = [
    path("", dashboard.dashboard, name="summary"),
    path("county/", dashboard.county, name="county"),
    path("summary.json", public.summary_json, name="summary_json"),
    path("cases/", dashboard.figure_cases, name="cases"),
    path("export/<slug:table>.xlsx", dashboard.export_table, name="export"),
    path("pack/", pack.pack, name="pack"),
    path("pack.docx", pack.pack_docx, name="pack_docx"),
    path("reconcile/", reconcile.reconcile_list, name="reconcile_list"),
    path("reconcile/new/", reconcile.reconcile_edit, name="reconcile_new"),
    path("reconcile/import/", reconcile.reconcile_import, name="reconcile_import"),
    path("reconcile/<int:pk>/", reconcile.reconcile_detail, name="reconcile"),
    path("reconcile/<int:pk>/edit/", reconcile.reconcile_edit, name="reconcile_edit"),
    path("checks/", checks.checks, name="checks"),
    path("checks/draw/", checks.draw_new, name="draw_new"),
    path("checks/<int:pk>/", checks.draw_detail, name="draw"),
    path("checks/check/<int:pk>/", checks.check_record, name="check_record"),
    path("checks/check/<int:pk>/reopen/", checks.check_reopen, name="check_reopen"),
    path("teams/", teams.ranking, name="ranking"),
    path("notices/", public.notice_index, name="notice_index"),
    path("notices/draft/", teams.notice_draft, name="notice_draft"),
    path("notices/<int:pk>/", public.notice_public, name="notice"),
    path("notices/<int:pk>/edit/", teams.notice_edit, name="notice_edit"),
    path("notices/<int:pk>/publish/", teams.notice_publish, name="notice_publish"),
]
