"""The fast counts (the tally of months kept by triggers, plus the live days) against plain Count
over every case, on a random ledger that is then edited, bulk-updated and partly deleted."""

import datetime
import io
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases import tally_sql
from cases.models import Case, CaseTally, SubCategory
from cases.tally import rebuild
from cases.tests.factories import CategoryFactory, SubCategoryFactory
from reports.analysis import Period, case_counts, count_cases, ledger_as_of, trend
from reports.figures import filter_cases, summarize, summary
from teams.models import Team
from teams.tests.factories import TeamFactory

DAY = datetime.timedelta(days=1)
GROUPS = [(), ("village_id",), ("team_id",), ("category_id", "subcategory_id")]


def _random_case(rng: random.Random, n: int, teams, subs, today: datetime.date) -> Case:
    team = rng.choice([*teams, None])
    village = team.village if team else rng.choice(teams).village
    sub = rng.choice([*subs, None, None])
    category = sub.category if sub else rng.choice([None, subs[0].category])
    raised = today - DAY * rng.randint(0, 200)
    case = Case(
        number=f"SH-T-{n:05d}",
        village=village,
        team=team,
        raised_on=raised,
        category=category,
        subcategory=sub,
        title="测试",
        # Due before the case was raised, or fed back before it, happen in imported ledgers too.
        due_on=rng.choice([None, raised + DAY * rng.randint(-5, 45)]),
        fed_back_on=rng.choice([None, None, raised + DAY * rng.randint(-3, 70)]),
        decision=rng.choice(["", Case.Decision.PLAN]),
    )
    status = rng.choice(list(Case.Status))
    if status == Case.Status.CLOSED:
        case.status, case.closure, case.result = status, rng.choice(list(Case.Closure)), "已办"
        case.closed_on = min(today, raised + DAY * rng.randint(0, 60))
    else:
        case.status = status
    return case


@pytest.fixture
def random_ledger(db):
    rng = random.Random(6)
    today = timezone.localdate()
    teams = [TeamFactory() for _ in range(3)]
    subs = [SubCategoryFactory(category=c) for c in (CategoryFactory(), CategoryFactory()) for _ in range(2)]
    Case.objects.bulk_create([_random_case(rng, n, teams, subs, today) for n in range(240)])
    for n in range(240, 260):  # one by one, as the workflow saves them
        _random_case(rng, n, teams, subs, today).save()
    cases = list(Case.objects.order_by("id"))
    for case in rng.sample(cases, 40):  # edits of dates, status and dimensions
        case.raised_on -= DAY * rng.randint(0, 40)
        case.fed_back_on = rng.choice([None, case.raised_on + DAY * 3])
        case.team = rng.choice(teams)
        case.village = case.team.village
        if case.status == Case.Status.CLOSED and rng.random() < 0.5:  # reopened
            case.status, case.closure, case.closed_on, case.result = Case.Status.IN_PROGRESS, "", None, ""
        case.save()
    Case.objects.filter(id__in=[c.id for c in cases[::7]]).update(category=None, subcategory=None)
    Case.objects.filter(due_on__isnull=False, id__in=[c.id for c in cases[::5]]).update(due_on=today - DAY * 9)
    Case.objects.filter(id__in=[c.id for c in cases[::11]]).delete()
    # Voided cases (cases/voiding.py) count nowhere: the references below read Case.objects, which leaves them out.
    Case.objects.filter(id__in=[c.id for c in cases[3::13]]).update(voided_at=timezone.now())
    return today


def periods(today: datetime.date) -> list[Period]:
    this_month = Period.month(today.year, today.month)  # running: overdue is judged today
    found = [this_month, this_month.previous(), this_month.previous().previous()]
    found.append(Period(today - DAY * 95, today - DAY * 20))  # months and odd days
    found.append(Period(today - DAY * 40, today - DAY * 31))  # within a month or across two
    found.append(Period.to_date(today))
    later = (this_month.end + DAY).replace(day=1)
    found.append(Period.month(later.year, later.month))  # not begun: judged today, before it starts
    return found


def reference(p: Period, group: tuple) -> dict:
    rows = Case.objects.order_by().values(*group).annotate(**case_counts(p)) if group else []
    found = {tuple(row[g] for g in group): {k: row[k] for k in case_counts(p)} for row in rows}
    if not group:
        found[()] = Case.objects.aggregate(**case_counts(p))
    return _nonzero(found)


def _nonzero(rows: dict) -> dict:
    return {key: counts for key, counts in rows.items() if any(counts.values())}


