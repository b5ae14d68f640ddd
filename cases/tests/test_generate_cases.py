import datetime
import io
import re

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Concat

from cases import history
from cases.models import Case, CaseEvent, CaseTally, Category, Feedback, NumberSequence
from cases.workflow import register_case
from teams.models import Cadre, Team
from villages.models import Town, Village

END = datetime.date(2016, 12, 31)  # a fixed last day: the same cases whatever day the tests run


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())
    return set(Case.objects.values_list("pk", flat=True))


def generate(count: int, seed: int = 7, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_cases", count=count, seed=seed, end=END, batch_size=250, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def snapshot(exclude_pks: set[int]) -> list[tuple]:
    """The generated cases with their history and feedback, minus what the database assigns."""
    fields = [f.attname for f in Case._meta.concrete_fields if f.attname not in ("id", "created_at", "updated_at")]
    cases = Case.objects.exclude(pk__in=exclude_pks).order_by("number")
    events = CaseEvent.objects.exclude(case__in=exclude_pks).order_by("case__number", "at", "kind", "text", "public")
    feedback = Feedback.objects.exclude(case__in=exclude_pks).order_by("case__number")
    return [
        *cases.values_list(*fields),
        *events.values_list(
            "case__number", "kind", "at", "author", "text", "data", "status_from", "status_to", "public"
        ),
        *feedback.values_list("case__number", "given_on", "channel", "given_by", "satisfaction", "notes"),
    ]


def undo(demo: set[int], sequences: list[tuple[int, int]]) -> None:
    """Back to the demo data: the generated cases gone, the number sequences as they were."""
    Case.objects.exclude(pk__in=demo).delete()
    NumberSequence.objects.exclude(year__in=[year for year, _last in sequences]).delete()
    for year, last in sequences:
        NumberSequence.objects.filter(year=year).update(last=last)


def test_generate_cases_counts_and_spreads_for_a_seed(demo):
    out, err = generate(1000)

    new = Case.objects.exclude(pk__in=demo)
    assert new.count() == 1000
    assert re.search(r"generate_cases: added 1000 cases, \d+ events, \d+ feedback in", out)
    assert "100% 1000/1000 cases" in err
    # Every village and its team, every category, and a few in no category.
    assert set(new.values_list("village__code", flat=True)) == set(Village.objects.values_list("code", flat=True))
    assert new.exclude(team=F("village__teams")).count() == 0
    assert set(new.exclude(category=None).values_list("category", flat=True)) == set(
        Category.objects.values_list("pk", flat=True)
    )
    assert 10 <= new.filter(category=None).count() <= 60
    # Dates from the programme's start to the last day, most of them on the stationed Thursday.
    assert new.filter(Q(raised_on__lt=settings.PROGRAMME_START) | Q(raised_on__gt=END)).count() == 0
    assert {d.year for d in new.values_list("raised_on", flat=True)} == {2014, 2015, 2016}
    assert 500 <= new.filter(raised_on__week_day=5).count() <= 850  # Thursday
    assert new.filter(channel="household").exclude(visit=None).count() >= 500
    # Old cases are mostly closed, each with its date, result and way; some are open and overdue.
    statuses = dict(new.values_list("status").annotate(n=Count("id")))
    assert set(statuses) <= {"registered", "in_progress", "closed"}
    assert 880 <= statuses["closed"] <= 990
    assert new.filter(status="closed").filter(Q(closed_on=None) | Q(result="") | Q(closure="")).count() == 0
    assert new.filter(closed_on__lt=F("raised_on")).count() == 0
    assert set(new.filter(status="closed").values_list("closure", flat=True)) == {"solved", "on_the_spot", "explained"}
    assert new.overdue(END).count() >= 5
    # History and feedback: a registration each, a closing per closed case, progress entries,
    # feedback only for closed cases, recorded in fed_back_on.
    events = CaseEvent.objects.filter(case__in=new)
    assert events.filter(kind="registered").count() == 1000
    assert events.filter(kind="closed").count() == statuses["closed"]
    assert events.filter(kind="progress").count() >= 500
    feedback = Feedback.objects.filter(case__in=new)
    assert feedback.count() == new.exclude(fed_back_on=None).count()
    assert feedback.exclude(case__status="closed").count() == 0
    assert 0.8 * statuses["closed"] <= feedback.count() <= statuses["closed"]
    assert set(feedback.values_list("satisfaction", flat=True)) == {"satisfied", "basically", "unsatisfied", ""}


def test_generate_cases_same_seed_same_cases(demo):
    sequences = list(NumberSequence.objects.values_list("year", "last"))
    generate(300, seed=11)
    first = snapshot(demo)
    undo(demo, sequences)

    generate(300, seed=11)

    assert snapshot(demo) == first
    assert len(first) > 300


def test_generate_cases_copy_and_bulk_create_write_the_same(demo):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's: this runs in CI's PostgreSQL pass")
    # Text that COPY must escape: a backslash, a tab and a line break in a village's name.
    Village.objects.filter(code="440781104201").update(short_name="东\\联\t村\n")
    # And in the history's JSON: a cadre's name is a value of the triage line's data.
    Cadre.objects.update(name=Concat("name", Value('"\\\t')))
    sequences = list(NumberSequence.objects.values_list("year", "last"))
    generate(300, seed=5)
    copied = snapshot(demo)
    undo(demo, sequences)

    generate(300, seed=5, no_copy=True)

    assert snapshot(demo) == copied
    assert Case.objects.filter(resident_address__startswith="东\\联\t村\n").count() >= 1
    assert CaseEvent.objects.filter(data__responsible__endswith='"\\\t').exists()


def test_generated_histories_are_codes_read_in_the_readers_language(demo):
    generate(200, seed=3)

    events = list(CaseEvent.objects.exclude(case__in=demo))
    assert {e.data.get("code") for e in events} <= set(history.RENDERERS)
    assert {e.kind for e in events} >= {"registered", "triaged", "progress", "closed", "feedback"}
    assert all(e.shown_text for e in events)
    triaged = next(e for e in events if e.kind == "triaged")
    assert (triaged.text, triaged.shown_text.startswith("处理决定：")) == ("", True)
    closed = next(e for e in events if e.kind == "closed")
    assert closed.shown_text == f"{Case.Closure(closed.data['closure']).label}：{closed.text}"


def test_generate_cases_other_seed_other_cases(demo):
    generate(100, seed=1)
    one = [row[1:] for row in Case.objects.exclude(pk__in=demo).order_by("number").values_list("number", "title")]
    Case.objects.exclude(pk__in=demo).delete()

    generate(100, seed=2)

    two = [row[1:] for row in Case.objects.exclude(pk__in=demo).order_by("number").values_list("number", "title")]
    assert one != two


def test_generate_cases_numbers_follow_dates_and_the_sequence(demo):
    generate(400)

    new = list(Case.objects.exclude(pk__in=demo).order_by("raised_on", "number").values_list("number", "raised_on"))
    assert len({number for number, _day in new}) == 400
    for year in (2015, 2016):
        serials = [int(number.rsplit("-", 1)[1]) for number, day in new if day.year == year]
        assert serials == sorted(serials)
        assert NumberSequence.objects.get(year=year).last == max(serials)
    assert all(number.startswith(f"SH-{day.year}-") for number, day in new)


def test_generate_cases_numbers_do_not_collide_with_a_later_register_case(demo):
    generate(400)
    last = NumberSequence.objects.get(year=2016).last
    team = Team.objects.get(number=1)

    case = register_case(
        case=Case(village=team.village, team=team, raised_on=datetime.date(2016, 6, 2), title="水渠年久失修")
    )

    assert case.number == f"SH-2016-{last + 1:04d}"
    assert Case.objects.filter(number=case.number).count() == 1


def test_generate_cases_dry_run_writes_nothing(demo):
    cases, sequences = Case.objects.count(), list(NumberSequence.objects.values_list("year", "last"))

    out, _err = generate(500, dry_run=True)

    assert out.startswith("generate_cases: would add 500 cases (2014: ")
    assert out.rstrip().endswith("nothing written")
    assert Case.objects.count() == cases
    assert list(NumberSequence.objects.values_list("year", "last")) == sequences


@pytest.mark.django_db
def test_generate_cases_needs_load_demo_first():
    with pytest.raises(CommandError, match=re.escape("run `python manage.py load_demo` first")):
        generate(10)


def test_generate_cases_a_smaller_second_run_adds_to_the_first(demo):
    generate(400, seed=1)
    numbers = set(Case.objects.values_list("number", flat=True))

    generate(50, seed=2)

    new = Case.objects.exclude(number__in=numbers)
    assert new.count() == 50
    assert Case.objects.count() == len(numbers) + 50
    assert CaseEvent.objects.filter(case__in=new, kind="registered").count() == 50


def test_generate_cases_for_a_county_numbers_each_town_on_its_own(demo):
    out, _err = generate(600, towns=3)

    new = Case.objects.exclude(pk__in=demo)
    assert "in 3 towns (SH, DJ, SB)" in out
    # Two towns made for the purpose, marked generated, ten villages each with a team and an office.
    made = Town.objects.filter(generated=True).order_by("code")
    assert [(t.code, t.name) for t in made] == [("DJ", "大江镇"), ("SB", "水步镇")]
    for town in made:
        assert Village.objects.filter(town=town, figures_generated=True).count() == 10
        assert Team.objects.filter(town=town).count() == 10
        assert Cadre.objects.filter(town=town, team=None, user__groups__name="office").count() == 1
    # The cases evenly spread, each town's numbered with its own code, without gaps, in date order.
    by_town = dict(new.values_list("town__code").annotate(n=Count("id")))
    assert by_town == {"SH": 200, "DJ": 200, "SB": 200}
    assert new.exclude(town=F("village__town")).count() == 0
    for code in ("DJ", "SB"):
        rows = list(new.filter(town__code=code).order_by("raised_on", "number").values_list("number", "raised_on"))
        for year in {day.year for _number, day in rows}:
            numbers = [number for number, day in rows if day.year == year]
            assert numbers == [f"{code}-{year}-{serial:04d}" for serial in range(1, len(numbers) + 1)]
            assert NumberSequence.objects.get(town__code=code, year=year).last == len(numbers)
    # The monthly tally counts every case in its own town's rows.
    tally = dict(CaseTally.objects.values("town_id").annotate(n=Sum("raised")).values_list("town_id", "n"))
    assert tally == dict(Case.objects.values("town_id").annotate(n=Count("id")).values_list("town_id", "n"))


def test_generate_cases_for_a_county_uses_the_towns_already_there(demo):
    generate(90, towns=3)
    towns = Town.objects.count()

    out, _err = generate(30, seed=2, towns=3)

    assert Town.objects.count() == towns == 3
    assert "added 30 cases" in out
    assert Case.objects.exclude(pk__in=demo).count() == 120


def test_generate_cases_dry_run_for_a_county_makes_no_town(demo):
    out, _err = generate(300, towns=3, dry_run=True)

    assert out.rstrip().endswith("in 3 towns (SH, DJ, SB); nothing written")
    assert list(Town.objects.values_list("code", flat=True)) == ["SH"]
    assert Case.objects.count() == len(demo)


def test_generate_cases_first_town_alone_is_as_before(demo):
    sequences = list(NumberSequence.objects.values_list("year", "last"))
    generate(200, seed=4)
    alone = [row for row in snapshot(demo) if str(row[0]).startswith("SH-")]
    undo(demo, sequences)

    generate(400, seed=4, towns=2)

    # The first town draws from the seed alone: its cases are those of a run without --towns.
    assert [row for row in snapshot(demo) if str(row[0]).startswith("SH-")] == alone
    assert len(alone) > 200


def test_generated_cases_pass_through_the_workflows_rules(demo):
    generate(1000, seed=6)

    new = Case.objects.exclude(pk__in=demo)
    # Registering keeps every case of a sensitive category or word (低保, health, hardship) off the board.
    sensitive = new.filter(subcategory__sensitive=True)
    assert sensitive.count() >= 50
    assert sensitive.filter(public_posting=True).count() == 0
    posted = list(new.filter(public_posting=True).select_related("category", "subcategory"))
    assert len(posted) >= 500
    assert [case.number for case in posted if case.private_reason()] == []
    # Each step's line and the record's version, as the workflow's actions write them: registering
    # starts at 1, deciding, closing and the first feedback each move it on, progress does not.
    steps = Count("events", filter=Q(events__kind__in=["triaged", "closed", "feedback"]))
    assert new.annotate(steps=steps).exclude(version=1 + F("steps")).count() == 0
    assert new.filter(status="in_progress", decision="").count() == 0
    assert new.filter(decision="handle_now", responsible=None).count() == 0
    # Feedback in its case's town, recorded by the office, never before the closing.
    feedback = Feedback.objects.filter(case__in=new)
    assert feedback.exclude(town=F("case__town")).count() == 0
    assert feedback.filter(given_on__lt=F("case__closed_on")).count() == 0


def test_making_cases_asks_the_database_nothing(demo, django_assert_num_queries):
    # While the cases are made the COPY thread holds the connection: nothing else may use it.
    from cases.management.commands.generate_cases import Generator

    generator = Generator(1, settings.PROGRAMME_START, END, Town.objects.get())
    generator.load_reference()
    keys = generator.draw_days(300)

    with django_assert_num_queries(0):
        batch = generator.make_cases(keys, {year: 1 for year in range(2014, 2017)})

    assert len(batch.cases) == 300 and len(batch.events) > 600 and len(batch.feedback) > 150
