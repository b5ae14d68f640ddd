"""The schema the ORM cannot say (cases/schema.py) lives in migrations: the latest one holds today's
SQL, migrating installs and removes it, SQLite's rebuilds of a table keep it, and a database that
lost part of it is told so (cases.W001) and repaired (repair_schema)."""

import importlib
import io
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from cases import constraints, schema
from cases.models import Case, CaseTally
from cases.tests.factories import CaseFactory
from villages.models import Village
from villages.tests.factories import TownFactory

MIGRATIONS = Path(schema.__file__).parent / "migrations"


def latest_schema_migration():
    """The last migration of cases that installs the schema (it holds INSTALL, and what it takes to go
    back to the one before it)."""
    for path in sorted(MIGRATIONS.glob("0*.py"), reverse=True):
        module = importlib.import_module(f"cases.migrations.{path.stem}")
        if hasattr(module, "INSTALL"):
            return module
    raise AssertionError("no migration installs the schema")


@pytest.mark.parametrize("vendor", schema.VENDORS)
def test_the_latest_migration_holds_the_schema_the_code_describes(vendor):
    migration = latest_schema_migration()
    assert migration.__name__ == "cases.migrations." + schema.INSTALLED_BY[1]
    assert migration.INSTALL[vendor] == schema.install(vendor), (
        "cases/schema.py changed: add a migration holding the new SQL (python -m cases.schema prints it)"
    )


def test_the_migrated_database_holds_every_trigger_and_key(db):
    assert schema.expected_names(connection.vendor) <= schema.present_names(connection)
    assert not run_checks(databases=["default"], tags=["database"])


def alter(model, name: str, **changes):
    """A migration's AlterField of MODEL.NAME there and back: SQLite rebuilds the table twice."""
    old = model._meta.get_field(name)
    new = old.clone()
    for key, value in changes.items():
        setattr(new, key, value)
    new.set_attributes_from_name(name)
    new.model = model
    with connection.schema_editor() as editor:
        editor.alter_field(model, old, new)
        editor.alter_field(model, new, old)


@pytest.mark.django_db(transaction=True)
def test_rebuilding_a_table_keeps_every_trigger_that_names_it():
    """cases_case has the tally's and the keys' triggers; villages_village is named in the keys'."""
    before = schema.present_names(connection)
    case = CaseFactory()

    alter(Case, "title", max_length=121)
    alter(Village, "name", max_length=81)

    assert schema.present_names(connection) == before
    CaseFactory(village=case.village)
    assert CaseTally.objects.aggregate(n=Sum("raised"))["n"] == 2  # the tally counts on
    with pytest.raises(IntegrityError), transaction.atomic():  # and the case's town is still its village's
        Case.objects.filter(pk=case.pk).update(town=TownFactory())


@pytest.mark.django_db(transaction=True)
def test_migrating_back_one_step_removes_only_the_feedback_key():
    call_command("migrate", "cases", "0018_schema_in_migrations", verbosity=0)
    feedback_key = {n for n in schema.expected_names(connection.vendor) if n.startswith(constraints.FEEDBACK_TOWN)}
    assert len(feedback_key) == (1 if connection.vendor == "postgresql" else 3)
    assert schema.present_names(connection) & schema.expected_names(connection.vendor) == (
        schema.expected_names(connection.vendor) - feedback_key
    )
    call_command("migrate", verbosity=0)
    assert schema.expected_names(connection.vendor) <= schema.present_names(connection)


@pytest.mark.django_db(transaction=True)
def test_migrating_back_removes_the_schema_and_forward_installs_it():
    CaseFactory.create_batch(2)

    call_command("migrate", "cases", "0017_casetally", verbosity=0)
    assert not schema.expected_names(connection.vendor) & schema.present_names(connection)

    call_command("migrate", verbosity=0)
    assert schema.expected_names(connection.vendor) <= schema.present_names(connection)
    assert CaseTally.objects.aggregate(n=Sum("raised"))["n"] == 2


def test_a_lost_trigger_is_reported_and_repaired(db):
    CaseFactory()
    with connection.cursor() as cursor:
        on = " ON cases_case" if connection.vendor == "postgresql" else ""
        cursor.execute(f"DROP TRIGGER reports_casetally_insert{on}")
    CaseFactory()  # not counted

    warnings = run_checks(databases=["default"], tags=["database"])
    assert [w.id for w in warnings] == ["cases.W001"]
    assert "reports_casetally_insert" in warnings[0].msg

    out = io.StringIO()
    call_command("repair_schema", stdout=out)
    assert "put back reports_casetally_insert;" in out.getvalue()
    assert not run_checks(databases=["default"], tags=["database"])
    assert CaseTally.objects.aggregate(n=Sum("raised"))["n"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_database_not_yet_migrated_that_far_is_not_warned_about():
    """The migrate that is about to install the schema runs the checks first: no warning then."""
    call_command("migrate", "cases", "0018_schema_in_migrations", verbosity=0)
    try:
        assert not run_checks(databases=["default"], tags=["database"])
    finally:
        call_command("migrate", verbosity=0)
