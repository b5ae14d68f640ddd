"""Inserting thousands of new rows at once, as the imports do.

On PostgreSQL the ids are drawn from the table's sequence in one query and the rows go in with
COPY, which spends a fraction of bulk_create's time per value; elsewhere it is bulk_create.
Either way the objects get their ids (events can then point at their cases), auto_now fields
are set as save() would, and related objects assigned before their ids existed are followed.
"""

import datetime
import io

from django.db import connections, router
from django.utils.functional import Promise

BATCH_SIZE = 1000  # rows per bulk_create INSERT, within SQLite's limit on query parameters


def insert_all(model, objs: list) -> None:
    """INSERT the new, unsaved OBJS of MODEL and give each its id."""
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        return
    meta = model._meta
    fields = meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        text = io.StringIO()
        for obj, pk in zip(objs, ids, strict=True):
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            obj.pk = pk
            text.write("\t".join(_copy_text(field.pre_save(obj, add=True)) for field in fields))
            text.write("\n")
            obj._state.adding, obj._state.db = False, connection.alias
        text.seek(0)
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        cursor.copy_expert(f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", text)


def _copy_text(value) -> str:
    """A value in COPY's text format: \\N for NULL, t/f, ISO dates, text with its escapes."""
    if value is None:
        return r"\N"
    if isinstance(value, Promise):  # a lazily translated text
        value = str(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if isinstance(value, datetime.date):  # dates, and datetimes with their time zone
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"no COPY text for {type(value).__name__}")
