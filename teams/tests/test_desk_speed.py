"""The home pages (/triage/, /my-team/) read the tally and small indexed sets, not every case: their
figures stay right and their queries stay as many, however many cases the ledger holds."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import workflow
from cases.models import Case
from cases.tests.factories import CaseFactory
from cases.tests.plans import plan_with_only
from teams.tests.factories import VisitFactory

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _figures(page: str) -> dict[str, int]:
    """The figures at the top of a home page: {label: number}."""
    return {label: int(n) for label, n in re.findall(r"<dt>(?:<a [^>]*>)?([^<]+)(?:</a>)?</dt><dd>(\d+)</dd>", page)}


def _ledger(team) -> list[Case]:
    """One case of each kind the figures tell apart, all the team's."""
    return [
        CaseFactory(team=team, title="已登记无期限"),  # open, registered, no due date
        CaseFactory(team=team, status=Case.Status.IN_PROGRESS, due_on=TODAY - DAY),  # overdue
        CaseFactory(team=team, status=Case.Status.IN_PROGRESS, due_on=TODAY - 30 * DAY),  # overdue
        CaseFactory(team=team, status=Case.Status.IN_PROGRESS, due_on=TODAY),  # due today: not overdue yet
        CaseFactory(team=team, status=Case.Status.IN_PROGRESS, due_on=TODAY + 9 * DAY),  # not overdue
        CaseFactory(team=team, closed=True, due_on=TODAY - 60 * DAY),  # closed late: not overdue; awaiting feedback
        CaseFactory(team=team, closed=True),  # awaiting feedback
        CaseFactory(team=team, closed=True, fed_back_on=datetime.date(2015, 1, 25)),  # told
        # An open case carrying a feedback date (an import or the admin can leave one): not awaiting.
        CaseFactory(team=team, status=Case.Status.IN_PROGRESS, fed_back_on=datetime.date(2015, 1, 25)),
    ]


def test_triage_figures_count_the_whole_town(office_client, team, other_team):
    _ledger(team)
    _ledger(other_team)

    page = office_client.get("/triage/").content.decode()

    assert _figures(page) == {"待分办": 2, "已逾期": 4, "办结未反馈": 4, "热线工单待签收": 0}


def test_my_team_figures_count_the_team_only(cadre_client, team, other_team):
    _ledger(team)
    _ledger(other_team)
    CaseFactory(team=other_team, status=Case.Status.IN_PROGRESS, due_on=TODAY - DAY)

    page = cadre_client.get("/my-team/").content.decode()

    # Open: registered, 2 overdue, due today, due later, open with a feedback date.
    assert _figures(page) == {"未办结": 6, "已逾期": 2, "办结未反馈": 2}


def test_triage_figures_follow_the_workflow(office_client, office_user, team):
    cases = _ledger(team)
    before = _figures(office_client.get("/triage/").content.decode())

    workflow.close(case=cases[1], closure=Case.Closure.SOLVED, result="已修好", closed_on=TODAY, by=office_user)
    closed = _figures(office_client.get("/triage/").content.decode())
    workflow.record_feedback(
        case=cases[6], given_on=TODAY, channel="phone", given_by=None, satisfaction="", notes="", by=office_user
    )
    told = _figures(office_client.get("/triage/").content.decode())

    assert [before, closed, told] == [
        {"待分办": 1, "已逾期": 2, "办结未反馈": 2, "热线工单待签收": 0},
        {"待分办": 1, "已逾期": 1, "办结未反馈": 3, "热线工单待签收": 0},
        {"待分办": 1, "已逾期": 1, "办结未反馈": 2, "热线工单待签收": 0},
    ]


def test_my_team_lists_the_five_newest_visits(cadre_client, team):
    dates = [datetime.date(2015, 1, 8) + week * 7 * DAY for week in range(7)]
    for day in dates:
        VisitFactory(team=team, date=day)

    page = cadre_client.get("/my-team/").content.decode()

    shown = re.findall(r'<a href="/visits/\d+/"><time datetime="(\d{4}-\d\d-\d\d)">', page)
    assert shown == [f"{day:%Y-%m-%d}" for day in reversed(dates[2:])]


def _many(team, n: int, first: int = 0) -> None:
    """N cases of every kind (more than a page of each list with N > 20), and N visits from week FIRST."""
    for i in range(first, first + n):
        CaseFactory(team=team, raised_on=datetime.date(2015, 1, 1) + i * DAY)
        CaseFactory(team=team, status=Case.Status.IN_PROGRESS, due_on=TODAY - (i + 1) * DAY)
        CaseFactory(team=team, status=Case.Status.IN_PROGRESS, due_on=TODAY + (i + 1) * DAY)
        CaseFactory(team=team, closed=True)
        CaseFactory(team=team, closed=True, fed_back_on=datetime.date(2015, 1, 25))
        VisitFactory(team=team, date=datetime.date(2015, 1, 8) + i * 7 * DAY)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(("persona", "url"), [("office_client", "/triage/"), ("cadre_client", "/my-team/")])
