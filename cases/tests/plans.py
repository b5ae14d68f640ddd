"""PostgreSQL's plan of a statement on cases_case as a large ledger would have it, on a test's small table."""

from django.db import connection, transaction


def plan_with_only(sql: str, indexes: set[str]) -> list[str]:
    """SQL's plan lines when INDEXES are cases_case's only indexes beside the unique ones (the others
    dropped for the plan and restored) and sequential and bitmap scans are ruled out, so that a small
    test table shows the path a large one takes whatever its statistics."""
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'cases_case' AND indexdef NOT LIKE 'CREATE UNIQUE%%'"
        )
        for (name,) in cursor.fetchall():
            if name not in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    return plan
