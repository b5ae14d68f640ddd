"""Reading Excel ledgers 台账 and importing them (cases/ledger.py), and the web import (cases/views/ledger.py)."""

import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from cases.deadlines import due_date
from cases.ledger import LedgerNotClean, import_ledger, parse_date, read_ledger, row_key
from cases.ledger_cells import legacy_row_key
from cases.models import Case, CaseEvent, NameAlias, NumberSequence
from cases.tests.factories import CaseFactory, CategoryFactory, SubCategoryFactory
from cases.views import ledger as ledger_views
from teams.tests.factories import CadreFactory, TeamFactory
from villages.tests.factories import VillageFactory

# -- Building ledgers as offices write them ---------------------------------------------------


def xlsx(header: list, rows: list, *, titles: list | None = None, merge: list[str] = ()) -> bytes:
    """An .xlsx whose first sheet holds TITLES rows, then HEADER, then ROWS."""
    book = Workbook()
    sheet = book.active
    sheet.title = "台账"
    for row in [*(titles or []), header, *rows]:
        sheet.append(row)
    for cells in merge:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(data: bytes, **kwargs):
    return read_ledger(io.BytesIO(data), filename="台账.xlsx", **kwargs)


@pytest.fixture
def town(db):
    """Two villages as the statistics name them, their teams, and part of the report's categories."""
    dong = VillageFactory(code="440781104201", name="东联村委会", short_name="东联村")
    xu = VillageFactory(code="440781104001", name="三合圩居委会", short_name="三合圩社区", kind="community")
    dong_team = TeamFactory(number=2, name="第2驻点团队", village=dong)
    dong_team.leader = CadreFactory(name="李团长", team=dong_team)
    dong_team.save()
    xu_team = TeamFactory(number=1, name="第1驻点团队", village=xu)
    wang = CadreFactory(name="王干部", team=xu_team)
    livelihood = CategoryFactory(code="01", label="民生保障")
    water = CategoryFactory(code="03", label="农田水利建设")
    return SimpleNamespace(
        dong=dong,
        xu=xu,
        dong_team=dong_team,
        xu_team=xu_team,
        wang=wang,
        livelihood=livelihood,
        water=water,
        poverty=SubCategoryFactory(category=livelihood, code="0101", label="贫困户帮扶/低保保障"),
        medical=SubCategoryFactory(category=livelihood, code="0102", label="就医难"),
        canals=SubCategoryFactory(category=water, code="0301", label="水渠年久失修"),
    )


# A ledger as the office keeps it: a title row, a line of who filled it in, then the header
# (variant names, order of their own), text dates, full-width digits, names instead of codes.
LEDGER_TITLES = [
    ["三合镇驻点直联工作问题台账"],
    ["填报单位：三合镇党政办", None, None, None, None, None, None, None, None, "填报日期：2015年2月1日"],
]
LEDGER_HEADER = [
    "序号",
    "村(社区)",
    "反映人",
    "联系电话",
    "住址",
    "问题类别",
    "小类",
    "诉求内容",
    "反映时间",
    "收集渠道",
    "处理情况",
    "是否办结",
    "办结日期",
    "责任人",
]
LEDGER_ROWS = [
    [
        "1",
        "东联村",
        "陈大文",
        13912345678,
        "东联村东坊8号",
        "民生保障",
        "贫困户帮扶、低保保障",
        "陈大文申请低保，询问办理条件",
        "2015年1月8日",
        "入户走访",
        "已上报民政办审核",
        "正在处理",
        None,
        None,
    ],
    [
        "２",
        "三合圩居委会",
        "黄小梅",
        "０７５０－５５２４５３８",
        "",
        "03",
        "水渠年久失修",
        "水渠年久失修，影响灌溉",
        "２０１５．１．１５",
        "碰头会",
        "已清淤修复",
        "已办结",
        "2015/1/22",
        "王干部",
    ],
    [
        3,
        "440781104201",
        "李四",
        None,
        None,
        "就医难",
        None,
        "老人不了解医疗报销政策",
        datetime.datetime(2015, 1, 8),
        "电话",
        "已向群众解释新农合报销政策",
        "政策解释",
        "2015-01-09",
        None,
    ],
    [
        4,
        "东联",
        None,
        None,
        None,
        None,
        None,
        "希望村里定期开展义诊",
        42019,
        "华侨",
        "现场联系卫生院安排",
        "现场解决",
        "2015.1.15",
    ],
    ["填表人：王五    审核人：赵六"],
]


def ledger_file() -> bytes:
    return xlsx(LEDGER_HEADER, LEDGER_ROWS, titles=LEDGER_TITLES, merge=["A1:N1"])


def reading(row) -> dict:
    """The values a row was read as, model objects by name."""
    v = row.values
    return {
        "village": v["village"].short_name if v["village"] else None,
        "team": v["team"].name if v["team"] else None,
        "raised_on": v["raised_on"],
        "resident": (v["resident_name"], v["resident_phone"], v["resident_address"]),
        "channel": v["channel"],
        "kind": v["kind"],
        "category": v["category"].label if v["category"] else None,
        "subcategory": v["subcategory"].label if v["subcategory"] else None,
        "title": v["title"],
        "content": v["content"],
        "closure": v["closure"],
        "closed_on": v["closed_on"],
        "handling": v["handling"],
        "responsible": v["responsible"].name if v["responsible"] else None,
    }


def test_read_ledger_finds_the_header_below_the_title_rows(town):
    plan = read(ledger_file())

    assert (plan.sheet, plan.header_row, plan.problems) == ("台账", 3, [])
    assert plan.columns["content"] == "诉求内容"
    assert plan.columns["handling"] == "处理情况"
    assert [r.row for r in plan.rows] == [4, 5, 6, 7]
    assert plan.blank_rows == 1  # the signature line


