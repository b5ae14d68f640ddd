"""Report pages read the ledger from the replica when there is one; nothing else does."""

import pytest
from django.contrib.auth import get_user_model
from django.db import router
from django.test import RequestFactory, override_settings
from django.urls import resolve

from cases.models import Case
from sanhe.lib.replica import ReportsReplicaMiddleware, ReportsReplicaRouter


def reads_during(method: str, path: str) -> dict:
    """Where Case and User rows would be read from while the middleware serves METHOD PATH."""
    request = getattr(RequestFactory(), method.lower())(path)
    request.resolver_match = resolve(path)
    seen = {}

    def view(req):
        middleware.process_view(req, None, (), {})
        seen["case"] = router.db_for_read(Case)
        seen["user"] = router.db_for_read(get_user_model())
        return None

    middleware = ReportsReplicaMiddleware(view)
    middleware(request)
    seen["after"] = router.db_for_read(Case)
    return seen


@pytest.mark.parametrize(
    "path", ["/reports/", "/reports/summary.json", "/reports/pack/", "/reports/teams/", "/reports/cases/"]
)
@override_settings(REPORTS_DATABASE="replica")
def test_report_pages_read_the_ledger_from_the_replica(path):
    seen = reads_during("GET", path)
    assert seen == {"case": "replica", "user": "default", "after": "default"}


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/cases/"),
        ("GET", "/notice/"),
        ("GET", "/reports/reconcile/"),  # shows what its user just entered
        ("POST", "/reports/teams/"),
        ("POST", "/reports/reconcile/new/"),
    ],
)
@override_settings(REPORTS_DATABASE="replica")
def test_other_pages_and_writes_read_the_primary(method, path):
    assert reads_during(method, path)["case"] == "default"


def test_without_a_replica_report_pages_read_the_primary():
    assert reads_during("GET", "/reports/")["case"] == "default"


def test_writes_and_migrations_go_to_the_primary_only():
    replica_router = ReportsReplicaRouter()
    assert replica_router.db_for_write(Case) == "default"
    assert replica_router.allow_migrate("default", "cases")
    assert not replica_router.allow_migrate("replica", "cases")
