"""Imports at scale (issue 6): a number of queries that does not grow with the rows, all or
nothing however many rows, numbers consecutive in the file's order; and recording one case in
a handful of queries."""

import datetime
import io
import math

import pytest
import tablib
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from cases import workflow
from cases.inserts import insert_all
from cases.ledger import LedgerImportError, LedgerNotClean, import_ledger, read_ledger
from cases.models import Case, CaseEvent, NumberSequence
from cases.resources import CaseResource
from cases.tests.factories import CategoryFactory, SubCategoryFactory
from teams.tests.factories import CadreFactory, TeamFactory, UserFactory, VisitFactory
from villages.tests.factories import VillageFactory, home_town


def inserts(model, count: int) -> int:
    """Queries to insert COUNT new rows of MODEL: on PostgreSQL two whatever COUNT (the ids, then
    COPY: cases/inserts.py); elsewhere bulk_create's batches (SQLite: 999 values a statement)."""
    if connection.vendor == "postgresql":
        return 2
    fields = model._meta.concrete_fields
    return math.ceil(count / connection.ops.bulk_batch_size(fields, [None] * count))


RESOURCE_HEADERS = ["编号", "反映日期", "村（社区）", "驻点团队", "问题小类", "公示摘要", "状态", "责任人"]
LEDGER_HEADERS = ["村/社区", "反映人", "问题内容", "反映时间", "是否办结", "办结方式", "办结日期", "处理情况", "小类"]


@pytest.fixture
def town(db):
    # A fixed code: the factory's sequence outgrows 12 digits in a long test session.
    team = TeamFactory(number=3, village=VillageFactory(code="440781104203", short_name="东联村"))
    team.leader = CadreFactory(name="李团长", team=team)
    team.save()
    SubCategoryFactory(code="0301", label="水渠年久失修", category=CategoryFactory(code="03"))
    VisitFactory(team=team, village=team.village, date=datetime.date(2015, 1, 8))
    return team


def resource_rows(count: int, changes: dict | None = None) -> tablib.Dataset:
    """COUNT new cases as the admin's import reads them, over two years, every other one closed."""
    rows = []
    for i in range(count):
        row = {
            "编号": "",
            "反映日期": "2015-01-08" if i % 2 else "2016-03-10",
            "村（社区）": "东联村",
            "驻点团队": "3",
            "问题小类": "0301",
            "公示摘要": f"水渠年久失修{i}",
            "状态": "处理中",
            "责任人": "李团长",
        }
        row.update((changes or {}).get(i, {}))
        rows.append([row[h] for h in RESOURCE_HEADERS])
    return tablib.Dataset(*rows, headers=RESOURCE_HEADERS)


