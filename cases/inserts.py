"""Building and inserting thousands of new rows at once, as the imports do.

On PostgreSQL the ids are drawn from the table's sequence in one query and the rows go in with
COPY, which spends a fraction of bulk_create's time per value; elsewhere it is bulk_create.
Either way the objects get their ids (events can then point at their cases), auto_now fields
are set as save() would, and related objects assigned before their ids existed are followed.

`build` makes a new object as the model's constructor does with keywords, about twice as fast.
"""

import datetime
import io
import json
import operator

from django.db import connections, router
from django.db.models import Model
from django.utils.functional import Promise

BATCH_SIZE = 1000  # rows per bulk_create INSERT, within SQLite's limit on query parameters


def insert_all(model, objs: list) -> None:
    """INSERT the new, unsaved OBJS of MODEL and give each its id."""
    if not objs:
        return
    if model._meta.label == "cases.Case":
        from cases.models import fill_towns

        fill_towns(objs)  # as Case.save() and bulk_create: each case its village's town
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        sql, text = copy_rows(model, objs, connection)
        cursor.copy_expert(sql, io.StringIO(text))


def copy_rows(model, objs: list, connection, *, with_ids: bool = True, stamp: bool = True) -> tuple[str, str]:
    """The COPY statement for OBJS of MODEL and their rows in its text format: with the ids they
    were given, unless WITH_IDS is false (the table's sequence gives them); their auto_now fields
    set as save() would, unless STAMP is false (rows that carry their own times, as a generator's)."""
    meta = model._meta
    fields = [field for field in meta.concrete_fields if with_ids or not field.primary_key]
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    stamped = stamped if stamp else []
    related = [(f.attname, f.cache_name, f.target_field.attname) for f in fields if f.is_relation]
    values = operator.attrgetter(*(f.attname for f in fields))
    lines = []
    for obj in objs:
        _follow_related(obj, related)
        for field in stamped:
            field.pre_save(obj, add=True)  # created_at, updated_at: as save() sets them
        lines.append("\t".join(map(_copy_text, values(obj))))
        if with_ids:
            obj._state.adding, obj._state.db = False, connection.alias
    lines.append("")
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    return f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN", "\n".join(lines)


def _follow_related(obj, related) -> None:
    """A foreign key set to an object saved since (an event's case) takes the object's id.
    RELATED: (attname, cache name, the target's attname) of each foreign key of the model."""
    values, cache = obj.__dict__, obj._state.fields_cache
    for attname, cache_name, target_attname in related:
        if values.get(attname) is None and cache.get(cache_name) is not None:
            target = cache[cache_name]
            value = getattr(target, target_attname)
            if value is None:
                raise ValueError(f"{cache_name} of {obj!r} is not saved")
            values[attname] = value


def _escape(text: str) -> str:
    """Text in COPY's text format. Most text has none of the four characters: testing for each
    is several times faster than str.translate, which is slow on Chinese text."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    return text


def _copy_text(value) -> str:
    """A value in COPY's text format: \\N for NULL, t/f, ISO dates, text with its escapes."""
    kind = type(value)
    if kind is str:
        return _escape(value)
    if value is None:
        return r"\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if isinstance(value, datetime.date):  # dates, and datetimes with their time zone
        return value.isoformat()
    if isinstance(value, Promise | str):  # lazily translated text, choices (str subclasses)
        return _escape(str(value))
    if isinstance(value, int):
        return str(int(value))
    if kind is dict or kind is list:  # a JSONField (CaseEvent.data)
        return _escape(json.dumps(value, ensure_ascii=False))
    raise TypeError(f"no COPY text for {kind.__name__}")


# --- Building new objects ------------------------------------------------------------------

_LAYOUTS: dict = {}


def _layout(model) -> tuple[list, dict, list, list] | None:
    """How `build` makes MODEL's objects: its concrete fields; for each name a field may be given
    by, (position, None) or, for a foreign key given as an object, (position, (the model it must
    be an instance of, the attribute of it the key takes, the key's cache name)); the values of
    the fields not given (MISSING where the default is worked out on each call, e.g. a date of
    now); and the positions of those. None when only the constructor itself will do (a
    constructor of the model's own, one-to-one keys, generated or virtual fields)."""
    if model in _LAYOUTS:
        return _LAYOUTS[model]
    fields = list(model._meta.concrete_fields)
    layout = None
    simple = (
        model.__init__ is Model.__init__  # no constructor of its own to respect
        and len(fields) == len(model._meta.fields)
        and not any(getattr(f, "generated", False) for f in fields)
    )
    if simple and all(f.many_to_one and len(f.related_fields) == 1 for f in fields if f.is_relation):
        names, defaults, computed = {}, [], []
        for i, field in enumerate(fields):
            names[field.attname] = (i, None)
            if field.is_relation:
                target = (field.remote_field.model._meta.concrete_model, field.target_field.attname, field.cache_name)
                names[field.name] = (i, target)
            if field.has_default() and callable(field.default):
                defaults.append(MISSING)
                computed.append(i)
            else:
                defaults.append(field.get_default())
        layout = (fields, names, defaults, computed)
    _LAYOUTS[model] = layout
    return layout


MISSING = object()


def build(model, **values):
    """MODEL(**VALUES), built the way Django loads a row (positional values, one per field): the
    same object, with the defaults of the fields not given and the related objects given cached
    and their ids set, as the constructor and the foreign keys' descriptors do, about twice as
    fast. Anything else (a property, an unknown name, an object of the wrong model) goes to
    the constructor itself, which sets it or refuses it."""
    layout = _layout(model)
    if layout is None:
        return model(**values)
    fields, names, defaults, computed = layout
    args = defaults.copy()
    related = []
    for name, value in values.items():
        found = names.get(name)
        if found is None:
            return model(**values)
        position, relation = found
        if relation is not None:
            instance_of, target, cache_name = relation
            if value is not None:
                if not isinstance(value, instance_of):
                    return model(**values)
                related.append((cache_name, value))
                value = getattr(value, target)
            else:
                related.append((cache_name, None))
        args[position] = value
    for position in computed:
        if args[position] is MISSING:
            args[position] = fields[position].get_default()
    obj = model(*args)
    state = obj._state
    for cache_name, value in related:
        if value is not None:
            if state.db is None:
                state.db = router.db_for_write(model, instance=value)
            if value._state.db is None:
                value._state.db = router.db_for_write(type(value), instance=obj)
            if not router.allow_relation(value, obj):
                return model(**values)
        state.fields_cache[cache_name] = value
    return obj
