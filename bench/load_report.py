"""The load test's figures and its report (bench/load_results.md): what the clients measured,
what the server logged, and the verdict."""

import collections
import json
import os
import platform
import re
import subprocess
from pathlib import Path

from bench import staff

WRK_TIMEOUT = "10s"  # a villager's phone waits that long; longer counts as an error
BOARD_SHARE_TARGET = 0.5  # issue 12: the boards serve at least half the trivial view's requests a second

# Request paths grouped by page for the server-time table.
ROUTES = [
    (re.compile(r"^/notice/\d{12}/$"), "/notice/<code>/"),
    (re.compile(r"^/cases/[^/]+/$"), "/cases/<number>/"),
    (re.compile(r"^/cases/[^/]+/(\w+)/$"), r"/cases/<number>/\1/"),
    (re.compile(r"^/visits/\d+/$"), "/visits/<pk>/"),
    (re.compile(r"^/visits/\d+/problems/$"), "/visits/<pk>/problems/"),
]


def percentile(values: list[float], q: float) -> float:
    """Nearest rank of sorted VALUES; 0 for none."""
    if not values:
        return 0.0
    rank = max(1, min(len(values), round(q / 100 * len(values) + 0.5)))
    return values[rank - 1]


def summarize_staff(tally: staff.Tally, seconds: float) -> dict:
    """The staff clients' requests (logins left out): rate and latency percentiles in ms."""

    def stats(rows) -> dict:
        times = sorted(r[2] * 1000 for r in rows)
        return {"count": len(times), "rps": len(times) / seconds} | {
            f"p{q}": percentile(times, q) for q in (50, 90, 95, 99)
        }

    work = [r for r in tally.requests if r[0] != "login"]
    return {
        "all": stats(work),
        "pages": stats([r for r in work if not r[0].startswith("POST")]),
        "posts": stats([r for r in work if r[0].startswith("POST")]),
        "errors": list(tally.errors),
        "counts": dict(tally.counts),
        "cases": len({number for _nonce, number in tally.acks}),
    }


def route(method: str, path: str) -> str:
    for pattern, name in ROUTES:
        if pattern.match(path):
            return f"{method} {pattern.sub(name, path)}"
    return f"{method} {path}"


def server_log(log: Path) -> dict:
    """From gunicorn's JSON log: the errors (level ERROR or worse, answers of 500 and up),
    the answers by status, and the server's time per page."""
    errors, statuses, times = [], {}, {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            errors.append(line[:300])  # not one of our JSON lines: something printed by a crash
            continue
        if entry.get("message") == "request":
            status = entry.get("status", 0)
            statuses[status] = statuses.get(status, 0) + 1
            if isinstance(status, int) and status >= 500:
                errors.append(f"{status} {entry.get('method')} {entry.get('path')}")
            key = route(entry.get("method", ""), entry.get("path", ""))
            times.setdefault(key, []).append(float(entry.get("duration_ms", 0)))
        elif entry.get("level") in ("ERROR", "CRITICAL"):
            errors.append(f"{entry.get('level')} {entry.get('message')} {entry.get('exception', '')[-300:]}")
    pages = {key: sorted(values) for key, values in times.items()}
    return {"errors": errors, "statuses": dict(sorted(statuses.items())), "pages": pages}


def machine(workers: int, postgres: str) -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": next(line.split(":", 1)[1].strip() for line in meminfo if "MemTotal" in line),
        "postgres": postgres,
        "python": platform.python_version(),
        "wrk": (wrk.stdout + wrk.stderr).split("[")[0].strip(),
        "workers": workers,
        "load": os.getloadavg(),
    }


def failures(results: dict) -> list[str]:
    """Everything that makes the run fail, one line each."""
    out = []
    for phase in ("baseline", "reads"):
        if results[phase]["errors"]:
            out.append(f"{phase}: wrk errors {results[phase]['errors_by']}")
    if results["mixed"]["reads"]["errors"]:
        out.append(f"mixed: wrk errors {results['mixed']['reads']['errors_by']}")
    for phase in ("mixed", "lost_writes"):
        r = results[phase]
        out += [f"{phase}: {e}" for e in r["staff"]["errors"][:10]]
        if len(r["staff"]["errors"]) > 10:
            out.append(f"{phase}: … {len(r['staff']['errors']) - 10} more client errors")
        check = r["ledger"]
        if not check.ok:
            out.append(
                f"{phase}: ledger: lost {check.lost[:10]}, unacknowledged {check.unacknowledged[:10]}, "
                f"duplicated {check.duplicates[:10]}, registered twice {check.double_registered[:10]}"
            )
        if r["history_gaps"]:
            out.append(f"{phase}: {r['history_gaps']} new cases without exactly one registration in their history")
    tally = results.get("tally")
    if tally and tally["differ"]:
        out.append(f"tally: {tally['differ']} rows differ from a recount of the cases")
    race = results["race"]
    out += [f"race: {p}" for p in race["check"].problems] + [f"race: {e}" for e in race["errors"]]
    logged = collections.Counter(results["server"]["errors"])
    out += [f"server log, {n} ×: {e}" for e, n in logged.most_common(10)]
    return out


