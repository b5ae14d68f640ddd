"""cases.batch: many new cases through the workflow's rules, written together."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from cases import workflow
from cases.batch import Batch
from cases.models import Case, Feedback
from teams.tests.factories import CadreFactory, TeamFactory, UserFactory

D = datetime.date


@pytest.fixture
def team(db):
    return TeamFactory()


def new_case(team) -> Case:
    return Case(team=team, village=team.village, raised_on=D(2015, 1, 8), title="水渠年久失修", resident_name="陈测试")


def live(case: Case, steps, cadre) -> None:
    """Decided on, closed and fed back, by STEPS: the workflow's actions, or a batch's."""
    steps.triage(case, decision=Case.Decision.HANDLE_NOW, responsible=cadre, due_on=D(2015, 1, 30))
    steps.close(case, closure=Case.Closure.SOLVED, result="已清淤", closed_on=D(2015, 1, 20))
    feedback = {"channel": Feedback.Channel.PHONE, "given_by": cadre, "satisfaction": "satisfied", "notes": "已告知"}
    steps.record_feedback(case, given_on=D(2015, 1, 21), **feedback)


class OneByOne:
    """The workflow's actions, called as a batch's steps are."""

    def __init__(self, by):
        self.by = by

    def triage(self, case, **kwargs):
        workflow.triage(case=case, by=self.by, **kwargs)

    def close(self, case, **kwargs):
        workflow.close(case=case, by=self.by, **kwargs)

    def record_feedback(self, case, **kwargs):
        workflow.record_feedback(case=case, by=self.by, **kwargs)


def record(case: Case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    fields = ("status", "decision", "closure", "result", "closed_on", "fed_back_on", "version", "due_on")
    events = case.events.order_by("id").values_list("kind", "data", "text", "status_from", "status_to", "public")
    feedback = case.feedback.values_list("town", "given_on", "channel", "given_by__name", "satisfaction", "notes")
    return tuple(getattr(case, name) for name in fields), list(events), list(feedback)


def test_a_batchs_case_is_the_case_the_actions_make(team):
    office, cadre = UserFactory(), CadreFactory(team=team)
    by_hand = workflow.register_case(case=new_case(team), by=office)
    live(by_hand, OneByOne(office), cadre)

    batch = Batch(by=office)
    in_batch = batch.register(new_case(team))
    live(in_batch, batch, cadre)
    batch.save()

    assert record(in_batch) == record(by_hand)
    assert record(in_batch)[0][:2] == (Case.Status.CLOSED, Case.Decision.HANDLE_NOW)
    assert [len(part) for part in record(in_batch)[1:]] == [4, 1]


def test_a_step_may_name_its_own_author(team):
    cadre_user, office = UserFactory(), UserFactory()
    batch = Batch(by=office)
    case = batch.register(new_case(team), by=cadre_user)
    batch.triage(case, decision=Case.Decision.EXPLAIN, policy_basis="《办法》", explaining_department="镇民政办")
    batch.save()

    assert list(case.events.order_by("id").values_list("kind", "author")) == [
        ("registered", cadre_user.pk),
        ("triaged", office.pk),
    ]
    assert case.created_by == cadre_user


def test_a_batch_refuses_feedback_before_the_closing(team):
    batch = Batch()
    case = batch.register(new_case(team))
    batch.close(case, closure=Case.Closure.ON_THE_SPOT, result="已解释", closed_on=D(2015, 1, 9))

    with pytest.raises(ValidationError) as refused:
        batch.record_feedback(case, given_on=D(2015, 1, 8), channel="phone", given_by=None, satisfaction="", notes="")

    assert "given_on" in refused.value.message_dict
    assert batch.feedback == []
