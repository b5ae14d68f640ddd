"""`manage.py check --database default`: the triggers and keys of cases/schema.py are in the database.

They are installed by migrations and kept through SQLite's rebuilds of a table; one missing (dropped
by hand, a partial restore) would let the tally or a board fall behind the ledger without a sound.
A warning, not an error: `migrate` runs these checks too and must still run."""

from django.core.checks import Tags, Warning, register
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

from cases import schema


@register(Tags.database)
def schema_in_place(app_configs=None, databases=None, **kwargs) -> list[Warning]:
    found = []
    for alias in databases or []:
        conn = connections[alias]
        if conn.vendor not in schema.VENDORS or schema.INSTALLED_BY not in MigrationRecorder(conn).applied_migrations():
            continue  # not migrated that far yet: the migrate about to run installs it
        missing = sorted(schema.expected_names(conn.vendor) - schema.present_names(conn))
        if missing:
            found.append(
                Warning(
                    f"The database {alias!r} lacks {', '.join(missing)}: the tally, the boards or the keys "
                    "no longer follow the ledger.",
                    hint="Put them back, and recount the tally: manage.py repair_schema",
                    id="cases.W001",
                )
            )
    return found
