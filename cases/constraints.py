"""The database keeps a case's sub-category inside the case's category, and a case's town its village's.

Django has no composite foreign keys, so the rules are written in SQL: on PostgreSQL composite
foreign keys (category_id, subcategory_id) → sub-category (category_id, id) and (town_id, village_id)
→ village (town_id, id); on SQLite, which cannot add a foreign key to an existing table, triggers.
SQLite drops triggers whenever Django rebuilds the table in a migration, so they are (re)created
after every migrate rather than once in a migration.
"""

from django.db import connections

CONSTRAINT = "cases_case_subcategory_in_category"
TOWN_CONSTRAINT = "cases_case_town_of_village"

# name: (the case's columns, the table they point to, its columns), for PostgreSQL's composite keys.
COMPOSITE_KEYS = {
    CONSTRAINT: ("category_id, subcategory_id", "cases_subcategory", "category_id, id"),
    TOWN_CONSTRAINT: ("town_id, village_id", "villages_village", "town_id, id"),
}

POSTGRES = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{name}') THEN
    ALTER TABLE cases_case ADD CONSTRAINT {name}
      FOREIGN KEY ({columns}) REFERENCES {table} ({targets})
      DEFERRABLE INITIALLY DEFERRED;
  END IF;
END $$;
"""

# name: the condition under which SQLite refuses a row.
SQLITE_REFUSED = {
    CONSTRAINT: "NEW.subcategory_id IS NOT NULL AND NOT EXISTS ("
    "SELECT 1 FROM cases_subcategory s WHERE s.id = NEW.subcategory_id AND s.category_id IS NEW.category_id)",
    TOWN_CONSTRAINT: "NOT EXISTS ("
    "SELECT 1 FROM villages_village v WHERE v.id = NEW.village_id AND v.town_id IS NEW.town_id)",
}

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON cases_case
WHEN {refused}
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {constraint}'); END;
"""


def ensure_composite_keys(using: str = "default", **kwargs) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, (columns, table, targets) in COMPOSITE_KEYS.items():
                cursor.execute(POSTGRES.format(name=name, columns=columns, table=table, targets=targets))
        elif connection.vendor == "sqlite":
            for constraint, refused in SQLITE_REFUSED.items():
                for event in ("INSERT", "UPDATE"):
                    name = f"{constraint}_{event.lower()}"
                    cursor.execute(
                        SQLITE_TRIGGER.format(name=name, event=event, refused=refused, constraint=constraint)
                    )
