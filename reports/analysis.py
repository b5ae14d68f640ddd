"""The monthly analysis: every figure and rate supervisors read, defined and computed here once.

A period is a date range [start, end], both inclusive; figures "at the end" are as of END.
Each count is a Q object on Case, used both to count (Count(filter=...)) and to list the cases
behind the figure, so a number and its list can never disagree. Rates use reports.figures.percent:
two decimals, truncated toward zero, as the town's report writes them.
"""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import CharField, Count, DateField, F, IntegerField, Max, Q, Sum, Value
from django.db.models.functions import Coalesce, ExtractIsoYear, ExtractWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Case, CaseTally, Category, Feedback
from reports.figures import percent
from reports.tally import DAY, Counter, Live, between, first_of_month
from teams.models import Team, Visit
from villages.models import Town, Village

SOLVED = (Case.Closure.SOLVED, Case.Closure.ON_THE_SPOT)
GOOD = (Feedback.Satisfaction.SATISFIED, Feedback.Satisfaction.BASICALLY)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def last_full_month(cls, today: datetime.date | None = None) -> "Period":
        first = (today or timezone.localdate()).replace(day=1)
        last = first - datetime.timedelta(days=1)
        return cls.month(last.year, last.month)

    @property
    def is_month(self) -> bool:
        return self == Period.month(self.start.year, self.start.month)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The month before a month; otherwise the same number of days just before START."""
        if self.is_month:
            last = self.start - datetime.timedelta(days=1)
            return Period.month(last.year, last.month)
        end = self.start - datetime.timedelta(days=1)
        return Period(end - datetime.timedelta(days=self.days - 1), end)

    @property
    def as_of(self) -> datetime.date:
        """The day overdue is judged on: the end, or today while the period is still running."""
        return min(self.end, timezone.localdate())

    @classmethod
    def to_date(cls, end: datetime.date) -> "Period":
        """Everything from the programme's start to END: the cumulative figures."""
        return cls(min(settings.PROGRAMME_START, end), end)

    def thursdays(self) -> list[datetime.date]:
        first = self.start + datetime.timedelta(days=(3 - self.start.weekday()) % 7)
        return [first + datetime.timedelta(weeks=w) for w in range(max(0, (self.end - first).days // 7 + 1))]

    @property
    def running(self) -> bool:
        """Today is inside the period: its figures are partial."""
        return self.start <= timezone.localdate() <= self.end

    def running_note(self) -> str:
        """The one line that says the figures are partial, or "" for a period that has ended."""
        if not self.running:
            return ""
        day = {"month": self.as_of.month, "day": self.as_of.day}
        if self.is_month:
            return _("本月尚未结束，数字截至%(month)d月%(day)d日。") % day
        return _("本期尚未结束，数字截至%(month)d月%(day)d日。") % day

    @classmethod
    def opening_month(cls) -> "Period":
        """The month a report page opens on: the last full month (what the monthly meeting accounts
        for) if it has cases; this month if only it has; else the latest month that has cases (a ledger
        imported from years ago must not open on an empty month). One or two queries on the index on
        raised_on; a date after today (clock skew) counts as today."""
        today = timezone.localdate()
        this_month = cls.month(today.year, today.month)
        last_full = cls.month((this_month.start - DAY).year, (this_month.start - DAY).month)
        latest = Case.objects.aggregate(latest=Max("raised_on"))["latest"]
        day = min(latest, today) if latest else today
        if day < last_full.start:
            return cls.month(day.year, day.month)
        if (
            day >= this_month.start
            and not Case.objects.filter(raised_on__range=(last_full.start, last_full.end)).exists()
        ):
            return this_month
        return last_full

    def label(self) -> str:
        if self.is_month:
            return _("%(year)d年%(month)d月") % {"year": self.start.year, "month": self.start.month}
        return _("%(start)s至%(end)s") % {"start": self.start.isoformat(), "end": self.end.isoformat()}


# -- The counts: one Q on Case each ----------------------------------------------------------


def case_filters(p: Period) -> dict[str, Q]:
    """Every count the analysis makes, as a condition on a case, for period P."""
    raised_in = Q(raised_on__gte=p.start, raised_on__lte=p.end)
    raised_by = Q(raised_on__lte=p.end)
    closed_by = Q(status=Case.Status.CLOSED, closed_on__lte=p.end)
    closed_in = closed_by & Q(closed_on__gte=p.start)
    open_at_end = raised_by & ~closed_by
    return {
        "collected": raised_in,
        "collected_closed": raised_in & closed_by,
        "collected_solved": raised_in & closed_by & Q(closure__in=SOLVED),
        "on_the_spot": raised_in & closed_by & Q(closure=Case.Closure.ON_THE_SPOT),
        "closed": closed_in,
        "closed_with_due": closed_in & Q(due_on__isnull=False),
        "closed_on_time": closed_in & Q(due_on__isnull=False, closed_on__lte=F("due_on")),
        "closed_fed_back": closed_in & Q(fed_back_on__lte=p.end),
        "open_at_end": open_at_end,
        "overdue": open_at_end & Q(due_on__lt=p.as_of),
        "raised_to_date": raised_by,
        "closed_to_date": closed_by,
        "fed_back_to_date": raised_by & Q(fed_back_on__lte=p.end),
    }


CASE_FIGURES = list(case_filters(Period.month(2000, 1)))  # their names, in their order


def case_counts(p: Period, suffix: str = "") -> dict:
    """The counts as plain Count(filter=...) over every case: the definition that count_cases
    computes faster (the tests compare the two)."""
    return {name + suffix: Count("id", filter=q) for name, q in case_filters(p).items()}


RAISED_IN = ("collected", "collected_closed", "collected_solved", "on_the_spot")
CLOSED_IN = ("closed", "closed_with_due", "closed_on_time", "closed_fed_back")


def _add_case_counts(counter: Counter, p: Period, suffix: str):
    """The counts within P, live over the cases raised or closed in P; those to P's end from the tally.

    Open at the end is raised to date less closed to date (a case closes on or after the day it was
    raised: cases_case_closed_after_raised). Overdue, open at the end and due before AS_OF (the end,
    or today in a running period), is (raised and due before AS_OF) less (closed and due before
    AS_OF), each counted to AS_OF, plus what was raised or closed after AS_OF within P.
    """
    filters = case_filters(p)
    for name in RAISED_IN:
        counter.count(name + suffix, Live(filters[name], between("raised_on", p.start, p.end)))
    for name in CLOSED_IN:
        counter.count(name + suffix, Live(filters[name], between("closed_on", p.start, p.end)))
    counter.to_date("raised_to_date" + suffix, "raised", p.end)
    counter.to_date("closed_to_date" + suffix, "closed", p.end)
    counter.to_date("fed_back_to_date" + suffix, "fed_back", p.end)
    counter.to_date("due_passed" + suffix, "due_passed", p.as_of)
    counter.to_date("closed_due_passed" + suffix, "closed_due_passed", p.as_of)
    after, due = p.as_of + DAY, Q(due_on__lt=p.as_of)
    raised_after, closed_after = between("raised_on", after, p.end), between("closed_on", after, p.end)
    counter.count("raised_after" + suffix, Live(raised_after & due, raised_after))
    counter.count("closed_after" + suffix, Live(Q(status=Case.Status.CLOSED) & closed_after & due, closed_after))


def _case_figures(counts: dict, suffix: str) -> dict:
    figures = {}
    for name in CASE_FIGURES:
        if name == "open_at_end":
            value = counts["raised_to_date" + suffix] - counts["closed_to_date" + suffix]
        elif name == "overdue":
            value = counts["due_passed" + suffix] + counts["raised_after" + suffix]
            value -= counts["closed_due_passed" + suffix] + counts["closed_after" + suffix]
        else:
            value = counts[name + suffix]
        figures[name + suffix] = value
    return figures


# The finest grouping the pages need: the dashboard counts once by all four, then adds up.
FINE = ("town_id", "village_id", "team_id", "category_id", "subcategory_id")


def count_fine(p: Period, town=None) -> dict:
    """The counts of P and of the period before, by town, village, team, category and sub-category:
    what headline, by_category, by_village, by_team and by_town add up when given it (two queries).
    TOWN narrows them to one town's; None counts the county's."""
    return count_cases({"": p, "_prev": p.previous()}, *FINE, town=town)


def regroup(fine: dict, *group: str) -> dict:
    """FINE (count_fine's) added up by GROUP, some of its columns: a few hundred rows at most."""
    places = [FINE.index(g) for g in group]
    grouped: dict = {}
    for key, counts in fine.items():
        into = grouped.setdefault(tuple(key[i] for i in places), dict.fromkeys(counts, 0))
        for name, value in counts.items():
            into[name] += value
    return grouped


def _this_period(rows: dict) -> dict:
    return {key: {k: v for k, v in counts.items() if not k.endswith("_prev")} for key, counts in rows.items()}


def count_cases(periods: dict[str, Period], *group: str, town=None) -> dict:
    """Every count of case_filters for each period ({suffix: period}), per value of GROUP (tuples
    of case columns; the key () without GROUP): two queries, costing the periods' months. TOWN: one
    town's cases only."""
    counter = Counter(town)
    for suffix, p in periods.items():
        _add_case_counts(counter, p, suffix)
    rows = counter.run(*group)
    if not group:
        rows.setdefault((), {name: 0 for name in counter.sums})
    return {key: {k: v for s in periods for k, v in _case_figures(got, s).items()} for key, got in rows.items()}


def given_in(*periods: Period) -> Q:
    """The feedback of any of PERIODS: the WHERE that lets the index on given_on do the work.
    A voided case's feedback counts no more than the case."""
    days = Q()
    for p in periods:
        days |= Q(given_on__gte=p.start, given_on__lte=p.end)
    return days & not_of_voided_cases()


def not_of_voided_cases() -> Q:
    """Rows of a case's child table (feedback) whose case is not voided: the voided cases, few, are
    read once from their index (cases_case_voided) into a hash, instead of joining every row's case
    (a month's feedback at 1M cases: 24 ms joined, under 3 ms so)."""
    voided = Case.with_voided.filter(voided_at__isnull=False).values("id")
    return ~Q(case_id__in=voided)


def feedback_counts(p: Period, suffix: str = "") -> dict:
    given = Q(given_on__gte=p.start, given_on__lte=p.end)
    return {
        "rated" + suffix: Count("id", filter=given & ~Q(satisfaction="")),
        "satisfied" + suffix: Count("id", filter=given & Q(satisfaction__in=GOOD)),
    }


def visit_counts(p: Period, suffix: str = "") -> dict:
    weeks = week_range(p)
    in_weeks = Q(date__gte=weeks.start, date__lte=weeks.end) if weeks else Q(pk__in=[])
    week_key = ExtractIsoYear("date") * 100 + ExtractWeek("date")
    return {
        "visited_households" + suffix: Sum("households_visited", filter=Q(date__gte=p.start, date__lte=p.end)),
        "visits" + suffix: Count("id", filter=Q(date__gte=p.start, date__lte=p.end)),
        "weeks_visited" + suffix: Count(week_key, filter=in_weeks, distinct=True),
    }


def week_range(p: Period) -> Period | None:
    """Monday of the first Thursday's week to Sunday of the last: a visit in these days counts
    for a Thursday of P (a visit moved to another day of the week, with a reason, still counts)."""
    thursdays = p.thursdays()
    if not thursdays:
        return None
    return Period(thursdays[0] - datetime.timedelta(days=3), thursdays[-1] + datetime.timedelta(days=3))


# -- Rates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    key: str
    name: str
    part: str
    whole: str
    definition: str


RATES = [
    Rate(
        "closure_rate",
        _("办结率（累计）"),
        "closed_to_date",
        "raised_to_date",
        _("截至期末已办结的问题数 ÷ 截至期末收集的问题总数（自活动开始累计；政策解释办结的计入）。"),
    ),
    Rate(
        "closure_rate_period",
        _("办结率（本期）"),
        "collected_closed",
        "collected",
        _("本期收集的问题中截至期末已办结的 ÷ 本期收集的问题数（政策解释办结的计入）。"),
    ),
    Rate(
        "solved_rate",
        _("解决率"),
        "collected_solved",
        "collected",
        _("本期收集的问题中截至期末已解决（含现场解决，不含政策解释）的 ÷ 本期收集的问题数。"),
    ),
    Rate(
        "on_time_rate",
        _("按期办结率"),
        "closed_on_time",
        "closed_with_due",
        _("本期办结且有办理期限的问题中，在期限当天或之前办结的 ÷ 本期办结且有办理期限的问题数。"),
    ),
    Rate(
        "feedback_rate",
        _("反馈率"),
        "closed_fed_back",
        "closed",
        _("本期办结的问题中截至期末已向反映人反馈的 ÷ 本期办结的问题数。"),
    ),
    Rate(
        "satisfaction_rate",
        _("满意率"),
        "satisfied",
        "rated",
        _("本期回访记录中评价为“满意”或“基本满意”的 ÷ 本期有满意度评价的回访记录数。"),
    ),
    Rate(
        "home_visit_rate",
        _("入户率"),
        "visited_households",
        "households",
        _("本期驻点走访户数之和 ÷ 户数（各村登记户数之和）。同一户多次走访重复计算，一个月以上的期间可超过100%。"),
    ),
]
RATE_BY_KEY = {rate.key: rate for rate in RATES}

COUNT_DEFINITIONS = [
    ("collected", _("收集问题"), _("反映日期在本期内的问题数。")),
    ("closed", pgettext_lazy("heading", "办结"), _("办结日期在本期内的问题数（不论何时收集）。")),
    ("open_at_end", _("期末未办结"), _("截至期末已收集、期末时尚未办结的问题数。")),
    ("overdue", _("逾期"), _("期末未办结且办理期限早于期末（本期尚未结束时为今天）的问题数。")),
    ("on_the_spot", _("现场解决"), _("本期收集、由驻点干部现场解决的问题数。")),
]


def rates_of(counts: dict) -> dict[str, Decimal | None]:
    return {rate.key: percent(counts.get(rate.part) or 0, counts.get(rate.whole) or 0) for rate in RATES}


# -- Headline figures --------------------------------------------------------------------------

HEADLINE_COUNTS = ["collected", "closed", "open_at_end", "overdue", "on_the_spot"]


@dataclass
class Figure:
    key: str
    name: str
    value: int | Decimal | None
    previous: int | Decimal | None
    is_rate: bool = False
    rate: "Rate | None" = None
    part: int | None = None
    whole: int | None = None

    @property
    def change(self) -> int | Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass
class Headline:
    period: Period
    previous: Period
    counts: dict
    previous_counts: dict
    rates: dict
    previous_rates: dict
    figures: list[Figure] = field(default_factory=list)


def in_town(queryset, town, path: str = "town"):
    """QUERYSET narrowed to TOWN's rows (PATH leads to the town); the county's (None) untouched."""
    return queryset if town is None else queryset.filter(**{path: town})


def headline(p: Period, fine: dict | None = None, town=None) -> Headline:
    """The headline counts and rates of P beside those of the period before: five queries, three
    given FINE (count_fine(p))."""
    q = p.previous()
    counts = count_cases({"": p, "_prev": q}, town=town)[()] if fine is None else regroup(fine).get(())
    counts = counts or {name + s: 0 for name in CASE_FIGURES for s in ("", "_prev")}  # no case at all
    feedback = in_town(Feedback.objects.filter(given_in(p, q)), town)
    counts |= feedback.aggregate(**feedback_counts(p), **feedback_counts(q, "_prev"))
    known = Q(village__households__isnull=False)
    counts |= in_town(Visit.objects.filter(known), town, "village__town").aggregate(
        **visit_counts(p), **visit_counts(q, "_prev")
    )
    households = in_town(Village.objects.all(), town).aggregate(n=Sum("households"))["n"] or 0
    counts["households"] = counts["households_prev"] = households
    now = {k: v or 0 for k, v in counts.items() if not k.endswith("_prev")}
    before = {k.removesuffix("_prev"): v or 0 for k, v in counts.items() if k.endswith("_prev")}
    result = Headline(p, q, now, before, rates_of(now), rates_of(before))
    names = dict((key, name) for key, name, _d in COUNT_DEFINITIONS)
    for key in HEADLINE_COUNTS:
        result.figures.append(Figure(key, names[key], now[key], before[key]))
    for rate in RATES:
        value, previous = result.rates[rate.key], result.previous_rates[rate.key]
        result.figures.append(Figure(rate.key, rate.name, value, previous, True, rate, now[rate.part], now[rate.whole]))
    return result


# -- Breakdowns --------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a breakdown: a category, sub-category, village or team, with its counts.
    DIM names what the line is ("category", "subcategory", "unclassified", "village", "team")."""

    dim: str
    key: str
    name: str
    counts: dict
    pk: int | None = None
    share: Decimal | None = None
    extra: dict = field(default_factory=dict)

    @property
    def level(self) -> int:
        return 1 if self.dim == "subcategory" else 0

    @property
    def count(self) -> int:  # what the bar charts draw
        return self.counts.get("collected", 0)

    @property
    def rates(self) -> dict:
        return rates_of(self.counts)


def _grouped(queryset, key: str, counts: dict) -> dict:
    return {row[key]: row for row in queryset.order_by().values(key).annotate(**counts)}


def by_category(p: Period, fine: dict | None = None, town=None) -> list[Row]:
    """Categories with their sub-categories, then the unclassified: four queries, two given FINE."""
    group = ("category_id", "subcategory_id")
    cases = _this_period(regroup(fine, *group)) if fine is not None else count_cases({"": p}, *group, town=town)
    return _category_rows(cases, CASE_FIGURES, town)


def _category_rows(grouped: dict, keys: list[str], town=None) -> list[Row]:
    """GROUPED, {(category, sub-category): counts}, as rows of categories with their sub-categories."""
    total = sum(row["collected"] for row in grouped.values())

    def add(rows):
        return {k: sum(r[k] for r in rows) for k in keys}

    result = []
    categories = Category.objects.for_town(town) if town is not None else Category.objects.all()
    for category in categories.prefetch_related("subcategories"):
        counts = add([row for (cat, _sub), row in grouped.items() if cat == category.pk])
        result.append(Row("category", category.code, category.label, counts, category.pk))
        for sub in category.subcategories.all():
            counts = add([grouped[(category.pk, sub.pk)]] if (category.pk, sub.pk) in grouped else [])
            result.append(Row("subcategory", sub.code, sub.label, counts, sub.pk))
    counts = add([grouped[(None, None)]] if (None, None) in grouped else [])
    result.append(Row("unclassified", "", str(_("未分类")), counts))
    for row in result:
        row.share = percent(row.count, total)
    return result


def _visits_by(p: Period, key: str, town=None) -> dict:
    return _grouped(in_town(Visit.objects.all(), town, "village__town"), key, visit_counts(p))


def by_village(p: Period, fine: dict | None = None, town=None) -> list[Row]:
    """Every village with its cases, visits and home-visit rate: four queries, two given FINE."""
    if fine is None:
        cases = count_cases({"": p}, "village_id", town=town)
    else:
        cases = _this_period(regroup(fine, "village_id"))
    visits = _visits_by(p, "village_id", town)
    rows = []
    for village in in_town(Village.objects.by_code(), town):
        counts = dict.fromkeys(CASE_FIGURES, 0) | cases.get((village.pk,), {})
        counts |= _strip(visits.get(village.pk), "village_id", default=visit_counts(p))
        counts["households"] = village.households or 0
        rows.append(Row("village", village.code, village.short_name, counts, village.pk))
    return rows


def by_team(p: Period, fine: dict | None = None, town=None) -> list[Row]:
    """Every team with its cases, visits, feedback and spot checks: six queries, four given FINE."""
    from reports.models import SpotCheck

    cases = _this_period(regroup(fine, "team_id")) if fine is not None else count_cases({"": p}, "team_id", town=town)
    visits = _visits_by(p, "team_id", town)
    feedback = in_town(Feedback.objects.filter(given_in(p)), town)
    feedback = _grouped(feedback, "case__team_id", feedback_counts(p))
    checks = in_town(SpotCheck.objects.for_cases_raised_in(p), town, "case__town")
    checks = _grouped(checks, "case__team_id", SpotCheck.counts())
    thursdays = len(p.thursdays())
    rows = []
    for team in in_town(Team.objects.select_related("village"), town):
        counts = dict.fromkeys(CASE_FIGURES, 0) | cases.get((team.pk,), {})
        counts |= _strip(visits.get(team.pk), "team_id", default=visit_counts(p))
        counts |= _strip(feedback.get(team.pk), "case__team_id", default=feedback_counts(p))
        counts |= _strip(checks.get(team.pk), "case__team_id", default=SpotCheck.counts())
        counts["households"] = team.village.households or 0
        counts["thursdays"] = thursdays
        rows.append(Row("team", str(team.number), team.name, counts, team.pk, extra={"village": team.village}))
    return rows


def by_town(p: Period, fine: dict | None = None, town=None) -> list[Row]:
    """Every town of the county with the counts and rates of a town's headline (the same
    definitions: case_filters, RATES), and a last row, the county's, their sum: eight queries, seven
    given FINE (count_fine(p) without a town). TOWN is accepted (BREAKDOWNS' signature) but a
    comparison of towns is the county's: it is ignored.

    The rows also carry what evaluation.rank_towns ranks by, the team ranking's indicators: spot
    checks, and the visit rate's weeks as the teams' (WEEKS_VISITED, each team's weeks with a visit,
    added up; THURSDAYS, the period's Thursdays times the town's teams), so a town's visit rate is
    the share of its teams' Thursdays that had a visit, as a team's is of its own."""
    from reports.models import SpotCheck

    cases = _this_period(regroup(fine, "town_id")) if fine is not None else count_cases({"": p}, "town_id")
    visits = _grouped(Visit.objects.filter(village__households__isnull=False), "village__town_id", visit_counts(p))
    feedback = _grouped(Feedback.objects.filter(given_in(p)), "town_id", feedback_counts(p))
    households = _grouped(Village.objects.all(), "town_id", {"households": Sum("households")})
    checks = _grouped(SpotCheck.objects.for_cases_raised_in(p), "case__town_id", SpotCheck.counts())
    teams = _grouped(Team.objects.all(), "town_id", {"teams": Count("id")})
    team_weeks: dict = {}  # {town id: the weeks its teams visited, each team's counted apart}
    weeks = {"weeks": visit_counts(p)["weeks_visited"]}
    for row in Visit.objects.order_by().values("team__town_id", "team_id").annotate(**weeks):
        team_weeks[row["team__town_id"]] = team_weeks.get(row["team__town_id"], 0) + row["weeks"]
    thursdays = len(p.thursdays())
    rows = []
    for town in Town.objects.all():
        counts = dict.fromkeys(CASE_FIGURES, 0) | cases.get((town.pk,), {})
        counts |= _strip(visits.get(town.pk), "village__town_id", default=visit_counts(p))
        counts |= _strip(feedback.get(town.pk), "town_id", default=feedback_counts(p))
        counts |= _strip(households.get(town.pk), "town_id", default={"households": 0})
        counts |= _strip(checks.get(town.pk), "case__town_id", default=SpotCheck.counts())
        counts["weeks_visited"] = team_weeks.get(town.pk, 0)
        counts["thursdays"] = thursdays * (teams.get(town.pk) or {}).get("teams", 0)
        # A town's row is picked by its short code, as the pages' ?town= (links.CASE_LIST_DIMS).
        rows.append(Row("town", town.code, town.name, counts, town.code, extra={"town": town}))
    total = {key: sum(row.counts[key] for row in rows) for key in (rows[0].counts if rows else {})}
    rows.append(Row("county", "", settings.COUNTY_NAME, total))
    return rows


def _strip(row: dict | None, key: str, default: dict | None = None) -> dict:
    if row is None:
        return {k: 0 for k in default} if default else {}
    return {k: v or 0 for k, v in row.items() if k != key}


# -- The trend since the programme began --------------------------------------------------------


@dataclass
class Month:
    period: Period
    collected: int
    closed: int
    raised_to_date: int
    closed_to_date: int

    @property
    def closure_rate(self) -> Decimal | None:
        return percent(self.closed_to_date, self.raised_to_date)

    @property
    def count(self) -> int:
        return self.collected

    @property
    def name(self) -> str:
        return f"{self.period.start:%Y-%m}"


def trend(end: datetime.date, town=None) -> list[Month]:
    """Each month from the programme's start to END's month: collected, closed, and the
    cumulative closure rate at the month's end. Two queries: the tally's months, then END's month."""
    start = settings.PROGRAMME_START.replace(day=1)
    last = first_of_month(end)
    months = in_town(CaseTally.objects.filter(month__lt=last), town and town.pk, "town_id").order_by().values("month")
    months = {row["month"]: row for row in months.annotate(raised=Sum("raised"), closed=Sum("closed"))}
    this_month = in_town(Case.objects.filter(between("raised_on", last, end) | between("closed_on", last, end)), town)
    this_month = this_month.aggregate(
        raised=Count("id", filter=between("raised_on", last, end)),
        closed=Count("id", filter=Q(status=Case.Status.CLOSED) & between("closed_on", last, end)),
    )
    months[last] = this_month
    raised = {_month_key(k): row["raised"] or 0 for k, row in months.items()}
    closed = {_month_key(k): row["closed"] or 0 for k, row in months.items()}
    before_raised = sum(v for k, v in raised.items() if k < start)
    before_closed = sum(v for k, v in closed.items() if k < start)
    months, day = [], start
    total_raised, total_closed = before_raised, before_closed
    while day <= end:
        total_raised += raised.get(day, 0)
        total_closed += closed.get(day, 0)
        months.append(
            Month(Period.month(day.year, day.month), raised.get(day, 0), closed.get(day, 0), total_raised, total_closed)
        )
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return months


def _month_key(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.replace(day=1)


# -- The meeting pack -------------------------------------------------------------------------------


def ledger_as_of(day: datetime.date, town=None) -> dict:
    """The cumulative figures of the ledger on DAY, as the town's report states them: five queries.

    COUNTS has the to-date counts (raised, closed, fed back, open, overdue) and "collected", raised
    since the programme began; so do the rows of CATEGORIES (which leave out the other counts of
    by_category: what was closed, solved or fed back within the whole programme is not asked)."""
    p = Period.to_date(day)
    counter = Counter(town)
    counter.to_date("raised_to_date", "raised", p.end)
    counter.to_date("raised_before", "raised", p.start - DAY)
    counter.to_date("closed_to_date", "closed", p.end)
    counter.to_date("fed_back_to_date", "fed_back", p.end)
    counter.to_date("due_passed", "due_passed", p.as_of)
    counter.to_date("closed_due_passed", "closed_due_passed", p.as_of)
    after, due = p.as_of + DAY, Q(due_on__lt=p.as_of)
    raised_after, closed_after = between("raised_on", after, p.end), between("closed_on", after, p.end)
    counter.count("raised_after", Live(raised_after & due, raised_after))
    counter.count("closed_after", Live(Q(status=Case.Status.CLOSED) & closed_after & due, closed_after))
    grouped = {key: _ledger_counts(got) for key, got in counter.run("category_id", "subcategory_id").items()}
    keys = ["collected", "raised_to_date", "closed_to_date", "fed_back_to_date", "open_at_end", "overdue"]
    counts = {k: sum(row[k] for row in grouped.values()) for k in keys}
    villages = in_town(Village.objects.all(), town).count()
    return {"counts": counts, "categories": _category_rows(grouped, keys, town), "villages": villages}


def _ledger_counts(got: dict) -> dict:
    return {
        "collected": got["raised_to_date"] - got["raised_before"],
        "raised_to_date": got["raised_to_date"],
        "closed_to_date": got["closed_to_date"],
        "fed_back_to_date": got["fed_back_to_date"],
        "open_at_end": got["raised_to_date"] - got["closed_to_date"],
        "overdue": got["due_passed"] + got["raised_after"] - got["closed_due_passed"] - got["closed_after"],
    }


# -- The meeting pack's decisions, team by team ---------------------------------------------------


def decisions_by_team(p: Period, listed: int | None = None, town=None) -> list:
    """reports.behind.needing_decision(P) team by team (behind.Decisions): each team's counts by
    reason and its LISTED oldest cases (behind.DECISIONS_LISTED by default). Two queries, neither of
    which reads every open case's row, however many there are.

    A case needs a decision only if it was open at the end of P: it is open now, or it was closed
    after the end. The first kind comes from the partial index on open cases by team and date
    (reports_case_open_team_raised in Case.Meta, which holds every column the conditions read): counted from the index
    alone, and each team's oldest read off it in order. The second, cases closed since the end, come
    from the index on closed_on, one row each: few for the month just ended that a meeting discusses
    (for a month long past, every case closed since is looked at, as the window query before did)."""
    from reports import behind  # behind reads this module

    listed = behind.DECISIONS_LISTED if listed is None else listed
    reasons = _decision_reasons(p)
    deciding = Q(raised_on__lte=p.end) & (reasons["new"] | reasons["overdue"] | reasons["plan_due"])
    cases = in_town(Case.objects.all(), town).annotate(plan_date=Coalesce("planned_on", "due_on"))
    cases = cases.filter(deciding).order_by()
    open_now = cases.filter(status__in=[Case.Status.REGISTERED, Case.Status.IN_PROGRESS])
    closed_since = cases.filter(status=Case.Status.CLOSED, closed_on__gt=p.end)
    counts, closed_oldest = _count_decisions(open_now, closed_since, reasons, listed)
    listing = (
        in_town(behind.needing_decision(p), town)
        .select_related(None)
        .select_related(*LISTED_RELATED)
        .only(*LISTED_FIELDS)
    )
    found = _oldest_decisions(listing, open_now, list(counts), closed_oldest, listed)
    groups = []
    # A team counted but with no case found (the two queries' rules drifted apart) is left out, not a 500.
    counted = [(team_id, totals) for team_id, totals in counts.items() if found.get(team_id)]
    for team_id, totals in sorted(counted, key=lambda item: _team_order(found[item[0]][0].team)):
        oldest = sorted(found[team_id], key=lambda case: (case.raised_on, case.number))[:listed]
        groups.append(behind.Decisions(oldest[0].team, **totals, cases=oldest, listed=listed))
    return groups


# What the pack (page and Word file) shows of each case needing a decision: a few hundred rows,
# each made a model instance with its relations, so only these columns are read.
LISTED_RELATED = ("team", "village", "category", "subcategory")
LISTED_FIELDS = (
    *("number", "title", "raised_on", "due_on", "team__number", "team__name", "village__short_name"),
    *("category__label", "subcategory__label"),
)


def _decision_reasons(p: Period) -> dict[str, Q]:
    """behind's reasons for a decision (its _decision_conditions), on cases known to be open at the
    end of P: without the "open at the end" that goes without saying there, which PostgreSQL cannot
    see follows from the status, and would then expect a few dozen rows and pick the wrong index.
    On cases annotated with plan_date. The tests hold the two to the same cases."""
    next_month = Period.month(p.end.year, p.end.month).end + DAY
    horizon = Period.month(next_month.year, next_month.month).end
    return {
        "new": Q(status=Case.Status.REGISTERED),
        "overdue": Q(due_on__lt=p.as_of),
        "plan_due": Q(decision=Case.Decision.PLAN, plan_date__lte=horizon),
    }


def _count_decisions(open_now, closed_since, reasons: dict[str, Q], listed: int) -> tuple[dict, list]:
    """{team id: {"total": n, and one count per reason}}, and the ids of each team's LISTED oldest
    cases closed since the end. One query: the open cases counted by team, beside the cases closed
    since, one row each (with the same columns: the open cases' id, date and number left empty)."""
    counts = {"total": Count("id")} | {name: Count("id", filter=q) for name, q in reasons.items()}
    case = ("case_id", "case_raised_on", "case_number")
    blank = {"case_id": Value(None, IntegerField()), "case_raised_on": Value(None, DateField())}
    blank["case_number"] = Value(None, CharField())
    by_team = open_now.values("team_id").annotate(**blank, **counts)
    one_each = closed_since.annotate(case_id=F("id"), case_raised_on=F("raised_on"), case_number=F("number"))
    one_each = one_each.values("team_id", *case).annotate(**counts)
    totals, closed = {}, {}
    for row in by_team.union(one_each, all=True):
        into = totals.setdefault(row["team_id"], dict.fromkeys(counts, 0))
        for name in counts:
            into[name] += row[name]
        if row["case_id"] is not None:
            closed.setdefault(row["team_id"], []).append((row["case_raised_on"], row["case_number"], row["case_id"]))
    oldest = [pk for rows in closed.values() for _day, _number, pk in sorted(rows)[:listed]]
    return totals, oldest


def _oldest_decisions(listing, open_now, teams: list, closed_oldest: list, listed: int) -> dict:
    """{team id: [cases of LISTING]}: each of TEAMS' (ids) LISTED oldest open cases, read off the
    index of open cases in order, and the cases closed since whose ids are CLOSED_OLDEST: one query
    (LISTING's cases whose ids a union of bounded parts gives). The caller keeps the LISTED oldest
    of each team's."""
    parts = []
    for team_id in teams:
        team = Q(team_id=team_id) if team_id is not None else Q(team_id__isnull=True)
        oldest = open_now.filter(team).order_by("raised_on", "number").values("pk")[:listed]
        parts.append(Case.objects.filter(pk__in=oldest).order_by().values("pk"))
    # No case has id 0: the query runs even when no case needs a decision, so the count is constant.
    parts.append(Case.objects.filter(pk__in=closed_oldest or [0]).order_by().values("pk"))
    found: dict = {}
    for case in listing.filter(pk__in=parts[0].union(*parts[1:], all=True)):
        found.setdefault(case.team_id, []).append(case)
    return found


def _team_order(team) -> tuple:
    """needing_decision's order of teams: by number, the cases without a team last."""
    return (team is None, team.number if team is not None else 0)
