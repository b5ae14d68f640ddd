"""Voiding a case entered by mistake (cases/voiding.py): the office only, with a reason and a tick,
kept with its history and its page, and counted nowhere: not in the figures (the tally's triggers
and the live counts), not on the board, not in the lists; no action can be taken on it after."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import workflow
from cases.models import Case, CaseEvent
from cases.tests.factories import CaseFactory, FeedbackFactory
from cases.voiding import void_case
from reports.analysis import Period, count_cases, headline
from reports.figures import summary

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cases(cadre_user):
    team = cadre_user.cadre.team
    kept = CaseFactory(team=team, village=team.village, title="水渠年久失修", raised_on=D(2015, 3, 5))
    mistaken = CaseFactory(team=team, village=team.village, title="路灯不亮重复登记", raised_on=D(2015, 3, 5))
    return kept, mistaken


def _void(client, case, **data):
    posted = {"version": case.version, "reason": "重复登记，与另一编号相同", "confirm": "on"} | data
    return client.post(reverse("cases:void", args=[case.number]), posted)


def test_office_voids_with_reason_kept_in_history(office_client, office_user, two_cases):
    _kept, mistaken = two_cases
    response = _void(office_client, mistaken)
    assert response.status_code == 302
    voided = Case.with_voided.get(pk=mistaken.pk)
    assert voided.voided_at is not None and voided.voided_by == office_user
    assert voided.void_reason == "重复登记，与另一编号相同"
    assert voided.version == mistaken.version + 1
    event = voided.events.get(kind=CaseEvent.Kind.VOIDED)
    assert event.text == "重复登记，与另一编号相同" and not event.public
    assert not Case.objects.filter(pk=mistaken.pk).exists()  # counted nowhere ...
    page = office_client.get(reverse("cases:detail", args=[mistaken.number]))
    assert page.status_code == 200  # ... but its page still opens, saying so
    html = page.content.decode()
    assert "已作废" in html and "重复登记，与另一编号相同" in html
    assert f'href="/cases/{mistaken.number}/triage/"' not in html  # no action panels


def test_voided_case_leaves_figures_board_and_list(office_client, office_user, client, two_cases):
    kept, mistaken = two_cases
    march = Period.month(2015, 3)
    before = count_cases({"": march})[()]["collected"]
    assert summary(start=march.start, end=march.end).total == 2
    void_case(case=mistaken, reason="误录", by=office_user)
    assert count_cases({"": march})[()]["collected"] == before - 1
    assert summary(start=march.start, end=march.end).total == 1
    board = client.get(reverse("board:village", args=[kept.village.code])).content.decode()
    assert kept.number in board and mistaken.number not in board
    listing = office_client.get(reverse("cases:list")).content.decode()
    assert kept.number in listing and mistaken.number not in listing


def test_voided_case_feedback_counts_nowhere(office_user):
    case = CaseFactory(closed=True, raised_on=D(2015, 3, 5), closed_on=D(2015, 3, 9), fed_back_on=D(2015, 3, 10))
    FeedbackFactory(case=case, given_on=D(2015, 3, 10), satisfaction="satisfied")
    assert headline(Period.month(2015, 3)).counts["rated"] == 1
    void_case(case=case, reason="误录", by=office_user)
    assert headline(Period.month(2015, 3)).counts["rated"] == 0


@pytest.mark.parametrize("who", ["cadre_client", "supervisor_client"])
def test_only_the_office_voids(request, who, two_cases):
    _kept, mistaken = two_cases
    client = request.getfixturevalue(who)
    assert _void(client, mistaken).status_code == 403
    assert client.get(reverse("cases:void", args=[mistaken.number])).status_code == 403
    assert Case.objects.filter(pk=mistaken.pk).exists()


def test_anonymous_is_sent_to_login(client, two_cases):
    response = _void(client, two_cases[1])
    assert response.status_code == 302 and "/login" in response["Location"]
    assert Case.objects.filter(pk=two_cases[1].pk).exists()


def test_void_refused_without_reason_or_tick(office_client, two_cases):
    _kept, mistaken = two_cases
    for data, message in (({"reason": "  "}, "请填写作废原因"), ({"confirm": ""}, "请勾选确认后再作废")):
        response = _void(office_client, mistaken, **data)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert Case.objects.filter(pk=mistaken.pk).exists()


def test_stale_form_does_not_void(office_client, two_cases):
    _kept, mistaken = two_cases
    response = _void(office_client, mistaken, version=mistaken.version - 1 if mistaken.version > 1 else 99)
    assert response.status_code == 409
    assert Case.objects.filter(pk=mistaken.pk).exists()


def test_no_action_after_voiding(office_user, two_cases, office_client):
    _kept, mistaken = two_cases
    void_case(case=mistaken, reason="误录", by=office_user)
    assert workflow.allowed_actions(Case.with_voided.get(pk=mistaken.pk)) == set()
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.triage(
            case=mistaken, decision=Case.Decision.PLAN, plan="方案", planned_on=D(2015, 4, 1), by=office_user
        )
    with pytest.raises(workflow.TransitionNotAllowed):
        void_case(case=mistaken, reason="再次", by=office_user)
    page = office_client.get(reverse("cases:triage", args=[mistaken.number]))
    assert page.status_code == 403 and "已作废" in page.content.decode()


def test_void_rules_in_the_service(cadre_user, two_cases, office_user):
    _kept, mistaken = two_cases
    with pytest.raises(PermissionDenied):
        void_case(case=mistaken, reason="误录", by=cadre_user)
    with pytest.raises(ValidationError):
        void_case(case=mistaken, reason="", by=office_user)


def test_case_page_of_voided_case_constant_queries(
    office_client, office_user, two_cases, django_assert_max_num_queries
):
    _kept, mistaken = two_cases
    void_case(case=mistaken, reason="误录", by=office_user)
    with django_assert_max_num_queries(20):
        assert office_client.get(reverse("cases:detail", args=[mistaken.number])).status_code == 200


def test_track_tells_the_resident_the_case_was_voided(client, office_user, two_cases):
    _kept, mistaken = two_cases
    void_case(case=mistaken, reason="重复登记：陈测试家", by=office_user)
    posted = {"number": mistaken.number, "last4": "5678"}
    page = client.post(reverse("track:index"), posted, REMOTE_ADDR="10.0.0.9").content.decode()
    assert mistaken.number in page and "已作废" in page
    assert "陈测试家" not in page  # the reason is internal


def test_voided_case_is_anonymised_after_the_retention_and_its_private_photos_go(
    office_user, two_cases, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases import photos, pipl
    from cases.models import CasePhoto
    from cases.tests.photo_files import phone_jpeg

    settings.MEDIA_ROOT = tmp_path
    kept, mistaken = two_cases
    photos.add_photo(mistaken, SimpleUploadedFile("a.jpg", phone_jpeg(), "image/jpeg"), office_user)
    void_case(case=mistaken, reason="误录", by=office_user)
    assert list(tmp_path.rglob("*.jpg"))
    voided_on = timezone.localdate(Case.with_voided.get(pk=mistaken.pk).voided_at)
    assert pipl.anonymise(today=voided_on, years=3) == 0  # not yet: three years from voiding
    later = voided_on.replace(year=voided_on.year + 3) + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert pipl.anonymise(today=later, years=3) == 1  # the kept case is open: it stays as it is
    gone = Case.with_voided.get(pk=mistaken.pk)
    assert gone.resident_name == "" and gone.resident_phone == "" and gone.anonymised_on == later
    assert not CasePhoto.objects.filter(case=gone).exists()
    assert Case.objects.get(pk=kept.pk).resident_name == "陈测试"
    assert not list(tmp_path.rglob("*.jpg"))  # the files too


def test_a_form_sent_again_after_its_case_was_voided_registers_nothing(cadre_user, office_user, team):
    first = CaseFactory.build(team=team, village=team.village, raised_on=D(2015, 3, 5), number="")
    first = workflow.register_case(case=first, by=cadre_user, request_key="k-1")
    void_case(case=first, reason="误录", by=office_user)
    again = CaseFactory.build(team=team, village=team.village, raised_on=D(2015, 3, 5), number="")
    with pytest.raises(workflow.AlreadyRegistered) as sent_before:
        workflow.register_case(case=again, by=cadre_user, request_key="k-1")
    assert sent_before.value.case.pk == first.pk
    assert Case.with_voided.filter(request_key="k-1").count() == 1
