"""Tracking numbers taken in blocks (cases/numbering.py): unique, consecutive, per town and year,
gapless, carrying the town's short code."""

import pytest
from django.db import transaction

from cases.models import NumberSequence
from cases.numbering import give_back, keep_ahead_of, next_number, parse_number, take_numbers
from villages.tests.factories import TownFactory, home_town

pytestmark = pytest.mark.django_db


@pytest.fixture
def sanhe():
    return home_town()


def test_take_numbers_gives_consecutive_numbers_per_year_after_the_last(sanhe):
    NumberSequence.objects.create(town=sanhe, year=2015, last=7)

    taken = take_numbers(sanhe, {2015: 3, 2016: 2, 2017: 0})

    assert taken == {
        2015: ["SH-2015-0008", "SH-2015-0009", "SH-2015-0010"],
        2016: ["SH-2016-0001", "SH-2016-0002"],
    }
    assert dict(NumberSequence.objects.values_list("year", "last")) == {2015: 10, 2016: 2}
    assert next_number(sanhe, 2015) == "SH-2015-0011"


def test_each_town_numbers_its_own_cases_with_its_code(sanhe):
    other = TownFactory(code="DJ")
    NumberSequence.objects.create(town=sanhe, year=2015, last=41)

    assert next_number(other, 2015) == "DJ-2015-0001"
    assert next_number(sanhe, 2015) == "SH-2015-0042"
    assert next_number(other, 2015) == "DJ-2015-0002"
    assert parse_number("DJ-2015-0002") == (2015, 2)
    assert parse_number("DJ-2015-0002", sanhe) is None
    assert parse_number("DJ-2015-0002", other) == (2015, 2)


def test_take_numbers_twice_never_gives_a_number_twice(sanhe):
    first, second = take_numbers(sanhe, {2015: 500}), take_numbers(sanhe, {2015: 500})

    numbers = first[2015] + second[2015]
    assert len(set(numbers)) == 1000
    assert [parse_number(n)[1] for n in numbers] == list(range(1, 1001))


def test_take_numbers_of_many_years_is_one_locked_step(sanhe, django_assert_num_queries):
    NumberSequence.objects.bulk_create([NumberSequence(town=sanhe, year=year, last=1) for year in (2015, 2016, 2017)])

    with django_assert_num_queries(2):  # lock the three rows, update the three rows
        taken = take_numbers(sanhe, {2015: 100, 2016: 200, 2017: 1})

    assert [len(taken[year]) for year in (2015, 2016, 2017)] == [100, 200, 1]


def test_numbers_taken_in_a_transaction_that_fails_are_taken_again(sanhe):
    NumberSequence.objects.create(town=sanhe, year=2015, last=4)
    with pytest.raises(RuntimeError), transaction.atomic():
        take_numbers(sanhe, {2015: 10})
        raise RuntimeError

    assert next_number(sanhe, 2015) == "SH-2015-0005"


def test_keep_ahead_of_moves_each_year_past_the_numbers_given(sanhe):
    NumberSequence.objects.create(town=sanhe, year=2015, last=200)

    keep_ahead_of(sanhe, ["SH-2015-0150", "SH-2016-0042", "SH-2016-0007", "2016-1", "", "DJ-2017-0009"])

    assert dict(NumberSequence.objects.values_list("year", "last")) == {2015: 200, 2016: 42}


def test_give_back_returns_the_unused_tail_of_the_last_block(sanhe):
    taken = take_numbers(sanhe, {2015: 5})[2015]

    give_back(sanhe, 2015, taken[3:])

    assert next_number(sanhe, 2015) == "SH-2015-0004"


def test_give_back_leaves_the_sequence_once_others_took_numbers_after(sanhe):
    taken = take_numbers(sanhe, {2015: 5})[2015]
    next_number(sanhe, 2015)

    give_back(sanhe, 2015, taken[3:])

    assert next_number(sanhe, 2015) == "SH-2015-0007"
