"""What keeps the dashboard and the meeting pack fast as the ledger grows: a query count that does
not depend on the data, and decisions listed team by team up to a bound, the rest counted."""

import datetime
import re

import pytest
from django.urls import reverse

from cases.models import Case
from cases.tests.factories import CaseFactory
from reports.analysis import Period, decisions_by_team
from reports.behind import DECISIONS_LISTED, needing_decision
from reports.tests.test_dashboard import _busy_ledger, text
from teams.tests.factories import TeamFactory

JANUARY = {"month": "2015-01"}
D = datetime.date


def _deciding(team, count: int, first: int = 1, **fields):
    """COUNT cases of TEAM needing the January meeting's decision (not yet triaged), one a day from
    2 January 2015, numbered in that order from FIRST (SH-2016-…: apart from the factory's); FIELDS
    change them."""
    return [
        CaseFactory(
            **{
                "number": f"SH-2016-{first + n:04d}",
                "team": team,
                "raised_on": D(2015, 1, 2) + datetime.timedelta(days=n % 28),
                **fields,
            }
        )
        for n in range(count)
    ]


def _closed_in_february(team, count: int, first: int):
    """COUNT cases of TEAM overdue at the end of January and closed in February: they needed a
    decision at the end of January, though they are closed now."""
    closed = {"status": Case.Status.CLOSED, "closure": Case.Closure.SOLVED, "result": "已维修"}
    return _deciding(team, count, first, due_on=D(2015, 1, 10), closed_on=D(2015, 2, 3), **closed)


def test_pack_lists_a_busy_teams_oldest_cases_and_counts_the_rest(supervisor_client, db):
    team = TeamFactory(name="第7驻点团队")
    cases = _deciding(team, DECISIONS_LISTED + 5)
    response = supervisor_client.get(reverse("reports:pack"), JANUARY)
    html, page = response.content.decode(), text(response)
    assert f"第7驻点团队（{DECISIONS_LISTED + 5}）" in page
    assert (
        f"以下只列最早反映的{DECISIONS_LISTED}个，另有5个未列出。全队共{DECISIONS_LISTED + 5}个：尚未分办"
        f"{DECISIONS_LISTED + 5}个、逾期0个、实施方案将到期0个（一个问题可有几项原因）。"
    ) in page
    listed = re.findall(r'<a href="/cases/(SH-2016-\d{4})/">', html)
    oldest = sorted(cases, key=lambda case: (case.raised_on, case.number))[:DECISIONS_LISTED]
    assert listed == [case.number for case in oldest]


def test_decisions_take_the_oldest_of_open_cases_and_of_those_closed_since(db):
    team = TeamFactory(number=1)
    open_now = _deciding(team, 3, first=1, raised_on=D(2015, 1, 20))
    closed_since = _closed_in_february(team, 2, first=11)  # raised 2 and 3 January: the oldest
    other = TeamFactory(number=2)
    _deciding(other, 1, first=21)
    no_team = _deciding(None, 1, first=31, village=team.village)
    january = Period.month(2015, 1)

    groups = decisions_by_team(january, listed=3)

    rows = [(g.team and g.team.number, g.total, g.new, g.overdue, [c.number for c in g.cases]) for g in groups]
    assert rows == [
        (1, 5, 3, 2, [closed_since[0].number, closed_since[1].number, open_now[0].number]),
        (2, 1, 1, 0, ["SH-2016-0021"]),
        (None, 1, 1, 0, [no_team[0].number]),
    ]
    assert groups[0].unlisted == 2
    # Listing them all gives needing_decision's list, in its order.
    everything = [c.number for g in decisions_by_team(january) for c in g.cases]
    assert everything == [c.number for c in needing_decision(january)]


@pytest.mark.parametrize(("teams", "cases"), [(1, 2), (3, 60)])
def test_pack_query_count_does_not_grow_with_the_decisions(
    supervisor_client, db, teams, cases, django_assert_num_queries
):
    _busy_ledger(teams, 1)
    for number in range(teams):
        team = TeamFactory()
        _deciding(team, cases, first=1000 * number + 1)
        _closed_in_february(team, 2, first=1000 * number + 500)
    _deciding(None, 2, first=9001, village=team.village)
    with django_assert_num_queries(21):
        response = supervisor_client.get(reverse("reports:pack"), JANUARY)
    assert (
        len(re.findall(r'<a href="/cases/SH-2016-\d{4}/">', response.content.decode()))
        == teams * min(cases + 2, DECISIONS_LISTED) + 2
    )


@pytest.mark.parametrize(("teams", "cases"), [(1, 1), (3, 5)])
def test_dashboard_query_count_does_not_grow_with_the_months(
    supervisor_client, db, teams, cases, django_assert_num_queries, settings
):
    _busy_ledger(teams, cases)
    settings.PROGRAMME_START = D(2014, 9, 1) if teams == 1 else D(2010, 1, 1)  # 5 months, or 61
    with django_assert_num_queries(18):
        response = supervisor_client.get(reverse("reports:summary"), JANUARY)
    page = text(response)
    assert "2015-01 " in page
    assert ("2010-01 " in page) == (teams == 3)


def test_dashboard_trend_links_each_months_cases(supervisor_client, ledger):
    html = supervisor_client.get(reverse("reports:summary"), JANUARY).content.decode()
    row = re.search(r'<tr><th scope="row">2014-12</th>(.*?)</tr>', html, flags=re.S).group(1)
    assert re.findall(r'href="([^"]*)"', row) == [
        "/cases/?raised_from=2014-12-01&amp;raised_to=2014-12-31",
        "/reports/cases/?figure=closed&amp;start=2014-12-01&amp;end=2014-12-31",
        "/cases/?raised_to=2014-12-31",
        "/reports/cases/?figure=closed_to_date&amp;start=2014-12-01&amp;end=2014-12-31",
    ]
    chart = re.search(r"<svg[^>]*trend-chart-title.*?</svg>", html, flags=re.S).group(0)
    assert '<a href="/cases/?raised_from=2014-12-01&amp;raised_to=2014-12-31"><rect' in chart
    assert "<title>2014-12 收集 3</title>" in chart


@pytest.mark.parametrize(("teams", "cases"), [(1, 2), (3, 60)])
def test_pack_docx_query_count_does_not_grow_with_the_decisions(
    supervisor_client, db, teams, cases, django_assert_num_queries
):
    for number in range(teams):
        _deciding(TeamFactory(), cases, first=1000 * number + 1)
    with django_assert_num_queries(20):
        response = supervisor_client.get(reverse("reports:pack_docx"), JANUARY)
    assert response.status_code == 200
