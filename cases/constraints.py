"""The database keeps a case's sub-category inside the case's category, and a case's town its village's.

Django has no composite foreign keys, so the rules are written in SQL: on PostgreSQL composite
foreign keys (category_id, subcategory_id) → sub-category (category_id, id) and (town_id, village_id)
→ village (town_id, id); on SQLite, which cannot add a foreign key to an existing table, triggers.
Installed by a migration (cases/schema.py says which); SQLite's rebuilds of a table keep them
(sanhe/lib/sqlite/schema.py).
"""

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


EVENTS = ("insert", "update")


def create_keys(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            POSTGRES.format(name=name, columns=columns, table=table, targets=targets).strip()
            for name, (columns, table, targets) in COMPOSITE_KEYS.items()
        ]
    return [
        SQLITE_TRIGGER.format(name=f"{constraint}_{event}", event=event.upper(), refused=refused, constraint=constraint)
        .strip()
        .removesuffix(";")
        for constraint, refused in SQLITE_REFUSED.items()
        for event in EVENTS
    ]


def drop_keys(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"ALTER TABLE cases_case DROP CONSTRAINT IF EXISTS {name}" for name in COMPOSITE_KEYS]
    return [f"DROP TRIGGER IF EXISTS {constraint}_{event}" for constraint in SQLITE_REFUSED for event in EVENTS]


def key_names(vendor: str) -> list[str]:
    """The constraints (PostgreSQL) or triggers (SQLite) that hold the keys."""
    if vendor == "postgresql":
        return list(COMPOSITE_KEYS)
    return [f"{constraint}_{event}" for constraint in SQLITE_REFUSED for event in EVENTS]
