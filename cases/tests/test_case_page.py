"""The case page /cases/<number>/ and its actions: what each role sees and may do, bad input,
stale forms, and a constant number of queries.

Roles (cases/views/detail.py): office staff take every action the status allows; a cadre of the
case's team adds progress, edits the record, asks a helper and records the reply (triage, close,
feedback, reopen, responsible person and due date are the office's: 403); a cadre of another team
gets 404; supervisors read (200) and every POST is 403; anonymous users go to the login page.
"""

import datetime
import re

import chinese_calendar
import pytest
from django.test import override_settings
from django.utils import timezone

from cases import workflow
from cases.models import Case, CaseEvent
from cases.tests.factories import (
    CaseFactory,
    CategoryFactory,
    FeedbackFactory,
    ReferralFactory,
    SubCategoryFactory,
)
from teams.tests.factories import CadreFactory, HelperFactory, UserFactory
from teams.tests.summary import autofocused, element_ids, summary_at_top, summary_links

D = datetime.date
S = Case.Status
pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def summaries(response) -> list[str]:
    """The headings of the action panels offered on the page."""
    return re.findall(r"<summary>(.*?)</summary>", response.content.decode())


def page(response) -> str:
    return response.content.decode()


def make_case(team, status=S.REGISTERED, **kwargs) -> Case:
    if status == S.CLOSED:
        return CaseFactory(team=team, closed=True, **kwargs)
    if status == S.IN_PROGRESS:
        return CaseFactory(team=team, status=S.IN_PROGRESS, **{"decision": "handle_now", **kwargs})
    return CaseFactory(team=team, **kwargs)


# --- what the page shows --------------------------------------------------------------------


def test_case_page_shows_the_record_and_resident_to_office(office_client, team):
    sub = SubCategoryFactory(label="水渠年久失修", category__label="农田水利建设")
    case = make_case(
        team,
        S.IN_PROGRESS,
        category=sub.category,
        subcategory=sub,
        kind="complaint",
        responsible=CadreFactory(name="黄跟进"),
        due_on=D(2015, 1, 22),
    )

    response = office_client.get(f"/cases/{case.number}/")

    html = page(response)
    assert response.status_code == 200
    assert f'<h1><span class="detail-number">{case.number}</span> 水渠年久失修</h1>' in html
    assert "<dt>问题类别</dt><dd>农田水利建设 / 水渠年久失修</dd>" in html
    assert "<dt>诉求类型</dt><dd>投诉</dd>" in html
    assert "<dt>反映人</dt><dd>陈测试</dd>" in html
    assert "<dt>联系电话</dt><dd>139****5678</dd>" in html  # in full after 查看联系方式 (test_pipl.py)
    assert "<dt>住址（自然村）</dt><dd>测试村***</dd>" in html
    assert "<dt>处理决定</dt><dd>即时办理</dd>" in html
    assert "<dt>责任人</dt><dd>黄跟进</dd>" in html
    assert '2015-01-22</time> <span class="flag overdue">已逾期</span>' in html


def test_case_page_closed_without_feedback_is_flagged(office_client, team):
    case = make_case(team, S.CLOSED)

    html = page(office_client.get(f"/cases/{case.number}/"))

    assert '<span class="detail-status status-closed">已办结（已解决）</span>' in html
    assert '<span class="flag feedback">未反馈</span>' in html
    assert "尚未向反映人反馈办理结果。" in html
    assert '<p class="detail-text">已维修</p>' in html


def test_case_page_timeline_lists_every_event_with_who_and_status_change(office_client, office_user, team):
    case = make_case(team)
    office_user.cadre.name = "党政办小陈"
    office_user.cadre.save()
    workflow.triage(
        case=case, decision="handle_now", responsible=CadreFactory(name="李四"), due_on=D(2015, 1, 22), by=office_user
    )
    workflow.add_progress(case=case, text="已联系水利所", public=False, by=None)

    html = page(office_client.get(f"/cases/{case.number}/"))

    events = re.findall(r'<li class="event-(\w+)">', html)
    assert events == ["triaged", "progress"]
    assert '<strong>分办</strong>\n        <span class="detail-change">已登记 → 处理中</span>' in html
    assert '<span class="detail-who">党政办小陈</span>' in html
    assert '<span class="detail-who">系统</span>' in html
    assert "<p>处理决定：即时办理；责任人：李四；办理期限：2015-01-22</p>" in html
    assert '<span class="flag public">公示</span>' in html
    assert '<span class="flag internal">内部</span>' in html