def test_read_ledger_reads_every_row_as_the_office_wrote_it(town):
    plan = read(ledger_file())

    assert [r.problems for r in plan.rows] == [[], [], [], []]
    assert [r.seq for r in plan.rows] == ["1", "2", "3", "4"]
    assert [reading(r) for r in plan.rows] == [
        {
            "village": "东联村",
            "team": "第2驻点团队",
            "raised_on": datetime.date(2015, 1, 8),
            "resident": ("陈大文", "13912345678", "东联村东坊8号"),
            "channel": "household",
            "kind": "help",
            "category": "民生保障",
            "subcategory": "贫困户帮扶/低保保障",
            "title": "群众申请低保，询问办理条件",
            "content": "陈大文申请低保，询问办理条件",
            "closure": "open",
            "closed_on": None,
            "handling": "已上报民政办审核",
            "responsible": None,
        },
        {
            "village": "三合圩社区",
            "team": "第1驻点团队",
            "raised_on": datetime.date(2015, 1, 15),
            "resident": ("黄小梅", "0750-5524538", ""),
            "channel": "briefing",
            "kind": "help",
            "category": "农田水利建设",
            "subcategory": "水渠年久失修",
            "title": "水渠年久失修，影响灌溉",
            "content": "水渠年久失修，影响灌溉",
            "closure": "solved",
            "closed_on": datetime.date(2015, 1, 22),
            "handling": "已清淤修复",
            "responsible": "王干部",
        },
        {
            "village": "东联村",
            "team": "第2驻点团队",
            "raised_on": datetime.date(2015, 1, 8),
            "resident": ("李四", "", ""),
            "channel": "phone",
            "kind": "help",
            "category": "民生保障",
            "subcategory": "就医难",
            "title": "老人不了解医疗报销政策",
            "content": "老人不了解医疗报销政策",
            "closure": "explained",
            "closed_on": datetime.date(2015, 1, 9),
            "handling": "已向群众解释新农合报销政策",
            "responsible": None,
        },
        {
            "village": "东联村",
            "team": "第2驻点团队",
            "raised_on": datetime.date(2015, 1, 15),
            "resident": ("", "", ""),
            "channel": "overseas",
            "kind": "help",
            "category": None,
            "subcategory": None,
            "title": "希望村里定期开展义诊",
            "content": "希望村里定期开展义诊",
            "closure": "on_the_spot",
            "closed_on": datetime.date(2015, 1, 15),
            "handling": "现场联系卫生院安排",
            "responsible": None,
        },
    ]


def test_read_ledger_says_how_a_row_will_be_read_in_chinese(town):
    row = read(ledger_file()).rows[1]

    assert row.reading() == [
        ("村（社区）", "三合圩社区"),
        ("驻点团队", "第1驻点团队"),
        ("反映日期", "2015-01-15"),
        ("反映人", "黄小梅"),
        ("联系电话", "0750-5524538"),
        ("收集渠道", "碰头会"),
        ("诉求类型", "求助"),
        ("问题大类", "农田水利建设"),
        ("问题小类", "水渠年久失修"),
        ("公示摘要", "水渠年久失修，影响灌溉"),
        ("问题内容", "水渠年久失修，影响灌溉"),
        ("状态", "已办结（已解决）"),
        ("责任人", "王干部"),
        ("办结日期", "2015-01-22"),
        ("办理结果", "已清淤修复"),
    ]
    assert row.outcome() == "将导入"


@pytest.mark.parametrize(
    "written",
    [
        "2015年1月8日",
        "2015年01月08日",
        " 2015 年 1 月 8 日 ",
        "2015.1.8",
        "2015/1/8",
        "2015-01-08",
        "2015-01-08 00:00:00",
        "20150108",
        "２０１５年１月８日",
        "２０１５．１．８",
        datetime.datetime(2015, 1, 8, 9, 30),
        datetime.date(2015, 1, 8),
        42012,
        42012.0,
        20150108,
    ],
)
def test_parse_date_reads_the_ways_ledgers_write_dates(written):
    assert parse_date(written) == datetime.date(2015, 1, 8)


@pytest.mark.parametrize(
    "written, message",
    [
        ("2015年2月30日", "日期“2015年2月30日”不存在"),
        ("去年冬天", "日期“去年冬天”无法识别（可写作 2015年1月8日、2015.1.8 或 2015-01-08）"),
        ("2015年1月", "日期“2015年1月”无法识别（可写作 2015年1月8日、2015.1.8 或 2015-01-08）"),
        ("15.1.8", "日期“15.1.8”无法识别（可写作 2015年1月8日、2015.1.8 或 2015-01-08）"),
    ],
)
def test_parse_date_refuses_what_is_not_a_date(written, message):
    with pytest.raises(ValueError) as error:
        parse_date(written)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "header",
    [
        "村/社区 反映人 联系电话 住址 问题类别 小类 问题内容 反映时间 办理情况 是否办结 办结时间".split(),
        "所属村 群众姓名 电话 地址 类别 具体类别 反映问题 登记时间 办理结果 办结情况 办结日期".split(),
        "村居 姓名 手机 住址 大类 小类 诉求内容 日期 处理情况 是否办结 办结日期".split(),
        # full-width brackets, a remark in brackets, a required-field star, ideographic spaces
        "村（社区）|反映人\u3000|联系电话*|住\u3000址|问题类别|小类|问题内容|反映时间（年月日）|办理情况|是否办结|办结时间".split(
            "|"
        ),
    ],
)
def test_read_ledger_matches_header_variants(town, header):
    row = ["东联村委会", "陈大文", "13912345678", "东坊8号", "农田水利建设", "0301", "水渠堵塞", "2015.1.8"]
    plan = read(xlsx(header, [[*row, "已清淤", "是", "2015.1.20"]]))

    assert plan.problems == []
    assert plan.ignored == []
    assert [r.problems for r in plan.rows] == [[]]
    got = reading(plan.rows[0])
    assert (got["village"], got["resident"], got["subcategory"], got["raised_on"]) == (
        "东联村",
        ("陈大文", "13912345678", "东坊8号"),
        "水渠年久失修",
        datetime.date(2015, 1, 8),
    )
    assert (got["closure"], got["closed_on"], got["handling"], got["responsible"]) == (
        "solved",
        datetime.date(2015, 1, 20),
        "已清淤",
        "李团长",
    )