def test_count_cases_equals_count_over_every_case(random_ledger):
    for p in periods(random_ledger):
        for group in GROUPS:
            assert _nonzero(count_cases({"": p}, *group)) == reference(p, group), (p, group)


def test_two_periods_at_once_equal_each_alone(random_ledger):
    p = Period.month(random_ledger.year, random_ledger.month)
    both = count_cases({"": p, "_prev": p.previous()}, "team_id")
    alone = count_cases({"": p.previous()}, "team_id")
    assert {k: {n.removesuffix("_prev"): v for n, v in c.items() if n.endswith("_prev")} for k, c in both.items()} == (
        alone
    )


def test_summary_equals_summarize(random_ledger):
    today = random_ledger
    team = Case.objects.exclude(team=None).first().team
    ranges = [(None, None), (None, today - DAY * 45), (today - DAY * 100, None), (today - DAY * 70, today - DAY * 8)]
    ranges += [(today.replace(day=1), today), (today - DAY * 3, today - DAY * 2)]
    for start, end in ranges:
        for dims in ({}, {"village": team.village}, {"team": team}):
            fast = summary(start=start, end=end, **dims).as_json()
            assert fast == summarize(filter_cases(start=start, end=end, **dims)).as_json(), (start, end, dims)


def test_ledger_as_of_equals_count_over_every_case(random_ledger):
    for day in (random_ledger, random_ledger - DAY * 33, random_ledger.replace(day=1) - DAY):
        p = Period.to_date(day)
        expected = Case.objects.aggregate(**case_counts(p))
        counts = ledger_as_of(day)["counts"]
        assert counts == {k: expected[k] for k in counts}, day


def test_trend_equals_count_by_month(random_ledger):
    raised = Case.objects.annotate(m=TruncMonth("raised_on")).values("m").annotate(n=Count("id"))
    closed = Case.objects.filter(status=Case.Status.CLOSED).annotate(m=TruncMonth("closed_on"))
    closed = closed.values("m").annotate(n=Count("id"))
    by_month = {row["m"]: row["n"] for row in raised}
    closed_by_month = {row["m"]: row["n"] for row in closed}
    for month in trend(random_ledger):
        assert (month.collected, month.closed) == (
            by_month.get(month.period.start, 0),
            closed_by_month.get(month.period.start, 0),
        )


def test_triggers_keep_what_a_rebuild_counts(random_ledger):
    columns = ["month", "village_id", "team_id", "category_id", "subcategory_id", "raised", "raised_closed"]
    columns += ["closed", "fed_back", "due_passed", "closed_due_passed"]

    def kept():
        rows = CaseTally.objects.values_list(*columns)
        return sorted(row for row in rows if any(row[5:]))

    triggered = kept()
    rebuild()
    assert triggered == kept()
    assert sum(row[5] for row in triggered) == Case.objects.count()
    assert sum(row[7] for row in triggered) == Case.objects.filter(Q(status=Case.Status.CLOSED)).count()


def trigger_names() -> set:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'cases_case'::regclass")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases_case'")
        return {name for (name,) in cursor.fetchall()}


def test_repair_schema_puts_back_lost_triggers_and_recounts(random_ledger):
    """Triggers dropped by hand (or lost in a partial restore): repair_schema puts them back and recounts."""
    with connection.cursor() as cursor:
        for sql in tally_sql.drop_triggers(connection.vendor):
            cursor.execute(sql)
    teams = list(Team.objects.all())
    _random_case(random.Random(1), 999, teams, list(SubCategory.objects.all()), random_ledger).save()
    assert CaseTally.objects.aggregate(n=Sum("raised"))["n"] == Case.objects.count() - 1  # uncounted

    call_command("repair_schema", stdout=io.StringIO())

    assert set(tally_sql.TRIGGERS) <= trigger_names()
    assert CaseTally.objects.aggregate(n=Sum("raised"))["n"] == Case.objects.count()
    _random_case(random.Random(2), 1000, teams, list(SubCategory.objects.all()), random_ledger).save()
    assert CaseTally.objects.aggregate(n=Sum("raised"))["n"] == Case.objects.count()


def test_rebuild_tally_command_recounts(random_ledger):
    CaseTally.objects.all().delete()
    out = io.StringIO()

    call_command("rebuild_tally", stdout=out)

    total = Case.objects.count()
    assert CaseTally.objects.aggregate(n=Sum("raised"))["n"] == total
    assert f"rebuild_tally: {total} cases" in out.getvalue()
