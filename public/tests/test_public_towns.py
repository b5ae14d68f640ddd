"""The public side with two towns: /track/ by either town's number and phone, and Open311's
jurisdictions (a town's division code: its requests and services; the county's or none: all)."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.tests.factories import CaseFactory, CategoryFactory, SubCategoryFactory
from public import tracking
from public.models import Open311Client
from public.open311 import intake
from public.tests.test_county_board import town_with_cases
from public.tests.test_open311 import get_json, url
from teams.tests.factories import TeamFactory
from villages.tests.factories import TownFactory, VillageFactory, home_town


@pytest.fixture
def dajiang(db):
    return TownFactory(code="DJ", name="大江镇", division_code="440781105", phone="0750-5660000")


@pytest.fixture
def two_cases(dajiang):
    """One case in Sanhe and one in Dajiang, each numbered by its own town, raised lately (Open311's
    requests default to the last days)."""
    lately = timezone.localdate() - datetime.timedelta(days=3)
    sanhe = CaseFactory(team=TeamFactory(), title="三合水渠", resident_phone="139 1234 5678", raised_on=lately)
    other = CaseFactory(
        team=TeamFactory(village=VillageFactory(town=dajiang)),
        title="大江路灯",
        resident_phone="139 8765 4321",
        raised_on=lately,
    )
    return sanhe, other


def track(client, number, last4, ip="10.0.0.1"):
    return client.post(reverse("track:index"), {"number": number, "last4": last4}, REMOTE_ADDR=ip)


def test_track_follows_each_towns_numbers(client, two_cases):
    sanhe, other = two_cases
    assert sanhe.number.startswith("SH-") and other.number.startswith("DJ-")
    assert f"问题 {sanhe.number}" in track(client, sanhe.number, "5678").content.decode()
    page = track(client, other.number, "4321", ip="10.0.0.2").content.decode()
    assert f"问题 {other.number}" in page and "大江路灯" in page
    # A town's number with the other town's resident's digits finds nothing.
    assert f"问题 {other.number}" not in track(client, other.number, "5678", ip="10.0.0.3").content.decode()


def test_track_refusals_give_the_phone_of_the_town_asked_about(client, two_cases):
    _sanhe, other = two_cases
    for _ in range(tracking.ADDRESS.tries):
        track(client, other.number, "0000")
    blocked = track(client, other.number, "0000")
    assert blocked.status_code == 429 and "0750-5660000" in blocked.content.decode()
    # A number of no town: the county's phone.
    for _ in range(tracking.ADDRESS.tries + 1):
        unknown = track(client, "QQ-2016-0001", "0000", ip="10.0.0.9")
    assert unknown.status_code == 429 and settings.COUNTY_PHONE in unknown.content.decode()


def test_the_county_board_figures_equal_a_raw_count_for_three_towns(client, dajiang):
    town_with_cases(home_town(), 2, 2)
    town_with_cases(dajiang, 3, 1)
    town_with_cases(TownFactory(name="水步镇"), 1, 0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.name, COUNT(c.id), SUM(CASE WHEN c.status = 'closed' THEN 1 ELSE 0 END) FROM villages_town t "
            "JOIN cases_case c ON c.town_id = t.id AND c.voided_at IS NULL GROUP BY t.name ORDER BY t.name"
        )
        counted = {name: (total, closed) for name, total, closed in cursor.fetchall()}
    page = client.get(reverse("board:index")).content.decode()
    assert counted == {"三合镇": (2, 2), "大江镇": (3, 1), "水步镇": (1, 0)}
    for total, closed in counted.values():
        assert f"收集 {total} 条 · 已办结 {closed} 条 · 正在处理 {total - closed} 条" in page


def numbers(answer) -> list[str]:
    return sorted(item["service_request_id"] for item in answer)


def test_open311_requests_by_jurisdiction(client, two_cases, dajiang):
    sanhe, other = two_cases
    requests = url("requests", "json")
    assert numbers(get_json(client, requests)) == sorted([sanhe.number, other.number])
    county = get_json(client, requests + f"?jurisdiction_id={settings.COUNTY_DIVISION_CODE}")
    assert numbers(county) == sorted([sanhe.number, other.number])
    only = get_json(client, requests + f"?jurisdiction_id={dajiang.division_code}")
    assert numbers(only) == [other.number] and only[0]["agency_responsible"] == "大江镇"
    sanhe_only = get_json(client, requests + f"?jurisdiction_id={home_town().division_code}")
    assert numbers(sanhe_only) == [sanhe.number] and sanhe_only[0]["agency_responsible"] == "三合镇"
    # One request by number: not found under the other town's jurisdiction.
    detail = url("request", "json", number=other.number)
    assert numbers(get_json(client, detail + f"?jurisdiction_id={dajiang.division_code}")) == [other.number]
    get_json(client, detail + f"?jurisdiction_id={home_town().division_code}", status=404)


def test_open311_services_and_discovery_by_jurisdiction(client, dajiang):
    SubCategoryFactory(code="S-COUNTY", category=CategoryFactory(town=None))
    SubCategoryFactory(code="S-DJ", category=CategoryFactory(town=dajiang))
    SubCategoryFactory(code="S-SH", category=CategoryFactory(town=home_town()))
    services = url("services", "json")

    def codes(query: str = "") -> list[str]:
        return sorted(service["service_code"] for service in get_json(client, services + query))

    assert codes() == ["S-COUNTY", "S-DJ", "S-SH"]
    assert codes(f"?jurisdiction_id={dajiang.division_code}") == ["S-COUNTY", "S-DJ"]
    assert codes(f"?jurisdiction_id={home_town().division_code}") == ["S-COUNTY", "S-SH"]
    other = url("service", "json", code="S-SH") + f"?jurisdiction_id={dajiang.division_code}"
    get_json(client, other, status=404)
    discovery = get_json(client, url("discovery", "json") + f"?jurisdiction_id={dajiang.division_code}")
    assert "大江镇" in discovery["contact"] and "0750-5660000" in discovery["contact"]
    assert settings.COUNTY_NAME in get_json(client, url("discovery", "json"))["contact"]


@pytest.fixture
def key(db):
    api_client = Open311Client(name="测试小程序")
    raw = intake.issue_key(api_client)
    api_client.save()
    return raw


def test_open311_post_the_village_decides_the_town(client, dajiang, key):
    village = TeamFactory(village=VillageFactory(town=dajiang)).village
    SubCategoryFactory(code="S-COUNTY", category=CategoryFactory(town=None))
    SubCategoryFactory(code="S-SH", category=CategoryFactory(town=home_town()))
    report = {"api_key": key, "service_code": "S-COUNTY", "address_id": village.code, "description": "路灯坏了"}
    posted = client.post(url("requests", "json"), report)
    assert posted.status_code == 200
    assert posted.json()[0]["service_request_id"].startswith("DJ-")
    # A jurisdiction that is not the village's town: the village is not one of its villages.
    wrong = client.post(url("requests", "json"), {**report, "jurisdiction_id": home_town().division_code})
    assert wrong.status_code == 400 and "address_id" in wrong.json()[0]["description"]
    right = client.post(url("requests", "json"), {**report, "jurisdiction_id": dajiang.division_code})
    assert right.status_code == 200
    # Another town's own service is not this village's.
    theirs = client.post(url("requests", "json"), {**report, "service_code": "S-SH"})
    assert theirs.status_code == 404