def test_home_page_queries_do_not_grow_with_the_ledger(request, persona, url, team):
    client = request.getfixturevalue(persona)
    _many(team, 1)
    few = _queries(client, url)
    _many(team, 30, first=1)

    many = _queries(client, url)

    assert (few, many) == ({"/triage/": 9, "/my-team/": 10}[url],) * 2


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
@pytest.mark.parametrize(("persona", "url"), [("office_client", "/triage/"), ("cadre_client", "/my-team/")])
def test_home_page_queries_search_the_cases_never_scan_them(request, persona, url, team):
    """Every read of cases_case and of the tally goes through an index to the rows it wants (SEARCH),
    never along the whole table or a whole index of it (SCAN): what grows with the ledger is the
    tally's months, and the tally holds every town's and team's rows (the team's are found by
    reports_casetally_team, the town's by reports_casetally_town)."""
    client = request.getfixturevalue(persona)
    _many(team, 3)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)

    scans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
            plans = [row[3] for row in cursor.fetchall()]
            scans += [plan for plan in plans if re.match(r"SCAN (cases_case|reports_casetally|U\d+)\b", plan)]

    assert scans == []


def _numbers_in(page: str, section: str) -> list[str]:
    """The case numbers listed in the home page's SECTION (its heading's id)."""
    block = re.search(rf'<section aria-labelledby="{section}">(.*?)</section>', page, re.S)
    return re.findall(r'class="number"[^>]*>([^<]+)<', block.group(1)) if block else []


def test_my_team_lists_no_case_both_as_overdue_and_as_open(cadre_client, team):
    _many(team, 25)  # 25 overdue (10 listed) and 50 open not overdue (3 pages of 20)
    first = cadre_client.get("/my-team/").content.decode()
    pages = [first] + [cadre_client.get(f"/my-team/?page={n}").content.decode() for n in (2, 3)]

    overdue = _numbers_in(first, "overdue")
    listed_open = [number for page in pages for number in _numbers_in(page, "open")]

    open_cases = Case.objects.filter(team=team).exclude(status=Case.Status.CLOSED)
    assert len(overdue) == 10
    assert set(overdue) & set(listed_open) == set()
    # Every open case not overdue is listed once, and the figures above still count every open case.
    assert sorted(listed_open) == sorted(open_cases.exclude(due_on__lt=TODAY).values_list("number", flat=True))
    assert _figures(first) == {"未办结": 75, "已逾期": 25, "办结未反馈": 25}
    assert "不含已逾期的 25 个问题（见上）。" in first


# The indexes that hold the town for the town's counts of its open cases (cases/0020).
TOWN_COUNT_INDEXES = {
    "cases_case_open_town_due",
    "cases_case_open_fed_back_town",
    "cases_case_village_status_due",
    "cases_case_registered_raised",
}


def _cases_scans(sql: str) -> list[str]:
    """The plan nodes of SQL that read cases_case (PostgreSQL) when only TOWN_COUNT_INDEXES (and the
    unique ones) are there to choose from. A covering index gives an Index Only Scan; one without the
    town, an Index Scan that reads each row to check it."""
    plan = plan_with_only(sql, TOWN_COUNT_INDEXES)
    return [line.strip().removeprefix("->").strip() for line in plan if re.search(r"Scan.* on cases_case\b", line)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plans")
@pytest.mark.parametrize("url", ["/triage/", "/cases/?status=in_progress&village={village}"])
def test_the_towns_counts_are_read_from_indexes_alone(office_client, team, other_team, url):
    """Every count of the town's cases on the office's home page and case list can be answered from an
    index alone (TOWN_COUNT_INDEXES hold the town, leading or INCLUDEd), so no case's row is read to
    check its town. Without it, a million-case ledger's open cases were read one by one: /triage/
    100 ms, the case list 84 ms."""
    _many(team, 3)
    _many(other_team, 3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    with CaptureQueriesContext(connection) as queries:
        assert office_client.get(url.format(village=team.village_id)).status_code == 200

    counts = [query["sql"] for query in queries.captured_queries if "COUNT(*)" in query["sql"]]
    scans = [scan for sql in counts for scan in _cases_scans(sql)]

    assert len(counts) >= 2 and scans
    assert [scan for scan in scans if not scan.startswith("Index Only Scan")] == []
