"""Inserting thousands of new rows at once, as the imports do.

On PostgreSQL the ids are drawn from the table's sequence in one query and the rows go in with
COPY, which spends a fraction of bulk_create's time per value; elsewhere it is bulk_create.
Either way the objects get their ids (events can then point at their cases), auto_now fields
are set as save() would, and related objects assigned before their ids existed are followed.
"""

import datetime
import io
import operator

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
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    related = [f for f in fields if f.is_relation]
    values = operator.attrgetter(*(f.attname for f in fields))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        text = io.StringIO()
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
            _follow_related(obj, related)
            for field in stamped:
                field.pre_save(obj, add=True)  # created_at, updated_at: as save() sets them
            text.write("\t".join(map(_copy_text, values(obj))))
            text.write("\n")
            obj._state.adding, obj._state.db = False, connection.alias
        text.seek(0)
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        cursor.copy_expert(f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", text)


def _follow_related(obj, related) -> None:
    """A foreign key set to an object saved since (an event's case) takes the object's id."""
    for field in related:
        if getattr(obj, field.attname) is None and field.is_cached(obj):
            target = field.get_cached_value(obj)
            if target is not None:
                if target.pk is None:
                    raise ValueError(f"{field.name} of {obj!r} is not saved")
                setattr(obj, field.attname, target.pk)


ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """A value in COPY's text format: \\N for NULL, t/f, ISO dates, text with its escapes."""
    kind = type(value)
    if kind is str:
        return value.translate(ESCAPES)
    if value is None:
        return r"\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if isinstance(value, datetime.date):  # dates, and datetimes with their time zone
        return value.isoformat()
    if isinstance(value, Promise | str):  # lazily translated text, choices (str subclasses)
        return str(value).translate(ESCAPES)
    if isinstance(value, int):
        return str(int(value))
    raise TypeError(f"no COPY text for {kind.__name__}")
