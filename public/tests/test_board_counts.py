"""The notice board counts from the tally of months (cases.models.CaseTally): the same numbers
as counting the village's cases, and a change of the ledger changes the board's version."""

import datetime

import pytest

from cases.models import Case
from cases.tests.factories import CaseFactory, SubCategoryFactory
from public import services
from public.forms import OPEN, UNCLASSIFIED
from public.views import _board_cases
from teams.tests.factories import TeamFactory
from villages.tests.factories import home_town


@pytest.fixture
def village(db):
    team, sub = TeamFactory(), SubCategoryFactory()
    for day, status in enumerate([Case.Status.REGISTERED, Case.Status.IN_PROGRESS, Case.Status.CLOSED] * 3, start=1):
        closed = status == Case.Status.CLOSED
        CaseFactory(
            team=team,
            raised_on=datetime.date(2014, 10 + day % 3, day),
            category=sub.category if day % 2 else None,
            subcategory=sub if day % 4 == 1 else None,
            closed=closed,
            status=status,
        )
    CaseFactory(title="别村的问题", closed=True)
    return team.village, sub.category


def test_board_count_is_the_number_of_cases_listed(village):
    village, category = village
    for status in ["", OPEN, Case.Status.CLOSED]:
        for chosen in ["", UNCLASSIFIED, str(category.pk)]:
            listed = _board_cases(village, {"status": status, "category": chosen}).count()
            assert services.board_count(village, status, chosen) == listed, (status, chosen)
    # Registered apart from in progress: the tally cannot tell, the board counts.
    assert services.board_count(village, Case.Status.REGISTERED, "") is None


def test_village_and_town_freshness_count_cases_and_see_a_deletion(village):
    village, _category = village
    _village, before = services.village_for_board(village.code, with_count=True)
    town_before = services.town_freshness()
    assert before.count == 9
    Case.objects.filter(village=village).order_by("id").first().delete()
    _village, after = services.village_for_board(village.code, with_count=True)
    assert after.count == 8
    assert (after.version != before.version, services.town_freshness().version != town_before.version) == (True, True)


def test_villages_with_counts(village):
    village, _category = village
    rows = {v.pk: (v.total, v.closed) for v in services.villages_with_counts(home_town())}
    assert rows[village.pk] == (9, 3)
