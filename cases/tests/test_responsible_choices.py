"""Who may be named responsible (or as the one who told the resident): cadres and office staff,
never the administrator nor the supervisor (issue 13)."""

import re

import pytest
from django.contrib.auth.models import Group

from cases.models import Case
from cases.tests.factories import CaseFactory
from teams.tests.factories import CadreFactory, UserFactory

BULK = "/cases/bulk/"


@pytest.fixture
def roster(db, team):
    """One of each: a cadre without a login, a cadre with one, office, supervisor, administrator."""
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    return {
        "plain": CadreFactory(name="陈无号", team=team),
        "cadre": CadreFactory(name="李驻点", team=team, user=UserFactory(role="cadre")),
        "office": CadreFactory(
            name="王党政", team=None, town=team.town, position="党政办", user=UserFactory(role="office")
        ),
        "supervisor": CadreFactory(
            name="赵督查", team=None, town=team.town, position="督查", user=UserFactory(role="supervisor")
        ),
        "admin": CadreFactory(name="系统管理员", team=None, town=team.town, position="党政办", user=admin),
    }


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r"<option value=\"\d+\"[^>]*>([^<（]+)", select)


def test_case_list_bulk_assign_offers_cadres_and_office_only(office_client, roster):
    CaseFactory(team=roster["plain"].team)  # the bulk form shows with a case to tick
    html = office_client.get("/cases/").content.decode()
    bulk = re.search(r'<fieldset class="list-bulk-actions".*?</fieldset>', html, re.S).group(0)
    names = options(bulk, "responsible")
    assert {"陈无号", "李驻点", "王党政"} <= set(names)
    assert {"赵督查", "系统管理员"} & set(names) == set()


@pytest.mark.parametrize("action", ["assign", "triage", "feedback"])
def test_case_page_selects_leave_out_admin_and_supervisor(office_client, roster, team, action):
    status = {"feedback": Case.Status.CLOSED}.get(action, Case.Status.IN_PROGRESS)
    case = CaseFactory(team=team, status=status, **({"closed": True} if action == "feedback" else {}))
    path, field = {"assign": ("responsible", "responsible"), "triage": ("triage", "responsible")}.get(
        action, ("feedback", "given_by")
    )
    names = options(office_client.get(f"/cases/{case.number}/{path}/").content.decode(), field)
    assert {"陈无号", "李驻点", "王党政"} <= set(names)
    assert {"赵督查", "系统管理员"} & set(names) == set()


def test_bulk_assign_refuses_the_supervisor_as_responsible(office_client, roster, team):
    case = CaseFactory(number="SH-2015-0801", team=team, status=Case.Status.IN_PROGRESS)
    response = office_client.post(
        BULK, {"case": f"{case.number}:{case.version}", "action": "assign", "responsible": roster["supervisor"].pk}
    )
    case.refresh_from_db()
    assert case.responsible is None
    assert "选择一个有效的选项" in response.content.decode()


def test_a_change_of_role_changes_the_cached_select(office_client, roster, team):
    case = CaseFactory(team=team, status=Case.Status.IN_PROGRESS)
    url = f"/cases/{case.number}/responsible/"
    assert "赵督查" not in options(office_client.get(url).content.decode(), "responsible")
    user = roster["supervisor"].user
    user.groups.set([Group.objects.get_or_create(name="cadre")[0]])
    assert "赵督查" in options(office_client.get(url).content.decode(), "responsible")
