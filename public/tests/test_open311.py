"""Open311 GeoReport v2, the GET methods: every answer's JSON checked against the spec's JSON Schemas
(public/tests/open311_schemas/), its XML read back field by field, and what the public may see."""

import datetime
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from cases.models import Case, CaseEvent
from cases.tests.factories import CaseFactory, CategoryFactory, SubCategoryFactory
from public.tests.helpers import add_event
from teams.tests.factories import TeamFactory
from villages.tests.factories import home_town

SCHEMAS = Path(__file__).parent / "open311_schemas"
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
]


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def _swagger(definition: str) -> dict:
    return _schema("swagger.json")["definitions"][definition]


REGISTRY = Registry().with_resources(
    (name, Resource.opaque(_schema(name))) for name in ("request.json", "service.json")
)


def validate(data, schema: dict) -> None:
    """DATA against SCHEMA (formats checked too: date-time, uri)."""
    validator = Draft202012Validator(schema, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(str(error.message) for error in validator.iter_errors(data))
    assert errors == []


def url(name: str, fmt: str, **kwargs) -> str:
    return reverse(f"open311:{name}", kwargs={"fmt": fmt, **kwargs})


def get_json(client, path: str, status: int = 200):
    response = client.get(path)
    assert (response.status_code, response["Content-Type"]) == (status, "application/json; charset=utf-8")
    return json.loads(response.content)


def get_xml(client, path: str, status: int = 200) -> ET.Element:
    response = client.get(path)
    assert (response.status_code, response["Content-Type"]) == (status, "text/xml; charset=utf-8")
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<')
    return ET.fromstring(response.content)


def xml_item(element: ET.Element) -> dict:
    """An XML item as the JSON would have it: text of each child (empty as None)."""
    return {child.tag: child.text for child in element}


def json_as_xml_text(item: dict) -> dict:
    def text(value):
        if isinstance(value, bool):
            return "true" if value else "false"
        return None if value is None or value == "" else str(value)

    return {key: text(value) for key, value in item.items() if not isinstance(value, list)}


@pytest.fixture
def recent(db):
    return timezone.localdate() - datetime.timedelta(days=3)


@pytest.fixture
def town(db, recent):
    """Two villages; a canal sub-category and a sensitive one (低保); four cases, one voided."""
    canal = SubCategoryFactory(
        code="S-CANAL", label="水渠年久失修", category__label="农田水利建设", category__code="C-W"
    )
    allowance = SubCategoryFactory(
        code="S-DIBAO", label="低保保障", category=CategoryFactory(code="C-L", label="民生保障", sensitive=True)
    )
    east, west = TeamFactory(), TeamFactory()
    posted = CaseFactory(
        team=east,
        category=canal.category,
        subcategory=canal,
        raised_on=recent,
        title="东坑水渠崩塌，影响灌溉",
        due_on=recent + datetime.timedelta(days=10),
        resident_name="司徒翠萍",
        resident_phone="13980001234",
        resident_address="后山坊隐秘巷9号",
        description="内部描述机密",
    )
    step = add_event(posted, "已联系水利所勘查")
    CaseEvent.objects.filter(pk=step.pk).update(at=timezone.now() - datetime.timedelta(days=1))
    closed = CaseFactory(
        team=west,
        category=canal.category,
        subcategory=canal,
        raised_on=recent - datetime.timedelta(days=1),
        title="西闸渗水",
        closed=True,
        closed_on=recent,
        result="已修补闸门",
    )
    sensitive = CaseFactory(
        team=east,
        category=allowance.category,
        subcategory=allowance,
        raised_on=recent,
        title="申请低保机密摘要",
        public_posting=False,
        resident_name="欧阳振华",
    )
    voided = CaseFactory(team=east, raised_on=recent, title="登记有误", voided_at=timezone.now())
    return {
        "canal": canal,
        "allowance": allowance,
        "posted": posted,
        "closed": closed,
        "sensitive": sensitive,
        "voided": voided,
    }


# -- Discovery and services ----------------------------------------------------------------------


def test_discovery_json_and_xml_name_the_v2_endpoint(client, db, settings):
    data = get_json(client, url("discovery", "json"))
    root = get_xml(client, url("discovery", "xml"))

    endpoint = data["endpoints"][0]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "http://testserver/open311/v2",
        "changeset": data["changeset"],
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    # Without a jurisdiction_id, the county's office answers; with a town's, that town's.
    assert settings.COUNTY_PHONE in data["contact"] and settings.COUNTY_NAME in data["key_service"]
    sanhe = get_json(client, url("discovery", "json") + f"?jurisdiction_id={home_town().division_code}")
    assert home_town().phone in sanhe["contact"] and "三合镇" in sanhe["key_service"]
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert root.findtext("contact") == data["contact"]


def test_services_are_the_sub_categories_grouped_by_category(client, town):
    data = get_json(client, url("services", "json"))
    root = get_xml(client, url("services", "xml"))

    validate(data, _schema("services.json"))
    assert [(s["service_code"], s["service_name"], s["group"], s["metadata"], s["type"]) for s in data] == [
        ("S-CANAL", "水渠年久失修", "农田水利建设", True, "realtime"),
        ("S-DIBAO", "低保保障", "民生保障", True, "realtime"),
    ]
    assert root.tag == "services"
    assert [xml_item(s) for s in root.findall("service")] == [json_as_xml_text(s) for s in data]


def test_service_definition_offers_the_kind_and_tells_what_a_sensitive_one_shows(client, town):
    canal = get_json(client, url("service", "json", code="S-CANAL"))
    allowance = get_json(client, url("service", "json", code="S-DIBAO"))
    root = get_xml(client, url("service", "xml", code="S-DIBAO"))

    validate(canal, _schema("service-definition.json"))
    validate(allowance, _schema("service-definition.json"))
    assert [a["code"] for a in canal["attributes"]] == ["kind"]
    assert [v["key"] for v in canal["attributes"][0]["values"]] == ["enquiry", "help", "suggestion", "complaint"]
    assert [(a["code"], a["variable"]) for a in allowance["attributes"]] == [("kind", True), ("privacy", False)]
    assert root.tag == "service_definition" and root.findtext("service_code") == "S-DIBAO"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["kind", "privacy"]
    assert [v.findtext("key") for v in attributes[0].findall("values/value")] == [
        "enquiry",
        "help",
        "suggestion",
        "complaint",
    ]
    assert attributes[1].findtext("variable") == "false"


def test_unknown_service_is_a_404_in_the_spec_error_shape(client, town):
    data = get_json(client, url("service", "json", code="NOPE"), status=404)
    root = get_xml(client, url("service", "xml", code="NOPE"), status=404)

    assert [e["code"] for e in data] == [404] and "NOPE" in data[0]["description"]
    assert root.tag == "errors" and root.findtext("error/code") == "404"
    assert root.findtext("error/description") == data[0]["description"]


# -- Service requests ------------------------------------------------------------------------------


def test_requests_list_the_recent_cases_as_the_board_shows_them(client, town, recent):
    data = get_json(client, url("requests", "json"))
    root = get_xml(client, url("requests", "xml"))

    validate(data, _schema("requests.json"))
    by_number = {item["service_request_id"]: item for item in data}
    posted, closed, sensitive = town["posted"], town["closed"], town["sensitive"]
    assert set(by_number) == {posted.number, closed.number, sensitive.number}  # never the voided one
    assert by_number[posted.number] == {
        "service_request_id": posted.number,
        "status": "open",
        "status_notes": "已登记：已联系水利所勘查",
        "service_name": "水渠年久失修",
        "service_code": "S-CANAL",
        "description": "东坑水渠崩塌，影响灌溉",
        "agency_responsible": "三合镇",
        "service_notice": "求助类诉求按规定在 10 个工作日内答复。",
        "requested_datetime": f"{recent.isoformat()}T00:00:00+08:00",
        "updated_datetime": f"{(timezone.localdate() - datetime.timedelta(days=1)).isoformat()}T00:00:00+08:00",
        "expected_datetime": f"{(recent + datetime.timedelta(days=10)).isoformat()}T00:00:00+08:00",
        "address": posted.village.name,
        "address_id": posted.village.code,
    }
    assert by_number[closed.number]["status"] == "closed"
    assert by_number[closed.number]["status_notes"] == "已办结（已解决）：已修补闸门"
    assert by_number[closed.number]["updated_datetime"] == f"{recent.isoformat()}T00:00:00+08:00"
    assert root.tag == "service_requests"
    assert [xml_item(r) for r in root.findall("request")] == [json_as_xml_text(item) for item in data]
    assert list(xml_item(root.find("request"))) == REQUEST_FIELDS


def test_a_sensitive_case_shows_its_category_status_and_dates_only(client, town):
    sensitive = town["sensitive"]
    [item] = get_json(client, url("request", "json", number=sensitive.number))
    body = client.get(url("request", "xml", number=sensitive.number)).content.decode()

    assert (item["service_name"], item["service_code"], item["status"]) == ("低保保障", "S-DIBAO", "open")
    assert (item["description"], item["status_notes"], "media_url" in item) == (None, "已登记", False)
    assert "申请低保机密摘要" not in body and "欧阳" not in body


def test_one_request_is_an_array_of_one_and_a_voided_or_unknown_one_is_404(client, town):
    data = get_json(client, url("request", "json", number=town["closed"].number))
    root = get_xml(client, url("request", "xml", number=town["closed"].number))

    validate(data, _schema("requests.json"))
    assert [item["service_request_id"] for item in data] == [town["closed"].number]
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [town["closed"].number]
    for number in (town["voided"].number, "SH-2015-9999"):
        assert get_json(client, url("request", "json", number=number), status=404)[0]["code"] == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=closed", ["closed"]),
        ("status=open", ["posted", "sensitive"]),
        ("status=open,closed&service_code=S-DIBAO", ["sensitive"]),
        ("service_code=S-CANAL", ["posted", "closed"]),
        ("page_size=1&page=2", ["posted"]),  # newest first: sensitive, posted, closed
        ("start_date=2015-01-01T00:00:00Z&end_date=2015-03-01T00:00:00Z", []),
    ],
)
def test_requests_filters(client, town, query, expected):
    data = get_json(client, url("requests", "json") + "?" + query)

    numbers = {item["service_request_id"] for item in data}
    assert numbers == {town[name].number for name in expected}


