"""Case counts that cost a month's cases, not the whole ledger.

A count "to a day" (raised by the day, closed by it, ...) is the tally of the whole months before
the day's month (cases.models.CaseTally, kept by triggers) plus a live count of the cases whose
event falls between the first of that month and the day (none when the day ends its month: the
tally alone then). Counts within a period (raised in it, closed in it) are live. Every live count
is narrowed by ranges of single date columns that the indexes on cases_case find
(cases.models.Case.Meta.indexes), so the database reads the month's cases and a few thousand
tally rows, whatever the size of the ledger.

A Counter gathers the counts a page wants and runs them per grouping in two queries: one over the
cases (one Count(filter=...) per count, the WHERE an OR of the ranges, merged per column) and one
over the tally.
"""

import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import Count, Q, Sum

from cases.models import Case, CaseTally

DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Live:
    """A condition on a case (EXACT) and a wider one made of date ranges that indexes find (INDEX)."""

    exact: Q
    index: Q


def between(field: str, lo: datetime.date, hi: datetime.date) -> Q:
    return Q(**{f"{field}__gte": lo, f"{field}__lte": hi})


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def events_between(event: str, lo: datetime.date, hi: datetime.date) -> Live:
    """The cases that a column of the tally (cases.tally_sql.event_days) counts on a day in [lo, hi]."""
    closed = Q(status=Case.Status.CLOSED)
    if event == "raised":
        return Live(between("raised_on", lo, hi), between("raised_on", lo, hi))
    if event == "raised_closed":
        return Live(closed & between("raised_on", lo, hi), between("raised_on", lo, hi))
    if event == "closed":
        return Live(closed & between("closed_on", lo, hi), between("closed_on", lo, hi))
    if event == "fed_back":  # the later of raised_on and fed_back_on
        exact = Q(raised_on__lte=hi, fed_back_on__lte=hi) & (Q(raised_on__gte=lo) | Q(fed_back_on__gte=lo))
        return Live(exact, between("raised_on", lo, hi) | between("fed_back_on", lo, hi))
    if event == "due_passed":  # the later of raised_on and the day after due_on
        exact = Q(raised_on__lte=hi, due_on__lt=hi) & (Q(raised_on__gte=lo) | Q(due_on__gte=lo - DAY))
        return Live(exact, between("raised_on", lo, hi) | between("due_on", lo - DAY, hi - DAY))
    if event == "closed_due_passed":  # the later of closed_on and the day after due_on
        exact = closed & Q(closed_on__lte=hi, due_on__lt=hi) & (Q(closed_on__gte=lo) | Q(due_on__gte=lo - DAY))
        return Live(exact, between("closed_on", lo, hi) | between("due_on", lo - DAY, hi - DAY))
    raise ValueError(event)


