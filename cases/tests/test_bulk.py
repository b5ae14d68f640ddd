"""Bulk actions on the case list: assign a responsible person or set a due date, all or nothing."""

import datetime
import re

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent
from cases.tests.factories import CaseFactory
from teams.tests.factories import CadreFactory

BULK = reverse("cases:bulk")
LIST = reverse("cases:list")


@pytest.fixture
def cases(team, other_team):
    return [
        CaseFactory(number="SH-2015-0701", team=team, status=Case.Status.IN_PROGRESS),
        CaseFactory(number="SH-2015-0702", team=team),
        CaseFactory(number="SH-2015-0703", team=other_team),
    ]


@pytest.fixture
def helper(db):
    return CadreFactory(name="黄跟进")


def ticked(*cases: Case) -> list[str]:
    return [f"{case.number}:{case.version}" for case in cases]


def post(client, cases, **data):
    return client.post(BULK, {"case": ticked(*cases), "query": "status=open&page=1", **data})


def responsibles() -> dict[str, str | None]:
    return {c.number: c.responsible.name if c.responsible else None for c in Case.objects.select_related("responsible")}


def body(response) -> str:
    return response.content.decode()


# --- Who may ------------------------------------------------------------------------------


def test_bulk_get_is_not_allowed(office_client, db):
    assert office_client.get(BULK).status_code == 405


def test_bulk_anonymous_is_sent_to_login(client, cases, helper):
    response = post(client, cases, action="assign", responsible=helper.pk)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert set(responsibles().values()) == {None}


def test_bulk_supervisor_is_refused(supervisor_client, cases, helper):
    assert post(supervisor_client, cases, action="assign", responsible=helper.pk).status_code == 403
    assert set(responsibles().values()) == {None}


def test_bulk_cadre_is_refused_even_for_their_own_team(cadre_client, cases, helper):
    assert post(cadre_client, cases[:2], action="assign", responsible=helper.pk).status_code == 403
    assert set(responsibles().values()) == {None}


# --- What it does -------------------------------------------------------------------------


def test_bulk_assigns_a_responsible_person_to_every_ticked_case(office_client, office_user, cases, helper):
    response = post(office_client, cases[:2], action="assign", responsible=helper.pk)
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?status=open&page=1"
    assert responsibles() == {"SH-2015-0701": "黄跟进", "SH-2015-0702": "黄跟进", "SH-2015-0703": None}
    events = CaseEvent.objects.filter(kind=CaseEvent.Kind.ASSIGNED).order_by("case__number")
    assert [(e.case.number, e.author, e.shown_text) for e in events] == [
        ("SH-2015-0701", office_user, "责任人：— → 黄跟进"),
        ("SH-2015-0702", office_user, "责任人：— → 黄跟进"),
    ]
    page = office_client.get(response["Location"])
    assert "已修改 2 件问题。" in body(page)


def test_bulk_sets_a_due_date(office_client, cases):
    response = post(office_client, cases, action="due", due_on="2015-02-10")
    assert response.status_code == 302
    assert list(Case.objects.order_by("number").values_list("due_on", flat=True)) == [datetime.date(2015, 2, 10)] * 3
    assert list(Case.objects.order_by("number").values_list("version", flat=True)) == [2, 2, 2]
    assert "已修改 3 件问题。" in body(office_client.get(response["Location"]))


def test_bulk_counts_only_the_cases_that_changed(office_client, cases, helper):
    cases[0].responsible = helper
    cases[0].save()
    response = post(office_client, cases[:2], action="assign", responsible=helper.pk)
    assert "已修改 1 件问题。另有 1 件原本就是这样，未改动。" in body(office_client.get(response["Location"]))


# --- All or nothing -----------------------------------------------------------------------


def test_bulk_changes_nothing_when_one_case_refuses(office_client, cases, helper):
    closed = CaseFactory(number="SH-2015-0700", closed=True)
    response = post(office_client, [*cases, closed], action="assign", responsible=helper.pk)
    assert response.status_code == 200
    assert "批量操作未执行，没有修改任何问题" in body(response)
    assert "问题 SH-2015-0700 无法修改（“已办结”的问题不能指定责任人。），本次批量操作未作任何修改。" in body(response)
    assert set(responsibles().values()) == {None}
    assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.ASSIGNED).exists()
    # The ticks survive, the list keeps its filters, the chosen person stays chosen.
    assert 'value="SH-2015-0701:1" checked' in body(response)
    assert 'value="status=open&amp;page=1"' in body(response)
    bulk = body(response)[body(response).index('id="bulk"') :]
    assert re.findall(r"<option [^>]*selected>([^<]*)</option>", bulk) == [f"黄跟进（{helper.team.name}）"]


