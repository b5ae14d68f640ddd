"""A cadre's visit and its problems stay in the team's town: the form offers the town's villages
and the county's and the town's categories only, and refuses another town's when forged."""

import pytest

from cases.models import Case
from cases.tests.factories import CategoryFactory
from cases.visit_forms import default_visit_date
from teams.models import Visit
from teams.tests.factories import TeamFactory, VisitFactory
from villages.tests.factories import TownFactory, VillageFactory


@pytest.fixture
def elsewhere(db):
    """A second town with a village (and its team) and a category of its own."""
    town = TownFactory(code="DJ", name="大江镇", division_code="440781105")
    village = VillageFactory(town=town, short_name="公益村")
    TeamFactory(village=village)
    return {"village": village, "category": CategoryFactory(town=town, label="外镇自设类别")}


def test_the_visit_form_offers_the_teams_towns_villages_only(cadre_client, team, elsewhere):
    page = cadre_client.get("/visits/new/").content.decode()
    assert f'value="{team.village.pk}"' in page
    assert f'value="{elsewhere["village"].pk}"' not in page and "公益村" not in page


def test_a_visit_to_another_towns_village_is_refused(cadre_client, team, elsewhere):
    data = {"date": default_visit_date().isoformat(), "village": elsewhere["village"].pk, "households_visited": "9"}
    response = cadre_client.post("/visits/new/", data | {"nonce": "n" * 32})
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    assert not Visit.objects.filter(village=elsewhere["village"]).exists()


def test_the_problem_form_offers_the_county_and_the_towns_categories(cadre_client, team, elsewhere):
    CategoryFactory(label="本县类别")  # the county's (no town)
    visit = VisitFactory(team=team, date=default_visit_date())
    page = cadre_client.get(f"/visits/{visit.pk}/").content.decode()
    assert "本县类别" in page and "外镇自设类别" not in page

    data = {"title": "门前水渠堵塞", "category_choice": str(elsewhere["category"].pk), "nonce": "p" * 32}
    cadre_client.post(f"/visits/{visit.pk}/", data)
    assert not Case.objects.filter(category=elsewhere["category"]).exists()
