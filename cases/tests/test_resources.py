"""The ledger's import and export (cases/resources.py): round trips, natural keys, and a file with
any bad row rejected with the row's message and nothing written."""

import datetime
import io

import openpyxl
import pytest
import tablib
from django.core.management import call_command
from django.utils import timezone, translation
from import_export.formats.base_formats import CSV, XLSX

from cases.models import Case, CaseEvent, NumberSequence
from cases.resources import CaseResource, header
from cases.tests.factories import CaseFactory, CategoryFactory, SubCategoryFactory
from cases.workflow import next_number
from sanhe.lib.cells import neutralise_formula, restore_formula_text
from teams.tests.factories import CadreFactory, TeamFactory, UserFactory, VisitFactory
from villages.tests.factories import VillageFactory, home_town

HEADERS = [
    "编号",
    "反映日期",
    "村（社区）",
    "驻点团队",
    "问题大类",
    "问题小类",
    "公示摘要",
    "状态",
    "办结方式",
    "办结日期",
    "办理结果",
]


@pytest.fixture
def ledger(db):
    """A team in its village, a category with two sub-categories, a sub-category of another."""
    # A fixed code: the factory's sequence outgrows 12 digits in a long test session.
    team = TeamFactory(number=3, village=VillageFactory(code="440781104201", short_name="东联村"))
    sub = SubCategoryFactory(code="0301", category=CategoryFactory(code="03"))
    SubCategoryFactory(code="0302", category=sub.category)
    other = SubCategoryFactory(code="0101", category=CategoryFactory(code="01"))
    return {"team": team, "village": team.village, "sub": sub, "other": other}


def csv_dataset(rows: list[list[str]], headers: list[str] = HEADERS) -> tablib.Dataset:
    """A csv file as the admin reads it: text, with a header line."""
    dataset = tablib.Dataset(*rows, headers=headers)
    return CSV(encoding="utf-8-sig").create_dataset(dataset.export("csv"))


def good_row(ledger, **changes) -> list[str]:
    row = {
        "编号": "",
        "反映日期": "2015-01-08",
        "村（社区）": ledger["village"].code,
        "驻点团队": "3",
        "问题大类": "03",
        "问题小类": "0301",
        "公示摘要": "水渠年久失修",
        "状态": "处理中",
        "办结方式": "",
        "办结日期": "",
        "办理结果": "",
    }
    row.update(changes)
    return [row[h] for h in HEADERS]


def problems(result) -> list[str]:
    """Everything that went wrong, for assertion messages."""
    lines = [f"{e.error!r}\n{e.traceback}" for e in result.base_errors]
    lines += [f"row {n}: {e.error!r}\n{e.traceback}" for n, errors in result.row_errors() for e in errors]
    return lines + [repr(item) for item in messages_of(result)]


def messages_of(result) -> list[tuple[int, dict]]:
    return [(row.number, {k: [str(m) for m in v] for k, v in row.error_dict.items()}) for row in result.invalid_rows]


def test_case_resource_headers_are_the_chinese_verbose_names(db):
    with translation.override("en"):
        headers = CaseResource().get_export_headers()
    with translation.override("zh-hans"):
        expected = [str(Case._meta.get_field(name).verbose_name) for name in CaseResource.Meta.fields]
    assert headers == expected
    assert headers[:4] == ["编号", "反映日期", "村（社区）", "驻点团队"]


def test_case_export_writes_natural_keys_and_chinese_labels(ledger):
    cadre = CadreFactory(name="李明", team=ledger["team"])
    CaseFactory(
        number="SH-2015-0001",
        team=ledger["team"],
        category=ledger["sub"].category,
        subcategory=ledger["sub"],
        responsible=cadre,
        closed=True,
        closure=Case.Closure.EXPLAINED,
    )
    row = CaseResource().export().dict[0]
    assert (row["编号"], row["村（社区）"], row["驻点团队"], row["问题大类"], row["问题小类"]) == (
        "SH-2015-0001",
        ledger["village"].short_name,
        3,
        "03",
        "0301",
    )
    assert (row["状态"], row["办结方式"], row["收集渠道"], row["责任人"], row["可公示内容"]) == (
        "已办结",
        "政策解释",
        "入户走访",
        "李明",
        "是",
    )
    assert (row["反映日期"], row["办结日期"], row["反映人"]) == ("2015-01-08", "2015-01-20", "陈测试")


@pytest.mark.parametrize("file_format", [XLSX(), CSV(encoding="utf-8-sig")], ids=["xlsx", "csv"])
def test_case_export_of_demo_ledger_round_trips(db, file_format):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    exported = CaseResource().export()
    # As the admin writes the file: native dates in xlsx, text in csv.
    native = isinstance(file_format, XLSX)
    data = file_format.export_data(CaseResource().export(force_native_type=native))
    Case.objects.all().delete()
    NumberSequence.objects.all().delete()

    result = CaseResource().import_data(file_format.create_dataset(data), file_name="台账")

    assert not result.has_errors() and not result.has_validation_errors(), problems(result)
    assert result.totals["new"] == 142
    assert CaseResource().export().dict == exported.dict
    assert CaseEvent.objects.filter(kind="imported").count() == 142
    assert CaseEvent.objects.exclude(kind="imported").count() == 0
    # The team's visit of that day is found again, and new numbers follow the imported ones.
    assert Case.objects.filter(visit__isnull=True).count() == 0
    last_2015 = Case.objects.filter(number__startswith="SH-2015-").order_by("-number").first().number
    assert next_number(home_town(), 2015) == f"SH-2015-{int(last_2015[-4:]) + 1:04d}"


