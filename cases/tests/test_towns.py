"""A case's choices are its town's: another town's cadre or category, forged into a form, is refused
as an unknown choice and nothing is written; the case list's filters offer the user's town only."""

import re

import pytest

from cases.models import Case
from cases.tests.factories import CaseFactory, CategoryFactory
from teams.tests.factories import CadreFactory, TeamFactory
from villages.tests.factories import TownFactory, VillageFactory


@pytest.fixture
def elsewhere(db):
    """A second town with a team, a cadre and a category of its own."""
    town = TownFactory(code="DJ", name="大江镇", division_code="440781105")
    team = TeamFactory(village=VillageFactory(town=town, short_name="公益村"))
    return {
        "town": town,
        "team": team,
        "cadre": CadreFactory(team=team, name="外镇干部"),
        "category": CategoryFactory(town=town, label="外镇自设类别"),
    }


def test_another_towns_cadre_cannot_be_made_responsible(office_client, team, elsewhere):
    case = CaseFactory(team=team, status=Case.Status.IN_PROGRESS)
    page = office_client.get(f"/cases/{case.number}/responsible/").content.decode()
    assert "外镇干部" not in page
    response = office_client.post(
        f"/cases/{case.number}/responsible/", {"version": case.version, "responsible": elsewhere["cadre"].pk}
    )
    case.refresh_from_db()
    assert response.status_code == 400 and case.responsible is None
    assert 'class="errorlist" role="alert"' in response.content.decode()


def test_the_case_list_offers_only_the_towns_own_choices(office_client, team, elsewhere):
    CaseFactory(team=team)
    page = office_client.get("/cases/").content.decode()
    for name in ("公益村", "外镇干部", "外镇自设类别", "大江镇"):
        assert name not in page, name


def test_the_county_supervisor_filters_the_list_by_town(client, county_supervisor_user, team, elsewhere):
    mine = CaseFactory(team=team)
    theirs = CaseFactory(team=elsewhere["team"])
    client.force_login(county_supervisor_user)
    page = client.get("/cases/", {"town": "DJ"}).content.decode()
    assert theirs.number in page and mine.number not in page
    assert re.search(r'<option value="DJ"[^>]*>大江镇</option>', client.get("/cases/").content.decode())


def test_the_list_counts_the_towns_cases_only(office_client, team, elsewhere):
    CaseFactory.create_batch(2, team=team)
    CaseFactory.create_batch(3, team=elsewhere["team"])
    page = office_client.get("/cases/").content.decode()
    assert "共 2 件问题" in page and "导出这 2 件" in page