def test_service_request_id_overrides_the_other_filters(client, town):
    ids = f"{town['closed'].number},{town['voided'].number},SH-1999-0001"
    data = get_json(client, url("requests", "json") + f"?service_request_id={ids}&status=open")

    assert [item["service_request_id"] for item in data] == [town["closed"].number]


@pytest.mark.parametrize(
    "query",
    [
        "start_date=2015-01-01T00:00:00Z&end_date=2015-06-01T00:00:00Z",  # more than 90 days
        "start_date=2015-03-01&end_date=2015-01-01",
        "start_date=yesterday",
        "status=pending",
        "page=0",
        "page_size=1001",
        "page=²",  # a digit to str.isdigit, not to int()
        "page_size=１０",
        "page=abc",
    ],
)
def test_bad_request_arguments_are_400s_in_both_formats(client, town, query):
    data = get_json(client, url("requests", "json") + "?" + query, status=400)
    root = get_xml(client, url("requests", "xml") + "?" + query, status=400)

    assert [error["code"] for error in data] == [400]
    assert root.findtext("error/code") == "400" and root.findtext("error/description") == data[0]["description"]


@pytest.mark.parametrize("name", ["discovery", "services", "requests"])
def test_a_wrong_jurisdiction_is_404_and_the_right_one_is_fine(client, town, name, settings):
    wrong = get_json(client, url(name, "json") + "?jurisdiction_id=sfgov.org", status=404)
    right = client.get(url(name, "json") + f"?jurisdiction_id={home_town().division_code}")
    county = client.get(url(name, "json") + f"?jurisdiction_id={settings.COUNTY_DIVISION_CODE}")

    assert wrong[0]["code"] == 404 and settings.COUNTY_DIVISION_CODE in wrong[0]["description"]
    assert right.status_code == 200 and county.status_code == 200


