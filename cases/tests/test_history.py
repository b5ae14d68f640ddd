"""A case's history is stored as codes and read in the reader's language (cases/history.py)."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from cases import history, workflow
from cases.models import Case, CaseEvent
from cases.tests.factories import CaseFactory, CategoryFactory, SubCategoryFactory
from teams.tests.factories import CadreFactory, HelperFactory

D = datetime.date
S = Case.Status

# The English the lead's catalogue will hold for every message the renderers use, with its spacing.
# A renderer using a message missing here fails test_every_code_reads_in_english_without_chinese_punctuation.
FAKE_EN = {
    "12345热线工单 %(number)s，来电时间 %(received)s，签收时限 %(sign_by)s。": (
        "12345 hotline work order %(number)s, called at %(received)s, to be signed for by %(sign_by)s. "
    ),
    "从“%(file)s”%(where)s导入，导入人：%(user)s，导入日期：%(today)s。": (
        "Imported from “%(file)s” (%(where)s) by %(user)s on %(today)s."
    ),
    "签收12345热线工单 %(number)s": "Signed for 12345 hotline work order %(number)s",
    "（已超过签收时限 %(at)s）": " (after its signing deadline, %(at)s)",
    "list separator\x04；": "; ",
    "helper kind and name\x04%(kind)s %(name)s": "%(kind)s %(name)s",
    "%(channel)s收集": "Collected via %(channel)s",
    "在管理后台登记。": "Registered in the admin site.",
    "处理决定：%(decision)s": "Decision: %(decision)s",
    "责任人：%(name)s": "Responsible officer: %(name)s",
    "办理期限：%(date)s": "Deadline: %(date)s",
    "计划完成日期：%(date)s": "Planned completion: %(date)s",
    "解释部门：%(dept)s": "Explaining department: %(dept)s",
    "%(closure)s：%(result)s": "%(closure)s: %(result)s",
    "重新办理：%(reason)s": "Reopened: %(reason)s",
    "请%(helper)s协助：%(request)s": "Asked %(helper)s for help: %(request)s",
    "%(helper)s答复：%(reply)s": "%(helper)s replied: %(reply)s",
    "%(channel)s反馈": "Feedback (%(channel)s)",
    "（%(name)s）": " (%(name)s)",
    "，%(s)s": ", %(s)s",
    "：%(notes)s": ": %(notes)s",
    "责任人：%(old)s → %(new)s": "Responsible officer: %(old)s → %(new)s",
    "办理期限：%(old)s → %(new)s": "Deadline: %(old)s → %(new)s",
    "%(field)s已修改": "%(field)s changed",
    "%(field)s：%(old)s → %(new)s": "%(field)s: %(old)s → %(new)s",
    "“%(name)s”属于敏感类别": "“%(name)s” is a sensitive category",
    "内容涉及“%(word)s”": "the text mentions “%(word)s”",
    "决定公示涉及敏感个人信息的问题内容（%(reason)s）": (
        "Decided to post a case with sensitive personal information (%(reason)s)"
    ),
    "是": "Yes",
    "否": "No",
    "enumeration comma\x04、": ", ",
    "台账记载的反映日期：%(raised)s。从“%(file)s”%(where)s导入，导入人：%(user)s，导入日期：%(today)s。": (
        "Date reported in the ledger: %(raised)s. Imported from “%(file)s” %(where)s by %(user)s on %(today)s."
    ),
    "工作表“%(sheet)s”第 %(row)d 行": "sheet “%(sheet)s”, row %(row)d",
    "第 %(row)d 行": "row %(row)d",
    "Excel台账": "the Excel ledger",
    "系统": "the system",
    "台账导入：处理决定按台账的办结方式补记。": "Ledger import: decision recorded from the ledger's closure.",
    "从台账文件“%(file)s”导入更新。": "Updated from the ledger file “%(file)s”.",
    "从台账文件导入。": "Imported from a ledger file.",
    "在管理后台修改：%(fields)s。": "Changed in the admin site: %(fields)s.",
    "状态": "Status",
    "作废：%(reason)s": "Voided: %(reason)s",
    "督查抽查发现“%(finding)s”（抽查记录第%(id)d号）": "spot check found “%(finding)s” (check no. %(id)d)",
    "群众不满意": "resident not satisfied",
    "照片设为公示": "Photo posted on the board",
    "照片取消公示": "Photo taken off the board",
    "删除照片": "Photo deleted",
    # Choice labels and field names.
    "即时办理": "Handle now",
    "制定实施方案": "Make a plan",
    "政策解释": "Explained under policy",
    "已解决": "Solved",
    "现场解决": "Solved on the spot",
    "入户走访": "Household visit",
    "当面": "in person",
    "电话": "phone",
    "基本满意": "fairly satisfied",
    "律师": "Lawyer",
    "公示摘要": "Public summary",
    "诉求类型": "Type of request",
    "求助": "Request for help",
    "投诉": "Complaint",
    "联系电话": "Phone",
    "可公示内容": "Post on the board",
}

# Messages with plural forms: (singular, plural) in English.
FAKE_EN_PLURAL = {"上传照片 %(n)s 张": ("Uploaded %(n)s photo", "Uploaded %(n)s photos")}


@pytest.fixture
def fake_english(monkeypatch):
    """The reader's language is English, read from FAKE_EN (the real catalogue is filled later):
    every message a renderer asks for and FAKE_EN lacks is recorded in the list returned."""
    missing = []
    with translation.override("en"):
        catalogue = trans_real.translation("en")

        def gettext(message):
            if message in FAKE_EN:
                return FAKE_EN[message]
            missing.append(message)
            return message

        monkeypatch.setattr(catalogue, "gettext", gettext)

        def ngettext(singular, plural, n):
            if singular in FAKE_EN_PLURAL:
                return FAKE_EN_PLURAL[singular][0 if n == 1 else 1]
            missing.append(singular)
            return singular if n == 1 else plural

        monkeypatch.setattr(catalogue, "ngettext", ngettext)
        yield missing


# (data, typed text, Chinese line, English line): one or more of every code.
LINES = [
    ({"code": "progress"}, "已联系水利所", "已联系水利所", "已联系水利所"),
    ({"code": "registered", "channel": "household"}, "", "入户走访收集", "Collected via Household visit"),
    ({"code": "registered_admin"}, "", "在管理后台登记。", "Registered in the admin site."),
    (
        {"code": "triaged", "decision": "handle_now", "responsible": "李四", "due_on": "2015-01-22"},
        "",
        "处理决定：即时办理；责任人：李四；办理期限：2015-01-22",
        "Decision: Handle now; Responsible officer: 李四; Deadline: 2015-01-22",
    ),
    (
        {"code": "triaged", "decision": "plan", "planned_on": "2015-03-01"},
        "",
        "处理决定：制定实施方案；计划完成日期：2015-03-01",
        "Decision: Make a plan; Planned completion: 2015-03-01",
    ),
    (
        {"code": "triaged", "decision": "explain", "department": "镇民政办"},
        "",
        "处理决定：政策解释；解释部门：镇民政办",
        "Decision: Explained under policy; Explaining department: 镇民政办",
    ),
    ({"code": "closed", "closure": "solved"}, "路灯已修好", "已解决：路灯已修好", "Solved: 路灯已修好"),
    ({"code": "reopened"}, "仍漏水", "重新办理：仍漏水", "Reopened: 仍漏水"),
    (
        {"code": "referred", "helper": "梁律师", "helper_kind": "lawyer"},
        "如何调解",
        "请律师 梁律师协助：如何调解",
        "Asked Lawyer 梁律师 for help: 如何调解",
    ),
    (
        {"code": "replied", "helper": "梁律师", "helper_kind": "lawyer"},
        "先调解",
        "律师 梁律师答复：先调解",
        "Lawyer 梁律师 replied: 先调解",
    ),
    (
        {"code": "feedback", "channel": "in_person", "given_by": "周反馈", "satisfaction": "basically"},
        "希望尽快",
        "当面反馈（周反馈），基本满意：希望尽快",
        "Feedback (in person) (周反馈), fairly satisfied: 希望尽快",
    ),
    ({"code": "feedback", "channel": "phone", "satisfaction": ""}, "", "电话反馈", "Feedback (phone)"),
    ({"code": "assigned", "old": None, "new": "黄跟进"}, "", "责任人：— → 黄跟进", "Responsible officer: — → 黄跟进"),
    (
        {"code": "due_date", "old": "2015-01-22", "new": "2015-02-06"},
        "",
        "办理期限：2015-01-22 → 2015-02-06",
        "Deadline: 2015-01-22 → 2015-02-06",
    ),
    (
        {
            "code": "edited",
            "changes": [
                {"field": "title", "old": "水渠年久失修", "new": "东坊水渠漏水"},
                {"field": "kind", "old": "help", "new": "complaint"},
                {"field": "public_posting", "old": False, "new": True},
                {"field": "resident_phone"},
            ],
            "posting": {"category": "低保保障"},
        },
        "",
        "公示摘要：水渠年久失修 → 东坊水渠漏水；诉求类型：求助 → 投诉；可公示内容：否 → 是；联系电话已修改；"
        "决定公示涉及敏感个人信息的问题内容（“低保保障”属于敏感类别）",
        "Public summary: 水渠年久失修 → 东坊水渠漏水; Type of request: Request for help → Complaint; "
        "Post on the board: No → Yes; Phone changed; "
        "Decided to post a case with sensitive personal information (“低保保障” is a sensitive category)",
    ),
    (
        {
            "code": "hotline_imported",
            "number": "GD-001",
            "received_at": "2026-11-30T09:15+08:00",
            "sign_by": "2026-12-01T09:15+08:00",
            "handler": "",
            "file": "工单.xlsx",
            "format": "guangdong-12345",
            "row": 3,
            "sheet": "",
            "user": "clerk",
            "today": "2026-12-02",
        },
        "",
        "12345热线工单 GD-001，来电时间 2026-11-30 09:15，签收时限 2026-12-01 09:15。"
        "从“工单.xlsx”第 3 行导入，导入人：clerk，导入日期：2026-12-02。",
        "12345 hotline work order GD-001, called at 2026-11-30 09:15, to be signed for by 2026-12-01 09:15. "
        "Imported from “工单.xlsx” (row 3) by clerk on 2026-12-02.",
    ),
    (
        {"code": "hotline_signed", "number": "GD-001", "late_since": "2026-12-01T09:15+08:00"},
        "",
        "签收12345热线工单 GD-001（已超过签收时限 2026-12-01 09:15）",
        "Signed for 12345 hotline work order GD-001 (after its signing deadline, 2026-12-01 09:15)",
    ),
]


LINES += [
    ({"code": "voided"}, "登记重复", "作废：登记重复", "Voided: 登记重复"),
    (
        {
            "code": "ledger_import",
            "raised": "2015-01-15",
            "file": "台账.xlsx",
            "row": 5,
            "user": "office",
            "today": "2026-12-02",
        },
        "",
        "台账记载的反映日期：2015-01-15。从“台账.xlsx”第 5 行导入，导入人：office，导入日期：2026-12-02。",
        "Date reported in the ledger: 2015-01-15. Imported from “台账.xlsx” row 5 by office on 2026-12-02.",
    ),
    (
        {
            "code": "ledger_import",
            "raised": "2015-01-15",
            "file": "",
            "sheet": "一月",
            "row": 7,
            "user": "",
            "today": "2026-12-02",
        },
        "",
        "台账记载的反映日期：2015-01-15。从“Excel台账”工作表“一月”第 7 行导入，导入人：系统，导入日期：2026-12-02。",
        "Date reported in the ledger: 2015-01-15. Imported from “the Excel ledger” sheet “一月”, row 7 by the system"
        " on 2026-12-02.",
    ),
    (
        {"code": "ledger_progress"},
        "",
        "台账导入：处理决定按台账的办结方式补记。",
        "Ledger import: decision recorded from the ledger's closure.",
    ),
    (
        {"code": "file_import", "file": "ledger.xlsx", "updated": True},
        "",
        "从台账文件“ledger.xlsx”导入更新。",
        "Updated from the ledger file “ledger.xlsx”.",
    ),
    ({"code": "file_import", "file": "", "updated": False}, "", "从台账文件导入。", "Imported from a ledger file."),
    (
        {"code": "admin_edit", "fields": ["title", "status"]},
        "",
        "在管理后台修改：公示摘要、状态。",
        "Changed in the admin site: Public summary, Status.",
    ),
]

LINES += [
    ({"code": "photo_added", "count": 1, "keys": ["a"], "public": False}, "", "上传照片 1 张", "Uploaded 1 photo"),
    (
        {"code": "photo_added", "count": 3, "keys": ["a", "b", "c"], "public": True},
        "",
        "上传照片 3 张",
        "Uploaded 3 photos",
    ),
    ({"code": "photo_public", "key": "a"}, "", "照片设为公示", "Photo posted on the board"),
    ({"code": "photo_private", "key": "a"}, "", "照片取消公示", "Photo taken off the board"),
    ({"code": "photo_deleted", "key": "a"}, "", "删除照片", "Photo deleted"),
    (
        {"code": "reopened_by_check", "finding": "unsatisfied", "check": 12},
        "",
        "重新办理：督查抽查发现“群众不满意”（抽查记录第12号）",
        "Reopened: spot check found “resident not satisfied” (check no. 12)",
    ),
]


def test_every_code_has_a_line_here():
    assert {data["code"] for data, *_rest in LINES} == set(history.RENDERERS)


@pytest.mark.parametrize(("data", "text", "chinese", "english"), LINES)
def test_every_code_reads_in_chinese(data, text, chinese, english):
    with translation.override("zh-hans"):
        assert history.render(data, text) == chinese


@pytest.mark.parametrize(("data", "text", "chinese", "english"), LINES)
def test_every_code_reads_in_english_without_chinese_punctuation(fake_english, data, text, chinese, english):
    line = history.render(data, text)
    assert fake_english == [], f"messages the English catalogue must have: {fake_english}"
    assert line == english
    # Only what people typed (here in Chinese) may bring full-width punctuation into an English line.
    system_part = line.replace(text, "") if text else line
    for value in _typed_values(data):
        system_part = system_part.replace(value, "")
    assert not re.search(r"[：；，（）。]", system_part), line


def _typed_values(data: dict) -> list[str]:
    values = [v for k, v in data.items() if isinstance(v, str) and k in ("responsible", "department", "given_by")]
    values += [data.get(k) for k in ("helper", "file", "sheet", "user") if data.get(k)]
    for change in data.get("changes", []):
        values += [
            v for k, v in change.items() if k in ("old", "new") and isinstance(v, str) and change["field"] == "title"
        ]
    values += [v for v in data.get("posting", {}).values()]
    return values


def test_a_line_written_before_codes_reads_as_it_was_stored():
    event = CaseEvent(kind=CaseEvent.Kind.CLOSED, text="已解决：旧的写法", data={})
    with translation.override("en"):
        assert event.shown_text == "已解决：旧的写法"


def test_an_unknown_code_or_choice_falls_back_to_what_is_stored():
    assert history.render({"code": "no-such-code"}, "原文") == "原文"
    with translation.override("zh-hans"):
        assert history.render({"code": "closed", "closure": "gone"}, "结果") == "gone：结果"


# -- What the workflow writes: codes, and only what a person typed as text -----------------------


@pytest.fixture
def clerk(db):
    return User.objects.create(username="clerk")


def events_of(case):
    return [(e.kind, e.data, e.text) for e in case.events.order_by("at", "id")]


@pytest.mark.django_db
def test_the_workflow_writes_codes_and_keeps_only_typed_text(clerk):
    case = CaseFactory(raised_on=D(2015, 1, 8))
    officer = CadreFactory(name="李跟进")
    workflow.triage(case=case, decision="handle_now", responsible=officer, due_on=D(2015, 1, 22), by=clerk)
    workflow.add_progress(case=case, text="已联系水利所", public=True, by=clerk)
    workflow.set_due_date(case=case, due_on=D(2015, 2, 6), by=clerk)
    workflow.close(case=case, closure="solved", result="水渠已修好", closed_on=D(2015, 1, 20), by=clerk)
    workflow.record_feedback(
        case=case,
        given_on=D(2015, 1, 21),
        channel="phone",
        given_by=officer,
        satisfaction="satisfied",
        notes="",
        by=clerk,
    )
    workflow.reopen(case=case, reason="仍漏水", by=clerk)
    workflow.assign_responsible(case=case, responsible=CadreFactory(name="黄跟进"), by=clerk)
    helper = HelperFactory(name="梁律师")
    referral = workflow.refer(case=case, helper=helper, request="如何调解", asked_on=D(2015, 1, 22), by=clerk)
    workflow.record_reply(referral=referral, reply="先调解", replied_on=D(2015, 1, 23), by=clerk)

    assert events_of(case) == [
        (
            "triaged",
            {"code": "triaged", "decision": "handle_now", "responsible": "李跟进", "due_on": "2015-01-22"},
            "",
        ),
        ("progress", {"code": "progress"}, "已联系水利所"),
        ("edited", {"code": "due_date", "old": "2015-01-22", "new": "2015-02-06"}, ""),
        ("closed", {"code": "closed", "closure": "solved"}, "水渠已修好"),
        ("feedback", {"code": "feedback", "channel": "phone", "satisfaction": "satisfied", "given_by": "李跟进"}, ""),
        ("reopened", {"code": "reopened"}, "仍漏水"),
        ("assigned", {"code": "assigned", "old": "李跟进", "new": "黄跟进"}, ""),
        ("referred", {"code": "referred", "helper": "梁律师", "helper_kind": "lawyer"}, "如何调解"),
        ("replied", {"code": "replied", "helper": "梁律师", "helper_kind": "lawyer"}, "先调解"),
    ]
    with translation.override("zh-hans"):
        assert [e.shown_text for e in case.events.order_by("at", "id")] == [
            "处理决定：即时办理；责任人：李跟进；办理期限：2015-01-22",
            "已联系水利所",
            "办理期限：2015-01-22 → 2015-02-06",
            "已解决：水渠已修好",
            "电话反馈（李跟进），满意",
            "重新办理：仍漏水",
            "责任人：李跟进 → 黄跟进",
            "请律师 梁律师协助：如何调解",
            "律师 梁律师答复：先调解",
        ]


@pytest.mark.django_db
def test_an_edit_keeps_values_as_codes_and_private_ones_out(clerk):
    sub = SubCategoryFactory(label="低保保障", category=CategoryFactory(label="民生保障"), sensitive=True)
    case = CaseFactory(status=S.IN_PROGRESS, decision="handle_now", title="旧摘要", public_posting=False)

    workflow.edit_case(
        case=case,
        changes={"title": "新摘要", "kind": "complaint", "resident_phone": "13700000000", "category": sub.category},
        by=clerk,
        expected_version=1,
    )

    event = case.events.get()
    assert event.text == ""
    assert event.data == {
        "code": "edited",
        "changes": [
            {"field": "title", "old": "旧摘要", "new": "新摘要"},
            {"field": "category", "old": None, "new": "民生保障"},
            {"field": "kind", "old": "help", "new": "complaint"},
            {"field": "resident_phone"},
        ],
    }
    assert "13700000000" not in str(event.data)


@pytest.mark.django_db
def test_registering_from_a_visit_writes_the_channel_as_a_code(clerk):
    saved = CaseFactory()  # its team and village
    case = Case(team=saved.team, village=saved.village, raised_on=D(2015, 1, 8), channel="phone", title="路灯不亮")
    workflow.register_case(case=case, by=clerk, data={"code": "registered", "channel": "phone"})
    event = case.events.get()
    assert (event.data, event.text) == ({"code": "registered", "channel": "phone"}, "")
    with translation.override("zh-hans"):
        assert event.shown_text == "电话收集"


@pytest.mark.django_db
def test_the_case_page_reads_the_history_in_the_readers_language(office_client, fake_english):
    case = CaseFactory(raised_on=D(2015, 1, 8))
    workflow.triage(
        case=case, decision="handle_now", responsible=CadreFactory(name="李跟进"), due_on=D(2015, 1, 22), by=None
    )
    url = reverse("cases:detail", args=[case.number])

    english = office_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = office_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert "<p>Decision: Handle now; Responsible officer: 李跟进; Deadline: 2015-01-22</p>" in english
    assert "<p>处理决定：即时办理；责任人：李跟进；办理期限：2015-01-22</p>" in chinese


@pytest.mark.django_db
def test_a_batch_writes_the_codes_an_import_gives(clerk):
    from cases.batch import Batch

    saved = CaseFactory()
    case = Case(team=saved.team, village=saved.village, raised_on=D(2015, 1, 15), title="水渠漏水")
    batch = Batch(by=clerk)
    line = {"code": "ledger_import", "raised": "2015-01-15", "file": "台账.xlsx", "row": 5, "user": "clerk"}
    batch.register(case, data=line | {"today": "2026-12-02"})
    batch.add_progress(case, data={"code": "ledger_progress"}, public=False)
    batch.save()

    with translation.override("zh-hans"):
        assert [(e.text, e.shown_text) for e in case.events.order_by("id")] == [
            ("", "台账记载的反映日期：2015-01-15。从“台账.xlsx”第 5 行导入，导入人：clerk，导入日期：2026-12-02。"),
            ("", "台账导入：处理决定按台账的办结方式补记。"),
        ]


@pytest.mark.django_db
def test_progress_without_a_code_still_needs_its_text(clerk):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        workflow.add_progress(case=CaseFactory(), text="  ", public=False, by=clerk)
