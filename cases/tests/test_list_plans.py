"""The office's case list by village and status, as PostgreSQL plans it in a county (issue 15).

Every staff list carries its town's scope (town_id = T) besides the village filter. Unless the planner
knows that a village lies in one town, it multiplies the two shares, expects a few of the village's
cases to be the town's, and fetches and sorts them all: at 5,000,000 cases in 17 towns, 7 ms for the
first page, against 0.5 ms reading its 50 rows in order from cases_case_list_village_status."""

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from cases.tests.factories import CaseFactory
from cases.tests.plans import plan_with_only
from teams.tests.factories import TeamFactory
from villages.tests.factories import TownFactory, VillageFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plans")


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")


def _estimated_and_actual(sql: str) -> tuple[float, float]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    top = (plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"]
    return top["Plan Rows"], top["Actual Rows"]


@pytest.mark.django_db
def test_the_planner_knows_a_village_lies_in_one_town():
    """Four towns of a village each: the cases of (town, village) are the village's cases, as many
    as the planner expects, not a quarter of them (what it reckons from the two shares alone)."""
    villages = [VillageFactory(town=TownFactory()) for _ in range(4)]
    for village in villages:
        CaseFactory.create_batch(40, team=TeamFactory(village=village))
    _analyze()
    village = villages[0]

    expected, actual = _estimated_and_actual(
        f"SELECT id FROM cases_case WHERE town_id = {village.town_id} AND village_id = {village.pk}"
    )

    assert actual == 40
    assert expected >= 30


@pytest.mark.django_db
def test_the_case_list_reads_a_villages_page_in_order(office_client, team, other_team):
    """The first page of a village's cases with a status comes from one index in the list's order
    (newest first, then by number): its 50 rows read, not the village's cases fetched and sorted."""
    for day in range(60):
        raised_on = datetime.date(2015, 1, 1) + datetime.timedelta(days=day)
        CaseFactory(team=team, status=Case.Status.IN_PROGRESS, raised_on=raised_on)
        CaseFactory(team=other_team, status=Case.Status.IN_PROGRESS, raised_on=raised_on)
    _analyze()
    with CaptureQueriesContext(connection) as queries:
        page = office_client.get(f"/cases/?status=in_progress&village={team.village_id}")
    assert page.status_code == 200
    [listed] = [q["sql"] for q in queries.captured_queries if re.search(r"ORDER BY .*LIMIT", q["sql"])]

    plan = plan_with_only(listed, {"cases_case_list_village_status"})

    assert [line for line in plan if "Sort" in line] == []
    assert [line for line in plan if "Index Scan using cases_case_list_village_status" in line]
