"""Tracking numbers SH-2015-0001: taken from NumberSequence, one locked step for any count.

Each year's row is locked (SELECT … FOR UPDATE) until the caller's transaction ends, so
concurrent callers queue and the numbers stay unique and gapless: a transaction that rolls
back gives its numbers back with it. Taking numbers for a whole import costs the same few
queries as taking one.

Track codes (Case.track_code) are the other thing a new case is given: 8 characters printed on the
resident's slip, with which /track/ follows the case without a phone (villages/tracking.py).
"""

import re
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, PositiveIntegerField, Value, When

from cases.models import NumberSequence


def format_number(year: int, serial: int) -> str:
    return f"{settings.CASE_NUMBER_PREFIX}-{year}-{serial:04d}"


def number_pattern() -> re.Pattern:
    return re.compile(rf"{re.escape(settings.CASE_NUMBER_PREFIX)}-(\d{{4}})-(\d{{4,}})")


def parse_number(number: str) -> tuple[int, int] | None:
    """(year, serial) of a well-formed tracking number, else None."""
    match = number_pattern().fullmatch(number)
    return (int(match.group(1)), int(match.group(2))) if match else None


def lock_years(years) -> dict[int, int]:
    """The last serial of each of YEARS, its row locked until the transaction ends (rows of new
    years are created). Concurrent callers for the same year wait here for each other."""
    years = sorted(set(years))
    lasts = dict(NumberSequence.objects.select_for_update().filter(year__in=years).values_list("year", "last"))
    missing = [year for year in years if year not in lasts]
    if missing:
        # A concurrent caller may create the same year: the conflict is ignored, then both lock it.
        NumberSequence.objects.bulk_create([NumberSequence(year=year) for year in missing], ignore_conflicts=True)
        lasts |= dict(NumberSequence.objects.select_for_update().filter(year__in=missing).values_list("year", "last"))
    return lasts


def _set_lasts(lasts: dict[int, int]) -> None:
    """One UPDATE for every year (the rows are locked: the values are ours to set)."""
    if len(lasts) == 1:
        [(year, last)] = lasts.items()
        NumberSequence.objects.filter(year=year).update(last=last)
        return
    whens = [When(year=year, then=Value(last)) for year, last in lasts.items()]
    NumberSequence.objects.filter(year__in=list(lasts)).update(
        last=Case(*whens, default=F("last"), output_field=PositiveIntegerField())
    )


def take_numbers(counts: dict[int, int]) -> dict[int, list[str]]:
    """COUNTS[year] consecutive new numbers of each year, in one locked step for all years."""
    counts = {year: count for year, count in counts.items() if count > 0}
    if not counts:
        return {}
    with transaction.atomic(savepoint=False):
        lasts = lock_years(sorted(counts))
        _set_lasts({year: lasts[year] + count for year, count in counts.items()})
    return {
        year: [format_number(year, serial) for serial in range(lasts[year] + 1, lasts[year] + count + 1)]
        for year, count in counts.items()
    }


def next_number(year: int) -> str:
    """The next tracking number of YEAR (SH-2015-0001); safe against concurrent callers."""
    return take_numbers({year: 1})[year][0]


def keep_ahead_of(numbers) -> None:
    """Imported numbers such as SH-2015-0150 move their year's sequence to 150 at least, so
    that no number taken later is already in the ledger. Malformed numbers are ignored."""
    highest: dict[int, int] = {}
    for number in numbers:
        parsed = parse_number(number)
        if parsed:
            year, serial = parsed
            highest[year] = max(serial, highest.get(year, 0))
    if not highest:
        return
    with transaction.atomic(savepoint=False):
        lasts = lock_years(sorted(highest))
        ahead = {year: serial for year, serial in highest.items() if serial > lasts[year]}
        if ahead:
            _set_lasts(ahead)


def give_back(year: int, unused: list[str]) -> None:
    """Return the unused tail UNUSED of a block just taken for YEAR (its row is still locked by
    this transaction), so that the year's numbers stay gapless."""
    if not unused:
        return
    first = parse_number(unused[0])[1]
    NumberSequence.objects.filter(year=year, last=first + len(unused) - 1).update(last=first - 1)


# No 0/O, 1/I/L: a code is read off a paper slip and typed on a phone. 31 ** 8 ≈ 8.5 × 10**11 codes.
TRACK_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACK_CODE_LENGTH = 8


def give_track_codes(cases) -> None:
    """A fresh random track code for each of CASES that has none, distinct among them; the only
    place codes are made (registration, batch and import, fill_track_codes).

    Unique against the cases already saved by the odds, not by a query (registering stays six
    queries, an import a constant number): with 10,000 cases on file, a new code repeats one with
    probability 1.2 × 10**-8, an import of 10,000 rows holds one with 1.2 × 10**-4; the unique
    constraint then refuses the save, which writes nothing (saving again draws new codes)."""
    taken = {case.track_code for case in cases if case.track_code}
    for case in cases:
        while not case.track_code:
            code = "".join(secrets.choice(TRACK_CODE_ALPHABET) for _ in range(TRACK_CODE_LENGTH))
            if code not in taken:
                case.track_code = code
                taken.add(code)