def test_case_import_of_the_same_file_again_changes_nothing(ledger):
    CaseFactory(number="SH-2015-0001", team=ledger["team"], category=ledger["sub"].category, subcategory=ledger["sub"])
    dataset = CSV(encoding="utf-8-sig").create_dataset(CSV().export_data(CaseResource().export()))

    result = CaseResource().import_data(dataset)

    assert (result.totals["skip"], result.totals["new"], result.totals["update"]) == (1, 0, 0)
    assert CaseEvent.objects.count() == 0


def test_case_import_updates_an_existing_case_and_writes_history(ledger):
    case = CaseFactory(number="SH-2015-0001", team=ledger["team"], status=Case.Status.IN_PROGRESS)
    user = UserFactory()
    rows = [
        good_row(
            ledger, 编号="SH-2015-0001", 状态="已办结", 办结方式="已解决", 办结日期="2015-01-20", 办理结果="已修复"
        )
    ]

    result = CaseResource().import_data(csv_dataset(rows), user=user, file_name="更新.csv")

    assert result.totals["update"] == 1, problems(result)
    case.refresh_from_db()
    assert (case.status, case.closure, case.closed_on, case.result, case.version) == (
        "closed",
        "solved",
        datetime.date(2015, 1, 20),
        "已修复",
        2,
    )
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.author, event.status_from, event.status_to, event.text, event.public) == (
        "imported",
        user,
        "in_progress",
        "closed",
        "",
        False,
    )
    assert event.shown_text == "从台账文件“更新.csv”导入更新。"


def test_case_import_without_a_number_takes_the_next_one(ledger):
    NumberSequence.objects.create(town=home_town(), year=2015, last=7)
    user = UserFactory()
    visit = VisitFactory(team=ledger["team"], date=datetime.date(2015, 1, 8))
    headers = [h for h in HEADERS if h != "编号"]

    result = CaseResource().import_data(csv_dataset([good_row(ledger)[1:]], headers=headers), user=user)

    assert not result.has_validation_errors(), messages_of(result)
    case = Case.objects.get()
    assert (case.number, case.created_by, case.visit, case.category, case.status) == (
        "SH-2015-0008",
        user,
        visit,
        ledger["sub"].category,
        "in_progress",
    )
    assert [(e.kind, e.shown_text) for e in case.events.all()] == [("imported", "从台账文件导入。")]


def test_case_import_accepts_names_and_fills_the_category_of_a_subcategory(ledger):
    row = good_row(
        ledger,
        **{"村（社区）": "东联村", "驻点团队": ledger["team"].name, "问题大类": "", "问题小类": ledger["sub"].label},
    )

    result = CaseResource().import_data(csv_dataset([row]))

    assert not result.has_validation_errors(), messages_of(result)
    case = Case.objects.get()
    assert (case.village, case.team, case.category, case.subcategory) == (
        ledger["village"],
        ledger["team"],
        ledger["sub"].category,
        ledger["sub"],
    )


def test_case_import_tells_namesake_cadres_apart_by_team(ledger):
    mine = CadreFactory(name="陈伟", team=ledger["team"])
    CadreFactory(name="陈伟", team=TeamFactory(number=4))
    headers = [*HEADERS, "责任人"]

    result = CaseResource().import_data(csv_dataset([[*good_row(ledger), "陈伟"]], headers=headers))

    assert not result.has_validation_errors(), messages_of(result)
    assert Case.objects.get().responsible == mine


TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        (
            {"村（社区）": "440781104100"},
            "村（社区）",
            "没有“440781104100”这个村（社区）。也可在“名称对照”中添加这个写法。",
        ),
        ({"驻点团队": "99"}, "驻点团队", "没有“99”这个驻点团队：请填团队编号。"),
        ({"问题小类": "0101"}, "问题小类", "所选小类不属于所选大类。"),
        ({"问题大类": "09"}, "问题大类", "没有“09”这个问题大类。也可在“名称对照”中添加这个写法。"),
        (
            {"状态": "已办结", "办结方式": "已解决", "办结日期": "2015-01-20"},
            "办理结果",
            "已办结的问题须填写办理结果。",
        ),
        (
            {"状态": "处理中", "办结日期": "2015-01-20"},
            "办结日期",
            "未办结的问题不能有办结日期；已办结请把状态填为“已办结”。",
        ),
        ({"反映日期": "2015-02-30"}, "反映日期", "“2015-02-30”不是有效日期，请写成 2015-01-08。"),
        ({"反映日期": TOMORROW}, "反映日期", "反映日期不能晚于今天。"),
        ({"反映日期": "2013-05-02"}, "反映日期", "反映日期早于直联活动开始（2014-09-01）。"),
        ({"状态": "已完成"}, "状态", "“已完成”不是可选的值，可填：已登记、处理中、已办结。"),
        ({"编号": "2015-1"}, "编号", "编号“2015-1”的格式应为 SH-2015-0001；新问题可留空，由系统编号。"),
        ({"公示摘要": ""}, "公示摘要", "此字段不能为空。"),
    ],
)
def test_case_import_with_one_bad_row_writes_nothing(ledger, changes, column, message):
    CaseFactory(number="SH-2015-0001", team=ledger["team"])
    NumberSequence.objects.create(town=home_town(), year=2015, last=1)
    rows = [good_row(ledger), good_row(ledger, **changes), good_row(ledger)]

    result = CaseResource().import_data(csv_dataset(rows))

    assert result.has_validation_errors()
    assert messages_of(result) == [(2, {column: [message]})]
    assert Case.objects.count() == 1
    assert CaseEvent.objects.count() == 0
    assert NumberSequence.objects.get(year=2015).last == 1


def test_case_import_refuses_a_number_twice_in_one_file(ledger):
    rows = [good_row(ledger, 编号="SH-2015-0005"), good_row(ledger, 编号="SH-2015-0005")]

    result = CaseResource().import_data(csv_dataset(rows))

    assert messages_of(result) == [(2, {"编号": ["编号“SH-2015-0005”在文件中出现了不止一次。"]})]
    assert Case.objects.count() == 0


def test_case_import_of_a_file_without_the_required_columns_writes_nothing(ledger):
    result = CaseResource().import_data(csv_dataset([["水渠"]], headers=["公示摘要"]))

    assert result.has_errors()
    assert [str(e.error) for e in result.base_errors] == [
        "文件缺少这些列：反映日期、村（社区）。第一行须是列名，可先导出一份作为模板。"
    ]
    assert Case.objects.count() == 0


def test_case_import_header_helper_is_language_independent(db):
    with translation.override("en"):
        assert header("village") == "村（社区）"


# Formula injection: every cell the admin exports, in every format, is text where a cadre typed a formula.

FORMULAS = ['=HYPERLINK("http://evil","点此")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+4", "+4"),  # a signed number computes nothing: the reports' changes stay as the page writes them
        ("-0.50%", "-0.50%"),
        ("水渠=坏", "水渠=坏"),
        ("", ""),
        (3, 3),
        (datetime.date(2015, 1, 8), datetime.date(2015, 1, 8)),
        (None, None),
    ],
)
def test_neutralise_formula_prefixes_only_what_a_spreadsheet_would_run(value, cell):
    assert neutralise_formula(value) == cell


@pytest.mark.parametrize("value", [*FORMULAS, "'quoted", "+4", "水渠"])
def test_restore_formula_text_undoes_neutralise_formula(value):
    assert restore_formula_text(neutralise_formula(value)) == value


@pytest.mark.parametrize("file_format", [XLSX(), CSV(encoding="utf-8-sig")], ids=["xlsx", "csv"])
def test_case_export_writes_every_formula_as_text(ledger, file_format):
    for number, formula in enumerate(FORMULAS, start=1):
        CaseFactory(number=f"SH-2015-{number:04d}", team=ledger["team"], title=formula, result=formula)
    data = file_format.export_data(CaseResource().export(force_native_type=isinstance(file_format, XLSX)))
    rows = file_format.create_dataset(data).dict
    assert [(row["公示摘要"], row["办理结果"]) for row in rows] == [("'" + f, "'" + f) for f in FORMULAS]


def test_admin_export_csv_and_xlsx_write_a_typed_formula_as_text(ledger, admin_client):
    CaseFactory(number="SH-2015-0001", team=ledger["team"], title='=HYPERLINK("http://evil","点此")')
    fields = {"caseresource_number": "on", "caseresource_title": "on"}
    csv_file = admin_client.post("/admin/cases/case/export/", {"format": "1", **fields}).content.decode("utf-8-sig")
    xlsx_file = admin_client.post("/admin/cases/case/export/", {"format": "0", **fields}).content
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_file)).active
    assert csv_file.splitlines()[1] == 'SH-2015-0001,"\'=HYPERLINK(""http://evil"",""点此"")"'
    assert (sheet["B2"].data_type, sheet["B2"].value) == ("s", '\'=HYPERLINK("http://evil","点此")')


def test_an_exported_formula_imports_back_as_typed(ledger):
    CaseFactory(number="SH-2015-0001", team=ledger["team"], title="=1+1", result="-减免")
    data = CSV(encoding="utf-8-sig").export_data(CaseResource().export())
    Case.objects.all().delete()

    result = CaseResource().import_data(CSV(encoding="utf-8-sig").create_dataset(data), file_name="台账")

    assert not result.has_errors() and not result.has_validation_errors(), problems(result)
    assert Case.objects.values_list("title", "result").get() == ("=1+1", "-减免")