@pytest.mark.parametrize(
    "written, code",
    [
        *[
            (written, "440781104201")
            for written in ("东联村", "东联村委会", "440781104201", "东联", "东联村委", " 东联村 ")
        ],
        *[(written, "440781104001") for written in ("三合圩", "三合圩社区", "三合圩居委会", "440781104001")],
    ],
)
def test_read_ledger_finds_the_village_by_short_name_official_name_or_code(town, written, code):
    plan = read(xlsx(["村", "问题内容", "反映时间"], [[written, "村道破损", "2015-01-08"]]))

    assert plan.rows[0].values["village"].code == code


@pytest.mark.parametrize(
    "category, sub, expected",
    [
        ("民生保障", "就医难", ("民生保障", "就医难")),
        ("01", "0102", ("民生保障", "就医难")),
        ("1", "102", ("民生保障", "就医难")),
        ("民生保障", "", ("民生保障", None)),
        ("", "就医难", ("民生保障", "就医难")),
        ("就医难", "", ("民生保障", "就医难")),
        ("农田水利建设", "水渠年久失修", ("农田水利建设", "水渠年久失修")),
        ("", "", (None, None)),
    ],
)
def test_read_ledger_reads_category_and_sub_category_by_name_or_code(town, category, sub, expected):
    plan = read(xlsx(["村", "大类", "小类", "问题内容", "反映时间"], [["东联村", category, sub, "内容", "2015-01-08"]]))

    got = reading(plan.rows[0])
    assert plan.rows[0].problems == []
    assert (got["category"], got["subcategory"]) == expected


@pytest.mark.parametrize(
    "written, closure",
    [
        ("是", "solved"),
        ("已办结", "solved"),
        ("已解决", "solved"),
        ("√", "solved"),
        ("现场解决", "on_the_spot"),
        ("政策解释", "explained"),
        ("否", "open"),
        ("正在处理", "open"),
        ("处理中", "open"),
        ("未办结", "open"),
        ("", "open"),
    ],
)
def test_read_ledger_reads_whether_closed_as_offices_write_it(town, written, closure):
    closed_on = "" if closure == "open" else "2015-01-20"
    plan = read(
        xlsx(
            ["村", "问题内容", "反映时间", "是否办结", "办理情况", "办结时间"],
            [["东联村", "内容", "2015-01-08", written, "已办", closed_on]],
        )
    )

    assert plan.rows[0].problems == []
    assert plan.rows[0].values["closure"] == closure


@pytest.mark.parametrize(
    "channel, kind, phone, expected",
    [
        ("入户走访", "求助", "13912345678", ("household", "help", "13912345678")),
        ("碰头会", "咨询", "0750-5524538", ("briefing", "enquiry", "0750-5524538")),
        ("来电", "投诉", "无", ("phone", "complaint", "")),
        ("侨刊", "建议", "139 1234 5678", ("overseas", "suggestion", "139 1234 5678")),
        ("其他", "", "", ("other", "help", "")),
        ("", "", "—", ("household", "help", "")),
    ],
)
def test_read_ledger_reads_channel_kind_and_phone(town, channel, kind, phone, expected):
    header = ["村", "问题内容", "反映时间", "收集渠道", "诉求类型", "联系电话"]
    plan = read(xlsx(header, [["东联村", "内容", "2015-01-08", channel, kind, phone]]))

    v = plan.rows[0].values
    assert plan.rows[0].problems == []
    assert (v["channel"], v["kind"], v["resident_phone"]) == expected


@pytest.mark.parametrize(
    "column, value, problem",
    [
        (
            "收集渠道",
            "微信群",
            "收集渠道“微信群”无法识别（可填：入户走访、碰头会、电话、华侨、12345热线、网上提交、其他）",
        ),
        ("诉求类型", "表扬", "诉求类型“表扬”无法识别（可填：咨询、求助、建议、投诉）"),
        ("联系电话", "找村长", "联系电话“找村长”不像电话号码"),
        ("驻点团队", "第十一团队", "驻点团队“第十一团队”不存在"),
    ],
)
def test_read_ledger_refuses_an_unknown_channel_kind_phone_or_team(town, column, value, problem):
    plan = read(xlsx(["村", "问题内容", "反映时间", column], [["东联村", "内容", "2015-01-08", value]]))

    assert plan.rows[0].problems == [problem]


PROBLEM_HEADER = ["村/社区", "反映人", "问题类别", "小类", "问题内容", "反映时间", "是否办结", "办理情况", "办结时间"]
GOOD = {
    "村/社区": "东联村",
    "反映人": "陈大文",
    "问题类别": "民生保障",
    "小类": "就医难",
    "问题内容": "老人就医报销困难",
    "反映时间": "2015-01-08",
    "是否办结": "否",
    "办理情况": "",
    "办结时间": "",
}
CLOSED = {"是否办结": "是", "办理情况": "已协助报销", "办结时间": "2015-01-20"}


