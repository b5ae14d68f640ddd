from decimal import Decimal

import pytest

from cases.models import Case
from cases.tests.factories import CaseFactory, CategoryFactory, SubCategoryFactory
from reports.figures import filter_cases, percent, percent_text, summarize


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (78, 142, "54.92"),  # 54.929…: truncated, not rounded up
        (2, 3, "66.66"),
        (1, 8, "12.50"),
        (1, 3, "33.33"),
        (15, 142, "10.56"),
        (47, 142, "33.09"),
        (0, 5, "0.00"),
        (5, 5, "100.00"),
        (0, 0, "—"),
    ],
)
def test_percent_text_truncates_to_two_decimals(part, whole, expected):
    assert percent_text(part, whole) == expected


def test_percent_has_no_value_without_a_whole():
    assert percent(3, 0) is None
    assert percent(1, 7) == Decimal("14.28")


@pytest.mark.django_db
def test_summarize_counts_categories_subcategories_and_unclassified():
    water = CategoryFactory(label="水利")
    canal, lining = SubCategoryFactory(category=water), SubCategoryFactory(category=water)
    other = CategoryFactory(label="其它")
    CaseFactory.create_batch(2, category=water, subcategory=canal, closed=True)
    CaseFactory(category=water, subcategory=lining)
    CaseFactory(category=water)  # classified at category level only
    CaseFactory(category=other, closed=True)
    CaseFactory()  # unclassified
    CaseFactory(status=Case.Status.REGISTERED)  # also unclassified

    summary = summarize(filter_cases())

    assert (summary.total, summary.closed, summary.in_progress) == (7, 3, 4)
    assert summary.closure_rate == "42.85"  # 3/7 = 42.857…
    assert [(c.name, c.count, c.share) for c in summary.categories] == [("水利", 4, "57.14"), ("其它", 1, "14.28")]
    assert [(s.count, s.share) for s in summary.categories[0].subcategories] == [(2, "28.57"), (1, "14.28")]
    assert (summary.unclassified.count, summary.unclassified.share) == (2, "28.57")


@pytest.mark.django_db
def test_summarize_of_nothing_has_no_division_error():
    CategoryFactory()
    summary = summarize(filter_cases())
    assert (summary.total, summary.closed, summary.closure_rate) == (0, 0, "—")
    assert summary.categories[0].share == "—"


@pytest.mark.django_db
def test_filter_cases_narrows_by_date_village_and_team():
    early = CaseFactory(raised_on="2014-12-04")
    late = CaseFactory(raised_on="2015-01-29")
    assert list(filter_cases(start="2015-01-01")) == [late]
    assert list(filter_cases(end="2014-12-31")) == [early]
    assert list(filter_cases(village=early.village)) == [early]
    assert list(filter_cases(team=late.team)) == [late]


@pytest.mark.django_db
@pytest.mark.parametrize("cases", [1, 30])
def test_summarize_runs_four_queries_whatever_the_number_of_cases(cases, django_assert_num_queries):
    sub = SubCategoryFactory()
    CaseFactory.create_batch(cases, category=sub.category, subcategory=sub)
    with django_assert_num_queries(4):
        summarize(filter_cases())
