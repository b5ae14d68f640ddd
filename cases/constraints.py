"""The database keeps a case's sub-category inside the case's category, a case's town its village's,
and a feedback's town its case's.

Django has no composite foreign keys, so the rules are written in SQL: on PostgreSQL composite
foreign keys (category_id, subcategory_id) → sub-category (category_id, id), (town_id, village_id)
→ village (town_id, id) and feedback's (town_id, case_id) → case (town_id, id), which cascades a
case's new town to its feedback; on SQLite, which cannot add a foreign key to an existing table,
triggers.
Installed by a migration (cases/schema.py says which); SQLite's rebuilds of a table keep them
(sanhe/lib/sqlite/schema.py).
"""

CONSTRAINT = "cases_case_subcategory_in_category"
TOWN_CONSTRAINT = "cases_case_town_of_village"
FEEDBACK_TOWN = "cases_feedback_town_of_case"

# name: (the table, its columns, the table they point to, its columns, what an update there does),
# for PostgreSQL's composite keys. Feedback's town follows its case's (a case moved to a village of
# another town): the key cascades the case's new town to its feedback.
COMPOSITE_KEYS = {
    CONSTRAINT: ("cases_case", "category_id, subcategory_id", "cases_subcategory", "category_id, id", ""),
    TOWN_CONSTRAINT: ("cases_case", "town_id, village_id", "villages_village", "town_id, id", ""),
    FEEDBACK_TOWN: ("cases_feedback", "town_id, case_id", "cases_case", "town_id, id", " ON UPDATE CASCADE"),
}

POSTGRES = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{name}') THEN
    ALTER TABLE {table} ADD CONSTRAINT {name}
      FOREIGN KEY ({columns}) REFERENCES {target} ({targets}){on_update}
      DEFERRABLE INITIALLY DEFERRED;
  END IF;
END $$;
"""

# name: (the table, the condition under which SQLite refuses a row of it).
SQLITE_REFUSED = {
    CONSTRAINT: (
        "cases_case",
        "NEW.subcategory_id IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM cases_subcategory s WHERE s.id = NEW.subcategory_id AND s.category_id IS NEW.category_id)",
    ),
    TOWN_CONSTRAINT: (
        "cases_case",
        "NOT EXISTS (SELECT 1 FROM villages_village v WHERE v.id = NEW.village_id AND v.town_id IS NEW.town_id)",
    ),
    FEEDBACK_TOWN: (
        "cases_feedback",
        "NOT EXISTS (SELECT 1 FROM cases_case c WHERE c.id = NEW.case_id AND c.town_id IS NEW.town_id)",
    ),
}

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {table}
WHEN {refused}
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {constraint}'); END;
"""

# SQLite's ON UPDATE CASCADE for feedback's town (its foreign keys cannot be added to a table).
SQLITE_CASCADE = f"{FEEDBACK_TOWN}_cascade"
SQLITE_CASCADE_TRIGGER = f"""
CREATE TRIGGER IF NOT EXISTS {SQLITE_CASCADE} AFTER UPDATE OF town_id ON cases_case
WHEN NEW.town_id IS NOT OLD.town_id
BEGIN UPDATE cases_feedback SET town_id = NEW.town_id WHERE case_id = NEW.id; END
"""


EVENTS = ("insert", "update")


def create_keys(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            POSTGRES.format(
                name=name, table=table, columns=columns, target=target, targets=targets, on_update=on_update
            ).strip()
            for name, (table, columns, target, targets, on_update) in COMPOSITE_KEYS.items()
        ]
    refusals = [
        SQLITE_TRIGGER.format(
            name=f"{constraint}_{event}", event=event.upper(), table=table, refused=refused, constraint=constraint
        )
        .strip()
        .removesuffix(";")
        for constraint, (table, refused) in SQLITE_REFUSED.items()
        for event in EVENTS
    ]
    return [*refusals, SQLITE_CASCADE_TRIGGER.strip()]


def drop_keys(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}" for name, (table, *_) in COMPOSITE_KEYS.items()]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in key_names(vendor)]


def key_names(vendor: str) -> list[str]:
    """The constraints (PostgreSQL) or triggers (SQLite) that hold the keys."""
    if vendor == "postgresql":
        return list(COMPOSITE_KEYS)
    return [f"{constraint}_{event}" for constraint in SQLITE_REFUSED for event in EVENTS] + [SQLITE_CASCADE]
