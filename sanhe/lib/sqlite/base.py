"""Django's SQLite backend, with a schema editor that keeps triggers through a table's rebuild
(sanhe/lib/sqlite/schema.py). Selected for every SQLite database in settings."""

from django.db.backends.sqlite3 import base

from sanhe.lib.sqlite.schema import DatabaseSchemaEditor


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
