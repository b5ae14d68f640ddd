"""The upkeep of the ledger's monthly tally (cases.models.CaseTally), kept by triggers
(cases/tally_sql.py, installed by migrations): the recount, and what a flush leaves to repair,
for the tally and the boards' versions (villages/board_sql.py). What the reports read from the
tally is reports/tally.py."""

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


def recount_after_flush(using: str = "default", plan=None, **kwargs) -> None:
    """After a flush (it sends post_migrate, without a migration plan): count the tally afresh and
    advance every board. A flush empties the tables in an order the triggers do not expect: on
    SQLite its DELETEs of cases count down a tally already emptied. A migrate (with a plan) needs
    nothing: its migrations keep the triggers (cases/0018, cases/schema.py)."""
    if plan is not None:
        return
    conn = connections[using]
    with conn.cursor() as cursor:
        tables = set(conn.introspection.table_names(cursor))
    if "reports_casetally" in tables:
        rebuild(using)
    if "villages_boardversion" in tables:
        with transaction.atomic(using=using), conn.cursor() as cursor:
            for sql in board_sql.refresh(conn.vendor):
                cursor.execute(sql)
