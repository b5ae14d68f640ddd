"""Messy ledgers as township offices write them (cases/tests/ledger_gen.py) through the import
(cases/ledger.py): every count, field, figure and public word against the generator's truth.

Issue 10 ("Real ledgers in"): names as offices write them, duplicates by ledger number or by
village/date/content/name/phone, imported open cases with a due date and a dated history, private
by default, nothing private on the notice board."""

import datetime
import io
import math
import re
from collections import Counter
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from cases.deadlines import due_date
from cases.ledger import import_ledger, read_ledger
from cases.models import Case, CaseEvent, Category, SubCategory
from cases.tests.ledger_gen import DEFECTS, Ledger, demo_reference, make_ledger, write_csv, write_xlsx
from teams.models import Cadre
from teams.tests.factories import UserFactory
from villages.models import Village

# -- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def empty_cache():
    """The notice board is cached: every test starts without a page from another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def town(db):
    """The demo's villages, teams, cadres and categories (and its 142 cases)."""
    call_command("load_demo", stdout=io.StringIO())
    names = Counter(Cadre.objects.values_list("name", flat=True))
    return SimpleNamespace(
        ref=demo_reference(),
        cadres=sorted(name for name, n in names.items() if n == 1),
        villages={v.code: v for v in Village.objects.all()},
        categories={c.code: c for c in Category.objects.all()},
        subs={s.code: s for s in SubCategory.objects.all()},
    )


@pytest.fixture
def office(db):
    return UserFactory(role="office", username="office_li")


def ledger(town, n, seed, **kwargs) -> Ledger:
    return make_ledger(n, seed, cadres=town.cadres, **kwargs)


def by_seq(plan) -> dict:
    return {int(row.seq): row for row in plan.rows}


def target(town, kind: str, truth):
    if kind == "village":
        return town.villages[truth.village]
    if kind == "category":
        return town.categories[truth.category]
    return town.subs[truth.subcategory]


def choose_names(plan, ledger_: Ledger, town, user) -> int:
    """The office's one round of choices: each unresolved name matched to what the row means."""
    from cases.names import save_alias

    rows, chosen = ledger_.by_seq(), set()
    for seq, row in by_seq(plan).items():
        for item in row.unresolved:
            if (item.kind, item.text) not in chosen:
                save_alias(kind=item.kind, text=item.text, target=target(town, item.kind, rows[seq].truth), by=user)
                chosen.add((item.kind, item.text))
    return len(chosen)


def digits(text) -> str:
    return "".join(ch for ch in str(text or "") if ch.isdigit())


def case_facts(case: Case) -> tuple:
    return (
        case.village.code,
        case.raised_on,
        case.resident_name,
        digits(case.resident_phone),
        case.category.code if case.category else None,
        case.subcategory.code if case.subcategory else None,
        case.status,
        case.closure,
        case.closed_on,
        case.kind,
    )


def truth_facts(t) -> tuple:
    status = Case.Status.CLOSED if t.closure else Case.Status.REGISTERED
    return (
        t.village,
        t.raised_on,
        t.resident_name,
        t.phone_digits,
        t.category,
        t.subcategory,
        status,
        t.closure,
        t.closed_on,
        t.kind,
    )


def mismatch(expected: list, found: list) -> tuple[list, list]:
    """(expected but not found, found but not expected), as sorted lists: both empty when equal."""
    e, f = Counter(expected), Counter(found)
    return sorted((e - f).elements(), key=repr), sorted((f - e).elements(), key=repr)


def imported(before: set) -> list[Case]:
    return list(Case.objects.exclude(pk__in=before).select_related("village", "category", "subcategory", "responsible"))


# -- The generator -------------------------------------------------------------------------------

CADRES = ["甲干部", "乙干部", "丙干部"]


def long_name(name):
    return f"反映人过长：{len(name)}"


def test_generator_same_seed_same_ledger():
    first = make_ledger(300, 7, cadres=CADRES, long_name_message=long_name)
    second = make_ledger(300, 7, cadres=CADRES, long_name_message=long_name)

    assert [(r.seq, r.cells, r.truth) for r in first.rows] == [(r.seq, r.cells, r.truth) for r in second.rows]


