"""An Open311 client written by others — georeport (PyPI, Apache-2.0), over real HTTP — finds the
town's endpoint from discovery, lists its services, lists and reads its requests in JSON and XML, and
a report posted with a key comes back from the same client as a request of the town."""

import datetime

import pytest
import requests
from django.utils import timezone
from georeport import GeoReport

from cases.models import Case
from cases.tests.factories import CaseFactory, SubCategoryFactory
from public.models import Open311Client
from public.open311.intake import issue_key
from teams.tests.factories import TeamFactory
from villages.tests.factories import home_town


@pytest.fixture
def town(transactional_db):
    team = TeamFactory()
    sub = SubCategoryFactory(label="路灯损坏")
    today = timezone.localdate()
    case = CaseFactory(
        team=team,
        category=sub.category,
        subcategory=sub,
        raised_on=today - datetime.timedelta(days=3),
        title="村口路灯不亮",
        public_posting=True,
    )
    return {"team": team, "sub": sub, "case": case}


@pytest.fixture
def key(transactional_db):
    client = Open311Client(name="江门12345小程序")
    raw = issue_key(client)
    client.save()
    return raw


def endpoint_of(live_server) -> str:
    """The production endpoint discovery announces: what a client is configured with."""
    discovery = requests.get(f"{live_server.url}/open311/discovery.json", timeout=30).json()
    (production,) = [e for e in discovery["endpoints"] if e["type"] == "production"]
    assert "application/json" in production["formats"] and "text/xml" in production["formats"]
    return production["url"]


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_a_third_party_client_lists_services_and_reads_requests(live_server, town, output_format):
    client = GeoReport(endpoint_of(live_server), jurisdiction=home_town().division_code, output_format=output_format)

    services = client.get_service_list()
    services = services if isinstance(services, list) else [services]
    assert {"service_code": town["sub"].code, "service_name": "路灯损坏"}.items() <= dict(services[0]).items()

    listed = client.get_service_requests(service_code=town["sub"].code)
    listed = listed if isinstance(listed, list) else [listed]
    assert [r["service_request_id"] for r in listed] == [town["case"].number]

    one = client.get_service_request(town["case"].number)
    assert one["service_request_id"] == town["case"].number
    assert one["status"] == "open"
    assert one["address"] == town["team"].village.name
    assert "陈测试" not in str(one) and "13912345678" not in str(one)


def test_a_report_posted_with_a_key_is_read_back_by_the_client(live_server, town, key):
    root = endpoint_of(live_server)
    village = town["team"].village
    posted = requests.post(
        f"{root}/requests.json",
        data={
            "api_key": key,
            "jurisdiction_id": home_town().division_code,
            "service_code": town["sub"].code,
            "description": "桥头路灯坏了两晚",
            "address_id": village.code,
            "first_name": "明",
            "last_name": "李",
            "phone": "13800138000",
        },
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    (receipt,) = posted.json()
    number = receipt["service_request_id"]

    case = Case.objects.get(number=number)
    assert (case.channel, case.village, case.resident_phone) == (Case.Channel.ONLINE, village, "13800138000")

    client = GeoReport(root, jurisdiction=home_town().division_code)
    read = client.get_service_request(number)
    assert read["service_code"] == town["sub"].code
    assert "13800138000" not in str(read) and "李" not in str(read.get("description", ""))


def test_a_wrong_jurisdiction_is_not_found_by_the_client(live_server, town):
    client = GeoReport(endpoint_of(live_server), jurisdiction="110101001")
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_list()
    assert refused.value.response.status_code == 404
