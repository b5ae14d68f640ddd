"""SQLite cannot alter most of a table in place: Django rebuilds it (creates the new table, copies
the rows, drops the old one, renames the new into place). The table's own triggers go with the
old table, and the rename fails while a trigger on another table names the table just dropped.
So every trigger that names the table is set aside before the rebuild and put back after it,
as it was: a trigger written once, in a migration, stays there through later migrations."""

import re

from django.db.backends.sqlite3 import schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _remake_table(self, model, *args, **kwargs):
        kept = self.triggers_naming(model._meta.db_table)
        for name, _ in kept:
            self.execute(f"DROP TRIGGER IF EXISTS {self.quote_name(name)}", None)
        super()._remake_table(model, *args, **kwargs)
        for _, sql in kept:
            self.execute(sql, None)  # None: the trigger's text as it is (no %s placeholders read in it)

    def triggers_naming(self, table: str) -> list[tuple[str, str]]:
        """(name, CREATE statement) of every trigger on TABLE or naming it in its body."""
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            rows = cursor.fetchall()
        named = re.compile(rf"\b{re.escape(table)}\b", re.IGNORECASE)
        return [(name, sql) for name, on, sql in rows if on.lower() == table.lower() or named.search(sql)]
