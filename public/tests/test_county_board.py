"""The county's public board: every town with its figures (from the tally, counted in SQL here),
each leading to its own board, and every village's board by town; as many queries for 2 towns as for 6."""

import pytest
from django.db import connection
from django.urls import reverse

from cases.tests.factories import CaseFactory
from teams.tests.factories import TeamFactory
from villages.tests.factories import TownFactory, VillageFactory, home_town


def town_with_cases(town, raised: int, closed: int):
    team = TeamFactory(village=VillageFactory(town=town))
    for n in range(raised):
        CaseFactory(team=team, **({"closed": True} if n < closed else {}))
    return team


@pytest.fixture
def county(db):
    town_with_cases(home_town(), 3, 1)
    return town_with_cases(TownFactory(code="DJ", name="大江镇", division_code="440781105", generated=True), 4, 3)


def sql_figures() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.name, COUNT(c.id), SUM(CASE WHEN c.status = 'closed' THEN 1 ELSE 0 END) FROM villages_town t "
            "JOIN cases_case c ON c.town_id = t.id AND c.voided_at IS NULL GROUP BY t.name"
        )
        return {name: (total, closed) for name, total, closed in cursor.fetchall()}


def test_the_county_board_lists_every_town_with_its_figures(client, county):
    page = client.get(reverse("board:index")).content.decode()
    assert sql_figures() == {"三合镇": (3, 1), "大江镇": (4, 3)}
    assert "收集 3 条 · 已办结 1 条 · 正在处理 2 条 · 办结率 33.33%" in page
    assert "收集 4 条 · 已办结 3 条 · 正在处理 1 条 · 办结率 75.00%" in page
    assert "<dd>7</dd>" in page  # the county's total, the towns' sum
    assert reverse("board:town", args=["DJ"]) in page and "演示数据" in page
    assert reverse("board:village", args=[county.village.code]) in page


def test_a_towns_board_is_its_own(client, county):
    page = client.get(reverse("board:town", args=["DJ"])).content.decode()
    assert "大江镇驻点直联问题公开栏" in page and "<dd>4</dd>" in page
    assert "0750-5550000" in page  # the town's phone (TownFactory), not the county's
    assert client.get(reverse("board:town", args=["XX"])).status_code == 404


@pytest.mark.parametrize("more", [0, 4])
def test_the_county_board_query_count_is_constant(client, county, more, django_assert_num_queries):
    for _town in range(more):
        town_with_cases(TownFactory(), 1, 0)
    # Seven, whatever the number of towns: none is read one by one.
    with django_assert_num_queries(7):
        assert client.get(reverse("board:index")).status_code == 200