@pytest.mark.parametrize(
    "change, problems",
    [
        ({"村/社区": ""}, ["缺少村（社区）"]),
        ({"问题类别": "农田水利建设"}, ["问题小类“就医难”不属于大类“农田水利建设”（它属于“民生保障”）"]),
        ({"反映时间": "去年冬天"}, ["反映日期：日期“去年冬天”无法识别（可写作 2015年1月8日、2015.1.8 或 2015-01-08）"]),
        ({"反映时间": "2015年2月30日"}, ["反映日期：日期“2015年2月30日”不存在"]),
        ({"反映时间": ""}, ["缺少反映日期"]),
        ({"反映时间": "2099-01-01"}, ["反映日期 2099-01-01 晚于今天"]),
        ({"反映时间": "2014.8.1"}, ["反映日期 2014-08-01 早于直联活动开始（2014-09-01）"]),
        ({"问题内容": ""}, ["缺少问题内容"]),
        ({**CLOSED, "办理情况": ""}, ["已办结但没有办理结果（办理情况）"]),
        ({**CLOSED, "办结时间": ""}, ["已办结但没有办结日期"]),
        ({**CLOSED, "办结时间": "2015-01-01"}, ["办结日期 2015-01-01 早于反映日期 2015-01-08"]),
        ({**CLOSED, "办结时间": "2099-01-01"}, ["办结日期 2099-01-01 晚于今天"]),
        (
            {**CLOSED, "办结时间": "下周"},
            ["办结日期：日期“下周”无法识别（可写作 2015年1月8日、2015.1.8 或 2015-01-08）"],
        ),
        ({"办结时间": "2015-01-20"}, ["未办结却填了办结日期"]),
        ({"是否办结": "大概吧"}, ["是否办结“大概吧”无法识别（可填：是、否、已办结、正在处理等）"]),
        ({"反映人": "陈" * 60}, ["反映人：确保该变量包含不超过 50 字符 (目前字符数 60)。"]),
        (
            {"村/社区": "", "问题内容": "", "反映时间": "2015.13.1"},
            ["缺少村（社区）", "反映日期：日期“2015.13.1”不存在", "缺少问题内容"],
        ),
    ],
)
def test_read_ledger_lists_every_problem_of_a_row_in_chinese(town, change, problems):
    row = {**GOOD, **change}
    plan = read(xlsx(PROBLEM_HEADER, [[row[h] for h in PROBLEM_HEADER]]))

    assert plan.rows[0].problems == problems
    assert plan.rows[0].outcome() == "有问题"
    assert not plan.is_clean


def test_read_ledger_needs_a_responsible_person_for_a_solved_row_without_one(town):
    plan = read(
        xlsx(
            ["村", "问题内容", "反映时间", "办理情况", "办结时间"],
            [["三合圩", "路灯坏", "2015-01-08", "已修", "2015-01-09"]],
        )
    )

    assert plan.rows[0].problems == ["已解决的问题须有责任人：台账未写责任人，也找不到驻点团队的团长"]


@pytest.mark.parametrize(
    "name, problem",
    [("张三", "责任人“张三”不在干部名单中"), ("同名", "干部名单中有 2 人叫“同名”，无法确定责任人")],
)
def test_read_ledger_refuses_an_unknown_or_ambiguous_responsible_person(town, name, problem):
    CadreFactory.create_batch(2, name="同名")
    plan = read(xlsx(["村", "问题内容", "反映时间", "责任人"], [["东联村", "路灯坏", "2015-01-08", name]]))

    assert plan.rows[0].problems == [problem]


def test_read_ledger_fills_a_village_written_once_for_merged_rows(town):
    rows = [["东联村", "村道破损", "2015-01-08"], [None, "水渠堵塞", "2015-01-08"], [None, "路灯坏", "2015-01-15"]]
    plan = read(xlsx(["村", "问题内容", "反映时间"], rows, merge=["A2:A4"]))

    assert [r.values["village"].short_name for r in plan.rows] == ["东联村", "东联村", "东联村"]
    assert plan.is_clean


@pytest.mark.parametrize("written", ["第1驻点团队", "1", "１", "第1团队"])
def test_read_ledger_finds_the_team_by_name_or_number(town, written):
    plan = read(xlsx(["村", "驻点团队", "问题内容", "反映时间"], [["东联村", written, "内容", "2015-01-08"]]))

    assert plan.rows[0].values["team"] == town.xu_team


def test_read_ledger_reads_a_header_written_over_two_rows(town):
    titles = [["三合镇问题台账"], ["村", "反映人信息", None, "问题内容", "反映时间"]]
    rows = [[None, "姓名", "电话"], ["东联村", "陈大文", "13912345678", "水渠堵塞", "2015-01-08"]]
    plan = read(xlsx(rows[0], rows[1:], titles=titles, merge=["A2:A3", "B2:C2", "D2:D3", "E2:E3"]))

    assert (plan.header_row, plan.problems) == (3, [])
    assert reading(plan.rows[0])["resident"] == ("陈大文", "13912345678", "")
    assert plan.rows[0].values["content"] == "水渠堵塞"


def test_read_ledger_keeps_names_and_phones_out_of_the_public_summary(town):
    rows = [
        ["东联村", "陈大文", "13912345678", "东坊8号", "陈大文（13912345678，住东坊8号）反映水渠堵塞", "2015-01-08"]
    ]
    plan = read(xlsx(["村", "反映人", "电话", "住址", "问题内容", "反映时间"], rows))

    assert plan.rows[0].values["title"] == "群众（，住）反映水渠堵塞"
    assert plan.rows[0].values["content"] == rows[0][4]


def test_read_ledger_uses_the_public_summary_column_when_there_is_one(town):
    rows = [["东联村", "陈大文申请低保", "申请低保", "2015-01-08"]]
    plan = read(xlsx(["村", "问题内容", "公示摘要", "反映时间"], rows))

    assert plan.rows[0].values["title"] == "申请低保"


def test_read_ledger_lists_the_columns_it_does_not_read(town):
    plan = read(
        xlsx(["村", "问题内容", "反映时间", "满意度", "走访干部"], [["东联村", "内容", "2015-01-08", "满意", "李"]])
    )

    assert plan.ignored == ["满意度", "走访干部"]
    assert plan.is_clean


@pytest.mark.parametrize(
    "change, kind, text",
    [
        ({"村/社区": "西山村"}, "village", "西山村"),
        ({"问题类别": "教育"}, "category", "教育"),
        ({"小类": "低保"}, "subcategory", "低保"),
    ],
)
def test_read_ledger_leaves_a_name_it_cannot_match_to_the_office_not_to_a_guess(town, change, kind, text):
    row = {**GOOD, **change}
    plan = read(xlsx(PROBLEM_HEADER, [[row[h] for h in PROBLEM_HEADER]]))

    (name,) = plan.rows[0].unresolved
    assert (name.kind, name.text, plan.rows[0].problems) == (kind, text, [])
    assert plan.rows[0].outcome() == "名称待确认"
    assert plan.unresolved == [(name, 1)]
    assert not plan.is_clean and plan.to_import == []


