"""The state machine of a case (cases/workflow.py): every allowed and every refused transition,
the rules of each action, the history it writes, and the version check against concurrent edits."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases import workflow
from cases.deadlines import due_date
from cases.models import Case, Feedback, Referral
from cases.tests.factories import CaseFactory, CategoryFactory, ReferralFactory, SubCategoryFactory
from teams.tests.factories import CadreFactory, HelperFactory

D = datetime.date
S = Case.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    """The user acting (no password: hashing one is slow and nothing here logs in)."""
    return User.objects.create(username="clerk")


@pytest.fixture
def colleague():
    return User.objects.create(username="colleague")


def make_case(status: str, **kwargs) -> Case:
    if status == S.CLOSED:
        return CaseFactory(closed=True, **kwargs)
    if status == S.IN_PROGRESS:
        return CaseFactory(status=S.IN_PROGRESS, decision=Case.Decision.HANDLE_NOW, **kwargs)
    return CaseFactory(**kwargs)


# One valid call of every action; the ones that need something to exist create it.
def do_triage(case, by):
    return workflow.triage(case=case, decision="plan", plan="明年春耕前修好", planned_on=D(2015, 3, 1), by=by)


def do_close(case, by):
    closure = Case.Closure.ON_THE_SPOT if case.status == S.REGISTERED else Case.Closure.SOLVED
    return workflow.close(case=case, closure=closure, result="已修好水渠", closed_on=D(2015, 1, 20), by=by)


def do_reopen(case, by):
    return workflow.reopen(case=case, reason="村民反映仍漏水", by=by)


def do_add_progress(case, by):
    return workflow.add_progress(case=case, text="已现场查看", public=True, by=by)


def do_refer(case, by):
    return workflow.refer(case=case, helper=HelperFactory(), request="请律师解答", asked_on=D(2015, 1, 9), by=by)


def do_record_reply(case, by):
    referral = ReferralFactory(case=case)
    return workflow.record_reply(referral=referral, reply="已解答", replied_on=D(2015, 1, 12), by=by)


def do_record_feedback(case, by):
    return workflow.record_feedback(
        case=case, given_on=D(2015, 1, 21), channel="phone", given_by=None, satisfaction="satisfied", notes="", by=by
    )


def do_assign_responsible(case, by):
    return workflow.assign_responsible(case=case, responsible=CadreFactory(name="黄责任"), by=by)


def do_set_due_date(case, by):
    return workflow.set_due_date(case=case, due_on=D(2015, 2, 6), by=by)


def do_edit_case(case, by):
    return workflow.edit_case(case=case, changes={"title": "新的摘要"}, by=by, expected_version=case.version)


CALLS = {
    "triage": do_triage,
    "close": do_close,
    "reopen": do_reopen,
    "add_progress": do_add_progress,
    "refer": do_refer,
    "record_reply": do_record_reply,
    "record_feedback": do_record_feedback,
    "assign_responsible": do_assign_responsible,
    "set_due_date": do_set_due_date,
    "edit_case": do_edit_case,
}

# status -> the actions it allows, and the status each leaves the case in.
ALLOWED = {
    S.REGISTERED: {
        "triage": S.IN_PROGRESS,
        "close": S.CLOSED,
        "add_progress": S.REGISTERED,
        "refer": S.REGISTERED,
        "record_reply": S.REGISTERED,
        "assign_responsible": S.REGISTERED,
        "set_due_date": S.REGISTERED,
        "edit_case": S.REGISTERED,
    },
    S.IN_PROGRESS: {
        "triage": S.IN_PROGRESS,
        "close": S.CLOSED,
        "add_progress": S.IN_PROGRESS,
        "refer": S.IN_PROGRESS,
        "record_reply": S.IN_PROGRESS,
        "assign_responsible": S.IN_PROGRESS,
        "set_due_date": S.IN_PROGRESS,
        "edit_case": S.IN_PROGRESS,
    },
    S.CLOSED: {
        "reopen": S.IN_PROGRESS,
        "add_progress": S.CLOSED,
        "record_reply": S.CLOSED,
        "record_feedback": S.CLOSED,
        "edit_case": S.CLOSED,
    },
}
EVERY = [(status, action) for status in ALLOWED for action in CALLS]


def test_transitions_table_is_exactly_the_four_moves_and_a_retriage():
    assert workflow.TRANSITIONS == {
        (S.REGISTERED, S.IN_PROGRESS): "triage",
        (S.IN_PROGRESS, S.IN_PROGRESS): "triage",
        (S.REGISTERED, S.CLOSED): "close",
        (S.IN_PROGRESS, S.CLOSED): "close",
        (S.CLOSED, S.IN_PROGRESS): "reopen",
    }


@pytest.mark.parametrize("status", list(ALLOWED))
def test_allowed_actions_match_the_table(status):
    # Voiding (cases/voiding.py, tested in test_void.py) is open in every status until done.
    assert workflow.allowed_actions(make_case(status)) == set(ALLOWED[status]) | {"void"}


@pytest.mark.parametrize(("status", "action"), [pair for pair in EVERY if pair[1] in ALLOWED[pair[0]]])
def test_action_allowed_moves_the_case_and_writes_history(status, action, clerk):
    case = make_case(status)

    CALLS[action](case, clerk)

    case.refresh_from_db()
    assert case.status == ALLOWED[status][action]
    assert case.events.count() == 1
    assert case.events.get().author == clerk


@pytest.mark.parametrize(("status", "action"), [pair for pair in EVERY if pair[1] not in ALLOWED[pair[0]]])
def test_action_refused_changes_nothing(status, action, clerk):
    case = make_case(status)

    with pytest.raises(workflow.TransitionNotAllowed):
        CALLS[action](case, clerk)

    case.refresh_from_db()
    assert (case.status, case.version, case.events.count()) == (status, 1, 0)
    assert Feedback.objects.count() == 0


def test_close_registered_refused_unless_solved_on_the_spot(clerk):
    case = make_case(S.REGISTERED)

    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        workflow.close(case=case, closure="solved", result="已修好", closed_on=D(2015, 1, 9), by=clerk)

    assert str(refused.value) == "未分办的问题只能以“现场解决”办结；请先分办。"
    case.refresh_from_db()
    assert case.status == S.REGISTERED


def test_close_in_progress_refused_as_solved_on_the_spot(clerk):
    case = make_case(S.IN_PROGRESS)

    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        workflow.close(case=case, closure="on_the_spot", result="已修好", closed_on=D(2015, 1, 9), by=clerk)

    assert str(refused.value) == "“现场解决”只用于登记时当场解决的问题。"


def test_close_registered_on_the_spot_writes_public_event(colleague):
    case = make_case(S.REGISTERED)

    workflow.close(case=case, closure="on_the_spot", result="当场讲清补贴政策", closed_on=D(2015, 1, 8), by=colleague)

    event = case.events.get()
    assert (event.kind, event.shown_text, event.public) == ("closed", "现场解决：当场讲清补贴政策", True)
    assert (event.status_from, event.status_to) == ("registered", "closed")
    assert (case.status, case.closure, case.closed_on, case.version) == ("closed", "on_the_spot", D(2015, 1, 8), 2)


def test_transition_refused_message_names_status_and_action(clerk):
    case = make_case(S.IN_PROGRESS)

    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        do_reopen(case, clerk)

    assert str(refused.value) == "“处理中”的问题不能重新办理。"


# --- triage ---------------------------------------------------------------------------------


def test_triage_handle_now_sets_responsible_due_and_public_event(clerk):
    case = make_case(S.REGISTERED)
    cadre = CadreFactory(name="李跟进")

    workflow.triage(
        case=case, decision="handle_now", responsible=cadre, due_on=D(2015, 1, 22), by=clerk, expected_version=1
    )

    case.refresh_from_db()
    assert (case.status, case.decision, case.responsible, case.due_on, case.version) == (
        "in_progress",
        "handle_now",
        cadre,
        D(2015, 1, 22),
        2,
    )
    event = case.events.get()
    assert event.shown_text == "处理决定：即时办理；责任人：李跟进；办理期限：2015-01-22"
    assert (event.kind, event.public, event.status_from, event.status_to) == (
        "triaged",
        True,
        "registered",
        "in_progress",
    )


def test_triage_handle_now_without_due_date_takes_the_working_day_limit(clerk):
    case = make_case(S.REGISTERED, kind=Case.Kind.ENQUIRY)

    workflow.triage(case=case, decision="handle_now", responsible=CadreFactory(), by=clerk)

    assert case.due_on == due_date(timezone.localdate(), "enquiry")[0]


def test_triage_plan_then_explain_clears_the_plan(clerk):
    case = make_case(S.REGISTERED)
    do_triage(case, clerk)

    workflow.triage(
        case=case,
        decision="explain",
        policy_basis="《广东省最低生活保障制度实施办法》",
        explaining_department="镇民政办",
        by=clerk,
    )

    case.refresh_from_db()
    assert (case.decision, case.plan, case.planned_on) == ("explain", "", None)
    assert (case.policy_basis, case.explaining_department, case.version) == (
        "《广东省最低生活保障制度实施办法》",
        "镇民政办",
        3,
    )
    assert [e.shown_text for e in case.events.all()] == [
        "处理决定：制定实施方案；计划完成日期：2015-03-01",
        "处理决定：政策解释；解释部门：镇民政办",
    ]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"decision": "maybe"}, "decision", "请选择处理决定。"),
        ({"decision": "handle_now"}, "responsible", "即时办理须指定责任人。"),
        ({"decision": "plan", "plan": "  ", "planned_on": D(2015, 3, 1)}, "plan", "请填写实施方案。"),
        ({"decision": "plan", "plan": "修渠"}, "planned_on", "请填写计划完成日期。"),
        (
            {"decision": "plan", "plan": "修渠", "planned_on": D(2015, 1, 1)},
            "planned_on",
            "计划完成日期不能早于反映日期（2015-01-08）。",
        ),
        ({"decision": "explain", "explaining_department": "民政办"}, "policy_basis", "请填写政策依据。"),
        ({"decision": "explain", "policy_basis": "文件"}, "explaining_department", "请填写负责解释的部门。"),
        (
            {"decision": "handle_now", "responsible": "cadre", "due_on": D(2014, 8, 1)},
            "due_on",
            "办理期限早于直联活动开始（2014-09-01）。",
        ),
    ],
)
def test_triage_invalid_arguments_refused(kwargs, field, message, clerk):
    case = make_case(S.REGISTERED)
    if kwargs.get("responsible") == "cadre":
        kwargs = {**kwargs, "responsible": CadreFactory()}

    with pytest.raises(ValidationError) as invalid:
        workflow.triage(case=case, by=clerk, **kwargs)

    assert invalid.value.message_dict == {field: [message]}
    case.refresh_from_db()
    assert (case.status, case.version, case.events.count()) == ("registered", 1, 0)


# --- close, feedback, reopen ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "closed_on", "field", "message"),
    [
        ("", D(2015, 1, 20), "result", "办结须填写办理结果。"),
        ("   ", D(2015, 1, 20), "result", "办结须填写办理结果。"),
        ("已修好", D(2015, 1, 7), "closed_on", "办结日期不能早于反映日期（2015-01-08）。"),
        ("已修好", None, "closed_on", "请填写办结日期。"),
        ("已修好", timezone.localdate() + datetime.timedelta(days=1), "closed_on", "办结日期不能晚于今天。"),
    ],
)
def test_close_invalid_refused(result, closed_on, field, message, clerk):
    case = make_case(S.IN_PROGRESS)

    with pytest.raises(ValidationError) as invalid:
        workflow.close(case=case, closure="solved", result=result, closed_on=closed_on, by=clerk)

    assert invalid.value.message_dict == {field: [message]}
    case.refresh_from_db()
    assert (case.status, case.result) == ("in_progress", "")


def test_close_explained_writes_result_and_public_event(clerk):
    case = make_case(S.IN_PROGRESS)

    workflow.close(
        case=case, closure="explained", result="不符合低保条件，已解释政策", closed_on=D(2015, 1, 30), by=clerk
    )

    case.refresh_from_db()
    assert (case.status, case.closure, case.result, case.closed_on) == (
        "closed",
        "explained",
        "不符合低保条件，已解释政策",
        D(2015, 1, 30),
    )
    assert case.events.get().shown_text == "政策解释：不符合低保条件，已解释政策"
    assert case.awaits_feedback is True


def test_record_feedback_first_sets_fed_back_on_and_later_ones_keep_it(clerk):
    case = make_case(S.CLOSED)
    teller = CadreFactory(name="周反馈")

    workflow.record_feedback(
        case=case,
        given_on=D(2015, 1, 21),
        channel="in_person",
        given_by=teller,
        satisfaction="basically",
        notes="希望尽快",
        by=clerk,
    )
    workflow.record_feedback(
        case=case, given_on=D(2015, 1, 25), channel="phone", given_by=None, satisfaction="", notes="", by=clerk
    )

    case.refresh_from_db()
    assert (case.fed_back_on, case.version, case.awaits_feedback) == (D(2015, 1, 21), 2, False)
    assert [(e.shown_text, e.public) for e in case.events.all()] == [
        ("当面反馈（周反馈），基本满意：希望尽快", False),
        ("电话反馈", False),
    ]
    assert list(Feedback.objects.values_list("channel", "satisfaction", "recorded_by")) == [
        ("in_person", "basically", clerk.pk),
        ("phone", "", clerk.pk),
    ]


@pytest.mark.parametrize(
    ("given_on", "channel", "satisfaction", "field", "message"),
    [
        (D(2015, 1, 19), "phone", "", "given_on", "反馈日期不能早于办结日期（2015-01-20）。"),
        (D(2015, 1, 21), "fax", "", "channel", "请选择反馈方式。"),
        (D(2015, 1, 21), "phone", "happy", "satisfaction", "请选择满意度。"),
        (timezone.localdate() + datetime.timedelta(days=2), "phone", "", "given_on", "反馈日期不能晚于今天。"),
    ],
)
def test_record_feedback_invalid_refused(given_on, channel, satisfaction, field, message, clerk):
    case = make_case(S.CLOSED)

    with pytest.raises(ValidationError) as invalid:
        workflow.record_feedback(
            case=case,
            given_on=given_on,
            channel=channel,
            given_by=None,
            satisfaction=satisfaction,
            notes="",
            by=clerk,
        )

    assert invalid.value.message_dict == {field: [message]}
    assert Feedback.objects.count() == 0


def test_reopen_clears_the_closing_and_awaits_a_new_feedback(clerk):
    case = make_case(S.CLOSED, fed_back_on=D(2015, 1, 21))

    workflow.reopen(case=case, reason="村民不满意，仍漏水", by=clerk, expected_version=1)

    case.refresh_from_db()
    assert (case.status, case.closure, case.result, case.closed_on, case.fed_back_on, case.version) == (
        "in_progress",
        "",
        "",
        None,
        None,
        2,
    )
    event = case.events.get()
    assert (event.kind, event.shown_text, event.public) == ("reopened", "重新办理：村民不满意，仍漏水", True)
    assert (event.status_from, event.status_to) == ("closed", "in_progress")


def test_reopen_without_reason_refused(clerk):
    case = make_case(S.CLOSED)

    with pytest.raises(ValidationError) as invalid:
        workflow.reopen(case=case, reason=" ", by=clerk)

    assert invalid.value.message_dict == {"reason": ["请填写重新办理的原因。"]}


# --- progress, referrals --------------------------------------------------------------------


@pytest.mark.parametrize("public", [True, False])
def test_add_progress_keeps_the_version_and_records_public_flag(public, clerk):
    case = make_case(S.IN_PROGRESS)

    event = workflow.add_progress(case=case, text="  已联系水利所  ", public=public, by=clerk)

    case.refresh_from_db()
    assert (event.kind, event.text, event.public, event.status_from, event.status_to) == (
        "progress",
        "已联系水利所",
        public,
        "",
        "",
    )
    assert case.version == 1


def test_add_progress_empty_refused(clerk):
    with pytest.raises(ValidationError) as invalid:
        workflow.add_progress(case=make_case(S.IN_PROGRESS), text="", public=False, by=clerk)

    assert invalid.value.message_dict == {"text": ["请填写进展内容。"]}


def test_refer_and_reply_are_internal_and_keep_the_version(clerk):
    case = make_case(S.IN_PROGRESS)
    helper = HelperFactory(name="梁律师", kind="lawyer")

    referral = workflow.refer(case=case, helper=helper, request="土地纠纷如何调解", asked_on=D(2015, 1, 9), by=clerk)
    workflow.record_reply(referral=referral, reply="建议先由村调委会调解", replied_on=D(2015, 1, 12), by=clerk)

    referral.refresh_from_db()
    case.refresh_from_db()
    assert (referral.reply, referral.replied_on, referral.asked_by, case.version) == (
        "建议先由村调委会调解",
        D(2015, 1, 12),
        clerk,
        1,
    )
    assert [(e.kind, e.shown_text, e.public) for e in case.events.all()] == [
        ("referred", "请律师 梁律师协助：土地纠纷如何调解", False),
        ("replied", "律师 梁律师答复：建议先由村调委会调解", False),
    ]


def test_refer_inactive_helper_refused(clerk):
    with pytest.raises(ValidationError) as invalid:
        workflow.refer(
            case=make_case(S.IN_PROGRESS),
            helper=HelperFactory(active=False),
            request="请协助",
            asked_on=D(2015, 1, 9),
            by=clerk,
        )

    assert invalid.value.message_dict == {"helper": ["请选择在册的辅助团队成员。"]}
    assert Referral.objects.count() == 0


def test_record_reply_twice_refused(clerk):
    referral = ReferralFactory(case=make_case(S.IN_PROGRESS), reply="已答复", replied_on=D(2015, 1, 11))

    with pytest.raises(workflow.TransitionNotAllowed) as refused:
        workflow.record_reply(referral=referral, reply="再答复", replied_on=D(2015, 1, 12), by=clerk)

    assert str(refused.value) == "这项协助请求已记录答复。"
    referral.refresh_from_db()
    assert referral.reply == "已答复"


def test_record_reply_before_the_request_refused(clerk):
    referral = ReferralFactory(case=make_case(S.IN_PROGRESS), asked_on=D(2015, 1, 15))

    with pytest.raises(ValidationError) as invalid:
        workflow.record_reply(referral=referral, reply="答复", replied_on=D(2015, 1, 14), by=clerk)

    assert invalid.value.message_dict == {"replied_on": ["答复日期不能早于请求日期（2015-01-15）。"]}


# --- responsible, due date, edit ------------------------------------------------------------


def test_assign_responsible_writes_old_and_new_and_same_person_is_no_change(clerk):
    first, second = CadreFactory(name="甲"), CadreFactory(name="乙")
    case = make_case(S.IN_PROGRESS, responsible=first)

    workflow.assign_responsible(case=case, responsible=second, by=clerk, expected_version=1)
    workflow.assign_responsible(case=case, responsible=second, by=clerk, expected_version=2)

    case.refresh_from_db()
    assert (case.responsible, case.version) == (second, 2)
    assert [(e.kind, e.shown_text) for e in case.events.all()] == [("assigned", "责任人：甲 → 乙")]


def test_set_due_date_writes_history_and_refuses_a_date_before_raised(clerk):
    case = make_case(S.IN_PROGRESS, due_on=D(2015, 1, 22))

    workflow.set_due_date(case=case, due_on=D(2015, 2, 6), by=clerk)
    with pytest.raises(ValidationError) as invalid:
        workflow.set_due_date(case=case, due_on=D(2015, 1, 1), by=clerk)

    case.refresh_from_db()
    assert (case.due_on, case.version) == (D(2015, 2, 6), 2)
    assert invalid.value.message_dict == {"due_on": ["办理期限不能早于反映日期（2015-01-08）。"]}
    assert [e.shown_text for e in case.events.all()] == ["办理期限：2015-01-22 → 2015-02-06"]


def test_edit_case_lists_changes_without_private_values(clerk):
    sub = SubCategoryFactory(label="水渠年久失修", category__label="农田水利建设")
    case = make_case(S.IN_PROGRESS)

    workflow.edit_case(
        case=case,
        changes={
            "title": "东坊水渠漏水",
            "category": sub.category,
            "subcategory": sub,
            "kind": "complaint",
            "resident_phone": "13700000000",
            "resident_name": "陈测试",  # unchanged
        },
        by=clerk,
        expected_version=1,
    )

    case.refresh_from_db()
    assert (case.title, case.subcategory, case.kind, case.resident_phone, case.version) == (
        "东坊水渠漏水",
        sub,
        "complaint",
        "13700000000",
        2,
    )
    event = case.events.get()
    assert event.shown_text == (
        "公示摘要：水渠年久失修 → 东坊水渠漏水；问题大类：— → 农田水利建设；问题小类：— → 水渠年久失修；"
        "诉求类型：求助 → 投诉；联系电话已修改"
    )
    assert (event.kind, event.public) == ("edited", False)
    assert "13700000000" not in event.shown_text + str(event.data)


def test_edit_case_nothing_changed_writes_nothing(clerk):
    case = make_case(S.REGISTERED)

    workflow.edit_case(case=case, changes={"title": "水渠年久失修"}, by=clerk, expected_version=1)

    case.refresh_from_db()
    assert (case.version, case.events.count()) == (1, 0)


def test_edit_case_subcategory_of_another_category_refused(clerk):
    sub = SubCategoryFactory()
    case = make_case(S.REGISTERED)

    with pytest.raises(ValidationError) as invalid:
        workflow.edit_case(
            case=case, changes={"category": CategoryFactory(), "subcategory": sub}, by=clerk, expected_version=1
        )

    assert invalid.value.message_dict == {"subcategory": ["所选小类不属于所选大类。"]}
    case.refresh_from_db()
    assert (case.category, case.subcategory, case.version) == (None, None, 1)


def test_edit_case_raised_after_closed_refused(clerk):
    case = make_case(S.CLOSED)

    with pytest.raises(ValidationError) as invalid:
        workflow.edit_case(case=case, changes={"raised_on": D(2015, 1, 25)}, by=clerk, expected_version=1)

    assert invalid.value.message_dict == {"closed_on": ["办结日期不能早于反映日期。"]}


def test_edit_case_unknown_field_is_a_programming_error(clerk):
    with pytest.raises(ValueError, match=r"edit_case cannot change \['status'\]"):
        workflow.edit_case(case=make_case(S.REGISTERED), changes={"status": "closed"}, by=clerk, expected_version=1)


# --- versions and freshness -----------------------------------------------------------------

VERSIONED = {
    "triage": lambda case, by, v: workflow.triage(
        case=case, decision="plan", plan="方案", planned_on=D(2015, 3, 1), by=by, expected_version=v
    ),
    "close": lambda case, by, v: workflow.close(
        case=case, closure="solved", result="已修好", closed_on=D(2015, 1, 20), by=by, expected_version=v
    ),
    "assign_responsible": lambda case, by, v: workflow.assign_responsible(
        case=case, responsible=CadreFactory(), by=by, expected_version=v
    ),
    "set_due_date": lambda case, by, v: workflow.set_due_date(
        case=case, due_on=D(2015, 2, 6), by=by, expected_version=v
    ),
    "edit_case": lambda case, by, v: workflow.edit_case(case=case, changes={"title": "改"}, by=by, expected_version=v),
}


@pytest.mark.parametrize("action", list(VERSIONED))
def test_versioned_action_with_stale_version_raises_conflict_and_changes_nothing(action, clerk):
    case = make_case(S.IN_PROGRESS, version=3)

    with pytest.raises(workflow.Conflict) as conflict:
        VERSIONED[action](case, clerk, 2)

    assert (conflict.value.case.version, conflict.value.expected_version) == (3, 2)
    case.refresh_from_db()
    assert (case.version, case.title, case.status, case.events.count()) == (3, "水渠年久失修", "in_progress", 0)


def test_reopen_with_stale_version_raises_conflict(clerk):
    case = make_case(S.CLOSED, version=2)

    with pytest.raises(workflow.Conflict):
        workflow.reopen(case=case, reason="不满意", by=clerk, expected_version=1)

    case.refresh_from_db()
    assert case.status == "closed"


def test_two_forms_loaded_at_the_same_version_second_save_refused(clerk, colleague):
    case = make_case(S.IN_PROGRESS)
    first_form_version = second_form_version = case.version
    stale_copy = Case.objects.get(pk=case.pk)

    workflow.edit_case(case=case, changes={"title": "第一位的修改"}, by=clerk, expected_version=first_form_version)
    with pytest.raises(workflow.Conflict):
        workflow.edit_case(
            case=stale_copy, changes={"title": "第二位的修改"}, by=colleague, expected_version=second_form_version
        )

    case.refresh_from_db()
    assert (case.title, case.version) == ("第一位的修改", 2)
    assert list(case.events.values_list("author", flat=True)) == [clerk.pk]


@pytest.mark.parametrize(("status", "action"), [pair for pair in EVERY if pair[1] in ALLOWED[pair[0]]])
def test_every_action_refreshes_updated_at(status, action, clerk):
    case = make_case(status)
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Case.objects.filter(pk=case.pk).update(updated_at=long_ago)

    CALLS[action](case, clerk)

    case.refresh_from_db()
    assert case.updated_at > long_ago


def test_action_updates_the_callers_case_object(clerk):
    case = make_case(S.IN_PROGRESS)

    do_close(case, clerk)

    assert (case.status, case.result, case.version) == ("closed", "已修好水渠", 2)


@pytest.mark.django_db(transaction=True)
def test_two_people_closing_at_once_one_wins_the_other_gets_conflict():
    """Real concurrency needs row locks: run on PostgreSQL (SQLite serialises writers anyway)."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (DATABASE_URL=postgres://…)")
    case = make_case(S.IN_PROGRESS)
    users = [User.objects.create(username="first"), User.objects.create(username="second")]
    barrier, outcomes = threading.Barrier(2), []

    def close_as(user, result):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            workflow.close(
                case=Case.objects.get(pk=case.pk),
                closure="solved",
                result=result,
                closed_on=D(2015, 1, 20),
                by=user,
                expected_version=1,
            )
            outcomes.append("closed")
        except workflow.Conflict:
            outcomes.append("conflict")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=close_as, args=(u, f"{u.username}的结果")) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    case.refresh_from_db()
    assert sorted(outcomes) == ["closed", "conflict"]
    assert case.version == 2
    assert case.events.count() == 1
    assert case.result == f"{case.events.get().author.username}的结果"
