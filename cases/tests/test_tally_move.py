"""The monthly tally moved from reports to cases (cases/0017, reports/0008) as a model only: its
table, rows, indexes and triggers stay as they are, both ways, and its content type follows it."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from cases import schema, tally_sql
from cases.models import Case, CaseTally
from cases.tests.factories import CaseFactory


def tally_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT month, town_id, village_id, raised, closed FROM reports_casetally ORDER BY 1, 2, 3")
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_the_tally_moves_without_touching_its_table_and_back():
    CaseFactory.create_batch(3)
    ContentType.objects.get_for_model(CaseTally)  # as the admin's log or a permission would
    before = tally_rows()
    assert sum(row[3] for row in before) == 3

    call_command("migrate", "cases", "0016_case_town_raised_index", verbosity=0)
    assert tally_rows() == before
    assert ContentType.objects.filter(app_label="reports", model="casetally").exists()
    assert not ContentType.objects.filter(app_label="cases", model="casetally").exists()

    call_command("migrate", verbosity=0)
    assert tally_rows() == before
    assert set(tally_sql.TRIGGERS) <= schema.present_names(connection)
    assert ContentType.objects.get_for_model(CaseTally).app_label == "cases"
    assert not ContentType.objects.filter(app_label="reports", model="casetally").exists()
    CaseFactory()  # and the triggers count on into the same table
    assert CaseTally.objects.aggregate(n=Sum("raised"))["n"] == Case.objects.count() == 4