def test_an_unknown_format_is_404_in_xml(client, town):
    root = get_xml(client, reverse("open311:services", kwargs={"fmt": "html"}), status=404)

    assert root.findtext("error/code") == "404"


def test_post_only_where_the_spec_allows_it(client, town):
    response = client.post(url("services", "json"))

    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")
    assert json.loads(response.content)[0]["code"] == 405


def test_a_public_photo_of_a_posted_case_is_its_media_url(client, town, settings, tmp_path, office_user):
    from cases import photos
    from cases.models import CasePhoto
    from cases.tests.photo_files import phone_jpeg, upload

    settings.MEDIA_ROOT = tmp_path
    shown = photos.add_photo(town["posted"], upload(phone_jpeg()), office_user, public=True)
    hidden = photos.add_photo(town["sensitive"], upload(phone_jpeg()), office_user)
    CasePhoto.objects.filter(pk=hidden.pk).update(public=True)

    data = {item["service_request_id"]: item for item in get_json(client, url("requests", "json"))}

    assert data[town["posted"].number]["media_url"] == f"http://testserver/cases/photos/{shown.key}/board.jpg"
    assert "media_url" not in data[town["sensitive"].number]
    validate(list(data.values()), _schema("requests.json"))


# -- Query counts ----------------------------------------------------------------------------------


