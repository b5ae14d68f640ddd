import datetime

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cases.models import Case
from cases.tests.factories import CaseFactory, SubCategoryFactory
from cases.visit_forms import default_visit_date
from teams.tests.factories import CadreFactory, UserFactory, VisitFactory

TODAY = timezone.localdate()
PAST = TODAY - datetime.timedelta(days=3)


def _cases_of(team, n: int, sub) -> None:
    """N open cases, N overdue, N closed awaiting feedback, N closed and told: every list gets N rows."""
    responsible = CadreFactory(team=team)
    for i in range(n):
        common = {"team": team, "category": sub.category, "subcategory": sub, "responsible": responsible}
        CaseFactory(**common, title=f"开放{i}")
        CaseFactory(**common, title=f"逾期{i}", status=Case.Status.IN_PROGRESS, due_on=PAST)
        CaseFactory(**common, title=f"待反馈{i}", closed=True)
        CaseFactory(**common, title=f"已反馈{i}", closed=True, fed_back_on=datetime.date(2015, 1, 25))
        VisitFactory(team=team, date=datetime.date(2015, 1, 8) + datetime.timedelta(weeks=i))


# -- my team -------------------------------------------------------------------------------


def test_my_team_shows_open_and_overdue_cases_of_the_team_only(cadre_client, team, other_team):
    CaseFactory(team=team, title="水渠年久失修")
    CaseFactory(team=team, title="村道未硬底化", status=Case.Status.IN_PROGRESS, due_on=PAST)
    CaseFactory(team=team, title="已经修好", closed=True)
    CaseFactory(team=other_team, title="别队的问题")

    page = cadre_client.get("/my-team/").content.decode()

    assert f"{team.name} <small>{team.village.short_name}</small>" in page
    assert "<dt>未办结</dt><dd>2</dd>" in page
    assert "<dt>已逾期</dt><dd>1</dd>" in page
    assert "<dt>办结未反馈</dt><dd>1</dd>" in page
    assert (page.count("水渠年久失修"), page.count("村道未硬底化")) == (1, 1)  # each case listed once
    assert "已经修好" not in page
    assert "别队的问题" not in page


def test_my_team_offers_to_record_the_visit_when_there_is_none(cadre_client, team):
    page = cadre_client.get("/my-team/").content.decode()

    assert "这次驻点还没有记录。" in page
    assert 'href="/visits/new/">记录驻点</a>' in page


def test_my_team_links_to_this_weeks_visit_when_recorded(cadre_client, team):
    visit = VisitFactory(team=team, date=default_visit_date(), households_visited=31)
    CaseFactory(team=team, visit=visit, raised_on=visit.date)

    page = cadre_client.get("/my-team/").content.decode()

    assert "已记录：走访 31 户，登记问题 1 个。" in page
    assert f'href="/visits/{visit.pk}/">继续登记问题</a>' in page


def test_my_team_tells_a_cadre_without_a_team_to_ask_the_office(client, db):
    client.force_login(UserFactory(role="cadre"))

    page = client.get("/my-team/").content.decode()

    assert "您还没有加入驻点团队，请联系党政办。" in page


@pytest.mark.parametrize(("persona", "status"), [("office_client", 403), ("supervisor_client", 403)])
def test_my_team_is_refused_to_other_roles(request, persona, status, team):
    response = request.getfixturevalue(persona).get("/my-team/")

    assert (response.status_code, "我的团队" in response.content.decode()) == (status, False)


def test_my_team_sends_anonymous_to_login(client, db):
    response = client.get("/my-team/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/my-team/")


@pytest.mark.parametrize("n", [1, 4])
def test_my_team_query_count_is_constant(cadre_client, cadre_user, team, django_assert_num_queries, n):
    _cases_of(team, n, SubCategoryFactory())

    with django_assert_num_queries(10):
        response = cadre_client.get("/my-team/")

    assert response.content.decode().count('<li class="case') == 2 * n  # overdue (n) + open, not overdue (n)


# -- triage --------------------------------------------------------------------------------


def test_triage_lists_registered_overdue_and_awaiting_feedback(office_client, team, other_team):
    CaseFactory(team=team, title="等分析会", raised_on=datetime.date(2015, 1, 15))
    CaseFactory(team=other_team, title="最早登记", raised_on=datetime.date(2015, 1, 8))
    late = CaseFactory(team=team, title="逾期未办", status=Case.Status.IN_PROGRESS, due_on=PAST)
    told = CaseFactory(team=team, title="已反馈", closed=True, fed_back_on=datetime.date(2015, 1, 25))
    untold = CaseFactory(team=team, title="办完还没告诉", closed=True)

    page = office_client.get("/triage/").content.decode()

    assert '<a href="#registered">待分办</a></dt><dd>2</dd>' in page
    assert '<a href="#overdue">已逾期</a></dt><dd>1</dd>' in page
    assert '<a href="#feedback">办结未反馈</a></dt><dd>1</dd>' in page
    assert page.index("最早登记") < page.index("等分析会") < page.index("逾期未办") < page.index("办完还没告诉")
    assert late.number in page
    assert untold.number in page
    assert told.title not in page


def test_triage_rows_link_to_the_case_when_the_case_page_exists(office_client, team):
    case = CaseFactory(team=team)
    try:
        url = reverse("cases:detail", args=[case.number])
    except NoReverseMatch:
        pytest.skip("the case page (cases:detail) does not exist yet")

    page = office_client.get("/triage/").content.decode()

    assert f'<a class="number" href="{url}">{case.number}</a>' in page


@pytest.mark.parametrize("persona", ["cadre_client", "supervisor_client"])
def test_triage_is_refused_to_cadres_and_supervisors(request, persona):
    response = request.getfixturevalue(persona).get("/triage/")

    assert (response.status_code, "待分办" in response.content.decode()) == (403, False)


def test_triage_is_open_to_administrators(admin_client):
    page = admin_client.get("/triage/").content.decode()

    assert "没有待分办的问题。" in page


@pytest.mark.parametrize("n", [1, 4])
def test_triage_query_count_is_constant(office_client, team, django_assert_num_queries, n):
    _cases_of(team, n, SubCategoryFactory())

    with django_assert_num_queries(9):
        response = office_client.get("/triage/")

    assert response.content.decode().count('<li class="case') == 3 * n
