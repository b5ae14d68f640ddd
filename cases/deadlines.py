"""Due dates in working days on China's official calendar (holidays and adjusted working days 调休).

The calendar comes from the `chinesecalendar` package, which knows the State Council's
holiday notices up to its last published year. For a year it does not know, we count
Monday to Friday and say so (the returned flag), never an error.
"""

import datetime
import functools

import chinese_calendar
from django.conf import settings


# chinese_calendar works out its table's range on every call; an import counts thousands of days.
@functools.lru_cache(maxsize=4096)
def is_workday(day: datetime.date) -> tuple[bool, bool]:
    """(whether DAY is a working day, whether the Monday–Friday fallback decided it)."""
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:  # a year the package has no notice for
        return day.weekday() < 5, True


def working_day_limit(kind: str) -> int:
    try:
        return settings.CASE_WORKING_DAY_LIMITS[kind]
    except KeyError:
        raise ValueError(f"no working-day limit for kind {kind!r}") from None


def add_working_days(start: datetime.date, days: int) -> tuple[datetime.date, bool]:
    """The DAYSth working day after START (START itself does not count), and the fallback flag."""
    day, counted, fallback = start, 0, False
    while counted < days:
        day += datetime.timedelta(days=1)
        workday, guessed = is_workday(day)
        fallback = fallback or guessed
        counted += workday
    return day, fallback


def due_date(start: datetime.date, kind: str) -> tuple[datetime.date, bool]:
    """The default due date of a request of KIND received on START: the limit in
    settings.CASE_WORKING_DAY_LIMITS counted in working days; True when a year the calendar
    does not know was counted Monday to Friday."""
    return add_working_days(start, working_day_limit(kind))