def ms(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def latencies(r: dict) -> str:
    return " | ".join(ms(r[p]) for p in ("p50", "p90", "p95", "p99"))


def wrk_row(phase: str, traffic: str, r: dict) -> str:
    spread = f" ({min(r['each_rps']):.0f}–{max(r['each_rps']):.0f})" if len(r["each_rps"]) > 1 else ""
    return f"| {phase} | {traffic} | {r['requests']:,} | {r['rps']:.1f}{spread} | {latencies(r)} |"


def staff_rows(phase: str, s: dict) -> list[str]:
    rows = []
    for label, key in (("staff: all requests", "all"), ("staff: pages (GET)", "pages"), ("staff: form posts", "posts")):
        r = s[key]
        rows.append(f"| {phase} | {label} | {r['count']:,} | {r['rps']:.1f} | {latencies(r)} |")
    return rows


def errors_text(r: dict) -> str:
    e = r["errors_by"]
    return (
        f"{e['status']} non-2xx/3xx, {e['connect']} connect, {e['read']} read, {e['write']} write, "
        f"{e['timeout']} timeouts"
    )


def page_rows(pages: dict, least: int = 20) -> list[str]:
    rows = ["| page | requests | median ms | p90 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for key, values in sorted(pages.items(), key=lambda item: -percentile(item[1], 50)):
        if len(values) >= least:
            p = {q: percentile(values, q) for q in (50, 90, 99)}
            rows.append(f"| `{key}` | {len(values):,} | {p[50]:.0f} | {p[90]:.0f} | {p[99]:.0f} |")
    return rows


def board_share(results: dict) -> float:
    """Notice-board reads per second (phase b, boards only) over /health/'s (phase a), the medians
    of the repeats."""
    return results["reads"]["rps"] / results["baseline"]["rps"]


def target_lines(results: dict) -> list[str]:
    """Issue 12's throughput target, read at a glance: met or missed, with each repeat's share."""
    share = board_share(results)
    each = ", ".join(f"{r:.3f}" for r in results.get("board_shares", []))
    met = share >= BOARD_SHARE_TARGET
    return [
        "## Target (issue 12)",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        f"| notice-board reads per second ≥ {BOARD_SHARE_TARGET} × `/health/`'s (phase b ÷ phase a) "
        f"| {share:.3f} ({results['reads']['rps']:.1f} ÷ {results['baseline']['rps']:.1f}; each repeat: {each}) "
        f"| {'✓' if met else '✗'} |",
        "",
        "Both phases run in turn on the same server with the same wrk connections, so the share holds the",
        "machine's other work roughly constant; it is not part of the verdict below (which is about errors",
        "and lost writes), since a shared machine moves it.",
    ]


def setup_lines(info: dict, args, results: dict) -> list[str]:
    load = ", ".join(f"{x:.2f}" for x in info["load"])
    after = ", ".join(f"{x:.2f}" for x in info.get("load_after", ()))
    return [
        "## Set-up",
        "",
        f"- Code served: {info['code']}",
        f"- CPU: {info['cpu']}, {info['cores']} cores, shared with the load generators (wrk and the Python",
        f"  staff clients run on the same machine) and with other work: load average {load} before the run,",
        f"  {after} after it",
        f"- Memory: {info['memory']}; PostgreSQL {info['postgres']} on 127.0.0.1; Python {info['python']};",
        f"  {info['wrk']}",
        f"- gunicorn (gunicorn.conf.py): {info['workers']} sync workers (2 × cores + 1), 1 thread each, workers",
        "  recycled after 2000 ± 200 requests; DEBUG=0, DB_CONN_MAX_AGE=60, CACHE_URL=db://sanhe_cache,",
        "  static files from collectstatic through whitenoise, JSON access log to a file",
        f"- Database: migrate, load_demo and generate_cases --count {args.count:,} "
        f"({results['cases_before']:,} cases at the start)",
        f"- Phases a, b, c in turn, {args.repeat} times, {args.duration} s each: wrk with {args.connections} "
        f"connections, 2 threads, timeout {WRK_TIMEOUT}.",
        "  Per second: the median of the repeats (lowest–highest); percentiles: medians of the repeats'.",
        "  A wrk request is an error on a socket error, a timeout or a status of 400 or more.",
        f"- Staff clients (mixed phase: {args.staff}, half cadres recording problems through the visit form,",
        "  half office staff adding progress, setting due dates and correcting titles on the case page): Python",
        "  threads, each its own session (login, CSRF cookie and token), submitting the real forms as a browser",
        "  does and following each redirect, with no pause between steps. Their percentiles are over all their",
        "  requests of all repeats; a 409 (someone changed the case first) is an answer, not an error.",
    ]


def throughput_lines(results: dict) -> list[str]:
    base, reads, mixed = results["baseline"], results["reads"], results["mixed"]
    lw = results["lost_writes"]
    ratios = ", ".join(f"{r:.3f}" for r in results["ratios"])
    return [
        "## Throughput and latency",
        "",
        "| phase | traffic | requests | per second | p50 ms | p90 ms | p95 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        wrk_row("a. baseline", "wrk `/health/` (the health check)", base),
        wrk_row("b. reads alone", "wrk notice boards", reads),
        wrk_row("c. mixed", "wrk notice boards", mixed["reads"]),
        *staff_rows("c. mixed", mixed["staff"]),
        *staff_rows("d. lost writes", lw["staff"]),
        "",
        f"**Notice-board reads per second / trivial view's: {board_share(results):.3f} reading alone, "
        f"{mixed['reads']['rps'] / base['rps']:.3f} while the staff write** (medians "
        f"{reads['rps']:.1f} and {mixed['reads']['rps']:.1f} against {base['rps']:.1f}; each repeat's mixed / "
        f"baseline: {ratios}).",
        "",
        f"Errors: baseline {errors_text(base)}; reads alone {errors_text(reads)}; mixed reads "
        f"{errors_text(mixed['reads'])}; staff clients {len(mixed['staff']['errors'])} in the mixed phase, "
        f"{len(lw['staff']['errors'])} in the lost-writes phase; server log {len(results['server']['errors'])} "
        f"errors, answers by status {results['server']['statuses']}.",
        "",
        f"While the boards were read, the staff recorded {mixed['staff']['cases']:,} cases "
        f"({mixed['staff']['cases'] / mixed['seconds']:.1f} per second) and updated cases; what else they saw: "
        f"{', '.join(f'{k} {v}' for k, v in sorted(mixed['staff']['counts'].items())) or 'nothing'}.",
        "",
        "The boards wrk goes round (first of "
        + str(len(results["sample_paths"]))
        + " shown): "
        + ", ".join(f"`{p}`" for p in results["sample_paths"])
        + " … (the town board a quarter of the time, each village's first page, pages 2 to 50, status and "
        "category filters).",
        "",
        *cpu_lines(results),
        "",
        "### Server time by page (gunicorn's access log, all phases; pages with 20 requests or more)",
        "",
        *page_rows(results["server"]["pages"]),
    ]


def cpu_row(phase: str, r: dict) -> str:
    per_request = r["cpu"] * 1000 / r["served"] if r["served"] else 0.0
    return f"| {phase} | {r['served']:,} | {r['cpu']:.1f} | {per_request:.2f} | {r['cpu'] / r['wall']:.2f} |"


def cpu_lines(results: dict) -> list[str]:
    base, reads = results["baseline"], results["reads"]
    cost = (reads["cpu"] / reads["served"]) / (base["cpu"] / base["served"]) if base["cpu"] and reads["served"] else 0
    return [
        "### Server CPU per request",
        "",
        "gunicorn's processes (the master and its workers, replaced ones included; PostgreSQL not counted),",
        "read from /proc before and after each phase, all repeats together: what a request costs the app",
        "server, which the other work on a shared machine changes far less than the rates above.",
        "",
        "| phase | requests served | CPU seconds | CPU ms per request | cores busy |",
        "|---|---:|---:|---:|---:|",
        cpu_row("a. baseline `/health/`", base),
        cpu_row("b. notice boards alone", reads),
        cpu_row("c. mixed (boards and staff)", results["mixed"]["reads"]),
        cpu_row("d. lost writes (staff only)", results["lost_writes"]["server"]),
        "",
        f"A notice-board read costs the app server {cost:.1f}× the CPU of the trivial view "
        f"(so at most {1 / cost if cost else 0:.3f} of its throughput on the same cores).",
    ]


def ledger_lines(args, results: dict) -> list[str]:
    mixed, lw = results["mixed"], results["lost_writes"]
    lines = [
        "## Nothing lost",
        "",
        f"{args.writers} cadres recorded problems through the visit form for {lw['seconds']:.0f} s "
        f"({lw['staff']['cases'] / lw['seconds']:.1f} cases per second); about one form in ten was sent twice, "
        "and half chose a category, so the possible duplicates were shown and confirmed first. Afterwards "
        "the database's new cases were compared with the numbers the server acknowledged (the redirect "
        "to `?saved=<number>`, checked on the page it leads to).",
        "",
        "| check | mixed phase | lost-writes phase |",
        "|---|---:|---:|",
    ]
    for label, attr in (
        ("forms acknowledged with a number", "submissions"),
        ("cases the ledger gained", "created"),
        ("second taps answered with the first number", "repeats"),
    ):
        lines.append(f"| {label} | {getattr(mixed['ledger'], attr):,} | {getattr(lw['ledger'], attr):,} |")
    for label, attr in (
        ("acknowledged but missing (lost)", "lost"),
        ("in the ledger but never acknowledged", "unacknowledged"),
        ("numbers given twice", "duplicates"),
        ("forms registered twice", "double_registered"),
    ):
        lines.append(f"| {label} | {len(getattr(mixed['ledger'], attr))} | {len(getattr(lw['ledger'], attr))} |")
    lines += [
        f"| new cases without exactly one registration event | {mixed['history_gaps']} | {lw['history_gaps']} |",
        f"| client errors | {len(mixed['staff']['errors'])} | {len(lw['staff']['errors'])} |",
        "",
        tally_line(results.get("tally")),
        "",
        "Also seen in the lost-writes phase: "
        + (", ".join(f"{k} {v}" for k, v in sorted(lw["staff"]["counts"].items())) or "nothing")
        + ".",
    ]
    return lines


def tally_line(tally: dict | None) -> str:
    if tally is None:
        return "The served code keeps no tally of the cases (cases.models.CaseTally): nothing to recount."
    return (
        f"At the end, after every phase's writes, the tally that the triggers kept (cases.models.CaseTally, "
        f"{tally['rows']:,} rows) was compared with a recount of all cases (cases.tally.rebuild): "
        f"**{tally['differ']} rows differ**."
    )


def race_lines(args, race: dict) -> list[str]:
    check = race["check"]
    return [
        "## One case, many hands",
        "",
        f"{args.racers} office sessions loaded case {race['number']}, waited for each other, and submitted the "
        f"same action at the same moment, {args.rounds} rounds in turn: edit the title, set the due date "
        "(both carry the version they loaded), add a line of progress (adds, overwrites nothing).",
        "",
        f"- submissions: {check.attempts}; succeeded: {check.succeeded}; refused with 409: {check.refused}",
        f"- version {race['versions'][0]} → {race['versions'][1]}",
        "- checked: in each versioned round every session had loaded the same version and exactly one was "
        "saved; the case's history holds exactly one line per success, in the order they were won, and every "
        "progress line; the final title and due date are the last winners'",
        f"- problems: {'; '.join(check.problems) or 'none'}",
    ]


def report(info: dict, args, results: dict, problems: list[str]) -> str:
    verdict = (
        "**PASS**: no errors, nothing lost, nothing duplicated, nothing overwritten silently."
        if not problems
        else "**FAIL**:\n\n" + "\n".join(f"- {p}" for p in problems)
    )
    lines = [
        "# Load test results",
        "",
        "Written by `python -m bench.load` (issue 6 point 3); every figure below was measured in that run.",
        "",
        *target_lines(results),
        "",
        *setup_lines(info, args, results),
        "",
        *throughput_lines(results),
        "",
        *ledger_lines(args, results),
        "",
        *race_lines(args, results["race"]),
        "",
        "## Verdict",
        "",
        verdict,
        "",
    ]
    return "\n".join(lines)
