"""The filtered case list as an xlsx workbook: the same rows as the page, staff only, a cadre's team only."""

import datetime
import io
import re

import openpyxl
import pytest
from django.urls import reverse

from cases.models import Case
from cases.tests.factories import CaseFactory, SubCategoryFactory
from teams.tests.factories import CadreFactory, UserFactory

EXPORT = reverse("cases:export")
LIST = reverse("cases:list")
ROW_NUMBER = re.compile(r'<th scope="row" class="number"[^>]*><a href="[^"]+">([^<]+)</a>')
HEADERS = [
    "编号",
    "反映日期",
    "村（社区）",
    "驻点团队",
    "问题大类",
    "问题小类",
    "诉求类型",
    "收集渠道",
    "公示摘要",
    "问题内容",
    "反映人",
    "联系电话",
    "住址（自然村）",
    "状态",
    "处理决定",
    "责任人",
    "办理期限",
    "是否逾期",
    "办结方式",
    "办结日期",
    "办理结果",
    "首次反馈日期",
    "是否待反馈",
]


def sheet_rows(response) -> list[tuple]:
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


def as_dicts(response) -> list[dict]:
    header, *rows = sheet_rows(response)
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def cases(team, other_team):
    canals = SubCategoryFactory(label="水渠年久失修", category__label="农田水利建设")
    responsible = CadreFactory(name="李责任", team=team)
    return {
        "overdue": CaseFactory(
            number="SH-2015-0801",
            team=team,
            category=canals.category,
            subcategory=canals,
            title="水渠崩口",
            status=Case.Status.IN_PROGRESS,
            decision=Case.Decision.HANDLE_NOW,
            responsible=responsible,
            due_on=datetime.date(2015, 1, 20),
            kind=Case.Kind.COMPLAINT,
        ),
        "awaiting": CaseFactory(number="SH-2015-0802", team=team, closed=True, title="路灯不亮"),
        "other": CaseFactory(
            number="SH-2015-0803",
            team=other_team,
            closed=True,
            fed_back_on=datetime.date(2015, 1, 25),
            title="别队的问题",
        ),
    }


def test_export_anonymous_is_sent_to_login(client, db):
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_export_refuses_a_user_without_a_role(client, db):
    client.force_login(UserFactory())
    assert client.get(EXPORT).status_code == 403


def test_export_is_an_xlsx_attachment_with_chinese_headers(office_client, cases):
    response = office_client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    assert list(sheet_rows(response)[0]) == HEADERS


def test_export_row_carries_the_case_with_its_flags(office_client, cases, team):
    rows = {row["编号"]: row for row in as_dicts(office_client.get(EXPORT))}
    assert rows["SH-2015-0801"] == {
        "编号": "SH-2015-0801",
        "反映日期": datetime.datetime(2015, 1, 8),
        "村（社区）": team.village.short_name,
        "驻点团队": team.name,
        "问题大类": "农田水利建设",
        "问题小类": "水渠年久失修",
        "诉求类型": "投诉",
        "收集渠道": "入户走访",
        "公示摘要": "水渠崩口",
        "问题内容": "内部记录",
        "反映人": "陈测试",
        "联系电话": "13912345678",
        "住址（自然村）": "测试村东坊8号",
        "状态": "处理中",
        "处理决定": "即时办理",
        "责任人": "李责任",
        "办理期限": datetime.datetime(2015, 1, 20),
        "是否逾期": "是",
        "办结方式": None,
        "办结日期": None,
        "办理结果": None,
        "首次反馈日期": None,
        "是否待反馈": "否",
    }
    assert (rows["SH-2015-0802"]["是否逾期"], rows["SH-2015-0802"]["是否待反馈"]) == ("否", "是")
    assert rows["SH-2015-0802"]["办结日期"] == datetime.datetime(2015, 1, 20)
    assert (rows["SH-2015-0803"]["是否待反馈"], rows["SH-2015-0803"]["首次反馈日期"]) == (
        "否",
        datetime.datetime(2015, 1, 25),
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "closed"},
        {"overdue": "on"},
        {"awaiting_feedback": "on"},
        {"q": "水渠"},
        {"sort": "-number"},
        {"sort": "due", "status": "open"},
        {"raised_from": "2015-01-09"},
    ],
)
def test_export_contains_exactly_the_filtered_list_in_its_order(office_client, cases, params):
    listed = ROW_NUMBER.findall(office_client.get(LIST, params).content.decode())
    exported = [row["编号"] for row in as_dicts(office_client.get(EXPORT, params))]
    assert exported == listed