@pytest.mark.parametrize(
    "data, problem",
    [
        # Text is read as a CSV file: one with no ledger's header in it.
        (b"not a spreadsheet", "找不到表头：前 20 行中没有一行同时写有“村（社区）”“反映时间”“问题内容”等列名。"),
        (
            b"PK\x03\x04broken zip",
            "文件已损坏或不完整（压缩包无法打开），无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。",
        ),
        (
            xlsx(["名称", "数量"], [["甲", 1]]),
            "找不到表头：前 20 行中没有一行同时写有“村（社区）”“反映时间”“问题内容”等列名。",
        ),
        (xlsx(["序号", "村", "反映人", "电话"], [[1, "东联村", "陈", "1"]]), "缺少必需的列：反映日期、问题内容。"),
    ],
)
def test_read_ledger_refuses_a_file_it_cannot_read(town, data, problem):
    plan = read(data)

    assert plan.problems == [problem]
    assert plan.rows == []
    with pytest.raises(LedgerNotClean):
        import_ledger(plan, only_clean=True)


def test_row_key_ignores_spacing_punctuation_and_full_width(town):
    day = datetime.date(2015, 1, 8)

    assert row_key(town.dong, day, "陈大文", "水渠年久失修，影响灌溉") == row_key(
        town.dong, day, " 陈 大文", "水渠年久失修, 影响灌溉。"
    )
    assert row_key(town.dong, day, "陈大文", "水渠") != row_key(town.dong, day, "陈小文", "水渠")
    assert len(row_key(town.dong, day, "", "水渠")) == 64


@pytest.mark.parametrize("count", [1, 20])
def test_read_ledger_query_count_is_constant(town, count, django_assert_num_queries):
    rows = [["东联村", "民生保障", "就医难", f"问题{i}", "2015-01-08", "王干部"] for i in range(count)]
    data = xlsx(["村", "大类", "小类", "问题内容", "反映时间", "责任人"], rows)

    # 8: one of them per village the rows name, not per row — its residents' names, kept off the board.
    with django_assert_num_queries(8):
        plan = read(data)
    assert len(plan.to_import) == count


# -- Importing ---------------------------------------------------------------------------------


JAN8, JAN15, EXPLAINED = datetime.date(2015, 1, 8), datetime.date(2015, 1, 15), "已向群众解释新农合报销政策"


def test_imported_cases_show_on_the_board_on_the_ledgers_dates_not_the_day_of_import(town, office_user, client):
    import_ledger(read(ledger_file()), by=office_user)

    body = client.get(reverse("board:village", args=[town.xu.code])).content.decode()

    assert '<time datetime="2015-01-15">2015-01-15</time> 登记' in body
    assert '<time datetime="2015-01-22">2015-01-22</time> 办结' in body
    assert f'datetime="{timezone.localdate().isoformat()}"' not in body


def test_an_open_imported_case_is_due_as_a_new_one_would_be_and_says_the_date_was_derived(
    town, office_user, office_client
):
    import_ledger(read(ledger_file()), by=office_user)
    case = Case.objects.get(status=Case.Status.REGISTERED)

    page = office_client.get(reverse("cases:detail", args=[case.number])).content.decode()

    assert (case.due_on, case.due_derived) == (due_date(case.raised_on, case.kind)[0], True)
    assert case.is_overdue()
    assert "按反映日期推算" in page


def test_import_ledger_registers_every_row_through_the_workflow(town, office_user):
    plan = read(ledger_file())

    result = import_ledger(plan, by=office_user)

    assert result.numbers == ["SH-2015-0001", "SH-2015-0002", "SH-2015-0003", "SH-2015-0004"]
    assert (result.skipped, result.refused) == (0, 0)
    cases = {c.number: c for c in Case.objects.select_related("village", "responsible")}
    got = [
        (c.village.short_name, c.raised_on, c.status, c.closure, c.decision, c.closed_on, c.result, c.created_by)
        for c in cases.values()
    ]
    assert sorted(got, key=str) == sorted(
        [
            ("东联村", JAN8, "registered", "", "", None, "", office_user),
            (
                "三合圩社区",
                JAN15,
                "closed",
                "solved",
                "handle_now",
                datetime.date(2015, 1, 22),
                "已清淤修复",
                office_user,
            ),
            ("东联村", JAN8, "closed", "explained", "explain", datetime.date(2015, 1, 9), EXPLAINED, office_user),
            ("东联村", JAN15, "closed", "on_the_spot", "", JAN15, "现场联系卫生院安排", office_user),
        ],
        key=str,
    )
    solved = Case.objects.get(closure="solved")
    assert (solved.responsible, solved.resident_phone, solved.title) == (
        town.wang,
        "0750-5524538",
        "水渠年久失修，影响灌溉",
    )
    assert solved.description == "水渠年久失修，影响灌溉\n\n（从Excel台账“台账.xlsx”第 5 行导入）"
    assert [(e.kind, e.shown_text, e.public) for e in solved.events.all()] == [
        (
            "registered",
            f"台账记载的反映日期：2015-01-15。从“台账.xlsx”第 5 行导入，导入人：{office_user.username}，"
            f"导入日期：{timezone.localdate().isoformat()}。",
            True,
        ),
        ("triaged", f"处理决定：即时办理；责任人：王干部；办理期限：{solved.due_on.isoformat()}", True),
        ("progress", "台账导入：处理决定按台账的办结方式补记。", False),
        ("closed", "已解决：已清淤修复", True),
    ]
    still_open = Case.objects.get(status="registered")
    assert still_open.description == (
        "陈大文申请低保，询问办理条件\n\n办理情况（台账）：已上报民政办审核\n\n（从Excel台账“台账.xlsx”第 4 行导入）"
    )
    assert len(still_open.ledger_key) == 64
    explained = Case.objects.get(closure="explained")
    assert (explained.policy_basis, explained.explaining_department) == ("已向群众解释新农合报销政策", "台账未载明")


