"""Build a fresh PostgreSQL database per size, measure it in a child process, write bench/results.md."""

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import psycopg2

from bench.pg import PG, admin_sql, url_for

ROOT = Path(__file__).resolve().parent.parent
DEMO_CASES = 142
SUMMARY = "summary.json (all time)"
FLOOR = "FLOOR raw SQL aggregates (psycopg2)"  # load_demo brings these; generate_cases adds the rest
TRIVIAL = "FLOOR trivial view /health/"
# Issue 12's targets: the words that name a page in the results (as the acceptance check finds
# it), its median in ms, and for the case page its most queries.
PAGE_TARGETS = [
    (("case page",), 40, 10),
    (("case list",), 60, None),
    (("triage",), 60, None),
    (("my-team",), 60, None),
    (("notice board", "cold"), 30, None),
    (("notice board", "cached"), 5, None),
    (("dashboard",), 150, None),
    (("meeting pack",), 400, None),
    (("summary.json",), 40, None),
]


def manage(env: dict, *args: str):
    print("  manage.py", *args, flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def build(size: int, env: dict, name: str = "", towns: int = 1):
    """A fresh database NAME of SIZE cases: Sanhe's demo, then generated cases spread over TOWNS towns."""
    name = name or f"sanhe_bench_{size}"
    admin_sql(f"DROP DATABASE IF EXISTS {name}")
    admin_sql(f"CREATE DATABASE {name}")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_demo")
    manage(env, "generate_cases", "--count", str(size - DEMO_CASES), "--seed", "1", "--towns", str(towns))
    vacuum(name)


def bench_env(name: str) -> dict:
    env = dict(os.environ, DATABASE_URL=url_for(name), DEBUG="0", SECRET_KEY="bench")
    env.update(ALLOWED_HOSTS="testserver", HTTPS_ONLY="0", SECURE_SSL_REDIRECT="0")
    return env


def measure(env: dict, args, imports: bool = True) -> dict:
    """The pages timed in a child process on ENV's database (bench/measure.py); its figures."""
    rows = (args.import_rows, args.ledger_rows) if imports else (0, 0)
    command = [sys.executable, "-m", "bench.measure", "--runs", str(args.runs)]
    command += ["--import-rows", str(rows[0]), "--ledger-rows", str(rows[1])]
    out = subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# Issue 15's target: a town's pages in a county of many towns as fast as in a single-town database.
COUNTY_WITHIN = 1.2


def county_lines(county: dict, single: dict, single_size: str) -> list[str]:
    """The county's section: each page of Sanhe's office at the county's size beside the same page at
    SINGLE_SIZE single-town cases, the ratio, and the target."""
    size, towns = county["size"], county["towns"]
    lines = [
        f"## A town in a county: {size:,} cases in {towns} towns beside {int(single_size):,} in one town",
        "",
        f"The same pages as above, as Sanhe's office (SH: {county['town_cases']:,} of the county's cases) in a",
        f"database built by `generate_cases --towns {towns}`; imports not run. Target (issue 15): every page of",
        f"the town within {COUNTY_WITHIN}× of its time in the single-town database of {int(single_size):,} cases,",
        "with the same queries.",
        "",
        f"| measurement | {int(single_size):,} one town ms | {size:,} county ms | ratio | queries | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    missed = []
    for name, r in county["items"].items():
        base = single["items"].get(name)
        if base is None or name.startswith("FLOOR"):
            continue
        ratio = r["median"] / base["median"]
        met = ratio <= COUNTY_WITHIN and r["queries"] == base["queries"]
        if name == SUMMARY:  # the whole county's summary counts every town's cases: not a town's page
            verdict = "the county's"
        else:
            verdict = "✓" if met else "✗"
            missed += [] if met else [name]
        queries = f"{base['queries']} → {r['queries']}"
        lines.append(f"| {name} | {ms(base['median'])} | {ms(r['median'])} | {ratio:.2f}× | {queries} | {verdict} |")
    verdict = "every page of the town met it" if not missed else "missed: " + ", ".join(missed)
    return [*lines, "", f"Issue 15's target ({COUNTY_WITHIN}×): {verdict}.", ""]


def vacuum(name: str):
    """What autovacuum does after a bulk load (this server runs with autovacuum off): without it the
    visibility map is empty and every index-only scan reads the table too."""
    conn = psycopg2.connect(dbname=name, **PG)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    conn.close()


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem = next(
        line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "postgres": admin_sql("SHOW server_version")[0][0],
        "python": platform.python_version(),
    }


def summary_over_floor(items: dict) -> float:
    return items[SUMMARY]["median"] / items[FLOOR]["median"]


def rate(rows: dict) -> float:
    return rows["import"]["rows_per_second"]


def ledger_rate(rows: dict, step: str) -> float:
    """Rows a second of the office's ledger: STEP is "preview" or "import"."""
    return rows["ledger"][step]["rows_per_second"]


def ledger_line(rows: dict) -> str:
    led = rows.get("ledger")
    if not led:
        return "Office's ledger (`/cases/import/`): not run."
    pre, imp = led["preview"], led["import"]
    return (
        f"Office's ledger (`/cases/import/`, {led['rows']:,} rows written by bench/ledger_file.py): "
        f"preview (read_ledger, median of {pre['runs']}) {pre['median']:.1f} s, "
        f"**{pre['rows_per_second']:.0f} rows/s**; "
        f"import (import_ledger, only the rows without problems, commit included) {imp['seconds']:.1f} s, "
        f"**{imp['rows_per_second']:.0f} rows/s** ({imp['created']:,} cases created, {imp['refused']:,} rows "
        f"with problems left out, {imp['skipped']:,} skipped). The confirm step (the file read again, then "
        f"the import) took {led['confirm_seconds']:.1f} s."
    )


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def page_target(name: str) -> tuple[int, int | None] | None:
    """Issue 12's (ms, most queries) for the page NAME, None for a measurement without one."""
    words = name.lower()
    return next((t[1:] for t in PAGE_TARGETS if all(w in words for w in t[0])), None)


def target_cell(name: str, r: dict) -> str:
    """The page's target and whether this run met it: "40 ms, ≤ 10 queries ✓"."""
    target = page_target(name)
    if target is None:
        return ""
    most_ms, most_queries = target
    met = r["median"] * 1000 <= most_ms and (most_queries is None or r["queries"] <= most_queries)
    text = f"{most_ms} ms" + (f", ≤ {most_queries} queries" if most_queries is not None else "")
    return f"{text} {'✓' if met else '✗'}"


def page_row(name: str, r: dict, trivial: dict | None) -> str:
    times = f"{r['median'] / trivial['median']:.1f}×" if trivial else ""
    return f"| {name} | {ms(r['median'])} | {ms(r['p95'])} | {r['queries']} | {times} | {target_cell(name, r)} |"


def write_results(path: Path, info: dict, results: dict, runs: int, county: dict | None = None):
    sizes = sorted(results, key=int)
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m bench` (`make bench`). Every figure below was measured in that run;",
        f"sizes run: {', '.join(f'{int(s):,}' for s in sizes)} cases. {runs} runs per measurement",
        "(the imports run once per size). Times in milliseconds, in-process with Django's test Client",
        "(no network, no gunicorn), each size on a fresh database built by migrate, load_demo and generate_cases,",
        "then VACUUM ANALYZE (what autovacuum does after a bulk load; this server runs with autovacuum off).",
        "DEBUG off (static URLs without collectstatic's manifest). Queries counted with CaptureQueriesContext;",
        "the raw-SQL floor is two statements on its own psycopg2 connection, not seen by Django (shown as 0).",
        "Staff pages are fetched as the user whose page it is: the office (case list and page, triage, dashboard,",
        "meeting pack), the demo's cadre (`/my-team/`, the visit form); public pages without a login. /track/ is",
        "a resident's POST of a real case's number and its phone's last four digits, checked to find the case.",
        "× the trivial view: the median over that of /health/ in the same run. Targets: issue 12's, per page",
        "(median ms; the case page also at most 10 queries), ✓ met / ✗ missed at that size.",
        "Recording a case is `cases.workflow.register_case` timed directly (not through the cadre's visit form).",
        "The imports come after the timings and add their rows to the database: first the office's ledger",
        "(bench/ledger_file.py writes it; preview and import timed apart, rows/s over the file's data rows),",
        "then the admin's xlsx import (once per size).",
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']} ({info['nproc']} cores, shared with other work while this ran)",
        f"- Memory: {info['memory']}",
        f"- PostgreSQL {info['postgres']} on 127.0.0.1, Python {info['python']}",
        "",
    ]
    for size in sizes:
        rows = results[size]
        lines += [
            f"## {int(size):,} cases",
            "",
            "| measurement | median ms | p95 ms | queries | × the trivial view | target (issue 12) |",
            "|---|---:|---:|---:|---:|---|",
        ]
        lines.insert(len(lines) - 2, "URLs: " + ", ".join(f"`{u}`" for u in rows["urls"]) + "\n")
        trivial = rows["items"].get(TRIVIAL)
        for name, r in rows["items"].items():
            lines.append(page_row(name, r, trivial))
        lines += ["", targets_line(rows["items"])]
        imp = rows.get("import", {"how": "not run", "rows": 0, "seconds": 0, "rows_per_second": 0, "created": 0})
        lines += [
            "",
            f"Import of {imp['rows']:,} xlsx rows ({imp['how']}): {imp['seconds']:.1f} s, "
            f"**{imp['rows_per_second']:.0f} rows/s** ({imp['created']:,} cases created).",
            "",
            ledger_line(rows),
            "",
            f"Summary / floor (raw SQL): {summary_over_floor(rows['items']):.2f}×",
            "",
        ]
    if len(sizes) > 1:
        small, big, bigger = sizes[0], sizes[-1], sizes[1:]
        heads = " | ".join(f"{int(s):,} / {int(small):,}" for s in bigger)
        lines += [
            f"## Ratios to {int(small):,} cases (median time; data grows up to {int(big) / int(small):.0f}×)",
            "",
            f"| measurement | {heads} | queries at each size |",
            "|---|" + "---:|" * len(bigger) + "---|",
        ]
        for name in results[big]["items"]:
            base = results[small]["items"][name]
            ratios = " | ".join(f"{results[s]['items'][name]['median'] / base['median']:.2f}×" for s in bigger)
            counts = " → ".join(str(results[s]["items"][name]["queries"]) for s in sizes)
            lines.append(f"| {name} | {ratios} | {counts} |")
        if all("import" in results[s] for s in sizes):
            ratios = " | ".join(f"{rate(results[s]) / rate(results[small]):.2f}×" for s in bigger)
            lines.append(f"| xlsx import rows/s | {ratios} | |")
        if all("ledger" in results[s] for s in sizes):
            for step in ("preview", "import"):
                base = ledger_rate(results[small], step)
                ratios = " | ".join(f"{ledger_rate(results[s], step) / base:.2f}×" for s in bigger)
                lines.append(f"| office's ledger {step} rows/s | {ratios} | |")
        lines.append("")
        lines += targets(results, small, big)
    if county and sizes:
        lines += county_lines(county, results[sizes[-1]], sizes[-1])
    path.write_text("\n".join(lines))


def targets_line(items: dict) -> str:
    """One line: how many of issue 12's page targets this size met, and which it missed."""
    cells = {name: target_cell(name, r) for name, r in items.items() if page_target(name)}
    missed = [name for name, cell in cells.items() if cell.endswith("✗")]
    absent = [" + ".join(t[0]) for t in PAGE_TARGETS if not any(all(w in n.lower() for w in t[0]) for n in items)]
    line = f"Issue 12's page targets: {len(cells) - len(missed)} of {len(cells)} met"
    line += f"; missed: {', '.join(missed)}" if missed else ""
    return line + (f"; not measured: {', '.join(absent)}" if absent else "") + "."


def targets(results: dict, small: str, big: str) -> list[str]:
    """Issue 6's targets, checked against this run's figures at the biggest size."""
    growth = int(big) / int(small)
    items, base = results[big]["items"], results[small]["items"]
    pages = [name for name in items if not name.startswith("FLOOR")]
    changed = [name for name in pages if items[name]["queries"] != base[name]["queries"]]
    # "Far less than the data": a page may grow by at most a tenth of the data's growth.
    fastest = max(pages, key=lambda name: items[name]["median"] / base[name]["median"])
    fastest_ratio = items[fastest]["median"] / base[fastest]["median"]
    imp = results[big].get("import")
    rows = [
        (
            "summary.json within 1.5× of its raw-SQL floor",
            f"{summary_over_floor(items):.2f}×",
            summary_over_floor(items) <= 1.5,
        ),
        (
            f"every page's query count the same as at {int(small):,}",
            "all the same" if not changed else "changed: " + ", ".join(changed),
            not changed,
        ),
        (
            f"page times grow far less than the data (≤ {growth / 10:.0f}× for {growth:.0f}× the data)",
            f"largest: {fastest} {fastest_ratio:.2f}×",
            fastest_ratio <= growth / 10,
        ),
        (
            "the admin's xlsx import: at least 1,000 rows a second",
            f"{imp['rows_per_second']:.0f} rows/s" if imp else "not run",
            bool(imp) and imp["rows_per_second"] >= 1000,
        ),
    ]
    for step in ("preview", "import"):
        measured = [(ledger_rate(results[s], step), s) for s in sorted(results, key=int) if "ledger" in results[s]]
        slowest = min(measured, default=None)
        rows.append(
            (
                f"the office's ledger: {step} of at least 1,000 rows a second at every size",
                f"slowest: {slowest[0]:.0f} rows/s at {int(slowest[1]):,}" if slowest else "not run",
                len(measured) == len(results) and slowest[0] >= 1000,
            )
        )
    lines = [f"## Targets at {int(big):,} cases", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {target} | {measured} | {'yes' if met else '**no**'} |" for target, measured, met in rows]
    return [*lines, ""]


def main():
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--ledger-rows", type=int, default=10_000, help="rows of the office's ledger (0: not run)")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.md"))
    parser.add_argument("--from-json", help="only rewrite results.md from a results.json of an earlier run")
    parser.add_argument(
        "--county",
        help="SIZE:TOWNS, e.g. 5000000:17: also a county's database, its Sanhe pages beside the largest size's",
    )
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        write_results(Path(args.output), machine(), saved["results"], saved["runs"], saved.get("county"))
        return
    results, county = {}, None
    sizes = [int(s) for s in args.sizes.split(",")]
    saved = Path(args.output).with_suffix(".json")
    for size in sizes:
        print(f"== {size:,} cases", flush=True)
        env = bench_env(f"sanhe_bench_{size}")
        build(size, env)
        results[str(size)] = measure(env, args)
        if size == max(sizes):  # where each page's SQL time goes, at the largest size
            explain_notes(env, f"explain-{size // 1000}k.md")
        saved.write_text(json.dumps({"runs": args.runs, "results": results}, indent=1))
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS sanhe_bench_{size}")
        write_results(Path(args.output), machine(), results, args.runs)
    if args.county:
        size, towns = (int(part) for part in args.county.split(":"))
        print(f"== a county: {size:,} cases in {towns} towns", flush=True)
        env = bench_env("sanhe_bench_county")
        build(size, env, "sanhe_bench_county", towns)
        county = {"size": size, "towns": towns, "town_cases": town_cases("sanhe_bench_county", "SH")}
        county |= measure(env, args, imports=False)
        explain_notes(env, f"explain-county-{size // 1000}k.md")  # the town's SQL in the county
        saved.write_text(json.dumps({"runs": args.runs, "results": results, "county": county}, indent=1))
        if not args.keep:
            admin_sql("DROP DATABASE IF EXISTS sanhe_bench_county")
        write_results(Path(args.output), machine(), results, args.runs, county)
    print(Path(args.output).read_text())


def explain_notes(env: dict, filename: str):
    """bench/notes/FILENAME: every SELECT of every page on ENV's database under EXPLAIN ANALYZE."""
    explain = [sys.executable, "-m", "bench.explain", "--output", str(ROOT / "bench" / "notes" / filename)]
    subprocess.run(explain, cwd=ROOT, env=env, check=True)


def town_cases(name: str, code: str) -> int:
    conn = psycopg2.connect(dbname=name, **PG)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases_case JOIN villages_town t ON t.id = town_id WHERE t.code = %s", [code])
        (count,) = cur.fetchone()
    conn.close()
    return count


if __name__ == "__main__":
    main()