def test_case_page_lists_referrals_with_replies_and_feedback(office_client, team):
    case = make_case(team, S.CLOSED, fed_back_on=D(2015, 1, 21))
    ReferralFactory(case=case, helper=HelperFactory(name="梁律师"), reply="建议调解", replied_on=D(2015, 1, 12))
    ReferralFactory(case=case, helper=HelperFactory(name="何警官", kind="police"), request="请协查")
    FeedbackFactory(case=case, channel="notice_board", satisfaction="basically", given_by=CadreFactory(name="周反馈"))

    html = page(office_client.get(f"/cases/{case.number}/"))

    assert "<strong>律师 梁律师</strong>" in html
    assert "<strong>答复（2015-01-12）：</strong>建议调解" in html
    assert "<strong>警官 何警官</strong>" in html
    assert '<p class="detail-waiting">尚未答复</p>' in html
    assert "<td>2015-01-21</td><td>公开栏</td><td>周反馈</td>" in html
    assert "<td>基本满意</td>" in html
    assert html.count('name="referral"') == 1  # a reply form only under the unanswered one


OPEN_PANELS = "分办（处理决定） 办结 记录进展 请辅助团队协助 更换责任人 设定办理期限 修改登记内容 作废（误录）".split()


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            S.REGISTERED,
            [*OPEN_PANELS],
        ),
        (
            S.IN_PROGRESS,
            [*OPEN_PANELS],
        ),
        (S.CLOSED, ["记录反馈", "重新办理", "记录进展", "修改登记内容", "作废（误录）"]),
    ],
)
def test_case_page_offers_office_only_the_actions_the_status_allows(status, expected, office_client, team):
    case = make_case(team, status)

    assert summaries(office_client.get(f"/cases/{case.number}/")) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.REGISTERED, ["记录进展", "请辅助团队协助", "修改登记内容"]),
        (S.IN_PROGRESS, ["记录进展", "请辅助团队协助", "修改登记内容"]),
        (S.CLOSED, ["记录进展", "修改登记内容"]),
    ],
)
def test_case_page_offers_a_cadre_the_team_actions_only(status, expected, cadre_client, team):
    case = make_case(team, status)

    assert summaries(cadre_client.get(f"/cases/{case.number}/")) == expected


def test_case_page_supervisor_reads_without_forms(supervisor_client, team):
    case = make_case(team, S.IN_PROGRESS)

    response = supervisor_client.get(f"/cases/{case.number}/")

    html = page(response)
    assert summaries(response) == []
    # The one form: asking to see the resident's contact (spot-checks telephone residents).
    assert re.findall(r'<form method="post" action="(/cases/[^"]+)"', html) == [f"/cases/{case.number}/contact/"]
    assert "您可以查看这个问题，但不能修改。" in html
    assert "<dt>反映人</dt><dd>陈测试</dd>" in html


def test_case_page_close_form_of_registered_case_offers_only_on_the_spot(office_client, team):
    case = make_case(team)

    html = page(office_client.get(f"/cases/{case.number}/close/"))

    assert re.findall(r'name="closure" value="(\w+)"', html) == ["on_the_spot"]


def test_case_page_close_form_asks_for_a_confirming_tick(office_client, team):
    case = make_case(team, S.IN_PROGRESS)

    html = page(office_client.get(f"/cases/{case.number}/close/"))

    assert re.search(
        r'<label for="id_close_confirm"><input type="checkbox" name="confirm" required id="id_close_confirm"> '
        r"我已核对办理结果，确认办结</label>",
        html,
    )


def test_case_close_without_the_confirming_tick_is_refused_and_keeps_what_was_typed(office_client, team):
    case = make_case(team, S.IN_PROGRESS)

    response = office_client.post(
        f"/cases/{case.number}/close/",
        {"closure": "solved", "result": "已修好水渠", "closed_on": "2015-01-20", "version": case.version},
    )

    html = page(response)
    assert response.status_code == 400
    assert "请核对办理结果，勾选“我已核对办理结果，确认办结”后再提交。" in html
    assert "已修好水渠</textarea>" in html
    case.refresh_from_db()
    assert (case.status, case.result, case.events.count()) == (S.IN_PROGRESS, "", 0)


def test_case_page_triage_due_date_defaults_to_the_working_day_limit(office_client, team):
    case = make_case(team, kind="complaint")
    expected = workflow.due_date(TODAY(), "complaint")[0]

    html = page(office_client.get(f"/cases/{case.number}/"))

    assert f'name="due_on" value="{expected:%Y-%m-%d}"' in html
    assert "默认按“投诉”类诉求15个工作日计算（法定节假日和调休已计入）。" in html
    assert "暂按周一至周五计算" not in html