def test_import_ledger_writes_nothing_when_a_row_has_a_problem(town, office_user):
    rows = [*LEDGER_ROWS[:2], ["5", "西山村", "", "", "", "", "", "村道破损", "2015-01-08"]]
    plan = read(xlsx(LEDGER_HEADER, rows))

    with pytest.raises(LedgerNotClean):
        import_ledger(plan, by=office_user)

    assert (Case.objects.count(), CaseEvent.objects.count(), NumberSequence.objects.count()) == (0, 0, 0)


def test_import_ledger_only_clean_writes_only_the_clean_rows(town, office_user):
    rows = [LEDGER_ROWS[0], ["5", "西山村", "", "", "", "", "", "村道破损", "2015-01-08"], LEDGER_ROWS[3]]
    plan = read(xlsx(LEDGER_HEADER, rows))

    result = import_ledger(plan, by=office_user, only_clean=True)

    assert (result.numbers, result.skipped, result.refused) == (["SH-2015-0001", "SH-2015-0002"], 0, 1)
    assert sorted(Case.objects.values_list("description", flat=True))[0].startswith("希望村里定期开展义诊")
    assert Case.objects.count() == 2


def test_import_ledger_twice_creates_no_duplicates(town, office_user):
    import_ledger(read(ledger_file()), by=office_user)

    again = read(ledger_file())
    result = import_ledger(again, by=office_user)

    assert [r.skip for r in again.rows] == [
        "已导入，跳过（SH-2015-0001）",
        "已导入，跳过（SH-2015-0002）",
        "已导入，跳过（SH-2015-0003）",
        "已导入，跳过（SH-2015-0004）",
    ]
    assert [r.outcome() for r in again.rows] == [r.skip for r in again.rows]
    assert (result.numbers, result.skipped) == ([], 4)
    assert Case.objects.count() == 4


def test_import_ledger_skips_a_row_the_file_repeats(town, office_user):
    repeated = ["9", "东联村委会", "陈 大文", 13912345678, "", "", "", "陈大文申请低保，询问办理条件。", "2015.1.8"]
    plan = read(xlsx(LEDGER_HEADER, [LEDGER_ROWS[0], repeated]))

    assert plan.rows[1].skip == "与第 2 行重复，跳过"
    assert len(import_ledger(plan, by=office_user).created) == 1


def test_import_ledger_skips_a_row_imported_meanwhile(town, office_user):
    plan = read(ledger_file())
    CaseFactory(number="SH-2015-0100", ledger_key=plan.rows[0].key, team=town.dong_team)

    result = import_ledger(plan, by=office_user)

    assert (len(result.created), result.skipped) == (3, 1)


# -- The web import ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.LEDGER_UPLOAD_DIR = tmp_path / "uploads"
    return settings.LEDGER_UPLOAD_DIR


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, data: bytes, name: str = "台账.xlsx"):
    return client.post(reverse("cases:ledger_upload"), {"file": SimpleUploadedFile(name, data, content_type=XLSX_TYPE)})


def test_ledger_upload_page_explains_the_columns(office_client):
    body = office_client.get(reverse("cases:ledger_upload")).content.decode()

    assert "<h1>导入Excel台账</h1>" in body
    assert "必需的列：村（社区）、反映时间、问题内容。" in body
    assert 'enctype="multipart/form-data"' in body


def test_ledger_preview_shows_how_each_row_is_read_and_its_problems(town, office_client, upload_dir):
    rows = [*LEDGER_ROWS[:2], ["5", "西山村", "", "", "", "", "", "村道破损", "2015年2月30日"]]
    response = upload(office_client, xlsx(LEDGER_HEADER, rows, titles=LEDGER_TITLES))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:ledger_preview")
    assert len(list(upload_dir.iterdir())) == 1

    body = office_client.get(reverse("cases:ledger_preview")).content.decode()

    assert "文件：台账.xlsx" in body
    assert "工作表“台账”，表头在第 3 行" in body
    assert "共 3 行：2 行可导入，1 行有问题，0 行跳过。" in body
    assert "村（社区）“西山村”无法识别" in body
    assert "<li>反映日期：日期“2015年2月30日”不存在</li>" in body
    assert "<dt>村（社区）</dt><dd>三合圩社区</dd>" in body
    assert "<dt>状态</dt><dd>已办结（已解决）</dd>" in body
    assert "只导入没有问题的 2 行" in body
    assert "导入全部" not in body
    assert Case.objects.count() == 0


def test_ledger_preview_can_show_only_the_rows_with_problems(town, office_client):
    rows = [LEDGER_ROWS[0], ["5", "西山村", "", "", "", "", "", "村道破损", "2015-01-08"]]
    upload(office_client, xlsx(LEDGER_HEADER, rows))

    body = office_client.get(reverse("cases:ledger_preview"), {"show": "problems"}).content.decode()

    assert 'id="row-3"' in body
    assert 'id="row-2"' not in body


def test_ledger_confirm_imports_a_clean_file_and_lists_the_numbers(town, office_client, upload_dir):
    upload(office_client, ledger_file())
    token = office_client.session[ledger_views.UPLOAD.session_key]["token"]
    assert "导入全部 4 行" in office_client.get(reverse("cases:ledger_preview")).content.decode()

    response = office_client.post(reverse("cases:ledger_confirm"), {"token": token, "mode": "all"})

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:ledger_result")
    assert Case.objects.count() == 4
    assert list(upload_dir.iterdir()) == []
    body = office_client.get(reverse("cases:ledger_result")).content.decode()
    assert "新登记 4 件，0 行已导入过或在文件中重复（跳过），0 行有问题未导入。" in body
    assert "“台账.xlsx”：新登记 4 件问题；跳过 0 行（已导入或重复）；0 行因有问题未导入。" in body
    for number in ("SH-2015-0001", "SH-2015-0002", "SH-2015-0003", "SH-2015-0004"):
        assert number in body


def test_ledger_confirm_refuses_to_import_all_of_a_file_with_problems(town, office_client):
    rows = [LEDGER_ROWS[0], ["5", "西山村", "", "", "", "", "", "村道破损", "2015-01-08"]]
    upload(office_client, xlsx(LEDGER_HEADER, rows))
    token = office_client.session[ledger_views.UPLOAD.session_key]["token"]

    response = office_client.post(reverse("cases:ledger_confirm"), {"token": token, "mode": "all"}, follow=True)

    assert Case.objects.count() == 0
    assert "台账还有问题，未导入任何内容：请改正后重新上传，或选择“只导入没有问题的行”。" in response.content.decode()


