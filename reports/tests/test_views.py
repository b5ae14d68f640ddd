import json

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cases.tests.factories import CaseFactory, SubCategoryFactory

PRIVATE = ("陈测试", "13912345678", "测试村东坊8号", "内部记录")


@pytest.fixture
def some_cases(db):
    sub = SubCategoryFactory(category__label="水利", category__code="03", label="水渠", code="0301")
    CaseFactory(category=sub.category, subcategory=sub, closed=True, raised_on="2015-01-08")
    CaseFactory(category=sub.category, subcategory=sub, raised_on="2015-01-15")
    CaseFactory(raised_on="2014-12-04")
    return sub


def test_summary_json_is_public_and_has_the_report_keys(client, some_cases):
    response = client.get(reverse("reports:summary_json"))
    data = response.json()
    assert response.status_code == 200
    assert (data["total"], data["closed"], data["in_progress"], data["closure_rate"]) == (3, 1, 2, "33.33")
    assert data["categories"] == [
        {
            "code": "03",
            "name": "水利",
            "count": 2,
            "share": "66.66",
            "subcategories": [{"code": "0301", "name": "水渠", "count": 2, "share": "66.66"}],
        }
    ]
    assert data["unclassified"] == {"count": 1, "share": "33.33"}


def test_summary_json_filters_by_period(client, some_cases):
    data = client.get(reverse("reports:summary_json"), {"start": "2015-01-01", "end": "2015-01-10"}).json()
    assert (data["total"], data["closed"], data["closure_rate"]) == (1, 1, "100.00")
    assert (data["start"], data["end"]) == ("2015-01-01", "2015-01-10")


@pytest.mark.parametrize(
    "query",
    [{"start": "2015-13-01"}, {"end": "yesterday"}, {"start": "2015-02-01", "end": "2015-01-01"}, {"start": "x" * 500}],
)
def test_summary_json_refuses_bad_dates_with_400(client, some_cases, query):
    response = client.get(reverse("reports:summary_json"), query)
    assert response.status_code == 400
    assert "error" in response.json()


def test_summary_json_shows_no_resident_data(client, some_cases):
    body = client.get(reverse("reports:summary_json")).content.decode()
    assert not [p for p in PRIVATE if p in body]
    assert set(json.loads(body)) == {
        "start",
        "end",
        "total",
        "closed",
        "in_progress",
        "closure_rate",
        "categories",
        "unclassified",
    }


@pytest.mark.parametrize("count", [1, 20])
def test_summary_json_query_count_is_constant(client, db, count, django_assert_num_queries):
    sub = SubCategoryFactory()
    CaseFactory.create_batch(count, category=sub.category, subcategory=sub)
    with django_assert_num_queries(4):
        client.get(reverse("reports:summary_json"))


def test_report_page_needs_a_login(client, db):
    response = client.get(reverse("reports:summary"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_report_page_refuses_cadres(cadre_client):
    assert cadre_client.get(reverse("reports:summary")).status_code == 403


@pytest.mark.parametrize("persona", ["office_client", "supervisor_client"])
def test_report_page_shows_the_figures_to_office_and_supervisors(request, persona, some_cases):
    page = request.getfixturevalue(persona).get(reverse("reports:summary")).content.decode()
    assert "33.33%" in page
    assert "水渠" in page
    assert "舍去" in page  # the footnote on truncation


def test_report_page_with_bad_dates_says_so(office_client, some_cases):
    response = office_client.get(reverse("reports:summary"), {"start": "2015-02-30"})
    assert response.status_code == 200
    assert "有效的日期" in response.content.decode()


@pytest.mark.parametrize("count", [1, 20])
def test_report_page_query_count_is_constant(office_client, count, django_assert_num_queries):
    sub = SubCategoryFactory()
    CaseFactory.create_batch(count, category=sub.category, subcategory=sub)
    # The monthly dashboard (issue 4): the cases counted once by village, team and category (live
    # and tally), headline 3 more, categories 2, villages 2, teams 4, trend 2, and the login's
    # session, user, groups and cadre.
    with django_assert_num_queries(19):
        office_client.get(reverse("reports:summary"))


def test_english_is_available(client, some_cases):
    client.post(reverse("set_language"), {"language": "en", "next": "/notice/"})
    page = client.get(reverse("notice:index")).content.decode()
    assert '<html lang="en">' in page
    assert "Closure rate" in page
    translation.activate(settings.LANGUAGE_CODE)  # the request left English active for later tests