def test_export_of_a_cadre_has_only_their_team(cadre_client, cases):
    exported = [row["编号"] for row in as_dicts(cadre_client.get(EXPORT, {"sort": "number"}))]
    assert exported == ["SH-2015-0801", "SH-2015-0802"]


def test_export_of_a_supervisor_has_every_case(supervisor_client, cases):
    exported = [row["编号"] for row in as_dicts(supervisor_client.get(EXPORT, {"sort": "number"}))]
    assert exported == ["SH-2015-0801", "SH-2015-0802", "SH-2015-0803"]


@pytest.mark.parametrize("params", [{"raised_from": "2015-13-45"}, {"village": "abc"}, {"sort": "resident_phone"}])
def test_export_with_bad_filters_goes_back_to_the_list_with_a_message(office_client, cases, params):
    response = office_client.get(EXPORT, params, follow=True)
    assert response.redirect_chain[0][0].startswith(f"{LIST}?")
    body = response.content.decode()
    assert "筛选条件有误，未能导出；请先更正筛选条件。" in body
    assert "筛选条件有误，请更正后再查询" in body


def test_export_keeps_a_formula_as_text_and_drops_control_characters(office_client, db):
    CaseFactory(number="SH-2015-0811", title='=HYPERLINK("http://evil")', description="漏水\x01\x1f严重")
    book = openpyxl.load_workbook(io.BytesIO(office_client.get(EXPORT).content))
    row = {cell.column_letter: cell for cell in book.active[2]}
    assert row["I"].data_type == "s"
    assert row["I"].value == '\'=HYPERLINK("http://evil")'
    assert row["J"].value == "漏水严重"


def test_export_columns_fit_chinese_with_the_header_frozen_and_filtered(office_client, cases):
    CaseFactory(number="SH-2015-0804", team=cases["overdue"].team, title="村口水渠年久失修崩口")
    sheet = openpyxl.load_workbook(io.BytesIO(office_client.get(EXPORT).content)).active

    width = {letter: sheet.column_dimensions[letter].width for letter in ("A", "B", "I", "L", "W")}
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:W5"  # the header and the four rows, every column
    # Two units a CJK character, one a digit or letter, and two of padding:
    assert width["I"] == 22  # 公示摘要: ten CJK characters, the widest title, wider than...
    assert width["A"] == 14  # ...编号 "SH-2015-0801", twelve ASCII characters
    assert width["L"] == 13  # 联系电话: eleven digits
    assert width["B"] == 12  # 反映日期: a date, its header (8) and the filter's arrow (2)
    assert width["W"] == 14  # 是否待反馈: a five-character header over "是"/"否"


def test_export_caps_the_width_of_long_text(office_client, db):
    CaseFactory(number="SH-2015-0812", description="渠" * 300)
    sheet = openpyxl.load_workbook(io.BytesIO(office_client.get(EXPORT).content)).active
    assert sheet.column_dimensions["J"].width == 52


def test_export_of_nothing_is_a_header_row(office_client, db):
    assert [list(row) for row in sheet_rows(office_client.get(EXPORT))] == [HEADERS]


@pytest.mark.parametrize("count", [5, 50])
def test_export_query_count_is_constant(office_client, db, count, django_assert_num_queries):
    sub = SubCategoryFactory()
    CaseFactory.create_batch(count, category=sub.category, subcategory=sub, responsible=CadreFactory())
    # session, user, groups, the rows with their relations (the filter's sub-categories are read only
    # when its select is rendered: cases/filters.py); the count and the row of the PIPL access log
    # (cases/pipl.py), the row of the security log.
    with django_assert_num_queries(7):
        response = office_client.get(EXPORT)
    assert len(sheet_rows(response)) == count + 1
