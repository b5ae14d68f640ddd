"""The recount of the tally (cases.tally.rebuild: after a flush, by repair_schema) writes only the rows that
differ from a fresh count, so that a tally the triggers kept right is left as it is (on PostgreSQL,
rewriting every row at each migrate bloated the table); and the counts a month's dashboard takes
from the tally alone (a month's last day) or from merged ranges agree with a count of every case."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cases.models import Case, CaseTally
from cases.tally import rebuild
from reports import tally
from reports.analysis import FINE, Period, count_cases, ledger_as_of
from reports.tests.test_tally import _nonzero, periods, random_ledger, reference  # noqa: F401 - random_ledger is a fixture

COUNTS = ["raised", "raised_closed", "closed", "fed_back", "due_passed", "closed_due_passed"]
KEY = ["month", "village_id", "team_id", "category_id", "subcategory_id"]


def rows_with_ids() -> list:
    """The tally's counting rows, each with its id: a row deleted and inserted again gets a new one."""
    return sorted(row for row in CaseTally.objects.values_list("id", *KEY, *COUNTS) if any(row[len(KEY) + 1 :]))


def counted_rows() -> list:
    return sorted(row[1:] for row in rows_with_ids())


def row_versions() -> dict:
    """{id: ctid} on PostgreSQL: an UPDATE, even to the same values, writes a new version elsewhere."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, ctid::text FROM reports_casetally")
        return dict(cursor.fetchall())


@pytest.mark.usefixtures("random_ledger")
def test_rebuild_leaves_a_right_tally_as_it_is():
    kept = rows_with_ids()

    rebuild()

    assert rows_with_ids() == kept


@pytest.mark.usefixtures("random_ledger")
def test_rebuild_writes_no_row_of_a_right_tally_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row versions are PostgreSQL's")
    rebuild()  # the rows the triggers left at 0 go; then nothing is left to change
    versions = row_versions()

    rebuild()

    assert row_versions() == versions


@pytest.mark.usefixtures("random_ledger")
def test_rebuild_repairs_a_wrong_row_a_missing_row_and_a_stray_row():
    kept = counted_rows()
    wrong, missing = CaseTally.objects.filter(raised__gt=0).order_by("id")[:2]
    CaseTally.objects.filter(pk=wrong.pk).update(raised=wrong.raised + 5, closed=wrong.closed + 1)
    CaseTally.objects.filter(pk=missing.pk).delete()
    stray = CaseTally.objects.create(
        month=datetime.date(1999, 1, 1), town_id=wrong.town_id, village_id=wrong.village_id, raised=3
    )

    rebuild()

    assert counted_rows() == kept
    assert not CaseTally.objects.filter(pk=stray.pk).exists()


@pytest.mark.usefixtures("random_ledger")
def test_repair_schema_leaves_a_right_tally_as_it_is():
    kept = rows_with_ids()

    call_command("repair_schema", stdout=io.StringIO())

    assert rows_with_ids() == kept


@pytest.mark.usefixtures("random_ledger")
def test_repair_schema_repairs_a_wrong_tally():
    kept = counted_rows()
    CaseTally.objects.filter(raised__gt=0).update(raised=0)

    call_command("repair_schema", stdout=io.StringIO())

    assert counted_rows() == kept


def months_of_ledger() -> list[Period]:
    first = Case.objects.order_by("raised_on").values_list("raised_on", flat=True).first()
    last = Case.objects.order_by("-raised_on").values_list("raised_on", flat=True).first()
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(Period.month(day.year, day.month))
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return found


@pytest.mark.usefixtures("random_ledger")
def test_every_month_by_the_dashboards_grouping_equals_count_over_every_case():
    """Whole past months take their counts to date from the tally alone; the month running today
    has its days live. Both, by village, team, category and sub-category, as the dashboard counts."""
    months = months_of_ledger()
    assert len(months) >= 7

    for p in months:
        assert _nonzero(count_cases({"": p}, *FINE)) == reference(p, FINE), p


def test_a_count_to_a_months_last_day_reads_the_tally_only():
    counter = tally.Counter()

    counter.to_date("raised_to_date", "raised", datetime.date(2026, 2, 28))
    counter.to_date("closed_to_date", "closed", datetime.date(2026, 2, 27))

    assert counter.tallied == {
        "raised_to_date__months": ("raised", datetime.date(2026, 3, 1)),
        "closed_to_date__months": ("closed", datetime.date(2026, 2, 1)),
    }
    assert list(counter.live) == ["closed_to_date__days"]


def test_ranges_of_a_column_are_merged_and_empty_ones_dropped():
    d = datetime.date
    ranges = [
        ("raised_on", d(2026, 11, 1), d(2026, 11, 30)),
        ("raised_on", d(2026, 12, 1), d(2026, 12, 31)),  # touches the one before
        ("raised_on", d(2026, 12, 3), d(2026, 12, 9)),  # within
        ("raised_on", d(2026, 12, 1), d(2026, 11, 30)),  # empty
        ("closed_on", d(2026, 10, 1), d(2026, 10, 5)),
        ("closed_on", d(2026, 10, 7), d(2026, 10, 9)),  # a day apart
    ]

    assert tally._merged(ranges) == [
        ("closed_on", d(2026, 10, 1), d(2026, 10, 5)),
        ("closed_on", d(2026, 10, 7), d(2026, 10, 9)),
        ("raised_on", d(2026, 11, 1), d(2026, 12, 31)),
    ]


def test_ranges_read_from_between_and_their_or():
    d = datetime.date
    index = tally.between("raised_on", d(2026, 1, 1), d(2026, 1, 31)) | tally.between(
        "due_on", d(2025, 12, 31), d(2026, 1, 30)
    )

    assert tally._ranges(index) == [
        ("raised_on", d(2026, 1, 1), d(2026, 1, 31)),
        ("due_on", d(2025, 12, 31), d(2026, 1, 30)),
    ]


@pytest.mark.usefixtures("random_ledger")
@pytest.mark.parametrize("which", range(len(periods(datetime.date(2026, 12, 2)))))
def test_count_cases_makes_two_queries_whatever_the_period(which, django_assert_num_queries):
    """A period over, running or not begun: the counts after a period's end that is past are left
    out and those to a month's end come from the tally alone, yet the queries stay two."""
    p = periods(timezone.localdate())[which]

    with django_assert_num_queries(2):
        count_cases({"": p, "_prev": p.previous()}, *FINE)
    with django_assert_num_queries(2):
        count_cases({"": p})


@pytest.mark.usefixtures("random_ledger")
def test_ledger_as_of_a_months_end_makes_as_many_queries_as_to_today(django_assert_num_queries):
    """To a month's last day every count to date comes from the tally and those after it are of
    nothing; the live query still runs, so the meeting pack's queries do not depend on the day."""
    today = timezone.localdate()
    with django_assert_num_queries(5):
        ledger_as_of(today)
    with django_assert_num_queries(5):
        ledger_as_of(today.replace(day=1) - datetime.timedelta(days=1))
