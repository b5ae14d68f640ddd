"""A refused form's errors at the top of the page (templates/_error_summary.html): a heading with their
number, each linked to its field, and the first field in error focused (autofocus, no JavaScript)."""

import pytest
from django.urls import reverse

from cases import workflow
from cases.models import Case
from cases.tests.factories import CaseFactory, ReferralFactory
from teams.tests.summary import autofocused, element_ids, summary_at_top, summary_heading, summary_links

S = Case.Status
pytestmark = pytest.mark.django_db


def in_progress(team) -> Case:
    return CaseFactory(team=team, status=S.IN_PROGRESS, decision="handle_now")


def test_refused_referral_with_no_helper_is_summed_up_at_the_top_and_focuses_the_select(office_client, team):
    case = in_progress(team)  # the helper roster is empty: the select offers nothing to pick

    response = office_client.post(
        f"/cases/{case.number}/refer/", {"request": "请协助修渠", "asked_on": "2015-01-09", "version": case.version}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert summary_at_top(html)
    assert summary_heading(html) == "有 1 处需要修改"
    assert summary_links(html) == [("id_refer_helper", "辅助团队成员：请选择辅助团队成员。")]
    assert autofocused(html) == ["id_refer_helper"]
    assert '<select name="helper"' in html and 'id="id_refer_helper"' in html


def test_refused_form_focuses_only_its_first_field_in_error(office_client, team):
    case = CaseFactory(team=team)

    response = office_client.post(f"/cases/{case.number}/triage/", {"decision": "plan", "version": case.version})

    html = response.content.decode()
    assert summary_heading(html) == "有 2 处需要修改"
    assert [target for target, _text in summary_links(html)] == ["id_triage_plan", "id_triage_planned_on"]
    assert autofocused(html) == ["id_triage_plan"]


def test_refused_radio_choice_links_and_focuses_its_first_radio(office_client, team):
    case = in_progress(team)

    response = office_client.post(
        f"/cases/{case.number}/close/", {"result": "已修好", "closed_on": "2015-01-20", "confirm": "on", "version": 1}
    )

    html = response.content.decode()
    assert summary_links(html) == [("id_close_closure_0", "办结方式：请选择办结方式。")]
    assert "id_close_closure_0" in element_ids(html)
    assert autofocused(html) == ["id_close_closure_0"]  # not every radio of the group


def test_refusal_without_a_field_focuses_the_summary(office_client, team):
    case = in_progress(team)

    response = office_client.post(f"/cases/{case.number}/reopen/", {"reason": "再看看", "version": case.version})

    html = response.content.decode()
    assert response.status_code == 400
    assert summary_links(html) == [("", "“处理中”的问题不能重新办理。")]
    assert autofocused(html) == ["error-summary"]


def test_conflict_focuses_its_message_at_the_top(office_client, office_user, team):
    case = in_progress(team)
    workflow.set_due_date(case=case, due_on=case.raised_on, by=office_user)  # the form below was loaded before

    response = office_client.post(
        f"/cases/{case.number}/close/",
        {"closure": "solved", "result": "已修好", "closed_on": "2015-01-20", "confirm": "on", "version": 1},
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert summary_links(html) == []
    assert summary_at_top(html) is False
    assert autofocused(html) == ["conflict"]


def test_reply_error_links_to_the_reply_under_its_referral(office_client, team):
    case = in_progress(team)
    referral = ReferralFactory(case=case)

    response = office_client.post(
        f"/cases/{case.number}/reply/",
        {"referral": referral.pk, "reply": "答复", "replied_on": "2014-01-01", "version": case.version},
    )

    html = response.content.decode()
    target = f"reply-replied_on-{referral.pk}"
    assert [link for link, _text in summary_links(html)] == [target]
    assert target in element_ids(html)
    assert autofocused(html) == [target]


@pytest.mark.parametrize("referral", ["%d", "5%", "abc"])
def test_reply_to_a_mangled_referral_is_refused_not_a_500(office_client, team, referral):
    case = in_progress(team)

    response = office_client.post(
        f"/cases/{case.number}/reply/", {"referral": referral, "reply": "答复", "version": case.version}
    )

    assert response.status_code == 400
    assert summary_at_top(response.content.decode())


@pytest.mark.parametrize("url", ["", "close/"])
def test_pages_without_errors_have_no_summary_and_focus_nothing(office_client, team, url):
    case = in_progress(team)

    html = office_client.get(f"/cases/{case.number}/{url}").content.decode()

    assert summary_links(html) == []
    assert 'class="error-summary"' not in html
    assert autofocused(html) == []


def test_refused_bulk_action_is_summed_up_at_the_top_of_the_list(office_client, team):
    case = in_progress(team)

    response = office_client.post(
        reverse("cases:bulk"), {"case": [f"{case.number}:{case.version}"], "action": "due", "query": "status=open"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "批量操作未执行，没有修改任何问题。" in html
    assert html.index('class="error-summary"') < html.index("<h1>")
    assert summary_links(html) == [("bulk_due_on", "办理期限：请填写办理期限。")]
    assert autofocused(html) == ["bulk_due_on"]