def test_bulk_changes_nothing_when_a_due_date_breaks_a_rule(office_client, cases):
    late = CaseFactory(number="SH-2015-0710", raised_on=datetime.date(2015, 3, 1))
    response = post(office_client, [*cases, late], action="due", due_on="2015-02-10")
    assert "问题 SH-2015-0710 无法修改（办理期限不能早于反映日期（2015-03-01）。），本次批量操作未作任何修改。" in body(
        response
    )
    assert set(Case.objects.values_list("due_on", flat=True)) == {None}


def test_bulk_changes_nothing_when_a_case_moved_on_since_the_list(office_client, cases, helper):
    stale = ticked(*cases)
    Case.objects.filter(number="SH-2015-0703").update(version=2)
    response = office_client.post(BULK, {"case": stale, "action": "assign", "responsible": helper.pk})
    message = "问题 SH-2015-0703 在您打开列表后已被他人修改，本次批量操作未作任何修改。请刷新列表后重试。"
    assert message in body(response)
    assert set(responsibles().values()) == {None}


# --- Bad input ----------------------------------------------------------------------------

BAD = [
    ({"action": "assign", "responsible": "HELPER"}, [], "请先勾选要处理的问题。"),
    ({"action": "assign"}, ["SH-2015-0701:1"], "请选择责任人。"),
    ({"action": "assign", "responsible": "abc"}, ["SH-2015-0701:1"], "选择一个有效的选项"),
    ({"action": "assign", "responsible": "99999999999999999999"}, ["SH-2015-0701:1"], "选择一个有效的选项"),
    ({"action": "due"}, ["SH-2015-0701:1"], "请填写办理期限。"),
    ({"action": "due", "due_on": "2015-02-30"}, ["SH-2015-0701:1"], "输入一个有效的日期。"),
    ({"action": "delete", "responsible": "HELPER"}, ["SH-2015-0701:1"], "选择一个有效的选项"),
    ({"responsible": "HELPER"}, ["SH-2015-0701:1"], "该字段是必填项。"),
    ({"action": "assign", "responsible": "HELPER"}, ["SH-2015-0701"], "勾选的问题无效，请刷新列表后重试。"),
    ({"action": "assign", "responsible": "HELPER"}, ["SH-2015-0701:一"], "勾选的问题无效，请刷新列表后重试。"),
    ({"action": "assign", "responsible": "HELPER"}, ["x" * 300 + ":1"], "勾选的问题无效，请刷新列表后重试。"),
    ({"action": "assign", "responsible": "HELPER"}, ["SH-2099-0001:1"], "这些编号不存在或无权处理：SH-2099-0001。"),
    ({"action": "assign", "responsible": "HELPER", "query": "a=\r\nSet-Cookie: x"}, ["SH-2015-0701:1\x00"], "无效"),
]


@pytest.mark.parametrize(("data", "picked", "message"), BAD, ids=[b[2] + str(i) for i, b in enumerate(BAD)])
def test_bulk_bad_input_gives_a_message_and_changes_nothing(office_client, cases, helper, data, picked, message):
    data = {k: str(helper.pk) if v == "HELPER" else v for k, v in data.items()}
    response = office_client.post(BULK, {"case": picked, **data})
    assert response.status_code == 200
    assert "批量操作未执行，没有修改任何问题" in body(response)
    assert message in body(response)
    assert set(responsibles().values()) == {None}
    assert set(Case.objects.values_list("version", flat=True)) == {1}


def test_bulk_refuses_more_cases_than_a_page(office_client, cases, helper, settings):
    settings.LIST_PAGE_SIZE = 2
    response = post(office_client, cases, action="assign", responsible=helper.pk)
    assert "一次最多处理 2 件问题。" in body(response)
    assert set(responsibles().values()) == {None}


def test_bulk_query_string_cannot_break_the_redirect(office_client, cases, helper):
    response = office_client.post(
        BULK,
        {"case": ticked(cases[0]), "action": "assign", "responsible": helper.pk, "query": "q=a\r\nX: y&sort=number"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?q=a%0D%0AX%3A+y&sort=number"