def _cases(count: int, sub, recent) -> None:
    team = TeamFactory()
    for index in range(count):
        case = CaseFactory(
            team=team, category=sub.category, subcategory=sub, raised_on=recent, title=f"公开摘要{index}"
        )
        add_event(case, f"进展{index}")


@pytest.mark.parametrize("count", [1, 10])
def test_requests_list_queries_do_not_grow_with_rows(client, django_assert_max_num_queries, recent, count):
    _cases(count, SubCategoryFactory(), recent)

    with django_assert_max_num_queries(3):
        data = get_json(client, url("requests", "json"))

    assert len(data) == count


@pytest.mark.parametrize("count", [1, 10])
def test_services_list_queries_do_not_grow_with_rows(client, db, django_assert_max_num_queries, count):
    SubCategoryFactory.create_batch(count)

    with django_assert_max_num_queries(1):
        data = get_json(client, url("services", "xml").replace(".xml", ".json"))

    assert len(data) == count


def test_requests_are_paginated_in_the_database(client, recent):
    _cases(5, SubCategoryFactory(), recent)
    numbers = list(Case.objects.order_by("-raised_on", "-number").values_list("number", flat=True))

    pages = [get_json(client, url("requests", "json") + f"?page_size=2&page={page}") for page in (1, 2, 3, 4)]

    assert [[item["service_request_id"] for item in page] for page in pages] == [
        numbers[0:2],
        numbers[2:4],
        numbers[4:5],
        [],
    ]


@pytest.mark.parametrize("query", ["service_code=" + "9" * 2000, "status=open%00"])
def test_a_request_refused_before_any_view_is_still_the_specs_error(client, query):
    data = get_json(client, url("requests", "json") + "?" + query, status=400)
    root = get_xml(client, url("requests", "xml") + "?" + query, status=400)

    assert [set(error) for error in data] == [{"code", "description"}] and data[0]["code"] == 400
    assert root.tag == "errors" and root.findtext("error/code") == "400"
