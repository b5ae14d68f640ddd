"""Many people at once, on PostgreSQL (SQLite serialises writers, so there is nothing to race):
registrations get distinct, consecutive numbers; of many submissions of the same stale form one
is saved and the rest are refused; lines of progress added at once are all kept.

test_workflow.py has the two-person closing; these are the N-person versions of the other paths."""

import datetime
import threading

import pytest
from django.db import connection

from cases import workflow
from cases.models import Case, CaseEvent, NumberSequence
from cases.tests.factories import CaseFactory
from teams.tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PEOPLE = 8


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (DATABASE_URL=postgres://…)")


def together(work) -> list:
    """WORK(i) in PEOPLE threads released at the same moment; each result, or the exception raised."""
    from django.db import connections

    barrier, results = threading.Barrier(PEOPLE), [None] * PEOPLE

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # the test looks at what each thread got
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_registering_at_once_gives_distinct_consecutive_numbers():
    team = TeamFactory()
    user = UserFactory()
    per_person = 5

    def register(i: int) -> list[str]:
        return [
            workflow.register_case(
                case=Case(village=team.village, team=team, raised_on=datetime.date(2015, 1, 8), title=f"问题{i}-{k}"),
                by=user,
            ).number
            for k in range(per_person)
        ]

    # The year's sequence row does not exist yet: the first callers also race to create it.
    results = together(register)

    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(n for r in results for n in r)
    total = PEOPLE * per_person
    assert numbers == [f"SH-2015-{k:04d}" for k in range(1, total + 1)]
    assert sorted(Case.objects.values_list("number", flat=True)) == numbers
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.REGISTERED).count() == total
    assert NumberSequence.objects.get(year=2015).last == total


def test_the_same_stale_form_from_many_people_saves_once():
    case = CaseFactory(status=Case.Status.IN_PROGRESS, decision=Case.Decision.HANDLE_NOW)
    users = [UserFactory() for _ in range(PEOPLE)]
    dates = [datetime.date(2015, 3, 1) + datetime.timedelta(days=i) for i in range(PEOPLE)]

    def set_due(i: int) -> str:
        fresh = Case.objects.get(pk=case.pk)
        workflow.set_due_date(case=fresh, due_on=dates[i], by=users[i], expected_version=1)
        return "saved"

    results = together(set_due)

    saved = [i for i, r in enumerate(results) if r == "saved"]
    assert len(saved) == 1
    assert all(isinstance(r, workflow.Conflict) for i, r in enumerate(results) if i not in saved)
    case.refresh_from_db()
    winner = saved[0]
    assert (case.version, case.due_on) == (2, dates[winner])
    event = case.events.get()
    assert (event.author, event.shown_text.endswith(dates[winner].isoformat())) == (users[winner], True)


def test_lines_of_progress_added_at_once_are_all_kept():
    case = CaseFactory(status=Case.Status.IN_PROGRESS, decision=Case.Decision.HANDLE_NOW)
    user = UserFactory()

    def progress(i: int) -> str:
        workflow.add_progress(case=Case.objects.get(pk=case.pk), text=f"进展{i}", public=False, by=user)
        return "added"

    assert together(progress) == ["added"] * PEOPLE
    case.refresh_from_db()
    assert case.version == 1
    assert sorted(case.events.values_list("text", flat=True)) == sorted(f"进展{i}" for i in range(PEOPLE))
