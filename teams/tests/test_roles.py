import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import NoReverseMatch, reverse

from teams.tests.factories import PASSWORD, UserFactory

role_permissions = importlib.import_module("teams.migrations.0003_role_permissions")


def _codenames(name: str) -> set[str]:
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


def test_role_permissions_migration_gives_each_group_its_permissions(db):
    # Test databases flushed by browser tests lose the groups; run the migration's step again.
    Group.objects.filter(name__in=["cadre", "office", "supervisor"]).delete()
    role_permissions.grant(apps, SimpleNamespace(connection=connection))

    cadre, office, supervisor = _codenames("cadre"), _codenames("office"), _codenames("supervisor")

    assert {"add_visit", "change_visit", "add_case", "change_case", "view_category"} <= cadre
    assert {"add_feedback", "add_referral", "change_helper"} & cadre == set()
    assert {"add_feedback", "change_feedback", "add_referral", "change_helper", "change_case"} <= office
    assert {c for c in supervisor if not c.startswith("view_")} == set()
    assert {"view_case", "view_visit", "view_feedback", "view_helper"} <= supervisor
    assert {c for c in cadre | office | supervisor if c.startswith("delete_")} == set()


def test_role_permissions_migration_reverses_cleanly(db):
    role_permissions.grant(apps, SimpleNamespace(connection=connection))

    role_permissions.revoke(apps, SimpleNamespace(connection=connection))

    assert (_codenames("cadre"), _codenames("office"), _codenames("supervisor")) == (set(), set(), set())


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("client", "/notice/"),
        ("cadre_client", "/my-team/"),
        ("office_client", "/triage/"),
        ("supervisor_client", "/reports/"),
        ("admin_client", "/triage/"),
    ],
)
def test_home_sends_each_role_to_its_page(request, persona, target):
    client = request.getfixturevalue(persona)

    response = client.get("/")

    assert (response.status_code, response["Location"]) == (302, target)


def test_home_sends_a_user_without_a_role_to_the_notice_board(client, db):
    client.force_login(UserFactory())

    response = client.get("/")

    assert response["Location"] == "/notice/"


@pytest.mark.parametrize(
    ("role", "target"), [("cadre", "/my-team/"), ("office", "/triage/"), ("supervisor", "/reports/")]
)
def test_login_lands_each_role_on_its_home(client, db, role, target):
    user = UserFactory(role=role)

    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})

    assert (response["Location"], client.get(response["Location"])["Location"]) == ("/", target)


def _page_exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


@pytest.mark.parametrize(
    ("persona", "links", "absent"),
    [
        ("cadre_client", ["我的团队", "驻点记录", "公开栏"], ["待办", "统计", "导入台账", "管理后台"]),
        ("office_client", ["待办", "驻点记录", "统计", "公开栏"], ["我的团队", "管理后台"]),
        ("supervisor_client", ["驻点记录", "统计", "公开栏"], ["我的团队", "待办", "导入台账", "管理后台"]),
        ("admin_client", ["待办", "驻点记录", "统计", "管理后台"], ["我的团队"]),
        ("client", ["公开栏"], ["我的团队", "待办", "问题", "驻点记录", "统计", "导入台账"]),
    ],
)
def test_nav_shows_the_links_of_the_role(request, db, persona, links, absent):
    client = request.getfixturevalue(persona)
    # Other engineers' pages are linked once they exist.
    if persona != "client" and _page_exists("cases:list"):
        links = [*links, "问题"]
    if persona in ("office_client", "admin_client") and _page_exists("cases:ledger_upload"):
        links = [*links, "导入台账"]

    nav = client.get("/accounts/login/").content.decode().split("<nav", 1)[1].split("</nav>", 1)[0]

    assert [link for link in links if f">{link}</a>" not in nav] == []
    assert [link for link in absent if f">{link}</a>" in nav] == []


def test_nav_marks_the_current_page(cadre_client):
    page = cadre_client.get("/my-team/").content.decode()

    assert '<a href="/my-team/" aria-current="page">我的团队</a>' in page