def test_case_page_triage_due_date_says_when_the_calendar_does_not_know_the_year(office_client, team):
    last_known = max(chinese_calendar.holidays).year
    days = (D(last_known + 1, 1, 15) - TODAY()).days  # more working days than that reach the unknown year
    case = make_case(team, kind="help")

    with override_settings(CASE_WORKING_DAY_LIMITS={"enquiry": 2, "help": days, "suggestion": 10, "complaint": 15}):
        html = page(office_client.get(f"/cases/{case.number}/"))
        due = workflow.due_date(TODAY(), "help")[0]

    assert due.year > last_known
    assert f"{due.year}年的节假日安排尚未公布，暂按周一至周五计算，请核对。" in html


def test_case_page_triage_of_a_case_in_progress_starts_from_the_earlier_decision(office_client, team):
    case = make_case(team, S.IN_PROGRESS, decision="plan", plan="明年春耕前修好", planned_on=D(2015, 3, 1))

    case_page = page(office_client.get(f"/cases/{case.number}/"))
    html = page(office_client.get(f"/cases/{case.number}/triage/"))

    assert 'value="plan" required id="id_triage_decision_1" checked' in html
    assert 'name="planned_on" value="2015-03-01"' in html
    assert ">\n明年春耕前修好</textarea>" in html
    assert f'<details class="detail-panel" id="triage" hx-get="/cases/{case.number}/triage/"' in case_page  # closed


def test_case_page_registered_case_opens_triage_and_close_defaults(office_client, team):
    registered, explained = make_case(team), make_case(team, S.IN_PROGRESS, decision="explain")

    registered_html = page(office_client.get(f"/cases/{registered.number}/"))
    explained_html = page(office_client.get(f"/cases/{explained.number}/close/"))

    assert '<details class="detail-panel" id="triage" open>' in registered_html
    assert 'name="decision"' in registered_html  # the open panel carries its form
    assert 'value="explained" required id="id_close_closure_1" checked' in explained_html


def test_case_page_tells_a_cadre_which_actions_are_the_offices(cadre_client, team):
    case = make_case(team)

    html = page(cadre_client.get(f"/cases/{case.number}/"))

    assert "分办、办结、反馈和重新办理由党政办处理。" in html


def test_case_page_unknown_number_is_404(office_client):
    assert office_client.get("/cases/SH-2015-9999/").status_code == 404


def test_case_page_garbage_number_is_404(office_client):
    assert office_client.get("/cases/%3Cscript%3E/").status_code == 404


# --- every role against every view ----------------------------------------------------------


def test_case_page_anonymous_goes_to_login(client, team):
    case = make_case(team)

    response = client.get(f"/cases/{case.number}/")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/cases/{case.number}/"


@pytest.mark.parametrize(
    ("persona", "status"), [("office_client", 200), ("supervisor_client", 200), ("cadre_client", 200)]
)
def test_case_page_staff_of_the_team_read(persona, status, request, team):
    case = make_case(team)

    response = request.getfixturevalue(persona).get(f"/cases/{case.number}/")

    assert response.status_code == status
    assert case.number in page(response)


def test_case_page_cadre_of_another_team_gets_404(cadre_client, other_team):
    case = make_case(other_team)

    response = cadre_client.get(f"/cases/{case.number}/")

    assert response.status_code == 404
    assert "陈测试" not in page(response)


def test_case_page_user_without_role_gets_403(client, team):
    client.force_login(UserFactory())
    case = make_case(team)

    assert client.get(f"/cases/{case.number}/").status_code == 403


