"""Due dates counted in working days on China's official calendar (chinesecalendar)."""

import datetime

import pytest
from django.test import override_settings

from cases.deadlines import add_working_days, due_date, is_workday

D = datetime.date


def test_is_workday_knows_spring_festival_2015_and_its_adjusted_sunday():
    assert is_workday(D(2015, 2, 19)) == (False, False)  # 春节 (a Thursday)
    assert is_workday(D(2015, 2, 15)) == (True, False)  # 调休: a Sunday worked
    assert is_workday(D(2015, 2, 28)) == (True, False)  # 调休: a Saturday worked
    assert is_workday(D(2015, 2, 14)) == (False, False)  # an ordinary Saturday


def test_due_date_enquiry_before_spring_festival_2015_counts_the_adjusted_sunday():
    # Friday 13 Feb 2015 + 2 working days: Sunday 15 Feb (worked), Monday 16 Feb.
    assert due_date(D(2015, 2, 13), "enquiry") == (D(2015, 2, 16), False)


def test_due_date_help_over_spring_festival_2015_skips_the_holiday_week():
    # 15, 16, 17 Feb; holiday 18–24 Feb; 25, 26, 27, Saturday 28 Feb (worked), 2, 3, 4 Mar.
    assert due_date(D(2015, 2, 13), "help") == (D(2015, 3, 4), False)


def test_due_date_complaint_over_national_day_2024_counts_both_adjusted_days():
    # Sunday 29 Sep and Saturday 12 Oct 2024 were worked; 1–7 Oct were holidays.
    assert due_date(D(2024, 9, 27), "complaint") == (D(2024, 10, 23), False)


def test_due_date_enquiry_on_the_eve_of_national_day_2024_waits_for_the_holiday():
    assert due_date(D(2024, 9, 30), "enquiry") == (D(2024, 10, 9), False)


def test_due_date_suggestion_in_an_ordinary_week_is_two_calendar_weeks():
    # Monday 9 Mar 2015 + 10 working days = Monday 23 Mar 2015.
    assert due_date(D(2015, 3, 9), "suggestion") == (D(2015, 3, 23), False)


def test_due_date_in_a_year_the_calendar_does_not_know_falls_back_to_monday_to_friday():
    # 2099-01-01 is a Thursday: Friday 2, then Monday 5 … Thursday 15 January.
    assert due_date(D(2099, 1, 1), "enquiry") == (D(2099, 1, 5), True)
    assert due_date(D(2099, 1, 1), "help") == (D(2099, 1, 15), True)


def test_is_workday_in_an_unknown_year_says_it_guessed():
    assert is_workday(D(2099, 1, 3)) == (False, True)  # a Saturday
    assert is_workday(D(2099, 1, 5)) == (True, True)  # a Monday


def test_add_working_days_zero_is_the_start_day():
    assert add_working_days(D(2015, 2, 13), 0) == (D(2015, 2, 13), False)


@override_settings(CASE_WORKING_DAY_LIMITS={"enquiry": 1, "help": 3, "suggestion": 3, "complaint": 5})
def test_due_date_reads_the_limits_from_settings():
    assert due_date(D(2015, 2, 13), "enquiry") == (D(2015, 2, 15), False)


def test_due_date_of_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="no working-day limit for kind 'gossip'"):
        due_date(D(2015, 2, 13), "gossip")
