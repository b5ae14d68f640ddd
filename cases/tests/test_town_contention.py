"""One town's writes never wait for another's (issue 15): a case's number is taken from its own town's
sequence and its tally rows are its own town's, so two towns' offices registering and closing at the
same moment lock nothing in common. On PostgreSQL (SQLite has one writer at a time, by design).

While one town's transaction is held open mid-way, another town's registration and closing must go
through with lock_timeout set: had it waited for any lock the first holds, PostgreSQL would refuse it
(LockNotAvailable) instead. The same in the same town does wait: the test can fail."""

import datetime
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from cases import workflow
from cases.models import Case
from teams.tests.factories import TeamFactory, UserFactory
from villages.tests.factories import TownFactory, VillageFactory

pytestmark = pytest.mark.django_db(transaction=True)
DAY = datetime.date(2015, 1, 8)


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (DATABASE_URL=postgres://…)")


def register_and_close(team, user, title: str) -> Case:
    case = workflow.register_case(case=Case(village=team.village, team=team, raised_on=DAY, title=title), by=user)
    return workflow.close(case=case, closure=Case.Closure.ON_THE_SPOT, result="当场解答", closed_on=DAY, by=user)


class HeldOpen:
    """A case registered and closed in TEAM's town by another connection, its transaction kept open
    (its locks held) until the block ends."""

    def __init__(self, team, user):
        self.team, self.user = team, user
        self.holding, self.release, self.error = threading.Event(), threading.Event(), None
        self.thread = threading.Thread(target=self.run)

    def run(self):
        try:
            with transaction.atomic():
                register_and_close(self.team, self.user, "先登记的问题")
                self.holding.set()
                self.release.wait()
        except Exception as error:  # shown by the test
            self.error = error
        finally:
            self.holding.set()
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        self.holding.wait()
        assert self.error is None, self.error
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join()
        assert self.error is None, self.error


def without_waiting(team, user) -> Case:
    """Register and close a case in TEAM's town; refused at once should any lock be held by another."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '1s'")
        return register_and_close(team, user, "同时登记的问题")


def test_one_towns_open_transaction_does_not_hold_up_another_town():
    user = UserFactory()
    here = TeamFactory(village=VillageFactory(town=TownFactory()))
    there = TeamFactory(village=VillageFactory(town=TownFactory()))

    with HeldOpen(here, user):
        case = without_waiting(there, user)

    assert (case.town, case.status, case.number) == (there.village.town, "closed", f"{case.town.code}-2015-0001")


def test_within_one_town_the_second_waits_for_the_first():
    user = UserFactory()
    team = TeamFactory(village=VillageFactory(town=TownFactory()))

    with HeldOpen(team, user), pytest.raises(OperationalError, match="lock timeout"):
        without_waiting(team, user)
