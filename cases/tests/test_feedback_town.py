"""Feedback carries its case's town (Feedback.town), so that a town's satisfaction figures read its own
feedback only: it is set however the feedback is written, follows the case should it change town,
and the database refuses any other (cases/constraints.py FEEDBACK_TOWN)."""

import pytest
from django.db import IntegrityError, connection, transaction

from cases import workflow
from cases.models import Case, Feedback
from cases.tests.factories import CaseFactory
from teams.tests.factories import TeamFactory, UserFactory
from villages.tests.factories import TownFactory, VillageFactory


@pytest.fixture
def dajiang_case(db):
    town = TownFactory(code="DJ", name="大江镇", division_code="440781105")
    team = TeamFactory(village=VillageFactory(town=town, short_name="公益村"))
    return CaseFactory(team=team, village=team.village, closed=True)


def test_recorded_feedback_is_its_cases_towns(dajiang_case):
    feedback = workflow.record_feedback(
        case=dajiang_case,
        given_on=dajiang_case.closed_on,
        channel=Feedback.Channel.PHONE,
        given_by=None,
        satisfaction=Feedback.Satisfaction.SATISFIED,
        notes="",
        by=UserFactory(),
    )

    feedback.refresh_from_db()
    assert feedback.town_id == dajiang_case.town_id
    assert dajiang_case.town.code == "DJ"


def test_feedback_written_in_bulk_is_given_its_cases_town(dajiang_case):
    given_on = dajiang_case.closed_on
    Feedback.objects.bulk_create([Feedback(case=dajiang_case, given_on=given_on, channel=Feedback.Channel.PHONE)])

    assert list(Feedback.objects.values_list("town__code", flat=True)) == ["DJ"]


def test_feedback_follows_its_case_to_another_town(dajiang_case):
    Feedback.objects.create(case=dajiang_case, given_on=dajiang_case.closed_on, channel=Feedback.Channel.PHONE)
    home_village = VillageFactory()
    case = Case.objects.get(pk=dajiang_case.pk)

    case.village = home_village
    case.save()

    assert case.town_id == home_village.town_id != dajiang_case.town_id
    assert list(Feedback.objects.values_list("town_id", flat=True)) == [home_village.town_id]


def test_a_cases_other_changes_leave_its_feedback_alone(dajiang_case, django_assert_num_queries):
    Feedback.objects.create(case=dajiang_case, given_on=dajiang_case.closed_on, channel=Feedback.Channel.PHONE)
    case = Case.objects.get(pk=dajiang_case.pk)
    case.result = "已解决"

    with django_assert_num_queries(2):  # the village (for its town) and the case's UPDATE: no feedback UPDATE
        case.save()

    assert Feedback.objects.get().town_id == dajiang_case.town_id


def test_a_raw_move_of_the_case_takes_its_feedback_along(dajiang_case):
    """The database keeps it (the composite key's cascade): no save() needed, nothing to forget."""
    Feedback.objects.create(case=dajiang_case, given_on=dajiang_case.closed_on, channel=Feedback.Channel.PHONE)
    home_village = VillageFactory()

    with transaction.atomic():
        Case.objects.filter(pk=dajiang_case.pk).update(village=home_village, town=home_village.town)

    assert list(Feedback.objects.values_list("town_id", flat=True)) == [home_village.town_id]


def test_feedback_in_another_town_than_its_cases_is_refused(dajiang_case):
    other = TownFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.create(
            case=dajiang_case, town=other, given_on=dajiang_case.closed_on, channel=Feedback.Channel.PHONE
        )
        immediate()
    feedback = Feedback.objects.create(case=dajiang_case, given_on=dajiang_case.closed_on, channel="phone")
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.filter(pk=feedback.pk).update(town=other)
        immediate()


def immediate():
    """PostgreSQL checks the deferred keys now rather than at the commit the test never reaches."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