def valid_post(action: str, team) -> tuple[Case, str, dict, callable]:
    """A case in a status that allows ACTION, the URL, valid data, and a check that it happened."""
    if action == "triage":
        case = make_case(team)
        data = {"decision": "plan", "plan": "明年修", "planned_on": "2015-03-01"}
        return case, "triage", data, lambda c: c.decision == "plan" and c.status == S.IN_PROGRESS
    if action == "add_progress":
        case = make_case(team, S.IN_PROGRESS)
        return case, "progress", {"text": "已查看", "public": "1"}, lambda c: c.events.filter(kind="progress").exists()
    if action == "refer":
        case = make_case(team, S.IN_PROGRESS)
        data = {"helper": HelperFactory().pk, "request": "请协助", "asked_on": "2015-01-09"}
        return case, "refer", data, lambda c: c.referrals.count() == 1
    if action == "record_reply":
        case = make_case(team, S.IN_PROGRESS)
        referral = ReferralFactory(case=case)
        data = {"referral": referral.pk, "reply": "已答复", "replied_on": "2015-01-12"}
        return case, "reply", data, lambda c: c.referrals.get().reply == "已答复"
    if action == "close":
        case = make_case(team, S.IN_PROGRESS)
        data = {"closure": "solved", "result": "已修好", "closed_on": "2015-01-20", "confirm": "on"}
        return case, "close", data, lambda c: c.status == S.CLOSED and c.result == "已修好"
    if action == "record_feedback":
        case = make_case(team, S.CLOSED)
        data = {
            "given_on": "2015-01-21",
            "channel": "phone",
            "given_by": CadreFactory().pk,
            "satisfaction": "satisfied",
        }
        return case, "feedback", data, lambda c: c.fed_back_on == D(2015, 1, 21)
    if action == "reopen":
        case = make_case(team, S.CLOSED)
        return case, "reopen", {"reason": "不满意"}, lambda c: c.status == S.IN_PROGRESS
    if action == "assign_responsible":
        case = make_case(team, S.IN_PROGRESS)
        cadre = CadreFactory()
        return case, "responsible", {"responsible": cadre.pk}, lambda c: c.responsible_id == cadre.pk
    if action == "set_due_date":
        case = make_case(team, S.IN_PROGRESS)
        return case, "due", {"due_on": "2015-02-06"}, lambda c: c.due_on == D(2015, 2, 6)
    if action == "edit_case":
        case = make_case(team)
        data = edit_data(case, title="新摘要")
        return case, "edit", data, lambda c: c.title == "新摘要"
    raise AssertionError(action)


def edit_data(case: Case, **changes) -> dict:
    data = {
        "title": case.title,
        "description": case.description,
        "category": case.category_id or "",
        "subcategory": case.subcategory_id or "",
        "kind": case.kind,
        "channel": case.channel,
        "raised_on": case.raised_on.isoformat(),
        "resident_name": case.resident_name,
        "resident_phone": case.resident_phone,
        "resident_address": case.resident_address,
        "public_posting": "on",
    }
    data.update(changes)
    return data


TEAM_ACTIONS = ["add_progress", "refer", "record_reply", "edit_case"]
OFFICE_ONLY = ["triage", "close", "record_feedback", "reopen", "assign_responsible", "set_due_date"]
DONE = {
    "triage": "已分办。",
    "add_progress": "已记录进展。",
    "refer": "已请辅助团队协助。",
    "record_reply": "已记录答复。",
    "close": "已办结。",
    "record_feedback": "已记录反馈。",
    "reopen": "已重新办理。",
    "assign_responsible": "已指定责任人。",
    "set_due_date": "已设定办理期限。",
    "edit_case": "已保存修改。",
}


@pytest.mark.parametrize("action", TEAM_ACTIONS + OFFICE_ONLY)
def test_case_action_office_succeeds_and_redirects_to_the_case(action, office_client, team):
    case, url, data, happened = valid_post(action, team)

    response = office_client.post(f"/cases/{case.number}/{url}/", {**data, "version": case.version}, follow=True)

    assert response.redirect_chain == [(f"/cases/{case.number}/", 302)]
    assert f'<li class="success">{DONE[action]}</li>' in page(response)
    case.refresh_from_db()
    assert happened(case) is True


@pytest.mark.parametrize("action", TEAM_ACTIONS)
def test_case_action_cadre_of_the_team_succeeds(action, cadre_client, team):
    case, url, data, happened = valid_post(action, team)

    response = cadre_client.post(f"/cases/{case.number}/{url}/", {**data, "version": case.version})

    assert (response.status_code, response["Location"]) == (302, f"/cases/{case.number}/")
    case.refresh_from_db()
    assert happened(case) is True


@pytest.mark.parametrize("action", OFFICE_ONLY)
def test_case_action_office_only_refused_to_a_cadre(action, cadre_client, team):
    case, url, data, happened = valid_post(action, team)

    response = cadre_client.post(f"/cases/{case.number}/{url}/", {**data, "version": case.version})

    assert response.status_code == 403
    case.refresh_from_db()
    assert happened(case) is False


@pytest.mark.parametrize("action", TEAM_ACTIONS + OFFICE_ONLY)
def test_case_action_cadre_of_another_team_gets_404(action, cadre_client, other_team):
    case, url, data, happened = valid_post(action, other_team)

    response = cadre_client.post(f"/cases/{case.number}/{url}/", {**data, "version": case.version})

    assert response.status_code == 404
    case.refresh_from_db()
    assert happened(case) is False


