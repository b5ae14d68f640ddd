"""The county's view: its towns side by side, by the same definitions as a town's dashboard, the
county's total their sum and a count in SQL; for the county's staff only."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from cases.tests.factories import CaseFactory
from reports import analysis
from reports.analysis import Period
from teams.tests.factories import CadreFactory, TeamFactory, UserFactory
from villages.models import Town
from villages.tests.factories import TownFactory, VillageFactory, home_town

JANUARY = Period.month(2015, 1)


def town_with_cases(town, raised: int, closed: int):
    team = TeamFactory(village=VillageFactory(town=town))
    for n in range(raised):
        CaseFactory(team=team, raised_on=datetime.date(2015, 1, 8), **({"closed": True} if n < closed else {}))
    return team


@pytest.fixture
def county(db):
    """Sanhe: 4 cases in January, 1 closed; a second town: 3, 2 closed; a third: none."""
    town_with_cases(home_town(), 4, 1)
    town_with_cases(TownFactory(code="DJ", name="大江镇", division_code="440781105"), 3, 2)
    TownFactory(code="CH", name="冲蒌镇", division_code="440781106", generated=True)


@pytest.fixture
def county_client(client, county_supervisor_user):
    client.force_login(county_supervisor_user)
    return client


def sql_counts() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.code, COUNT(c.id), SUM(CASE WHEN c.status = 'closed' THEN 1 ELSE 0 END) "
            "FROM villages_town t LEFT JOIN cases_case c ON c.town_id = t.id AND c.voided_at IS NULL "
            "AND c.raised_on BETWEEN %s AND %s GROUP BY t.code",
            [JANUARY.start, JANUARY.end],
        )
        return {code: (n, closed or 0) for code, n, closed in cursor.fetchall()}


def test_the_towns_figures_are_hand_counted_and_the_county_is_their_sum_and_sql(county):
    rows = {row.key or "county": row for row in analysis.by_town(JANUARY, analysis.count_fine(JANUARY))}
    got = {key: (row.counts["collected"], row.counts["collected_closed"]) for key, row in rows.items()}
    assert got == {"SH": (4, 1), "DJ": (3, 2), "CH": (0, 0), "county": (7, 3)}
    assert {key: value for key, value in got.items() if key != "county"} == sql_counts()
    assert str(rows["SH"].rates["closure_rate_period"]) == "25.00"
    assert str(rows["county"].rates["closure_rate_period"]) == "42.85"  # 3/7 = 42.857… truncated


def test_a_towns_dashboard_counts_only_that_town(county):
    sanhe = analysis.headline(JANUARY, town=home_town())
    figures = {figure.key: figure.value for figure in sanhe.figures}
    assert figures["collected"] == 4


def test_the_county_page_shows_every_town_and_links_to_its_dashboard(county_client, county):
    page = county_client.get(reverse("reports:county"), {"month": "2015-01"}).content.decode()
    for name in ("三合镇", "大江镇", "冲蒌镇", "台山市"):
        assert name in page
    assert "town=DJ" in page and "演示数据" in page
    dashboard = county_client.get(reverse("reports:summary"), {"month": "2015-01", "town": "DJ"})
    assert dashboard.status_code == 200 and "大江镇" in dashboard.content.decode()


@pytest.mark.parametrize("towns", [0, 5])
def test_the_county_page_query_count_is_constant(county_client, county, towns, django_assert_max_num_queries):
    for _town in range(towns):
        town_with_cases(TownFactory(), 2, 1)
    with django_assert_max_num_queries(9):
        assert county_client.get(reverse("reports:county"), {"month": "2015-01"}).status_code == 200


def test_a_towns_staff_may_not_see_the_county_nor_another_town(office_client, supervisor_client, county):
    for client in (office_client, supervisor_client):
        assert client.get(reverse("reports:county")).status_code == 403
        assert client.get(reverse("reports:summary"), {"town": "DJ"}).status_code == 403
        page = client.get(reverse("reports:summary"), {"month": "2015-01"}).content.decode()
        assert "大江镇" not in page


def test_another_towns_office_sees_its_own_figures(client, county):
    user = UserFactory(role="office")
    CadreFactory(user=user, team=None, town=Town.objects.get(code="DJ"))
    client.force_login(user)
    data = client.get(reverse("api-figures-list"), {"start": "2015-01-01", "end": "2015-01-31"}).json()
    assert (data["total"], data["closed"]) == (3, 2)