def test_ledger_confirm_only_clean_imports_the_clean_rows(town, office_client):
    rows = [LEDGER_ROWS[0], ["5", "西山村", "", "", "", "", "", "村道破损", "2015-01-08"]]
    upload(office_client, xlsx(LEDGER_HEADER, rows))
    token = office_client.session[ledger_views.UPLOAD.session_key]["token"]

    response = office_client.post(reverse("cases:ledger_confirm"), {"token": token, "mode": "clean"}, follow=True)

    body = response.content.decode()
    assert list(Case.objects.values_list("number", flat=True)) == ["SH-2015-0001"]
    assert "新登记 1 件问题；跳过 0 行（已导入或重复）；1 行因有问题未导入。" in body
    assert "SH-2015-0001" in body


def test_ledger_confirm_refuses_a_token_that_is_not_the_sessions(town, office_client, upload_dir):
    upload(office_client, ledger_file())

    response = office_client.post(reverse("cases:ledger_confirm"), {"token": "guessed", "mode": "all"}, follow=True)

    assert Case.objects.count() == 0
    assert "这份预览已失效（文件已导入、已取消或已上传了新文件），请重新上传。" in response.content.decode()
    assert len(list(upload_dir.iterdir())) == 1


def test_ledger_confirm_twice_imports_once(town, office_client):
    upload(office_client, ledger_file())
    token = office_client.session[ledger_views.UPLOAD.session_key]["token"]
    office_client.post(reverse("cases:ledger_confirm"), {"token": token, "mode": "all"})

    response = office_client.post(reverse("cases:ledger_confirm"), {"token": token, "mode": "all"}, follow=True)

    assert Case.objects.count() == 4
    assert "这份预览已失效" in response.content.decode()


def test_ledger_reimporting_the_same_file_shows_the_rows_as_already_imported(town, office_client):
    upload(office_client, ledger_file())
    token = office_client.session[ledger_views.UPLOAD.session_key]["token"]
    office_client.post(reverse("cases:ledger_confirm"), {"token": token, "mode": "all"})

    upload(office_client, ledger_file())
    body = office_client.get(reverse("cases:ledger_preview")).content.decode()

    assert "共 4 行：0 行可导入，0 行有问题，4 行跳过。" in body
    assert "已导入，跳过（SH-2015-0002）" in body
    assert "没有可以导入的行。" in body


def test_ledger_cancel_deletes_the_upload(town, office_client, upload_dir):
    upload(office_client, ledger_file())

    response = office_client.post(reverse("cases:ledger_cancel"), follow=True)

    assert list(upload_dir.iterdir()) == []
    assert "已取消导入，上传的文件已删除。" in response.content.decode()
    assert ledger_views.UPLOAD.session_key not in office_client.session


def test_ledger_a_new_upload_replaces_the_waiting_one(town, office_client, upload_dir):
    upload(office_client, ledger_file())
    upload(office_client, ledger_file(), name="第二份.xlsx")

    assert len(list(upload_dir.iterdir())) == 1
    assert "文件：第二份.xlsx" in office_client.get(reverse("cases:ledger_preview")).content.decode()


def test_ledger_preview_without_an_upload_goes_back_to_the_form(office_client):
    response = office_client.get(reverse("cases:ledger_preview"), follow=True)

    assert response.redirect_chain == [(reverse("cases:ledger_upload"), 302)]
    assert "没有待导入的文件，请先上传台账。" in response.content.decode()


def test_ledger_preview_of_an_unreadable_workbook_says_so(town, office_client):
    upload(office_client, b"PK\x03\x04 not really a workbook")

    body = office_client.get(reverse("cases:ledger_preview")).content.decode()

    assert "文件无法导入" in body
    assert "文件已损坏或不完整（压缩包无法打开），无法读取。" in body
    assert "cases/import/confirm/" not in body


NOT_A_TABLE = "只接受 Excel 表格（.xlsx、.xls）或 CSV 文件；其他格式请在 WPS 或 Excel 中“另存为” .xlsx。"


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("台账.pdf", b"%PDF-1.4", NOT_A_TABLE),
        ("台账.docx", b"PK\x03\x04", NOT_A_TABLE),
        ("台账.xlsx", b"", "文件是空的。"),
        ("台账.xlsx", b"PK\x03\x04" + b"0" * (20 * 1024 * 1024), "文件有 20.0 MB，超过 20 MB，请分成几个文件导入。"),
    ],
)
def test_ledger_upload_refuses_bad_files_with_a_message(office_client, upload_dir, name, data, message):
    response = upload(office_client, data, name=name)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


def test_ledger_upload_without_a_file_says_so(office_client):
    response = office_client.post(reverse("cases:ledger_upload"), {})

    assert "请选择要导入的台账文件。" in response.content.decode()


ALL_VIEWS = [
    ("get", "cases:ledger_upload"),
    ("post", "cases:ledger_upload"),
    ("get", "cases:ledger_preview"),
    ("post", "cases:ledger_aliases"),
    ("post", "cases:ledger_confirm"),
    ("post", "cases:ledger_cancel"),
    ("get", "cases:ledger_result"),
]


@pytest.mark.parametrize("method, name", ALL_VIEWS)
@pytest.mark.parametrize("persona", ["cadre_client", "supervisor_client"])
def test_ledger_views_refuse_cadres_and_supervisors(request, persona, method, name):
    client = request.getfixturevalue(persona)

    response = getattr(client, method)(reverse(name))

    assert response.status_code == 403