def test_generator_other_seed_other_ledger():
    first = make_ledger(300, 7, cadres=CADRES, long_name_message=long_name)
    second = make_ledger(300, 8, cadres=CADRES, long_name_message=long_name)

    assert [r.cells for r in first.rows] != [r.cells for r in second.rows]


def test_generator_counts_follow_the_shares():
    book = make_ledger(300, 3, cadres=CADRES, long_name_message=long_name)

    assert (len(book.rows), len(book.bad), len(book.unresolved), len(book.repeats)) == (300, 24, 12, 15)
    assert sorted({r.defect for r in book.bad}) == sorted(DEFECTS)
    assert sorted({k for r in book.unresolved for k, _t in r.truth.unresolved}) == [
        "category",
        "subcategory",
        "village",
    ]
    assert [r.seq for r in book.rows] == list(range(1, 301))


def test_generator_repeats_name_an_earlier_row_with_the_same_truth():
    book = make_ledger(300, 3, cadres=CADRES, long_name_message=long_name)
    rows = book.by_seq()

    pairs = [(r.seq, rows[r.truth.duplicate_of]) for r in book.repeats]

    assert [seq > first.seq for seq, first in pairs] == [True] * len(pairs)
    assert [rows[seq].truth.resident_name == first.truth.resident_name for seq, first in pairs] == [True] * len(pairs)
    assert [rows[seq].truth.content == first.truth.content for seq, first in pairs] == [True] * len(pairs)


def test_generator_board_text_holds_nothing_private():
    book = make_ledger(2000, 11, cadres=CADRES, long_name_message=long_name)
    secrets = {s for r in book.rows for s in r.truth.private} | set(book.resident_names)

    leaks = [(r.seq, s) for r in book.rows for s in secrets if s in r.truth.board_text or s in r.truth.title]

    assert leaks == []
    assert sum(1 for r in book.rows if r.truth.private) > 400


def test_generator_xlsx_holds_every_row_by_village(tmp_path):
    from openpyxl import load_workbook

    book = make_ledger(120, 5, cadres=CADRES, long_name_message=long_name)
    path = write_xlsx(book, tmp_path / "台账.xlsx", sheets_by="village", hidden_rows=2)

    workbook = load_workbook(path)
    seqs, hidden = [], []
    for sheet in workbook.worksheets:
        for number, row in enumerate(sheet.iter_rows(min_row=5, values_only=True), start=5):
            if isinstance(row[0], int):
                (hidden if sheet.row_dimensions[number].hidden else seqs).append(row[0])

    assert sorted(seqs) == list(range(1, 121))
    assert sorted(hidden) == list(range(9001, 9001 + 2 * len(workbook.worksheets)))
    assert sheet["A1"].value.startswith("三合镇驻点普遍直接联系群众问题台账")


def test_generator_gbk_csv_reads_back(tmp_path):
    import csv

    book = make_ledger(80, 5, cadres=CADRES, formats="csv", long_name_message=long_name)
    path = write_csv(book, tmp_path / "台账.csv", encoding="gbk")

    with open(path, encoding="gbk", newline="") as f:
        rows = list(csv.reader(f))

    assert rows[0] == list(book.headers.values())
    assert [r[0] for r in rows[1:-1]] == [str(r.seq) for r in book.rows]


# -- Reading: the preview ------------------------------------------------------------------------


@pytest.fixture
def book300(town, tmp_path):
    book = ledger(town, 300, 2015)
    path = write_xlsx(book, tmp_path / "三合镇问题台账.xlsx")
    return SimpleNamespace(book=book, path=path)


def test_ledger300_preview_counts(book300):
    plan = read_ledger(book300.path)
    book = book300.book

    found = (
        len(plan.rows),
        sum(1 for r in plan.rows if r.problems),
        sum(1 for r in plan.rows if r.unresolved and not r.problems),
        len(plan.skipped),
        len(plan.to_import),
    )

    assert found == (300, len(book.bad), len(book.unresolved), len(book.repeats), len(book.new))


def test_ledger300_preview_problems_are_the_exact_messages(book300):
    plan = read_ledger(book300.path)

    found = {seq: row.problems for seq, row in by_seq(plan).items() if row.problems}

    assert found == {r.seq: [r.truth.problem] for r in book300.book.bad}


