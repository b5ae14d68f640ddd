"""The upkeep of the ledger's monthly tally (cases.models.CaseTally): its triggers (cases/tally_sql.py)
and the notice boards' versions' (villages/board_sql.py), installed after every migrate and flush,
taken down before a migrate on SQLite, and the recount. What the reports read from it is
reports/tally.py."""

from django.db import connections, transaction

from cases import tally_sql
from villages import board_sql


def rebuild(using: str = "default") -> None:
    """Count every case afresh: for a database whose tally is in doubt (the triggers keep it).
    Only the rows that differ are written (cases.tally_sql.rebuild). Writes to the ledger wait
    meanwhile, so that none falls between the count and the triggers."""
    conn = connections[using]
    with transaction.atomic(using=using), conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("LOCK TABLE cases_case IN SHARE MODE")
        for sql in tally_sql.rebuild(conn.vendor):
            cursor.execute(sql)


def take_down_triggers(using: str = "default", **kwargs) -> None:
    """Before every migrate on SQLite: drop our triggers, which write or read tables other than their
    own (the tally; a board's version, an event's case, the villages). SQLite rebuilds a table to alter
    it, and renaming the new table into place fails while a trigger on another table names the one
    just dropped. ensure_triggers puts them back after the migrate, recounts the tally and advances
    every board, so nothing written meanwhile is missed."""
    conn = connections[using]
    if conn.vendor == "sqlite":
        with transaction.atomic(using=using), conn.cursor() as cursor:
            for sql in board_sql.drop_triggers(conn.vendor) + tally_sql.drop_triggers(conn.vendor):
                cursor.execute(sql)


def ensure_triggers(using: str = "default", **kwargs) -> None:
    """After every migrate and every flush (both send post_migrate), put back any trigger that is
    missing: the tally's (cases/tally_sql.py) and the notice boards' versions' (villages/board_sql.py),
    the one place that installs them. SQLite drops a table's triggers when a migration rebuilds the
    table, and a flush empties the tables in an order the triggers do not expect (on SQLite its
    DELETEs of cases count down a tally already emptied): the tally is counted afresh (one pass over
    the cases, writing only the rows that differ, so a tally the triggers kept right costs no
    write and leaves no dead rows) and every board advanced."""
    conn = connections[using]
    with conn.cursor() as cursor:
        tables = set(conn.introspection.table_names(cursor))
        if conn.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {name for (name,) in cursor.fetchall()}
    with transaction.atomic(using=using), conn.cursor() as cursor:
        if "villages_boardversion" in tables:  # else migrated back before the board's version
            if not set(board_sql.TRIGGERS) <= present:
                for sql in board_sql.drop_triggers(conn.vendor) + board_sql.create_triggers(conn.vendor):
                    cursor.execute(sql)
            for sql in board_sql.refresh(conn.vendor):
                cursor.execute(sql)
        if "reports_casetally" not in tables:
            return  # migrated back before the tally existed
        if not set(tally_sql.TRIGGERS) <= present:
            for sql in tally_sql.drop_triggers(conn.vendor) + tally_sql.create_triggers(conn.vendor):
                cursor.execute(sql)
        rebuild(using)  # writes nothing where the triggers kept the tally right
