"""EXPLAIN (ANALYZE, BUFFERS) every query of every page the bench times, on one PostgreSQL database
(DATABASE_URL); write the plans as Markdown, the slowest first within each page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanhe_bench_1000000 python -m bench.explain \\
        --output bench/notes/explain-1m.md

`python -m bench` runs it on its largest database (1M cases in `make bench`) before dropping it, so
that the notes show where each page's SQL time goes at the size that matters. Only SELECTs are
explained (ANALYZE runs the statement: a write would be done twice).
"""

import argparse
import sys
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.measure import pages  # sets Django up (the imports above need no settings)

SHOWN = 3  # plans shown in full per page; the rest are one line each


def explain(sql: str) -> tuple[float, str]:
    """(execution time in ms, the plan's text) of SQL, run once more under EXPLAIN ANALYZE."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        lines = [row[0] for row in cursor.fetchall()]
    ms = next((float(line.split(":")[1].split()[0]) for line in lines if line.startswith("Execution Time")), 0.0)
    return ms, "\n".join(lines)


def page_queries(fetch, before) -> list[str]:
    """The SELECTs one request of the page runs (after BEFORE, as the bench does)."""
    if before:
        before()
    with CaptureQueriesContext(connection) as queries:
        fetch()
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]


def section(name: str, plans: list[tuple[float, str, str]]) -> str:
    total = sum(ms for ms, _sql, _plan in plans)
    out = [f"## {name}", "", f"{len(plans)} SELECTs, {total:.1f} ms of execution in all.", ""]
    for i, (ms, sql, plan) in enumerate(sorted(plans, key=lambda p: -p[0])):
        if i < SHOWN:
            out += [f"### {ms:.2f} ms", "", "```sql", sql[:2000], "```", "", "```", plan, "```", ""]
        else:
            out.append(f"- {ms:.2f} ms: `{sql[:160]}`")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(prog="python -m bench.explain")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("EXPLAIN (ANALYZE, BUFFERS) is PostgreSQL's: set DATABASE_URL=postgres://…")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        (cases,) = cursor.fetchone()
    what, timed_pages = pages()
    parts = [
        f"# Where each page's SQL time goes, at {cases:,} cases",
        "",
        f"Written by `python -m bench.explain` (month {what['month']}); each page fetched once as the bench "
        "does, then each of its SELECTs run again under EXPLAIN (ANALYZE, BUFFERS), the slowest first.",
        "",
    ]
    for name, fetch, before in timed_pages:
        print(f"  {name}", file=sys.stderr, flush=True)
        fetch()  # warm: the bench's median is of warm runs too
        plans = [(ms, sql, plan) for sql in page_queries(fetch, before) for ms, plan in [explain(sql)]]
        parts.append(section(name, plans))
    Path(args.output).write_text("\n".join(parts))


if __name__ == "__main__":
    main()
