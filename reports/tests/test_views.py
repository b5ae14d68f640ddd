import io
import json

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

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
        "town",
        "name",
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
    assert response.status_code == 400
    assert "有效的日期" in response.content.decode()


YEARS = "日期应在2000年至2100年之间。"
# The audit's OverflowErrors: years 0001 and 9999 on every report that reads a period.
FAR_YEARS = [
    {"month": "9999-12"},
    {"month": "0001-01"},
    {"start": "9999-12-01", "end": "9999-12-31"},
    {"start": "0001-01-01", "end": "0001-01-31"},
    {"end": "9999-12-31"},
    {"start": "0001-01-01"},
]
PAGES = ["reports:summary", "reports:pack", "reports:ranking", "reports:checks"]


@pytest.mark.parametrize("query", FAR_YEARS)
@pytest.mark.parametrize("page", PAGES)
def test_report_pages_refuse_far_years_with_400_and_say_why(supervisor_client, some_cases, page, query):
    response = supervisor_client.get(reverse(page), query)
    assert (response.status_code, YEARS in response.content.decode()) == (400, True)


@pytest.mark.parametrize(
    ("url", "query"),
    [(reverse("reports:export", args=["teams"]), query) for query in FAR_YEARS]
    + [(reverse("reports:pack_docx"), query) for query in [*FAR_YEARS, {"month": "2015-01", "as_of": "9999-12-31"}]],
)
def test_report_files_refuse_far_years_with_400_and_say_why(supervisor_client, some_cases, url, query):
    response = supervisor_client.get(url, query)
    assert (response.status_code, response["Content-Type"]) == (400, "text/plain; charset=utf-8")
    assert YEARS in response.content.decode()


@pytest.mark.parametrize("query", [{"start": "9999-12-01", "end": "9999-12-31"}, {"end": "0001-01-01"}])
def test_summary_json_refuses_far_years_and_says_why(client, some_cases, query):
    response = client.get(reverse("reports:summary_json"), query)
    assert (response.status_code, response.json()["error"]) == (400, YEARS)


def test_the_years_2000_and_2100_are_accepted(supervisor_client, some_cases):
    for query in [{"month": "2000-01"}, {"month": "2100-12"}, {"start": "2000-01-01", "end": "2100-12-31"}]:
        assert supervisor_client.get(reverse("reports:summary"), query).status_code == 200


def test_one_date_alone_must_leave_a_range_in_order(supervisor_client, some_cases):
    response = supervisor_client.get(reverse("reports:summary"), {"start": "2100-01-01"})
    assert response.status_code == 400
    assert "起始日期不能晚于截止日期（只填一个日期时，另一端是2014-09-01或今天）。" in response.content.decode()


def test_a_draw_of_far_years_is_refused(supervisor_client, some_cases):
    form = {"start": "9999-12-01", "end": "9999-12-31", "size_kind": "number", "size": "5"}
    response = supervisor_client.post(reverse("reports:draw_new"), form, follow=True)
    assert YEARS in response.content.decode()


def test_a_notice_draft_of_far_years_says_why(supervisor_client, some_cases):
    response = supervisor_client.post(reverse("reports:notice_draft"), {"month": "9999-12"}, follow=True)
    assert "未能起草通报：日期应在2000年至2100年之间。" in response.content.decode()


def test_a_stated_report_of_far_years_is_refused(supervisor_client, some_cases):
    form = {"title": "一月", "published_on": "9999-12-31", "as_of": "0001-01-01", "total": "3"}
    response = supervisor_client.post(reverse("reports:reconcile_new"), form)
    assert (response.status_code, response.content.decode().count(YEARS)) == (200, 2)


@pytest.mark.parametrize("count", [1, 20])
def test_report_page_query_count_is_constant(office_client, count, django_assert_num_queries):
    sub = SubCategoryFactory()
    CaseFactory.create_batch(count, category=sub.category, subcategory=sub)
    # The monthly dashboard (issue 4): the cases counted once by village, team and category (live
    # and tally), headline 3 more, categories 2, villages 2, teams 4, trend 2, the login's
    # session, user, groups and cadre, and the latest case's month to open on.
    with django_assert_num_queries(19):
        office_client.get(reverse("reports:summary"))


def test_english_is_available(client, some_cases):
    client.post(reverse("set_language"), {"language": "en", "next": "/notice/"})
    page = client.get(reverse("board:index")).content.decode()
    assert '<html lang="en">' in page
    assert "Closure rate" in page
    translation.activate(settings.LANGUAGE_CODE)  # the request left English active for later tests


def test_report_xlsx_writes_a_typed_formula_as_text(supervisor_client, db):
    sub = SubCategoryFactory(category__label='=HYPERLINK("http://evil","点此")', label="@SUM(A1)")
    CaseFactory(category=sub.category, subcategory=sub, raised_on="2015-01-08")
    response = supervisor_client.get(reverse("reports:export", args=["categories"]), {"month": "2015-01"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[2:4]] == ['\'=HYPERLINK("http://evil","点此")', "　@SUM(A1)"]


@pytest.mark.parametrize("page", ["-1", "0", "abc", "99999999999999999999"])
def test_the_list_behind_a_figure_refuses_a_bad_page(supervisor_client, some_cases, page):
    query = {"figure": "collected", "start": "2015-01-01", "end": "2015-01-31", "page": page}
    response = supervisor_client.get(reverse("reports:cases"), query)
    assert (response.status_code, "页码应为1至100000之间的整数。" in response.content.decode()) == (400, True)


def test_the_list_behind_a_figure_shows_its_last_page_past_the_end(supervisor_client, some_cases):
    query = {"figure": "collected", "start": "2015-01-01", "end": "2015-01-31", "page": "40"}
    assert supervisor_client.get(reverse("reports:cases"), query).status_code == 200
