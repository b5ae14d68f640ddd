"""Tracking numbers taken in blocks (cases/numbering.py): unique, consecutive, per year, gapless."""

import pytest
from django.db import transaction

from cases.models import NumberSequence
from cases.numbering import give_back, keep_ahead_of, next_number, parse_number, take_numbers

pytestmark = pytest.mark.django_db


def test_take_numbers_gives_consecutive_numbers_per_year_after_the_last():
    NumberSequence.objects.create(year=2015, last=7)

    taken = take_numbers({2015: 3, 2016: 2, 2017: 0})

    assert taken == {
        2015: ["SH-2015-0008", "SH-2015-0009", "SH-2015-0010"],
        2016: ["SH-2016-0001", "SH-2016-0002"],
    }
    assert dict(NumberSequence.objects.values_list("year", "last")) == {2015: 10, 2016: 2}
    assert next_number(2015) == "SH-2015-0011"


def test_take_numbers_twice_never_gives_a_number_twice():
    first, second = take_numbers({2015: 500}), take_numbers({2015: 500})

    numbers = first[2015] + second[2015]
    assert len(set(numbers)) == 1000
    assert [parse_number(n)[1] for n in numbers] == list(range(1, 1001))


def test_take_numbers_of_many_years_is_one_locked_step(django_assert_num_queries):
    NumberSequence.objects.bulk_create([NumberSequence(year=year, last=1) for year in (2015, 2016, 2017)])

    with django_assert_num_queries(2):  # lock the three rows, update the three rows
        taken = take_numbers({2015: 100, 2016: 200, 2017: 1})

    assert [len(taken[year]) for year in (2015, 2016, 2017)] == [100, 200, 1]


def test_numbers_taken_in_a_transaction_that_fails_are_taken_again():
    NumberSequence.objects.create(year=2015, last=4)
    with pytest.raises(RuntimeError), transaction.atomic():
        take_numbers({2015: 10})
        raise RuntimeError

    assert next_number(2015) == "SH-2015-0005"


def test_keep_ahead_of_moves_each_year_past_the_numbers_given():
    NumberSequence.objects.create(year=2015, last=200)

    keep_ahead_of(["SH-2015-0150", "SH-2016-0042", "SH-2016-0007", "2016-1", ""])

    assert dict(NumberSequence.objects.values_list("year", "last")) == {2015: 200, 2016: 42}


def test_give_back_returns_the_unused_tail_of_the_last_block():
    taken = take_numbers({2015: 5})[2015]

    give_back(2015, taken[3:])

    assert next_number(2015) == "SH-2015-0004"


def test_give_back_leaves_the_sequence_once_others_took_numbers_after():
    taken = take_numbers({2015: 5})[2015]
    next_number(2015)

    give_back(2015, taken[3:])

    assert next_number(2015) == "SH-2015-0007"