class Counter:
    """The counts one page wants, by name; run() counts them per grouping in two queries."""

    def __init__(self, town=None):
        # One town's counts (a Town), or the whole county's (None).
        self.town = town
        self.live: dict[str, Live] = {}
        self.tallied: dict[str, tuple[str, datetime.date]] = {}  # name: (column, months before)
        self.sums: dict[str, list[str]] = {}  # name: the parts added up

    def count(self, name: str, live: Live):
        """Count the cases of LIVE."""
        self.live[name] = live
        self.sums[name] = [name]

    def to_date(self, name: str, event: str, day: datetime.date):
        """Count the cases whose EVENT fell on DAY or before: the tally's months before DAY's month,
        and its days to DAY live; all from the tally when DAY is the last of its month (a month's
        row holds the whole month), which spares the live count a month's cases and conditions."""
        if (day + DAY).day == 1:
            self.tallied[f"{name}__months"] = (event, day + DAY)
            self.sums[name] = [f"{name}__months"]
            return
        month = first_of_month(day)
        self.tallied[f"{name}__months"] = (event, month)
        self.live[f"{name}__days"] = events_between(event, month, day)
        self.sums[name] = [f"{name}__months", f"{name}__days"]

    def run(self, *group: str) -> dict:
        """{key: {name: count}} per value of the GROUP columns (a tuple of them; () without GROUP).
        A key the tally keeps as 0 (no team, no category) is None, as on the case."""
        rows: dict = {}
        self._add(rows, self._live_rows(group), group)
        self._add(rows, self._tally_rows(group), group, zero_is_none=True)
        return {
            key: {name: sum(got.get(p, 0) for p in parts) for name, parts in self.sums.items()}
            for key, got in rows.items()
        }

    def _live_rows(self, group):
        """The live counts in one query over the cases in the union of their ranges, each column's
        ranges merged (PostgreSQL then reads each index once and estimates the rows it finds; with a
        range per count it expected four times as many and chose a parallel plan that costs more).
        A count whose ranges are all empty (after the end of a period that is over) is 0 and left out;
        if all are, one of them is still counted (its index finds nothing at once), so that a page
        makes as many queries whatever its period."""
        if not self.live:
            return []
        counts, ranges, others = {}, [], Q()
        for name, live in self.live.items():
            found = _ranges(live.index)
            if found is not None and not any(lo <= hi for _field, lo, hi in found):
                continue
            if found is None:
                others |= live.index
            else:
                ranges += found
            counts[name] = Count("id", filter=live.exact)
        if not counts:
            name, live = next(iter(self.live.items()))
            counts, others = {name: Count("id", filter=live.exact)}, live.index
        wide = others
        for field, lo, hi in _merged(ranges):
            wide |= between(field, lo, hi)
        cases = Case.objects.filter(wide).order_by()
        if self.town is not None:
            cases = cases.filter(town=self.town)
        return cases.values(*group).annotate(**counts) if group else [cases.aggregate(**counts)]

    def _tally_rows(self, group):
        """The tally's sums in one query: each column once, per span of months between the cut-offs
        the counts use, then a count adds up the spans before its own cut-off. Not one
        SUM(...) FILTER per count: over the 28,000 rows of a million cases, those ten filtered sums
        cost PostgreSQL 14 ms, these five 4 ms."""
        if not self.tallied:
            return []
        cutoffs = sorted({month for _event, month in self.tallied.values()})
        before = [models.When(month__lt=cutoff, then=models.Value(i)) for i, cutoff in enumerate(cutoffs[:-1])]
        span = models.Case(*before, default=models.Value(len(cutoffs) - 1), output_field=models.IntegerField())
        events = dict.fromkeys(event for event, _month in self.tallied.values())
        tally = CaseTally.objects.filter(month__lt=cutoffs[-1]).order_by().annotate(span=span)
        if self.town is not None:
            tally = tally.filter(town_id=self.town.pk)
        found = tally.values(*group, "span").annotate(**{f"sum_{e}": Sum(e) for e in events})
        rows: dict = {}
        for row in found:
            key = tuple(row[g] for g in group)
            into = rows.setdefault(key, {g: row[g] for g in group} | dict.fromkeys(self.tallied, 0))
            for name, (event, cutoff) in self.tallied.items():
                if cutoffs[row["span"]] <= cutoff:  # the span's months are all before the cut-off
                    into[name] += row[f"sum_{event}"] or 0
        return rows.values()

    @staticmethod
    def _add(rows: dict, found, group, zero_is_none=False):
        for row in found:
            key = tuple(None if zero_is_none and row[g] == 0 else row[g] for g in group)
            counts = rows.setdefault(key, {})
            for name, value in row.items():
                if name not in group:
                    counts[name] = counts.get(name, 0) + (value or 0)


Range = tuple[str, datetime.date, datetime.date]


def _ranges(index: Q) -> list[Range] | None:
    """INDEX, a between() or an OR of them, as (field, lo, hi) ranges; None if it is something else."""
    if index.negated:
        return None
    if index.connector == Q.OR:
        found = [_ranges(child) if isinstance(child, Q) else None for child in index.children]
        return None if None in found else [r for ranges in found for r in ranges]
    lookups = dict(child for child in index.children if isinstance(child, tuple))
    field = next(iter(lookups), "").removesuffix("__gte")
    if len(index.children) != 2 or set(lookups) != {f"{field}__gte", f"{field}__lte"}:
        return None
    return [(field, lookups[f"{field}__gte"], lookups[f"{field}__lte"])]


def _merged(ranges: list[Range]) -> list[Range]:
    """RANGES without the empty ones, those of a column that overlap or touch made one."""
    merged: list[list] = []
    for field, lo, hi in sorted(r for r in ranges if r[1] <= r[2]):
        if merged and merged[-1][0] == field and lo <= merged[-1][2] + DAY:
            merged[-1][2] = max(merged[-1][2], hi)
        else:
            merged.append([field, lo, hi])
    return [tuple(r) for r in merged]