@pytest.mark.parametrize("method, name", ALL_VIEWS)
def test_ledger_views_send_anonymous_users_to_the_login(client, db, method, name):
    response = getattr(client, method)(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# -- Names the ledger writes that match nothing: the office picks once -----------------------------

UNMATCHED = xlsx(
    ["村", "问题类别", "问题内容", "反映时间"],
    [["东村", "民生保障问题", "老人就医难", "2015-01-08"], ["东村", "民政", "低保咨询", "2015-01-09"]],
)


def preview_names(client) -> str:
    return client.get(reverse("cases:ledger_preview")).content.decode()


def test_ledger_preview_asks_once_for_each_name_it_cannot_match(town, office_client, upload_dir):
    upload(office_client, UNMATCHED)

    body = preview_names(office_client)

    assert "有 2 个名称无法识别" in body
    assert '<input type="hidden" name="name-0-text" value="东村">' in body
    assert '<input type="hidden" name="name-1-text" value="民政">' in body
    assert f'<optgroup label="最接近的"><option value="{town.dong.pk}">东联村</option>' in body
    assert "共 2 行：0 行可导入，0 行有问题，0 行跳过。另有 2 行的名称待确认。" in body


def test_ledger_alias_choices_are_saved_and_the_preview_reads_them(town, office_client, office_user, upload_dir):
    upload(office_client, UNMATCHED)
    token = office_client.session["ledger_upload"]["token"]
    choices = {
        "token": token,
        "names": "2",
        "name-0-kind": "village",
        "name-0-text": "东村",
        "name-0-target": str(town.dong.pk),
        "name-1-kind": "category",
        "name-1-text": "民政",
        "name-1-target": str(town.livelihood.pk),
    }

    response = office_client.post(reverse("cases:ledger_aliases"), choices, follow=True)

    body = response.content.decode()
    assert "已保存 2 个名称对照，以后导入时自动使用。" in body
    assert "共 2 行：2 行可导入，0 行有问题，0 行跳过。" in body
    assert sorted(NameAlias.objects.values_list("kind", "text", "created_by")) == [
        ("category", "民政", office_user.pk),
        ("village", "东村", office_user.pk),
    ]
    # The next ledger that writes them is read the same way, with nobody asked again.
    assert read(UNMATCHED).is_clean


@pytest.mark.parametrize(
    "change",
    [
        {"name-0-target": "999999"},
        {"name-0-target": "9" * 30},
        {"name-0-kind": "team"},
        {"names": "x"},
        {"name-0-text": ""},
        {"name-0-text": "！！"},
    ],
)
def test_ledger_alias_choices_that_make_no_sense_save_nothing(town, office_client, upload_dir, change):
    upload(office_client, UNMATCHED)
    token = office_client.session["ledger_upload"]["token"]
    choices = {"token": token, "names": "1", "name-0-kind": "village", "name-0-text": "东村"}
    choices["name-0-target"] = str(town.dong.pk)

    response = office_client.post(reverse("cases:ledger_aliases"), {**choices, **change}, follow=True)

    assert "选择有误，请重新选择。" in response.content.decode()
    assert NameAlias.objects.count() == 0


def test_ledger_alias_choices_need_the_current_upload(town, office_client, upload_dir):
    upload(office_client, UNMATCHED)
    choices = {"token": "stale", "names": "1", "name-0-kind": "village", "name-0-text": "东村"}

    response = office_client.post(reverse("cases:ledger_aliases"), {**choices, "name-0-target": town.dong.pk})

    assert response["Location"] == reverse("cases:ledger_upload")
    assert NameAlias.objects.count() == 0


@pytest.mark.parametrize("name", ["cases:ledger_confirm", "cases:ledger_cancel", "cases:ledger_aliases"])
def test_ledger_state_changes_refuse_get(office_client, name):
    assert office_client.get(reverse(name)).status_code == 405


def test_ledger_views_let_an_administrator_in(admin_client):
    assert "导入Excel台账" in admin_client.get(reverse("cases:ledger_upload")).content.decode()


@pytest.mark.parametrize("count", [1, 20])
def test_ledger_preview_query_count_is_constant(town, office_client, count, django_assert_num_queries):
    rows = [["东联村", "民生保障", "就医难", f"问题{i}", "2015-01-08", "王干部"] for i in range(count)]
    upload(office_client, xlsx(["村", "大类", "小类", "问题内容", "反映时间", "责任人"], rows))

    with django_assert_num_queries(13):  # one per village named, as in test_read_ledger_query_count_is_constant
        body = office_client.get(reverse("cases:ledger_preview")).content.decode()
    assert f"共 {count} 行：{count} 行可导入" in body


def test_ledger_preview_pages_read_the_file_once_until_something_it_depends_on_changes(
    town, office_client, office_user, upload_dir, django_assert_num_queries
):
    upload(office_client, ledger_file())
    office_client.get(reverse("cases:ledger_preview"))

    # The second page view: the session, the user, the name matches and the latest case; no reading.
    with django_assert_num_queries(5):
        again = office_client.get(reverse("cases:ledger_preview") + "?show=problems").content.decode()
    CaseFactory(number="SH-2015-0100", ledger_key=read(ledger_file()).rows[0].key, team=town.dong_team)
    after = office_client.get(reverse("cases:ledger_preview")).content.decode()

    assert "共 4 行：4 行可导入" in again
    assert "共 4 行：3 行可导入，0 行有问题，1 行跳过。" in after


@pytest.mark.parametrize("phone, skipped", [("13912345678", True), ("13900000000", False)])
def test_a_case_imported_under_the_old_key_is_the_rows_only_when_the_phone_is_the_same(town, phone, skipped):
    """Cases imported before the phone was part of a row's key keep that key: re-importing their
    ledger adds nothing, and another resident's case of the same words is still imported."""
    day = datetime.date(2015, 1, 8)
    CaseFactory(
        team=town.dong_team,
        village=town.dong,
        raised_on=day,
        resident_name="陈大文",
        resident_phone="139 1234 5678",
        ledger_key=legacy_row_key(town.dong, day, "陈大文", "村道破损"),
    )
    data = xlsx(
        ["村", "反映人", "联系电话", "问题内容", "反映时间"], [["东联村", "陈大文", phone, "村道破损", "2015-01-08"]]
    )

    plan = read(data)

    assert (len(plan.skipped), len(plan.to_import)) == ((1, 0) if skipped else (0, 1))
