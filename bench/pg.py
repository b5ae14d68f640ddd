"""The PostgreSQL server the benchmark and the load test build their databases on."""

import psycopg2

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def admin_sql(sql: str) -> list | None:
    """Run SQL on the maintenance database (CREATE/DROP DATABASE cannot run in a transaction)."""
    conn = psycopg2.connect(dbname="postgres", **PG)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall() if cur.description else None
    conn.close()
    return rows


def url_for(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
