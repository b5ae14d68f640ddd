"""The SQL that advances villages_boardversion (villages.models.BoardVersion) with every write that a
village's notice board shows: its cases, their public history, the village itself, the categories.

Triggers, as for the tally (cases/tally_sql.py): they see every write (the workflow's saves, the
imports' bulk inserts, generate_cases's COPY, QuerySet.update, the admin, raw SQL) in the same
transaction as the write, so a rolled-back write leaves the version as it was and no write can
leave the board's cache key unchanged, whatever `updated_at` the rows carry. PostgreSQL runs one
trigger per statement over its transition tables (a COPY of a million cases is one upsert of ten
rows); SQLite runs one per row.

A version only grows; `changed_at` (the database's clock at the write) gives Last-Modified and makes
a version of a restored or recreated database differ from one before it. Writes to the same village
queue on its row until commit, as they already do on the tally's rows.

Not watched: what the board does not show. Feedback rows and referrals are not on it (the case's
fed_back_on is, and record_feedback writes it); /track/, which shows feedback, is never cached.

This module imports nothing: migrations install its triggers (cases/schema.py lists them with the
tally's and the keys'), and on SQLite they are set aside and put back around a rebuild of any table
they name (sanhe/lib/sqlite/schema.py), which would fail otherwise.
"""

# Each watched table: the columns a change row carries and the villages its rows touch (r: the rows).
EVERY_VILLAGE = "SELECT v.id AS village_id FROM villages_village v WHERE EXISTS (SELECT 1 FROM {rows} r)"
WATCHED = {
    "cases_case": (["village_id"], "SELECT r.village_id FROM {rows} r"),
    # Only public lines of history are on the board; a line made private leaves it (OLD.public).
    "cases_caseevent": (
        ["case_id", "public"],
        # The cases by their primary key, each once (a join would read a whole ledger per COPY batch).
        "SELECT c.village_id FROM cases_case c WHERE c.id IN (SELECT r.case_id FROM {rows} r WHERE r.public)",
    ),
    "villages_village": (["id"], "SELECT r.id AS village_id FROM {rows} r"),
    # A category's name or order, or a new one, shows on every board (its figures and filter).
    "cases_category": (["id"], EVERY_VILLAGE),
    "cases_subcategory": (["id"], EVERY_VILLAGE),
}
OPS = ["insert", "update", "delete"]
TRIGGERS = [f"villages_board_{table}_{op}" for table in WATCHED for op in OPS]


def now(vendor: str) -> str:
    # clock_timestamp(), not now() (the transaction's start): a transaction that began earlier but
    # commits later must not move Last-Modified back.
    return "clock_timestamp()" if vendor == "postgresql" else "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def bump(vendor: str, villages: str) -> str:
    """Advance the version of the villages VILLAGES (a SELECT of village_id), each once."""
    return (
        "INSERT INTO villages_boardversion (village_id, version, changed_at) "
        # Each village once (the clock, which differs row by row, is added after the DISTINCT).
        f"SELECT v.village_id, 1, {now(vendor)} FROM (SELECT DISTINCT b.village_id FROM ({villages}) b "
        "WHERE b.village_id IS NOT NULL) v "
        # In village order, so that two writers lock the rows they share in the same order.
        "ORDER BY 1 "
        "ON CONFLICT (village_id) DO UPDATE SET version = villages_boardversion.version + 1, "
        "changed_at = excluded.changed_at"
    )


def _touched(vendor: str, table: str, op: str) -> str:
    """The villages that OP on rows of TABLE touches: the old rows', the new rows', or both."""
    columns, villages = WATCHED[table]
    if vendor == "postgresql":
        old, new = "old_rows", "new_rows"
    else:  # a row trigger: a one-row table of the row's columns
        old, new = (f"(SELECT {', '.join(f'{row}.{c} AS {c}' for c in columns)})" for row in ("OLD", "NEW"))
    sides = {"insert": [new], "delete": [old], "update": [old, new]}[op]
    return " UNION ALL ".join(villages.format(rows=rows) for rows in sides)


def create_triggers(vendor: str) -> list[str]:
    if vendor != "postgresql":
        return [
            f"CREATE TRIGGER villages_board_{table}_{op} AFTER {op.upper()} ON {table} FOR EACH ROW "
            f"BEGIN {bump(vendor, _touched(vendor, table, op))}; END"
            for table in WATCHED
            for op in OPS
        ]
    statements = []
    for table in WATCHED:
        function = (
            f"CREATE OR REPLACE FUNCTION villages_board_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'INSERT' THEN {bump(vendor, _touched(vendor, table, 'insert'))}; "
            f"ELSIF TG_OP = 'DELETE' THEN {bump(vendor, _touched(vendor, table, 'delete'))}; "
            f"ELSE {bump(vendor, _touched(vendor, table, 'update'))}; END IF; RETURN NULL; END $$"
        )
        tables = {"insert": "NEW TABLE AS new_rows", "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
        tables["delete"] = "OLD TABLE AS old_rows"
        statements.append(function)
        statements += [
            f"CREATE TRIGGER villages_board_{table}_{op} AFTER {op.upper()} ON {table} REFERENCING {tables[op]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION villages_board_{table}()"
            for op in OPS
        ]
    return statements


def drop_triggers(vendor: str) -> list[str]:
    if vendor == "postgresql":  # the triggers go with their functions
        return [f"DROP FUNCTION IF EXISTS villages_board_{table}() CASCADE" for table in WATCHED]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]


def refresh(vendor: str) -> list[str]:
    """After a migrate or a flush: forget the villages that are gone, and advance every board (a
    migration may have changed what they show, and a village without a row gets one)."""
    return [
        "DELETE FROM villages_boardversion WHERE village_id NOT IN (SELECT id FROM villages_village)",
        bump(vendor, "SELECT id AS village_id FROM villages_village"),
    ]