@pytest.mark.parametrize("action", TEAM_ACTIONS + OFFICE_ONLY)
def test_case_action_supervisor_gets_403(action, supervisor_client, team):
    case, url, data, happened = valid_post(action, team)

    response = supervisor_client.post(f"/cases/{case.number}/{url}/", {**data, "version": case.version})

    assert response.status_code == 403
    case.refresh_from_db()
    assert happened(case) is False


@pytest.mark.parametrize("action", TEAM_ACTIONS + OFFICE_ONLY)
def test_case_action_anonymous_goes_to_login(action, client, team):
    case, url, data, happened = valid_post(action, team)

    response = client.post(f"/cases/{case.number}/{url}/", {**data, "version": case.version})

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next=/cases/{case.number}/{url}/")
    case.refresh_from_db()
    assert happened(case) is False


@pytest.mark.parametrize("url", ["reply", "contact"])
def test_case_action_get_is_405(url, office_client, team):
    """The reply form lives under its referral and the contact is revealed by POST only; the other
    actions answer GET with their form (test_case_page_panels.py)."""
    case = make_case(team)

    assert office_client.get(f"/cases/{case.number}/{url}/").status_code == 405


def test_case_page_post_is_405(office_client, team):
    case = make_case(team)

    assert office_client.post(f"/cases/{case.number}/").status_code == 405


def test_case_action_not_allowed_in_this_status_shows_the_page_with_the_reason(office_client, team):
    case = make_case(team, S.IN_PROGRESS)

    response = office_client.post(f"/cases/{case.number}/reopen/", {"reason": "再看看", "version": 1})

    assert response.status_code == 400
    assert "“处理中”的问题不能重新办理。" in page(response)
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS


# --- bad input, form by form ----------------------------------------------------------------