def test_ledger300_preview_lists_unresolved_names(book300):
    plan = read_ledger(book300.path)
    rows = by_seq(plan)

    found = {seq: [(u.kind, u.text) for u in row.unresolved] for seq, row in rows.items() if row.unresolved}

    assert found == {r.seq: list(r.truth.unresolved) for r in book300.book.unresolved}


def test_ledger300_preview_unresolved_names_come_with_candidates(book300):
    rows = by_seq(read_ledger(book300.path))

    without_candidates = sorted({(u.kind, u.text) for row in rows.values() for u in row.unresolved if not u.candidates})

    assert without_candidates == []


def test_ledger300_preview_unclassified_only_for_an_empty_category_cell(book300):
    plan = read_ledger(book300.path)
    rows = by_seq(plan)

    truth = book300.book.by_seq()
    unclassified = sorted(
        seq
        for seq, r in rows.items()
        if r.values.get("category") is None and not r.unresolved and not truth[seq].truth.problem
    )
    expected = sorted(
        r.seq for r in book300.book.rows if r.truth.category is None and not r.truth.unresolved and not r.truth.problem
    )
    empty_cells = sorted(r.seq for r in book300.book.rows if not r.cells["category"] and not r.cells["subcategory"])

    assert unclassified == expected
    assert set(expected) <= set(empty_cells)


def test_ledger300_preview_reads_names_as_offices_write_them(book300):
    plan = read_ledger(book300.path)
    rows = by_seq(plan)
    good = [r for r in book300.book.rows if not r.truth.problem and not r.truth.unresolved]

    def codes(row):
        v = row.values
        return (
            v["village"].code if v.get("village") else None,
            v["category"].code if v.get("category") else None,
            v["subcategory"].code if v.get("subcategory") else None,
            v.get("raised_on"),
        )

    found = {r.seq: codes(rows[r.seq]) for r in good}
    expected = {r.seq: (r.truth.village, r.truth.category, r.truth.subcategory, r.truth.raised_on) for r in good}

    assert {s: (found[s], book300.book.by_seq()[s].cells) for s in found if found[s] != expected[s]} == {}


def test_ledger300_preview_board_text_is_what_the_generator_says(book300):
    plan = read_ledger(book300.path)
    rows = by_seq(plan)
    good = [r for r in book300.book.rows if not r.truth.problem and not r.truth.unresolved]

    wrong = {
        r.seq: (rows[r.seq].board_text, r.truth.board_text)
        for r in good
        if rows[r.seq].board_text != r.truth.board_text
    }

    assert wrong == {}


# -- Importing -----------------------------------------------------------------------------------


def test_ledger300_first_try_imports_every_clean_row(book300, office):
    book = book300.book
    plan = read_ledger(book300.path)

    result = import_ledger(plan, by=office, only_clean=True)

    assert (len(result.created), result.skipped, result.refused) == (
        len(book.new),
        len(book.repeats),
        len(book.bad) + len(book.unresolved),
    )


def test_ledger300_after_one_round_of_choices_imports_whole(book300, town, office):
    book = book300.book
    before = set(Case.objects.values_list("pk", flat=True))
    chosen = choose_names(read_ledger(book300.path), book, town, office)
    plan = read_ledger(book300.path)

    result = import_ledger(plan, by=office, only_clean=True)

    assert chosen == len({u for r in book.unresolved for u in r.truth.unresolved})
    assert (len(result.created), result.skipped, result.refused) == (
        len(book.new_after_aliases),
        len(book.repeats),
        len(book.bad),
    )
    assert mismatch(
        [truth_facts(r.truth) for r in book.new_after_aliases], [case_facts(c) for c in imported(before)]
    ) == (
        [],
        [],
    )


@pytest.fixture
def imported300(book300, town, office):
    """The 300-row ledger imported after the office's one round of choices."""
    before = set(Case.objects.values_list("pk", flat=True))
    choose_names(read_ledger(book300.path), book300.book, town, office)
    import_ledger(read_ledger(book300.path), by=office, only_clean=True)
    return SimpleNamespace(book=book300.book, path=book300.path, cases=imported(before), before=before)


def test_ledger300_import_fields_are_the_truth(imported300):
    expected = [truth_facts(r.truth) for r in imported300.book.new_after_aliases]

    assert mismatch(expected, [case_facts(c) for c in imported300.cases]) == ([], [])


