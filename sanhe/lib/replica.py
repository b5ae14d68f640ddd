"""Send the report pages' reads to the read replica, when there is one.

A replica lags the primary by the replication delay, so only pages that merely analyse the ledger
read from it (the dashboard, its case lists and exports, the meeting pack, the team ranking, the
public summary), and only on GET. Everything else, and the session and user tables on every page,
reads the primary: a page that shows what its user has just written must never be stale.
"""

from contextvars import ContextVar

from django.conf import settings

REPORT_PAGES = {"summary", "summary_json", "cases", "export", "pack", "pack_docx", "ranking"}
LEDGER_APPS = {"cases", "reports", "teams", "villages"}

_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


class ReportsReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading_reports.get() and model._meta.app_label in LEDGER_APPS:
            return settings.REPORTS_DATABASE
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replication copies the schema; migrate runs on the primary only.
        return db == "default"


def is_report_page(request) -> bool:
    match = request.resolver_match
    return (
        request.method in ("GET", "HEAD")
        and match is not None
        and match.namespace == "reports"
        and match.url_name in REPORT_PAGES
    )


class ReportsReplicaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _reading_reports.set(False)
        try:
            return self.get_response(request)
        finally:
            _reading_reports.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if settings.REPORTS_DATABASE != "default" and is_report_page(request):
            _reading_reports.set(True)
        return None