LONG = "长" * 2001
FUTURE = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
BAD_INPUTS = [
    # (url, status, data, message)
    ("triage", S.REGISTERED, {}, "请选择处理决定。"),
    ("triage", S.REGISTERED, {"decision": "later"}, "请选择处理决定。"),
    ("triage", S.REGISTERED, {"decision": "handle_now"}, "即时办理须指定责任人。"),
    ("triage", S.REGISTERED, {"decision": "handle_now", "responsible": "abc"}, "请从名单中选择责任人。"),
    ("triage", S.REGISTERED, {"decision": "handle_now", "responsible": "99999"}, "请从名单中选择责任人。"),
    (
        "triage",
        S.REGISTERED,
        {"decision": "handle_now", "responsible": "CADRE", "due_on": "2015-13-45"},
        "输入一个有效的日期。",
    ),
    (
        "triage",
        S.REGISTERED,
        {"decision": "handle_now", "responsible": "CADRE", "due_on": "2014-06-01"},
        "日期早于直联活动开始（2014-09-01），请检查是否写错。",
    ),
    (
        "triage",
        S.REGISTERED,
        {"decision": "handle_now", "responsible": "CADRE", "due_on": "2015-01-02"},
        "办理期限不能早于反映日期（2015-01-08）。",
    ),
    ("triage", S.REGISTERED, {"decision": "plan", "planned_on": "2015-03-01"}, "请填写实施方案。"),
    ("triage", S.REGISTERED, {"decision": "plan", "plan": "修渠"}, "请填写计划完成日期。"),
    (
        "triage",
        S.REGISTERED,
        {"decision": "plan", "plan": LONG, "planned_on": "2015-03-01"},
        "确保该变量包含不超过 2000 字符 (目前字符数 2001)。",
    ),
    ("triage", S.REGISTERED, {"decision": "explain", "explaining_department": "民政办"}, "请填写政策依据。"),
    ("triage", S.REGISTERED, {"decision": "explain", "policy_basis": "文件"}, "请填写负责解释的部门。"),
    ("progress", S.IN_PROGRESS, {"text": "", "public": "0"}, "请填写进展内容。"),
    ("progress", S.IN_PROGRESS, {"text": LONG, "public": "0"}, "确保该变量包含不超过 2000 字符 (目前字符数 2001)。"),
    ("progress", S.IN_PROGRESS, {"text": "进展", "public": "maybe"}, "请选择是否公示。"),
    ("refer", S.IN_PROGRESS, {"request": "请协助", "asked_on": "2015-01-09"}, "请选择辅助团队成员。"),
    (
        "refer",
        S.IN_PROGRESS,
        {"helper": "x'; drop", "request": "请协助", "asked_on": "2015-01-09"},
        "请从名册中选择辅助团队成员。",
    ),
    (
        "refer",
        S.IN_PROGRESS,
        {"helper": "INACTIVE", "request": "请协助", "asked_on": "2015-01-09"},
        "请从名册中选择辅助团队成员。",
    ),
    ("refer", S.IN_PROGRESS, {"helper": "HELPER", "request": "", "asked_on": "2015-01-09"}, "请填写请求协助的内容。"),
    ("refer", S.IN_PROGRESS, {"helper": "HELPER", "request": "请协助", "asked_on": FUTURE}, "日期不能晚于今天。"),
    (
        "refer",
        S.IN_PROGRESS,
        {"helper": "HELPER", "request": "请协助", "asked_on": "2015-01-07"},
        "请求日期不能早于反映日期（2015-01-08）。",
    ),
    (
        "reply",
        S.IN_PROGRESS,
        {"referral": "OTHER", "reply": "答复", "replied_on": "2015-01-12"},
        "这项协助请求不存在或已答复。",
    ),
    (
        "reply",
        S.IN_PROGRESS,
        {"referral": "abc", "reply": "答复", "replied_on": "2015-01-12"},
        "这项协助请求不存在或已答复。",
    ),
    ("reply", S.IN_PROGRESS, {"referral": "REFERRAL", "reply": "", "replied_on": "2015-01-12"}, "请填写答复内容。"),
    (
        "reply",
        S.IN_PROGRESS,
        {"referral": "REFERRAL", "reply": "答复", "replied_on": "2015-01-09"},
        "答复日期不能早于请求日期（2015-01-10）。",
    ),
    ("close", S.IN_PROGRESS, {"closure": "solved", "result": "", "closed_on": "2015-01-20"}, "办结须填写办理结果。"),
    (
        "close",
        S.IN_PROGRESS,
        {"closure": "solved", "result": LONG, "closed_on": "2015-01-20"},
        "确保该变量包含不超过 2000 字符 (目前字符数 2001)。",
    ),
    ("close", S.IN_PROGRESS, {"closure": "on_the_spot", "result": "好", "closed_on": "2015-01-20"}, "请选择办结方式。"),
    (
        "close",
        S.IN_PROGRESS,
        {"closure": "solved", "result": "好", "closed_on": "2015-01-07"},
        "办结日期不能早于反映日期（2015-01-08）。",
    ),
    ("close", S.IN_PROGRESS, {"closure": "solved", "result": "好", "closed_on": FUTURE}, "日期不能晚于今天。"),
    ("close", S.IN_PROGRESS, {"closure": "solved", "result": "好", "closed_on": "20150120"}, "输入一个有效的日期。"),
    ("close", S.REGISTERED, {"closure": "solved", "result": "好", "closed_on": "2015-01-20"}, "请选择办结方式。"),
    ("feedback", S.CLOSED, {"given_on": "2015-01-21", "channel": "fax", "given_by": "CADRE"}, "请选择反馈方式。"),
    ("feedback", S.CLOSED, {"given_on": "2015-01-21", "channel": "phone", "given_by": ""}, "请选择反馈人。"),
    (
        "feedback",
        S.CLOSED,
        {"given_on": "2015-01-21", "channel": "phone", "given_by": "CADRE", "satisfaction": "happy"},
        "请选择满意度。",
    ),
    (
        "feedback",
        S.CLOSED,
        {"given_on": "2015-01-19", "channel": "phone", "given_by": "CADRE"},
        "反馈日期不能早于办结日期（2015-01-20）。",
    ),
    ("feedback", S.CLOSED, {"given_on": FUTURE, "channel": "phone", "given_by": "CADRE"}, "日期不能晚于今天。"),
    ("reopen", S.CLOSED, {"reason": ""}, "请填写重新办理的原因。"),
    ("reopen", S.CLOSED, {"reason": "因" * 501}, "确保该变量包含不超过 500 字符 (目前字符数 501)。"),
    ("responsible", S.IN_PROGRESS, {}, "请选择责任人。"),
    ("responsible", S.IN_PROGRESS, {"responsible": "-1"}, "请从名单中选择责任人。"),
    ("due", S.IN_PROGRESS, {}, "请填写办理期限。"),
    ("due", S.IN_PROGRESS, {"due_on": "tomorrow"}, "输入一个有效的日期。"),
    ("due", S.IN_PROGRESS, {"due_on": "2015-01-01"}, "办理期限不能早于反映日期（2015-01-08）。"),
    ("due", S.IN_PROGRESS, {"due_on": "9999-12-31"}, "日期不正确。"),
    ("edit", S.REGISTERED, {"title": ""}, "请填写公示摘要。"),
    ("edit", S.REGISTERED, {"title": "长" * 121}, "确保该变量包含不超过 120 字符 (目前字符数 121)。"),
    ("edit", S.REGISTERED, {"raised_on": FUTURE}, "日期不能晚于今天。"),
    ("edit", S.REGISTERED, {"raised_on": "2014-08-31"}, "日期早于直联活动开始（2014-09-01），请检查是否写错。"),
    ("edit", S.CLOSED, {"raised_on": "2015-01-25"}, "反映日期不能晚于办结日期（2015-01-20）。"),
    ("edit", S.REGISTERED, {"kind": "rumour"}, "请选择诉求类型。"),
    ("edit", S.REGISTERED, {"category": "999999"}, "请从列表中选择问题大类。"),
    (
        "edit",
        S.REGISTERED,
        {"category": "OTHER_CATEGORY", "subcategory": "SUBCATEGORY"},
        "“小类甲”不属于“大类乙”，请重新选择小类。",
    ),
    (
        "edit",
        S.REGISTERED,
        {"resident_phone": "call me"},
        "电话号码只能包含数字、空格和“-”，如 13912345678 或 0750-5524538。",
    ),
    ("edit", S.REGISTERED, {"resident_name": "名" * 51}, "确保该变量包含不超过 50 字符 (目前字符数 51)。"),
    ("edit", S.REGISTERED, {"version": ""}, "页面缺少版本信息，请刷新页面后重试。"),
    (
        "close",
        S.IN_PROGRESS,
        {"closure": "solved", "result": "好", "closed_on": "2015-01-20", "version": "abc"},
        "页面版本信息有误，请刷新页面后重试。",
    ),
    (
        "close",
        S.IN_PROGRESS,
        {"closure": "solved", "result": "好", "closed_on": "2015-01-20", "version": "-3"},
        "页面版本信息有误，请刷新页面后重试。",
    ),
    (
        "close",
        S.IN_PROGRESS,
        {"closure": "solved", "result": "好", "closed_on": "2015-01-20", "version": "99999999999999"},
        "页面版本信息有误，请刷新页面后重试。",
    ),
]


