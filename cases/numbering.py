"""Tracking numbers SH-2015-0001 (the town's short code, the year, a serial): taken from the town's
NumberSequence, one locked step for any count.

Each town numbers its own cases. A town's year's row is locked (SELECT … FOR UPDATE) until the
caller's transaction ends, so concurrent callers queue and the numbers stay unique and gapless: a
transaction that rolls back gives its numbers back with it. Taking numbers for a whole import costs the same few
queries as taking one.

Track codes (Case.track_code) are the other thing a new case is given: 8 characters printed on the
resident's slip, with which /track/ follows the case without a phone (public/tracking.py).
"""

import re
import secrets
from collections import defaultdict

from django.db import transaction
from django.db.models import Case, F, PositiveIntegerField, Value, When

from cases.models import NumberSequence

NUMBER = re.compile(r"([A-Z]{2,4})-(\d{4})-(\d{4,})")


def format_number(town, year: int, serial: int) -> str:
    return f"{town.code}-{year}-{serial:04d}"


def parse_number(number: str, town=None) -> tuple[int, int] | None:
    """(year, serial) of a well-formed tracking number (of TOWN's, when given), else None."""
    match = NUMBER.fullmatch(number)
    if not match or (town is not None and match.group(1) != town.code):
        return None
    return int(match.group(2)), int(match.group(3))


def lock_years(town, years) -> dict[int, int]:
    """The last serial of each of TOWN's YEARS, its row locked until the transaction ends (rows of new
    years are created). Concurrent callers for the same town and year wait here for each other; another
    town's callers do not."""
    years = sorted(set(years))
    sequences = NumberSequence.objects.select_for_update().filter(town=town)
    lasts = dict(sequences.filter(year__in=years).values_list("year", "last"))
    missing = [year for year in years if year not in lasts]
    if missing:
        # A concurrent caller may create the same year: the conflict is ignored, then both lock it.
        NumberSequence.objects.bulk_create(
            [NumberSequence(town=town, year=year) for year in missing], ignore_conflicts=True
        )
        lasts |= dict(sequences.filter(year__in=missing).values_list("year", "last"))
    return lasts


def lock_years_of(cases) -> None:
    """Lock the sequences of every town and year of CASES (their town set), towns in order, so that
    two imports over the same towns lock them in the same order."""
    years, towns = defaultdict(set), {}
    for case in cases:
        years[case.town_id].add(case.raised_on.year)
        towns[case.town_id] = case.town
    for town_id in sorted(years):
        lock_years(towns[town_id], years[town_id])


def _set_lasts(town, lasts: dict[int, int]) -> None:
    """One UPDATE for every year (the rows are locked: the values are ours to set)."""
    sequences = NumberSequence.objects.filter(town=town)
    if len(lasts) == 1:
        [(year, last)] = lasts.items()
        sequences.filter(year=year).update(last=last)
        return
    whens = [When(year=year, then=Value(last)) for year, last in lasts.items()]
    sequences.filter(year__in=list(lasts)).update(
        last=Case(*whens, default=F("last"), output_field=PositiveIntegerField())
    )


def take_numbers(town, counts: dict[int, int]) -> dict[int, list[str]]:
    """COUNTS[year] consecutive new numbers of TOWN's for each year, in one locked step for all years."""
    counts = {year: count for year, count in counts.items() if count > 0}
    if not counts:
        return {}
    with transaction.atomic(savepoint=False):
        lasts = lock_years(town, sorted(counts))
        _set_lasts(town, {year: lasts[year] + count for year, count in counts.items()})
    return {
        year: [format_number(town, year, serial) for serial in range(lasts[year] + 1, lasts[year] + count + 1)]
        for year, count in counts.items()
    }


def next_number(town, year: int) -> str:
    """The next tracking number of TOWN's in YEAR (SH-2015-0001); safe against concurrent callers."""
    return take_numbers(town, {year: 1})[year][0]


def keep_ahead_of(town, numbers) -> None:
    """Imported numbers such as SH-2015-0150 move TOWN's sequence of their year to 150 at least, so
    that no number taken later is already in the ledger. Malformed numbers, and other towns', are
    ignored."""
    highest: dict[int, int] = {}
    for number in numbers:
        parsed = parse_number(number, town)
        if parsed:
            year, serial = parsed
            highest[year] = max(serial, highest.get(year, 0))
    if not highest:
        return
    with transaction.atomic(savepoint=False):
        lasts = lock_years(town, sorted(highest))
        ahead = {year: serial for year, serial in highest.items() if serial > lasts[year]}
        if ahead:
            _set_lasts(town, ahead)


def give_back(town, year: int, unused: list[str]) -> None:
    """Return the unused tail UNUSED of a block just taken for TOWN's YEAR (its row is still locked by
    this transaction), so that the year's numbers stay gapless."""
    if not unused:
        return
    first = parse_number(unused[0])[1]
    NumberSequence.objects.filter(town=town, year=year, last=first + len(unused) - 1).update(last=first - 1)


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