def ledger_file(count: int, bad_row: int | None = None) -> bytes:
    """COUNT rows of an office's ledger: open, solved, explained and solved-on-the-spot in turn."""
    book = Workbook()
    sheet = book.active
    sheet.append(LEDGER_HEADERS)
    closures = [("否", "", None, ""), ("是", "", "2015-01-20", "已清淤"), ("是", "政策解释", "2015-01-09", "已解释")]
    closures.append(("是", "现场解决", "2015-01-08", "当场修好"))
    for i in range(count):
        closed, way, closed_on, handling = closures[i % 4]
        village = "西山村" if i == bad_row else "东联村"
        sheet.append([village, f"村民{i}", f"水渠漏水第{i}段", "2015-01-08", closed, way, closed_on, handling, "0301"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- CaseResource (the admin's import) -----------------------------------------------------------


@pytest.mark.parametrize("count", [10, 200])
def test_case_resource_import_queries_do_not_grow_with_rows(town, count, django_assert_max_num_queries):
    user = UserFactory()
    # The names' resolver (villages, categories, sub-categories, name matches), the teams and the
    # cadres, the visits, the numbers of two new years, the savepoints, import-export's sequence
    # reset, the residents' names of each village the rows name (the public-text check: one here),
    # the town the cases are numbered in;
    # then the INSERTs: the same bound for 10 rows and for 200 on PostgreSQL (SQLite adds an INSERT
    # per batch).
    with django_assert_max_num_queries(22 + inserts(Case, count) + inserts(CaseEvent, count)):
        result = CaseResource().import_data(resource_rows(count), user=user)

    assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows[:1]
    assert (result.totals["new"], Case.objects.count(), CaseEvent.objects.count()) == (count, count, count)


def test_case_resource_import_numbers_new_rows_consecutively_per_year_in_file_order(town):
    NumberSequence.objects.create(town=home_town(), year=2015, last=41)

    CaseResource().import_data(resource_rows(5, {2: {"编号": "SH-2015-0050"}}))

    numbers = list(Case.objects.order_by("pk").values_list("number", "raised_on__year"))
    assert numbers == [
        ("SH-2016-0001", 2016),
        ("SH-2015-0051", 2015),  # after the file's own SH-2015-0050
        ("SH-2015-0050", 2016),
        ("SH-2015-0052", 2015),
        ("SH-2016-0002", 2016),
    ]
    assert dict(NumberSequence.objects.values_list("year", "last")) == {2015: 52, 2016: 2}


def test_case_resource_import_links_each_case_to_its_visit_and_the_responsible_cadre(town):
    CaseResource().import_data(resource_rows(2))

    visit = town.visits.get()
    assert set(Case.objects.values_list("raised_on", "visit", "responsible__name")) == {
        (datetime.date(2015, 1, 8), visit.pk, "李团长"),
        (datetime.date(2016, 3, 10), None, "李团长"),
    }


def test_case_resource_import_with_one_bad_row_among_many_writes_nothing(town):
    NumberSequence.objects.create(town=home_town(), year=2015, last=3)
    bad = {150: {"村（社区）": "西山村"}, 170: {"状态": "已完成"}}

    result = CaseResource().import_data(resource_rows(200, bad))

    assert [(row.number, list(row.error_dict)) for row in result.invalid_rows] == [
        (151, ["村（社区）"]),
        (171, ["状态"]),
    ]
    assert (Case.objects.count(), CaseEvent.objects.count()) == (0, 0)
    assert dict(NumberSequence.objects.values_list("year", "last")) == {2015: 3}


def test_case_resource_import_updates_in_bulk_with_history_and_a_new_version(town):
    CaseResource().import_data(resource_rows(3))
    numbers = list(Case.objects.order_by("pk").values_list("number", flat=True))
    changes = {i: {"编号": number, "状态": "已登记"} for i, number in enumerate(numbers)}

    result = CaseResource().import_data(resource_rows(3, changes), file_name="更新.csv")

    assert result.totals["update"] == 3
    assert set(Case.objects.values_list("status", "version")) == {("registered", 2)}
    events = CaseEvent.objects.filter(kind="imported", status_from="in_progress")
    assert [event.shown_text for event in events] == ["从台账文件“更新.csv”导入更新。"] * 3


# -- The office's ledger (cases/ledger.py) -------------------------------------------------------


@pytest.mark.parametrize("count", [10, 200])
def test_import_ledger_queries_do_not_grow_with_rows(town, office_user, count, django_assert_max_num_queries):
    plan = read_ledger(io.BytesIO(ledger_file(count)), filename="台账.xlsx")
    assert len(plan.to_import) == count, plan.with_problems[:1]

    events = sum((1, 4, 4, 2)[i % 4] for i in range(count))
    # Lock the year, look for rows imported meanwhile, create the year's sequence, take the
    # numbers, the savepoints, the villages' town; the village's residents' names for the public-text check (once per
    # village: cases/privacy.py); then the INSERTs.
    with django_assert_max_num_queries(12 + inserts(Case, count) + inserts(CaseEvent, events)):
        result = import_ledger(plan, by=office_user)

    assert len(result.created) == Case.objects.count() == count
    # registered; + triaged, progress, closed (solved, explained); + closed (on the spot)
    assert CaseEvent.objects.count() == events


def test_import_ledger_numbers_the_rows_consecutively_in_file_order(town, office_user):
    NumberSequence.objects.create(town=home_town(), year=2015, last=99)

    result = import_ledger(read_ledger(io.BytesIO(ledger_file(6))), by=office_user)

    assert result.numbers == [f"SH-2015-{n:04d}" for n in range(100, 106)]
    assert list(Case.objects.order_by("pk").values_list("number", flat=True)) == result.numbers
    assert [c.resident_name for c in result.created] == [f"村民{i}" for i in range(6)]


def test_import_ledger_writes_the_workflow_history_of_each_row(town, office_user):
    import_ledger(read_ledger(io.BytesIO(ledger_file(4))), by=office_user)

    cases = Case.objects.order_by("pk")
    assert [(c.status, c.decision, c.closure, c.version) for c in cases] == [
        ("registered", "", "", 1),
        ("closed", "handle_now", "solved", 3),
        ("closed", "explain", "explained", 3),
        ("closed", "", "on_the_spot", 2),
    ]
    assert [list(c.events.values_list("kind", flat=True)) for c in cases] == [
        ["registered"],
        ["registered", "triaged", "progress", "closed"],
        ["registered", "triaged", "progress", "closed"],
        ["registered", "closed"],
    ]
    assert cases[1].responsible == town.leader
    assert set(CaseEvent.objects.values_list("author", flat=True)) == {office_user.pk}


def test_import_ledger_with_a_bad_row_among_many_writes_nothing(town, office_user):
    plan = read_ledger(io.BytesIO(ledger_file(200, bad_row=150)))

    assert [row.row for row in plan.with_problems] == [152]
    with pytest.raises(LedgerNotClean):
        import_ledger(plan, by=office_user)
    assert (Case.objects.count(), CaseEvent.objects.count(), NumberSequence.objects.count()) == (0, 0, 0)


def test_import_ledger_row_refused_while_writing_writes_nothing_of_the_others(town, office_user):
    plan = read_ledger(io.BytesIO(ledger_file(200)))
    plan.rows[121].values["closed_on"] = None  # a rule the reading let through: the workflow refuses it

    with pytest.raises(LedgerImportError, match="第 123 行未能写入：请填写办结日期。"):
        import_ledger(plan, by=office_user)

    assert (Case.objects.count(), CaseEvent.objects.count(), NumberSequence.objects.count()) == (0, 0, 0)


def test_insert_all_writes_every_kind_of_value_as_given(town, office_user):
    """COPY on PostgreSQL (bulk_create elsewhere): text with tabs, line breaks and backslashes,
    dates, booleans, empty values, and events pointing at cases saved in the same call."""
    case = Case(
        number="SH-2015-0001",
        village=town.village,
        team=town,
        raised_on=datetime.date(2015, 1, 8),
        title="水渠\t年久\\失修",
        description="第一行\n第二行\r\n\\N 不是空值",
        status=Case.Status.CLOSED,
        closure=Case.Closure.SOLVED,
        closed_on=datetime.date(2015, 1, 20),
        result="已修好",
        public_posting=False,
    )
    event = CaseEvent(case=case, kind=CaseEvent.Kind.IMPORTED, author=office_user, text="", status_to="closed")

    insert_all(Case, [case])
    insert_all(CaseEvent, [event])

    saved = Case.objects.get(pk=case.pk)
    assert (saved.title, saved.description, saved.closed_on, saved.public_posting, saved.team_id, saved.version) == (
        "水渠\t年久\\失修",
        "第一行\n第二行\r\n\\N 不是空值",
        datetime.date(2015, 1, 20),
        False,
        town.pk,
        1,
    )
    assert (saved.responsible_id, saved.due_on, saved.created_at is not None, saved.updated_at is not None) == (
        None,
        None,
        True,
        True,
    )
    assert list(saved.events.values_list("pk", "author", "text")) == [(event.pk, office_user.pk, "")]


# -- Recording one case -------------------------------------------------------------------------


def new_case(at_team, **changes) -> Case:
    sub = SubCategoryFactory()
    values = {
        "village": at_team.village,
        "team": at_team,
        "raised_on": datetime.date(2015, 1, 8),
        "category": sub.category,
        "subcategory": sub,
        "title": "水渠年久失修",
    }
    return Case(**(values | changes))


def test_register_case_takes_seven_queries(town, office_user):
    NumberSequence.objects.create(town=home_town(), year=2015, last=8)
    case = new_case(town)

    with CaptureQueriesContext(connection) as queries:
        workflow.register_case(case=case, by=office_user, text="入户走访收集")

    # the village's residents' names (the public-text check, cases/privacy.py), savepoint, lock the
    # year's sequence, move it on, the case, its first event, release
    assert len(queries) == 7, [q["sql"] for q in queries]
    assert (case.number, case.events.get().text) == ("SH-2015-0009", "入户走访收集")


def test_register_case_refuses_a_bad_case_before_taking_a_number(town, office_user):
    NumberSequence.objects.create(town=home_town(), year=2015, last=8)
    case = new_case(town, title="", subcategory=SubCategoryFactory())

    with pytest.raises(Exception) as refused:
        workflow.register_case(case=case, by=office_user)

    assert refused.value.message_dict == {"title": ["此字段不能为空。"], "subcategory": ["所选小类不属于所选大类。"]}
    assert (Case.objects.count(), NumberSequence.objects.get().last) == (0, 8)


def test_register_case_still_checks_a_related_object_given_by_id(town, office_user):
    case = new_case(town, team=None)
    case.team_id = 999_999

    with pytest.raises(Exception) as refused:
        workflow.register_case(case=case, by=office_user)

    assert list(refused.value.message_dict) == ["team"]
