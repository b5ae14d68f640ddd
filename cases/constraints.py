"""The database keeps a case's sub-category inside the case's category.

Django has no composite foreign keys, so the rule is written in SQL: on PostgreSQL a
composite foreign key (category_id, subcategory_id) → sub-category (category_id, id);
on SQLite, which cannot add a foreign key to an existing table, two triggers. SQLite
drops triggers whenever Django rebuilds the table in a migration, so they are
(re)created after every migrate rather than once in a migration.
"""

from django.db import connections

CONSTRAINT = "cases_case_subcategory_in_category"

POSTGRES = f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{CONSTRAINT}') THEN
    ALTER TABLE cases_case ADD CONSTRAINT {CONSTRAINT}
      FOREIGN KEY (category_id, subcategory_id) REFERENCES cases_subcategory (category_id, id)
      DEFERRABLE INITIALLY DEFERRED;
  END IF;
END $$;
"""

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON cases_case
WHEN NEW.subcategory_id IS NOT NULL AND NOT EXISTS (
  SELECT 1 FROM cases_subcategory s WHERE s.id = NEW.subcategory_id AND s.category_id IS NEW.category_id
)
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {constraint}'); END;
"""


def ensure_subcategory_in_category(using: str = "default", **kwargs) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES)
        elif connection.vendor == "sqlite":
            for event in ("INSERT", "UPDATE"):
                name = f"{CONSTRAINT}_{event.lower()}"
                cursor.execute(SQLITE_TRIGGER.format(name=name, event=event, constraint=CONSTRAINT))
