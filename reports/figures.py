"""The figures the town reports, computed by the database.

Every percentage here follows the town's report: an exact ratio written with two
decimals, truncated toward zero (78/142 = 54.929… is written 54.92).
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from cases.models import Case, CaseTally, Category

HUNDREDTH = Decimal("0.01")


def percent(part: int, whole: int) -> Decimal | None:
    """part/whole as a percentage truncated to two decimals; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(HUNDREDTH, rounding=ROUND_DOWN)


def percent_text(part: int, whole: int) -> str:
    """The percentage as the report writes it ("54.92"), or "—" with nothing to divide by."""
    value = percent(part, whole)
    return "—" if value is None else f"{value:.2f}"


@dataclass
class Share:
    code: str
    name: str
    count: int
    share: str
    pk: int | None = None
    subcategories: list["Share"] | None = None

    def as_json(self) -> dict:
        data = {"code": self.code, "name": self.name, "count": self.count, "share": self.share}
        if self.subcategories is not None:
            data["subcategories"] = [sub.as_json() for sub in self.subcategories]
        return data


@dataclass
class Summary:
    total: int
    closed: int
    in_progress: int
    closure_rate: str
    categories: list[Share]
    unclassified: Share

    def as_json(self) -> dict:
        return {
            "total": self.total,
            "closed": self.closed,
            "in_progress": self.in_progress,
            "closure_rate": self.closure_rate,
            "categories": [c.as_json() for c in self.categories],
            "unclassified": {"count": self.unclassified.count, "share": self.unclassified.share},
        }


def filter_cases(
    cases: QuerySet | None = None, *, start=None, end=None, town=None, village=None, team=None, category=None
):
    """Cases raised in [start, end] (either may be open), narrowed to a town, village, team or category."""
    cases = Case.objects.all() if cases is None else cases
    cases = cases.raised_between(start, end)
    if town is not None:
        cases = cases.filter(town=town)
    if village is not None:
        cases = cases.filter(village=village)
    if team is not None:
        cases = cases.filter(team=team)
    if category is not None:
        cases = cases.filter(category=category)
    return cases


def summarize(cases: QuerySet) -> Summary:
    """Totals and category shares of CASES in four queries, counting every case: the definition
    that summary() computes from the tally (the tests compare the two)."""
    totals = cases.aggregate(total=Count("id"), closed=Count("id", filter=Q(status=Case.Status.CLOSED)))
    by_sub = {
        (row["category_id"], row["subcategory_id"]): row["n"]
        for row in cases.order_by().values("category_id", "subcategory_id").annotate(n=Count("id"))
    }
    return _summary(by_sub, totals["total"], totals["closed"])


def summary(*, start=None, end=None, town=None, village=None, team=None, category=None) -> Summary:
    """summarize(filter_cases(...)) in four queries that cost two months' cases, not the ledger's:
    the whole months between START and END from the tally (cases.models.CaseTally), the days
    before the first and after the last of them live (without END, the current month)."""
    first = start if start is None or start.day == 1 else _next_month(start)  # the first whole month
    after = (end + datetime.timedelta(days=1) if end is not None else timezone.localdate()).replace(day=1)
    months, days = Q(month__lt=after), Q(raised_on__gte=after) & _until(end)
    if first is not None and first >= after:  # not one whole month: every day live
        months, days = Q(pk__in=[]), Q(raised_on__gte=start) & _until(end)
    elif first is not None:
        months &= Q(month__gte=first)
        days |= Q(raised_on__gte=start, raised_on__lt=first)
    dims = {"town_id": town, "village_id": village, "team_id": team, "category_id": category}
    dims = {k: getattr(v, "pk", v) for k, v in dims.items() if v is not None}
    by_sub: dict = {}
    total = closed = 0
    tallied = CaseTally.objects.filter(months, **dims).order_by().values("category_id", "subcategory_id")
    live = Case.objects.filter(days, **dims).order_by().values("category_id", "subcategory_id")
    closing = Q(status=Case.Status.CLOSED)
    for rows in (
        tallied.annotate(n=Sum("raised"), shut=Sum("raised_closed")),
        live.annotate(n=Count("id"), shut=Count("id", filter=closing)),
    ):
        for row in rows:
            key = (row["category_id"] or None, row["subcategory_id"] or None)
            by_sub[key] = by_sub.get(key, 0) + (row["n"] or 0)
            total += row["n"] or 0
            closed += row["shut"] or 0
    return _summary(by_sub, total, closed, town if town is not None else getattr(village, "town_id", None))


def _until(end) -> Q:
    return Q() if end is None else Q(raised_on__lte=end)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _summary(by_sub: dict, total: int, closed: int, town=None) -> Summary:
    """The summary of cases counted BY_SUB, {(category, sub-category): n}, TOTAL of them, CLOSED:
    the categories of TOWN (a town or its id) if given, else every category."""
    categories = []
    table = Category.objects.for_town(town) if town is not None else Category.objects.all()
    for category in table.prefetch_related("subcategories"):
        subs = [
            Share(s.code, s.label, n := by_sub.get((category.pk, s.pk), 0), percent_text(n, total), pk=s.pk)
            for s in category.subcategories.all()
        ]
        count = sum(n for (cat, _sub), n in by_sub.items() if cat == category.pk)
        categories.append(
            Share(category.code, category.label, count, percent_text(count, total), pk=category.pk, subcategories=subs)
        )
    unclassified = by_sub.get((None, None), 0)
    return Summary(
        total=total,
        closed=closed,
        in_progress=total - closed,
        closure_rate=percent_text(closed, total),
        categories=categories,
        unclassified=Share("", "", unclassified, percent_text(unclassified, total)),
    )
