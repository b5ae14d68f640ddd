"""Rules the database itself keeps, whatever code writes the row."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from cases.models import Case
from cases.tests.factories import CaseFactory, CategoryFactory, SubCategoryFactory
from cases.workflow import next_number, register_case
from teams.tests.factories import TeamFactory
from villages.tests.factories import home_town


@pytest.mark.django_db
def test_a_closed_case_needs_a_closed_date_and_a_result():
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(status=Case.Status.CLOSED, closure=Case.Closure.SOLVED, closed_on=datetime.date(2015, 1, 9))
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(status=Case.Status.CLOSED, closure=Case.Closure.SOLVED, result="已解决")


@pytest.mark.django_db
def test_an_open_case_has_no_closed_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(closed_on=datetime.date(2015, 1, 9))


@pytest.mark.django_db
def test_a_case_cannot_close_before_it_was_raised():
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(closed=True, raised_on=datetime.date(2015, 1, 22), closed_on=datetime.date(2015, 1, 8))


@pytest.mark.django_db(transaction=True)
def test_a_subcategory_must_belong_to_the_case_category():
    sub = SubCategoryFactory()
    other = CategoryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(category=other, subcategory=sub)
    case = CaseFactory(category=sub.category, subcategory=sub)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(category=other)


@pytest.mark.django_db
def test_a_subcategory_needs_a_category():
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(subcategory=SubCategoryFactory())


@pytest.mark.django_db
def test_tracking_numbers_are_unique():
    CaseFactory(number="SH-2015-0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(number="SH-2015-0001")


@pytest.mark.django_db
def test_an_unknown_status_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(status="lost")


@pytest.mark.django_db
def test_next_number_counts_per_year():
    town = home_town()
    numbers = [next_number(town, 2015), next_number(town, 2015), next_number(town, 2016)]
    assert numbers == ["SH-2015-0001", "SH-2015-0002", "SH-2016-0001"]


@pytest.mark.django_db
def test_register_case_numbers_the_case_and_writes_its_history():
    team = TeamFactory()
    case = register_case(case=Case(village=team.village, team=team, raised_on=datetime.date(2015, 1, 8), title="路灯"))
    assert case.number == "SH-2015-0001"
    assert list(case.events.values_list("kind", "status_to")) == [("registered", "registered")]