def fill(case: Case, data: dict) -> dict:
    """Replace placeholders in DATA by real ids made for CASE."""
    sub = SubCategoryFactory(label="小类甲")
    placeholders = {
        "CADRE": lambda: CadreFactory().pk,
        "HELPER": lambda: HelperFactory().pk,
        "INACTIVE": lambda: HelperFactory(active=False).pk,
        "REFERRAL": lambda: ReferralFactory(case=case).pk,
        "OTHER": lambda: ReferralFactory().pk,
        "SUBCATEGORY": lambda: sub.pk,
        "OTHER_CATEGORY": lambda: CategoryFactory(label="大类乙").pk,
    }
    return {key: placeholders[value]() if value in placeholders else value for key, value in data.items()}


@pytest.mark.parametrize(("url", "status", "data", "message"), BAD_INPUTS)
def test_case_action_bad_input_shows_the_page_with_the_message(url, status, data, message, office_client, team):
    case = make_case(team, status)
    data = fill(case, data)
    if url == "edit":
        data = edit_data(case, **data)
    data.setdefault("version", case.version)
    before = Case.objects.values().get(pk=case.pk)
    events = case.events.count()

    response = office_client.post(f"/cases/{case.number}/{url}/", data)

    assert response.status_code == 400
    html = page(response)
    assert f'<p class="errorlist" role="alert">{message}</p>' in html or f"<li>{message}</li>" in html
    assert f'<h1><span class="detail-number">{case.number}</span>' in html
    # Summed up at the top of the page, each link leading to a field on it, one element focused.
    assert summary_at_top(html)
    assert message in [text.partition("：")[2] or text for _target, text in summary_links(html)]
    assert {target for target, _text in summary_links(html) if target} <= element_ids(html)
    assert len(autofocused(html)) == 1
    assert Case.objects.values().get(pk=case.pk) == before
    assert case.events.count() == events


def test_case_action_bad_input_keeps_what_was_typed_and_opens_its_panel(office_client, team):
    case = make_case(team, S.IN_PROGRESS)

    response = office_client.post(
        f"/cases/{case.number}/close/", {"closure": "solved", "result": "", "closed_on": "2015-01-07", "version": 1}
    )

    html = page(response)
    assert '<details class="detail-panel" id="close" open>' in html
    assert f'<details class="detail-panel" id="triage" hx-get="/cases/{case.number}/triage/"' in html
    assert 'name="closed_on" value="2015-01-07"' in html
    assert 'name="decision"' not in html  # the other panels stay formless


