"""The board's version (villages.models.BoardVersion, kept by villages/board_sql.py's triggers): every
write the board shows advances it in the write's transaction, however the write is made and whatever
time the rows carry, so the board's cache key and ETag cannot go stale."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cases import schema, workflow
from cases.models import Case, CaseEvent, Category
from cases.tests.factories import CaseFactory, CategoryFactory
from cases.tests.test_schema import alter
from public.tests.helpers import add_event
from teams.tests.factories import TeamFactory
from villages import board_sql
from villages.models import BoardVersion, Village

FUTURE = datetime.timedelta(days=365)


def version(village: Village) -> int:
    return BoardVersion.objects.get(village=village).version


@pytest.fixture
def skewed(db):
    """A village whose newest case says it was written a year from now (a clock ahead, an import),
    and another case of the same village, written today."""
    team = TeamFactory()
    ahead = CaseFactory(team=team, title="路灯不亮")
    Case.objects.filter(pk=ahead.pk).update(updated_at=timezone.now() + FUTURE)
    return CaseFactory(team=team, title="水渠年久失修", raised_on=datetime.date(2015, 1, 9))


def board(client, village: Village, etag: str = ""):
    headers = {"if-none-match": etag} if etag else {}
    return client.get(reverse("board:village", args=[village.code]), headers=headers)


def test_workflow_write_behind_a_future_updated_at_changes_the_board(client, skewed):
    first = board(client, skewed.village)

    closed_on = datetime.date(2015, 1, 20)
    workflow.close(case=skewed, closure="on_the_spot", result="已清理水渠", closed_on=closed_on, by=None)

    again = board(client, skewed.village, first["ETag"])
    assert (again.status_code, "已清理水渠" in again.content.decode()) == (200, True)
    assert again["ETag"] != first["ETag"]


def test_queryset_update_behind_a_future_updated_at_changes_the_board(client, skewed):
    first = board(client, skewed.village)

    Case.objects.filter(pk=skewed.pk).update(title="水渠已列入维修计划")  # updated_at untouched

    again = board(client, skewed.village, first["ETag"])
    assert (again.status_code, "水渠已列入维修计划" in again.content.decode()) == (200, True)
    assert again["ETag"] != first["ETag"]


def test_one_statement_over_many_cases_of_a_village_advances_it_once(skewed):
    CaseFactory.create_batch(3, village=skewed.village, team=skewed.team)
    before, rows = version(skewed.village), Case.objects.filter(village=skewed.village).count()

    Case.objects.filter(village=skewed.village).update(title="统一改写")

    # PostgreSQL's statement trigger sees the rows at once and advances each village once; SQLite's
    # row trigger once a row.
    assert version(skewed.village) - before == (1 if connection.vendor == "postgresql" else rows)


def test_write_behind_a_future_updated_at_changes_the_town_board(client, skewed):
    first = client.get(reverse("board:index"))

    Case.objects.filter(pk=skewed.pk).update(status=Case.Status.IN_PROGRESS)

    again = client.get(reverse("board:index"), headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]


def test_print_board_follows_a_write_behind_a_future_updated_at(client, skewed):
    url = reverse("board:print", args=[skewed.village.code])
    first = client.get(url)

    Case.objects.filter(pk=skewed.pk).update(title="水渠已列入维修计划")

    assert "水渠已列入维修计划" in client.get(url, headers={"if-none-match": first["ETag"]}).content.decode()


def test_public_event_advances_the_version_and_private_one_does_not(skewed):
    before = version(skewed.village)

    event = add_event(skewed, "已派人查看")
    after_public = version(skewed.village)
    add_event(skewed, "内部进展", public=False)
    after_private = version(skewed.village)
    CaseEvent.objects.filter(pk=event.pk).update(public=False)  # taken off the board

    assert (after_public, after_private, version(skewed.village)) == (before + 1, before + 1, before + 2)


def test_deleted_event_and_case_advance_the_version(skewed):
    event = add_event(skewed, "已派人查看")
    before = version(skewed.village)

    event.delete()
    after_event = version(skewed.village)
    Case.objects.filter(pk=skewed.pk).delete()

    assert after_event == before + 1
    assert version(skewed.village) > after_event


def test_moving_a_case_advances_both_villages(skewed):
    other, bystander = TeamFactory().village, TeamFactory().village
    before = (version(skewed.village), version(other), version(bystander))

    Case.objects.filter(pk=skewed.pk).update(village=other, team=None)

    after = (version(skewed.village), version(other), version(bystander))
    assert after == (before[0] + 1, before[1] + 1, before[2])


def test_bulk_create_advances_the_version(skewed):
    before = version(skewed.village)

    Case.objects.bulk_create(
        [
            Case(number=f"SH-2015-9{n:03d}", village=skewed.village, raised_on=datetime.date(2015, 2, 1))
            for n in range(3)
        ]
    )

    assert version(skewed.village) > before


def test_generated_cases_advance_every_board(db):
    """generate_cases writes with COPY on PostgreSQL (bulk_create elsewhere): the triggers see it."""
    call_command("load_demo", stdout=io.StringIO())
    before = dict(BoardVersion.objects.values_list("village_id", "version"))

    out = io.StringIO()
    call_command("generate_cases", count=300, end=datetime.date(2016, 12, 31), stdout=out, stderr=io.StringIO())

    after = dict(BoardVersion.objects.values_list("village_id", "version"))
    assert "generate_cases: added 300 cases" in out.getvalue()
    assert [village for village, version in after.items() if version <= before[village]] == []


def test_village_rename_advances_its_board_only(skewed):
    other = TeamFactory().village
    before = (version(skewed.village), version(other))

    Village.objects.filter(pk=skewed.village.pk).update(short_name="新名村")

    assert (version(skewed.village), version(other)) == (before[0] + 1, before[1])


def test_category_rename_advances_every_board(skewed):
    category, other = CategoryFactory(), TeamFactory().village
    before = (version(skewed.village), version(other))

    Category.objects.filter(pk=category.pk).update(label="新的大类名")

    assert (version(skewed.village), version(other)) == (before[0] + 1, before[1] + 1)


def test_new_village_has_a_version(db):
    village = TeamFactory().village

    assert BoardVersion.objects.filter(village=village).exists()


def test_rolled_back_write_leaves_the_version_and_the_etag(client, skewed):
    first = board(client, skewed.village)
    before = version(skewed.village)

    with pytest.raises(RuntimeError), transaction.atomic():
        Case.objects.filter(pk=skewed.pk).update(title="水渠已列入维修计划")
        add_event(skewed, "已派人查看")
        assert version(skewed.village) == before + 2  # seen inside the transaction
        raise RuntimeError("rolled back")

    again = board(client, skewed.village, first["ETag"])
    assert (version(skewed.village), again.status_code) == (before, 304)


@pytest.mark.django_db(transaction=True)
def test_a_migration_that_rebuilds_the_table_keeps_the_triggers():
    """A migration's AlterField of cases_case: SQLite rebuilds the table (which fails while a trigger
    on another table names it, and loses the table's own, unless they are set aside and put back)."""
    case = CaseFactory()
    before = version(case.village)

    alter(Case, "title", max_length=121)

    assert set(board_sql.TRIGGERS) <= schema.present_names(connection)
    Case.objects.filter(pk=case.pk).update(title="水渠已列入维修计划")
    assert version(case.village) == before + 1


def test_repair_schema_puts_back_lost_triggers(skewed):
    with connection.cursor() as cursor:
        for sql in board_sql.drop_triggers(connection.vendor):
            cursor.execute(sql)
    Case.objects.filter(pk=skewed.pk).update(title="水渠已列入维修计划")
    missed = version(skewed.village)

    call_command("repair_schema", stdout=io.StringIO())

    assert set(board_sql.TRIGGERS) <= schema.present_names(connection)
    assert version(skewed.village) > missed  # every board advanced for what the triggers missed