def test_ledger300_open_cases_get_the_derived_due_date(imported300):
    open_rows = [r.truth for r in imported300.book.new_after_aliases if not r.truth.closure]
    expected = [
        (t.resident_name, t.phone_digits, t.raised_on, due_date(t.raised_on, t.kind)[0], True) for t in open_rows
    ]

    found = [
        (c.resident_name, digits(c.resident_phone), c.raised_on, c.due_on, getattr(c, "due_derived", None))
        for c in imported300.cases
        if not c.is_closed
    ]

    assert mismatch(expected, found) == ([], [])


def test_ledger300_private_cases_are_not_posted_and_titles_are_stripped(imported300):
    expected = [
        (t.resident_name, t.phone_digits, t.raised_on, t.title, not t.sensitive)
        for t in (r.truth for r in imported300.book.new_after_aliases)
    ]

    found = [
        (c.resident_name, digits(c.resident_phone), c.raised_on, c.title, c.public_posting) for c in imported300.cases
    ]

    assert mismatch(expected, found) == ([], [])


def test_ledger300_import_keeps_the_responsible_cadre(imported300):
    expected = [
        (r.truth.resident_name, r.truth.phone_digits, r.truth.closure, r.truth.responsible)
        for r in imported300.book.new_after_aliases
    ]

    found = [
        (c.resident_name, digits(c.resident_phone), c.closure, c.responsible.name if c.responsible else None)
        for c in imported300.cases
    ]

    assert mismatch(expected, found) == ([], [])


def test_ledger300_category_figures_are_the_truth(imported300):
    found = Counter(c.category.code if c.category else None for c in imported300.cases)

    assert found == imported300.book.category_counts(imported300.book.new_after_aliases)


def test_ledger300_first_history_line_names_file_row_user_and_date(imported300, office):
    today = timezone.localdate()
    problems = []
    for case in imported300.cases:
        first = CaseEvent.objects.filter(case=case).order_by("at", "id").first()
        line = first.shown_text
        row = re.search(r"第 (\d+) 行", line)
        missing = [
            what
            for what, ok in (
                ("raised date", timezone.localdate(first.at) == case.raised_on),
                ("file", imported300.path.name in line),
                ("row", row is not None and f"第 {row.group(1)} 行" in case.description),
                ("user", office.username in line),
                ("import date", today.isoformat() in line),
            )
            if not ok
        ]
        if missing:
            problems.append((case.number, missing, first.at, line))

    assert problems == []


def board_pages(client, village: Village) -> str:
    count = Case.objects.filter(village=village).count()
    pages = []
    for page in range(1, math.ceil(count / 20) + 1):
        response = client.get(f"/notice/{village.code}/", {"page": page})
        assert response.status_code == 200
        pages.append(response.content.decode())
    return "\n".join(pages)


def test_ledger300_notice_boards_show_nothing_private(imported300, client):
    book = imported300.book
    secrets = set(book.resident_names)
    for row in book.rows:
        t = row.truth
        secrets |= {*t.private, t.address}
        if t.phone:
            secrets |= {t.phone, t.phone_digits, str(row.cells["resident_phone"])}
    html = {code: board_pages(client, Village.objects.get(code=code)) for code in {r.truth.village for r in book.rows}}
    titles_shown = sum(1 for c in imported300.cases if c.public_posting and c.title in html[c.village.code])

    leaks = sorted((code, s) for code, page in html.items() for s in secrets if s and s in page)

    assert leaks == []
    assert titles_shown == sum(1 for c in imported300.cases if c.public_posting)


# -- Duplicates ----------------------------------------------------------------------------------


def small(town, seed, **kwargs) -> Ledger:
    options = dict(bad=0, unresolved=0, repeats=0.1, near_repeats=0.1, private=0.2)
    return ledger(town, 60, seed, **{**options, **kwargs})


def test_duplicates_same_ledger_number_is_one_case(town, tmp_path, office):
    book = small(town, 21, numbered=1.0, near_repeats=0)
    plan = read_ledger(write_xlsx(book, tmp_path / "编号台账.xlsx"))

    result = import_ledger(plan, by=office)

    assert sorted(int(r.seq) for r in plan.skipped) == sorted(r.seq for r in book.repeats)
    assert (len(result.created), result.skipped) == (54, 6)