def test_case_action_reply_error_shows_under_its_referral(office_client, team):
    case = make_case(team, S.IN_PROGRESS)
    first, second = ReferralFactory(case=case), ReferralFactory(case=case)

    response = office_client.post(
        f"/cases/{case.number}/reply/", {"referral": second.pk, "reply": "", "replied_on": "2015-01-12", "version": 1}
    )

    html = page(response)
    assert response.status_code == 400
    assert f'<details class="detail-panel" id="reply-{second.pk}" open>' in html
    assert f'<details class="detail-panel" id="reply-{first.pk}">' in html
    assert html.count('<p class="errorlist" role="alert">请填写答复内容。</p>') == 1  # under its referral only
    assert summary_links(html) == [(f"reply-reply-{second.pk}", "答复内容：请填写答复内容。")]
    assert autofocused(html) == [f"reply-reply-{second.pk}"]


# --- two people, one case -------------------------------------------------------------------


def test_case_edit_stale_form_refused_with_link_to_the_fresh_case(office_client, office_user, cadre_client, team):
    case = make_case(team, S.IN_PROGRESS)
    loaded = case.version  # both forms loaded at version 1
    cadre_client.post(f"/cases/{case.number}/edit/", {**edit_data(case, title="团队先改的摘要"), "version": loaded})

    response = office_client.post(
        f"/cases/{case.number}/edit/", {**edit_data(case, title="办公室后改的摘要"), "version": loaded}
    )

    html = page(response)
    assert response.status_code == 409
    assert "您的修改没有保存：" in html
    assert "您打开页面后，这个问题已被他人修改（您看到的是第 1 版，现在是第 2 版）。" in html
    assert f'<a href="/cases/{case.number}/">查看最新的问题页面</a>' in html
    assert '<h1><span class="detail-number">' + case.number + "</span> 团队先改的摘要</h1>" in html
    assert 'name="title" value="办公室后改的摘要"' in html  # what they typed is kept to compare
    case.refresh_from_db()
    assert (case.title, case.version) == ("团队先改的摘要", 2)
    assert list(case.events.values_list("kind", flat=True)) == ["edited"]


def test_case_close_after_someone_reopened_is_a_conflict_not_an_overwrite(office_client, office_user, team):
    case = make_case(team, S.IN_PROGRESS)
    workflow.close(case=case, closure="solved", result="第一位办结", closed_on=D(2015, 1, 20), by=office_user)

    response = office_client.post(
        f"/cases/{case.number}/close/",
        {"closure": "explained", "result": "第二位办结", "closed_on": "2015-01-21", "version": 1, "confirm": "on"},
    )

    assert response.status_code == 409
    case.refresh_from_db()
    assert (case.result, case.closure) == ("第一位办结", "solved")


def test_case_conflict_form_resubmitted_after_review_saves(office_client, team):
    case = make_case(team, S.IN_PROGRESS)
    workflow.set_due_date(case=case, due_on=D(2015, 2, 6), by=None)

    office_client.post(f"/cases/{case.number}/due/", {"due_on": "2015-02-10", "version": 1})
    response = office_client.post(f"/cases/{case.number}/due/", {"due_on": "2015-02-10", "version": 2})

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.due_on, case.version) == (D(2015, 2, 10), 3)


def test_case_progress_with_stale_version_is_still_added(office_client, team):
    """A progress line overwrites nothing, so a version moved on by someone else does not refuse it."""
    case = make_case(team, S.IN_PROGRESS, version=4)

    response = office_client.post(
        f"/cases/{case.number}/progress/", {"text": "已电话联系", "public": "0", "version": 1}
    )

    assert response.status_code == 302
    assert list(case.events.values_list("text", flat=True)) == ["已电话联系"]


# --- queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 10])
def test_case_page_query_count_is_constant(size, office_client, django_assert_max_num_queries, team):
    registrar = CadreFactory(user=UserFactory(role="cadre")).user
    case = make_case(team, S.CLOSED, fed_back_on=D(2015, 1, 21), created_by=registrar)
    for i in range(size):
        CaseEvent.objects.create(
            case=case, kind="progress", text=f"进展{i}", author=CadreFactory(user=UserFactory(role="cadre")).user
        )
        ReferralFactory(case=case, reply="已答复" if i % 2 else "", replied_on=D(2015, 1, 12) if i % 2 else None)
        FeedbackFactory(case=case, given_by=CadreFactory())

    # Session, user, role, the case, its events, referrals and feedback, the viewer's and the
    # registrar's names; no form's list of names (the panels are closed).
    with django_assert_max_num_queries(10):
        response = office_client.get(f"/cases/{case.number}/")

    assert page(response).count('<li class="event-progress">') == size
