"""The schema the ORM cannot say, in one list per database: the composite keys (cases/constraints.py),
the tally's triggers (cases/tally_sql.py) and the boards' versions' (villages/board_sql.py).

Migrations install it, each holding the statements as they were when it was written (a migration
runs the SQL of its day, not of today's code); sanhe/lib/sqlite/schema.py keeps SQLite's triggers
through a table's rebuild. cases/tests/test_schema.py fails when these statements and the latest
migration's differ: the change of a trigger or a key is then a new migration, whose INSTALL
`python -m cases.schema` prints (its way back, the statements that undo what it adds, is its own).
"""

import sys

from cases import constraints, tally_sql
from villages import board_sql

VENDORS = ("postgresql", "sqlite")
# The migration that installs the schema as install() has it (cases/tests/test_schema.py holds them equal).
INSTALLED_BY = ("cases", "0019_feedback_town_key")


def install(vendor: str) -> list[str]:
    """Every object made (a trigger dropped first where it may be there already, so that it is made
    as written here; a PostgreSQL key only where it is not, since adding one reads the whole table);
    then the tally counted afresh and every board advanced, for what was written meanwhile."""
    return (
        (constraints.drop_keys(vendor) if vendor == "sqlite" else [])  # a trigger there, made again at no cost
        + constraints.create_keys(vendor)
        + tally_sql.drop_triggers(vendor)
        + tally_sql.create_triggers(vendor)
        + board_sql.drop_triggers(vendor)
        + board_sql.create_triggers(vendor)
        + tally_sql.rebuild(vendor)
        + board_sql.refresh(vendor)
    )


def expected_names(vendor: str) -> set[str]:
    """The triggers, and on PostgreSQL the keys' constraints, that install() makes."""
    return set(tally_sql.TRIGGERS + board_sql.TRIGGERS + constraints.key_names(vendor))


def present_names(connection) -> set[str]:
    """The triggers and constraints CONNECTION's database holds (ours among them)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal UNION SELECT conname FROM pg_constraint"
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall()}


def as_python() -> str:
    """INSTALL as a migration holds it: one statement a line."""
    lines = ["INSTALL = {"]
    for vendor in VENDORS:
        lines.append(f"    {vendor!r}: [")
        lines.extend(f"        {statement!r}," for statement in install(vendor))
        lines.append("    ],")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(as_python())