def test_duplicates_same_village_date_content_name_phone_is_one_case(town, tmp_path, office):
    book = small(town, 22, numbered=0.0, near_repeats=0)
    plan = read_ledger(write_xlsx(book, tmp_path / "无编号台账.xlsx"))

    result = import_ledger(plan, by=office)

    assert sorted(int(r.seq) for r in plan.skipped) == sorted(r.seq for r in book.repeats)
    assert (len(result.created), result.skipped) == (54, 6)


def test_near_duplicates_with_another_phone_are_two_cases(town, tmp_path, office):
    book = small(town, 23, numbered=0.0, repeats=0)
    plan = read_ledger(write_xlsx(book, tmp_path / "电话不同.xlsx"))
    near = [r for r in book.rows if r.truth.near_duplicate_of]

    result = import_ledger(plan, by=office)

    assert [r.seq for r in near if by_seq(plan)[r.seq].skip] == []
    assert (len(near), len(result.created), result.skipped) == (6, 60, 0)


def test_near_duplicates_with_another_ledger_number_are_two_cases(town, tmp_path, office):
    book = small(town, 24, numbered=1.0, repeats=0)
    plan = read_ledger(write_xlsx(book, tmp_path / "编号不同.xlsx"))

    result = import_ledger(plan, by=office)

    assert (len(result.created), result.skipped) == (60, 0)


def test_reimport_command_adds_nothing_and_succeeds(town, tmp_path):
    book = small(town, 25)
    path = write_xlsx(book, tmp_path / "再次导入.xlsx")
    call_command("import_ledger", str(path), stdout=io.StringIO())
    count = Case.objects.count()
    out = io.StringIO()

    call_command("import_ledger", str(path), stdout=out)

    assert Case.objects.count() == count
    assert re.findall(r"\d+", out.getvalue().splitlines()[-1]) == ["0", "60", "0"]  # new, skipped, refused


def test_reimport_only_clean_with_refused_rows_succeeds(town, tmp_path):
    """A file already in, some of whose rows were refused: running it again adds nothing and is no error."""
    book = ledger(town, 60, 26, bad=0.1, unresolved=0, repeats=0, near_repeats=0)
    path = write_xlsx(book, tmp_path / "部分有问题.xlsx")
    call_command("import_ledger", str(path), "--only-clean", stdout=io.StringIO())
    count = Case.objects.count()
    out = io.StringIO()

    call_command("import_ledger", str(path), "--only-clean", stdout=out)

    assert Case.objects.count() == count
    assert re.findall(r"\d+", out.getvalue().splitlines()[-1]) == ["0", "54", "6"]  # new, skipped, refused


def test_refused_row_fixed_imports_on_the_next_run(town, tmp_path, office):
    book = ledger(town, 100, 27, unresolved=0, bad=0.15)
    import_ledger(read_ledger(write_xlsx(book, tmp_path / "第一次.xlsx")), by=office, only_clean=True)
    fixed = book.fixed()

    result = import_ledger(read_ledger(write_xlsx(fixed, tmp_path / "改正后.xlsx")), by=office, only_clean=True)

    assert (len(result.created), result.skipped, result.refused) == (
        len(book.bad),
        len(book.new) + len(book.repeats),
        0,
    )


# -- Aliases -------------------------------------------------------------------------------------


def test_alias_saved_then_the_name_resolves_in_later_imports(town, tmp_path, office):
    from cases.models import NameAlias
    from cases.names import save_alias

    book = ledger(town, 60, 28, bad=0, unresolved=0, repeats=0, near_repeats=0)
    row = next(r for r in book.rows if r.truth.category == "07" or r.truth.category == "06")
    row.cells.update(category="乱七八糟类", subcategory="")
    path = write_xlsx(book, tmp_path / "别名.xlsx")
    before = [(u.kind, u.text) for u in by_seq(read_ledger(path))[row.seq].unresolved]

    save_alias(kind="category", text="乱七八糟类", target=town.categories[row.truth.category], by=office)
    again = by_seq(read_ledger(path))[row.seq]
    other = ledger(town, 30, 29, bad=0, unresolved=0, repeats=0, near_repeats=0)
    other.rows[0].cells.update(category="乱七八糟 类 ", subcategory="")
    later = by_seq(read_ledger(write_xlsx(other, tmp_path / "后来的.xlsx")))[1]

    assert before == [("category", "乱七八糟类")]
    assert (again.unresolved, again.values["category"].code) == ([], row.truth.category)
    assert (later.unresolved, later.values["category"].code) == ([], row.truth.category)
    assert NameAlias.objects.count() == 1


# -- Files as offices save them ------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "gb18030"])
def test_csv_ledger_imports_every_clean_row(town, tmp_path, office, encoding):
    book = ledger(town, 120, 30, formats="csv")
    path = write_csv(book, tmp_path / f"台账-{encoding}.csv", encoding=encoding, title_row=True)
    before = set(Case.objects.values_list("pk", flat=True))

    plan = read_ledger(path)
    result = import_ledger(plan, by=office, only_clean=True)

    assert plan.problems == []
    assert (len(plan.rows), len(result.created), result.skipped) == (120, len(book.new), len(book.repeats))
    assert mismatch([truth_facts(r.truth) for r in book.new], [case_facts(c) for c in imported(before)]) == ([], [])


@pytest.mark.parametrize("sheets_by", ["village", "month"])
def test_multisheet_xlsx_with_title_hidden_rows_and_column_imports_every_row(town, tmp_path, office, sheets_by):
    book = ledger(town, 200, 31)
    path = write_xlsx(
        book, tmp_path / "分表台账.xlsx", sheets_by=sheets_by, hidden_rows=2, hidden_column=True, blank_sheet_first=True
    )
    before = set(Case.objects.values_list("pk", flat=True))

    plan = read_ledger(path)
    result = import_ledger(plan, by=office, only_clean=True)

    assert plan.problems == []
    assert sorted(int(r.seq) for r in plan.rows) == list(range(1, 201))
    assert (len(result.created), result.skipped) == (len(book.new), len(book.repeats))
    assert mismatch([truth_facts(r.truth) for r in book.new], [case_facts(c) for c in imported(before)]) == ([], [])


# -- The big one ---------------------------------------------------------------------------------


def test_ledger2000_whole_after_one_round_of_choices(town, tmp_path, office):
    book = ledger(town, 2000, 2000)
    path = write_xlsx(book, tmp_path / "两千行台账.xlsx", sheets_by="month")
    before = set(Case.objects.values_list("pk", flat=True))
    choose_names(read_ledger(path), book, town, office)

    plan = read_ledger(path)
    result = import_ledger(plan, by=office, only_clean=True)
    cases = imported(before)

    assert (len(result.created), result.skipped, result.refused) == (
        len(book.new_after_aliases),
        len(book.repeats),
        len(book.bad),
    )
    assert mismatch([truth_facts(r.truth) for r in book.new_after_aliases], [case_facts(c) for c in cases]) == ([], [])
    assert Counter(c.category.code if c.category else None for c in cases) == book.category_counts(
        book.new_after_aliases
    )
    assert mismatch(
        [(r.truth.title, not r.truth.sensitive) for r in book.new_after_aliases],
        [(c.title, c.public_posting) for c in cases],
    ) == ([], [])


def test_ledger2000_second_import_adds_nothing(town, tmp_path, office):
    book = ledger(town, 2000, 2001)
    path = write_xlsx(book, tmp_path / "两千行台账.xlsx")
    import_ledger(read_ledger(path), by=office, only_clean=True)

    result = import_ledger(read_ledger(path), by=office, only_clean=True)

    assert (len(result.created), result.skipped) == (0, len(book.new) + len(book.repeats))


def test_imported_history_is_dated_by_the_ledger(town, tmp_path, office):
    book = ledger(town, 30, 32, bad=0, unresolved=0, repeats=0, near_repeats=0)
    path = write_xlsx(book, tmp_path / "历史.xlsx")

    import_ledger(read_ledger(path), by=office)
    firsts = {
        e.case.resident_name + digits(e.case.resident_phone): timezone.localdate(e.at)
        for e in CaseEvent.objects.filter(case__ledger_key__gt="").select_related("case").order_by("-at", "-id")
    }

    assert firsts == {r.truth.resident_name + r.truth.phone_digits: r.truth.raised_on for r in book.rows}
    assert datetime.date(2014, 9, 1) <= min(firsts.values())
