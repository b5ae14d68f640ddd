"""Issue 6 point 3, under load: gunicorn against PostgreSQL on loopback, driven for a bounded time.

    python -m bench.load [--duration 30] [--connections 16] [--staff 4] [--count 100000] …

Builds its own database (sanhe_load_*: migrate, load_demo, generate_cases), starts gunicorn as
production would (DEBUG=0, collectstatic, the database cache, persistent connections), then:

  a. baseline: wrk on /health/ (one query) for --duration seconds;
  b. reads alone: wrk villagers reading the notice boards (town, villages, pages, filters);
  c. mixed: the same reads while --staff staff clients record problems (cadres, the visit flow)
     and update cases (office: progress, due date, title) through the real forms;
  d. lost writes: --writers cadres record problems for --write-seconds; the ledger must hold
     exactly the acknowledged cases, each number once, and a form sent twice registers once;
  e. one case, many hands: --racers office sessions submit the same action on one case at
     the same moment, --rounds times; a stale version must get 409, never overwrite.

Writes bench/load_results.md and prints it. Exits 1 on any error, lost or duplicated write,
silent overwrite, or error in the server's log. Needs wrk (apt-get install wrk).
"""

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg2

from bench import staff

ROOT = Path(__file__).resolve().parent.parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
WRK_TIMEOUT = "10s"  # a villager's phone waits that long; longer counts as an error

WRK_DONE = """
wrk.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
local paths = {%s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d, "p50": %%d, "p90": %%d, "p95": %%d, "p99": %%d, "max": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


# -- The database and the server ------------------------------------------------------------


def admin_sql(sql: str) -> list | None:
    conn = psycopg2.connect(dbname="postgres", **PG)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall() if cur.description else None
    conn.close()
    return rows


def url_for(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def manage(env: dict, *args: str) -> None:
    print("  manage.py", *args, flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def build(name: str, count: int, env: dict) -> None:
    admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {name}")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "createcachetable")
    manage(env, "load_demo")
    if count:
        manage(env, "generate_cases", "--count", str(count), "--seed", "1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database: str, static_root: str, port: int, workers: int) -> dict:
    """What production sets (README, Production), on loopback and plain HTTP."""
    return os.environ | {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS_ONLY": "0",  # no TLS on loopback: plain-HTTP cookies, no redirect to https
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": url_for(database),
        "DB_CONN_MAX_AGE": "60",
        "CACHE_URL": "db://sanhe_cache",  # shared by the workers, as with several of them it must be
        "STATIC_ROOT": static_root,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }


def start_gunicorn(env: dict, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        server = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=out, stderr=out)
    base = f"http://{env['GUNICORN_BIND']}"
    for _ in range(120):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start (exit {server.returncode}); see {log}")
        try:
            with urllib.request.urlopen(base + "/health/", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError(f"gunicorn did not answer /health/ within 60 s; see {log}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    server.terminate()  # SIGTERM to the master we started: it stops its workers
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def server_log(log: Path) -> dict:
    """Errors the server logged (level ERROR or worse, answers of 500 and up) and answers by status."""
    errors, statuses = [], {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            errors.append(line[:300])  # not one of our JSON lines: a crash printed by Python
            continue
        if entry.get("message") == "request":
            status = entry.get("status", 0)
            statuses[status] = statuses.get(status, 0) + 1
            if isinstance(status, int) and status >= 500:
                errors.append(f"{status} {entry.get('method')} {entry.get('path')}")
        elif entry.get("level") in ("ERROR", "CRITICAL"):
            errors.append(f"{entry.get('level')} {entry.get('message')} {entry.get('exception', '')[-300:]}")
    return {"errors": errors, "statuses": dict(sorted(statuses.items()))}


# -- wrk --------------------------------------------------------------------------------------


def wrk_script(paths: list[str], folder: Path, name: str) -> Path:
    script = folder / f"{name}.lua"
    script.write_text(WRK_DONE % ", ".join(json.dumps(p) for p in paths))
    return script


def start_wrk(base: str, script: Path, *, seconds: int, connections: int, threads: int) -> subprocess.Popen:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT}", "-s"]
    return subprocess.Popen([*command, str(script), base + "/"], stdout=subprocess.PIPE, text=True)


def wrk_result(process: subprocess.Popen) -> dict:
    out, _err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {out}")
    line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
    r = json.loads(line.removeprefix("WRKJSON "))
    seconds = r["duration_us"] / 1e6
    socket_errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
    return {
        "requests": r["requests"],
        "seconds": seconds,
        "rps": r["requests"] / seconds,
        "p50": r["p50"] / 1000,
        "p90": r["p90"] / 1000,
        "p95": r["p95"] / 1000,
        "p99": r["p99"] / 1000,
        "max": r["max"] / 1000,
        "errors": r["status"] + socket_errors,
        "error_detail": f"{r['status']} non-2xx/3xx, {r['connect']} connect, {r['read']} read, "
        f"{r['write']} write, {r['timeout']} timeouts",
        "mb": r["bytes"] / 1e6,
    }


def notice_paths(codes: list[str], categories: list[int], seed: int = 6) -> list[str]:
    """What villagers read, weighted: mostly the town's and their village's first page, some
    later pages and filters. Shuffled once, then wrk goes round it."""
    rng = random.Random(seed)
    paths = ["/notice/"] * 3 * len(codes)
    for code in codes:
        board = f"/notice/{code}/"
        paths += [board] * 4 + [f"{board}?page={rng.randint(2, 5)}", f"{board}?page={rng.randint(6, 50)}"]
        paths += [f"{board}?status=open", f"{board}?status=closed", f"{board}?category={rng.choice(categories)}"]
    rng.shuffle(paths)
    return paths


# -- The load database, read directly -------------------------------------------------------


class Ledger:
    def __init__(self, database: str):
        self.conn = psycopg2.connect(dbname=database, **PG)
        self.conn.autocommit = True

    def rows(self, sql: str, params=()) -> list:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def value(self, sql: str, params=()):
        return self.rows(sql, params)[0][0]

    def last_case_id(self) -> int:
        return self.value("SELECT coalesce(max(id), 0) FROM cases_case")

    def numbers_after(self, case_id: int) -> list[str]:
        return [row[0] for row in self.rows("SELECT number FROM cases_case WHERE id > %s", [case_id])]

    def without_one_registration(self, case_id: int) -> int:
        """New cases whose history does not start with exactly one registration."""
        return self.value(
            "SELECT count(*) FROM cases_case c WHERE c.id > %s AND (SELECT count(*) FROM cases_caseevent e "
            "WHERE e.case_id = c.id AND e.kind = 'registered') <> 1",
            [case_id],
        )


# -- The phases -------------------------------------------------------------------------------


def summarize_staff(tally: staff.Tally, seconds: float) -> dict:
    def stats(rows) -> dict:
        times = sorted(r[2] * 1000 for r in rows)
        return {"count": len(times), "rps": len(times) / seconds} | {
            f"p{q}": percentile(times, q) for q in (50, 90, 95, 99)
        }

    posts = [r for r in tally.requests if r[0].startswith("POST")]
    pages = [r for r in tally.requests if not r[0].startswith("POST") and r[0] != "login"]
    return {
        "all": stats([r for r in tally.requests if r[0] != "login"]),
        "pages": stats(pages),
        "posts": stats(posts),
        "errors": list(tally.errors),
        "counts": dict(tally.counts),
        "cases": len({n for _, n in tally.acks}),
    }


def percentile(values: list[float], q: float) -> float:
    """Nearest rank; 0 for no values."""
    if not values:
        return 0.0
    rank = max(1, min(len(values), round(q / 100 * len(values) + 0.5)))
    return values[rank - 1]


def staff_clients(base: str, tally: staff.Tally, days: staff.Days, numbers: list[str], n: int, prefix: str):
    """N staff clients: half cadres recording problems (rounded up), half office staff updating."""
    cadres = [staff.CadreClient(base, tally, days, f"{prefix}cadre{i}", seed=i) for i in range((n + 1) // 2)]
    office = [staff.OfficeClient(base, tally, numbers, f"{prefix}office{i}", seed=100 + i) for i in range(n // 2)]
    clients = cadres + office
    for client in clients:
        client.login()
    return clients


def phase_reads(base, script, args, label: str) -> dict:
    print(f"{label}: wrk, {args.connections} connections, {args.duration} s", flush=True)
    return wrk_result(start_wrk(base, script, seconds=args.duration, connections=args.connections, threads=2))


def phase_mixed(base, script, args, ledger: Ledger, days: staff.Days, numbers: list[str]) -> dict:
    print(f"mixed: wrk reads + {args.staff} staff clients, {args.duration} s", flush=True)
    tally = staff.Tally()
    clients = staff_clients(base, tally, days, numbers, args.staff, "mixed-")
    before = ledger.last_case_id()
    reads = start_wrk(base, script, seconds=args.duration, connections=args.connections, threads=2)
    started = time.monotonic()
    staff.run_clients(clients, args.duration)
    seconds = time.monotonic() - started
    result = {"reads": wrk_result(reads), "staff": summarize_staff(tally, seconds), "seconds": seconds}
    result["ledger"] = staff.check_ledger(tally.acks, ledger.numbers_after(before))
    result["history_gaps"] = ledger.without_one_registration(before)
    return result


def phase_lost_writes(base, args, ledger: Ledger, days: staff.Days) -> dict:
    print(f"lost writes: {args.writers} cadres record problems for {args.write_seconds} s", flush=True)
    tally = staff.Tally()
    clients = [staff.CadreClient(base, tally, days, f"writer{i}", seed=1000 + i) for i in range(args.writers)]
    for client in clients:
        client.login()
    before = ledger.last_case_id()
    started = time.monotonic()
    staff.run_clients(clients, args.write_seconds)
    seconds = time.monotonic() - started
    check = staff.check_ledger(tally.acks, ledger.numbers_after(before))
    return {
        "staff": summarize_staff(tally, seconds),
        "ledger": check,
        "history_gaps": ledger.without_one_registration(before),
        "seconds": seconds,
    }


def phase_race(base, args, ledger: Ledger) -> dict:
    case_id, number, version = ledger.rows(
        "SELECT id, number, version FROM cases_case WHERE status = 'in_progress' ORDER BY id LIMIT 1"
    )[0]
    print(f"one case, many hands: {args.racers} office sessions on {number}, {args.rounds} rounds", flush=True)
    last_event = ledger.value("SELECT coalesce(max(id), 0) FROM cases_caseevent WHERE case_id = %s", [case_id])
    tally = staff.Tally()
    attempts = staff.race(base, number, clients=args.racers, rounds=args.rounds, tally=tally)
    events = ledger.rows(
        "SELECT kind, text FROM cases_caseevent WHERE case_id = %s AND id > %s ORDER BY id", [case_id, last_event]
    )
    after, title, due_on = ledger.rows("SELECT version, title, due_on FROM cases_case WHERE id = %s", [case_id])[0]
    check = staff.check_race(
        attempts,
        clients=args.racers,
        rounds=args.rounds,
        events=events,
        versions=(version, after),
        final={"title": title, "due_on": due_on.isoformat() if due_on else None},
    )
    return {"number": number, "check": check, "errors": list(tally.errors), "versions": (version, after)}


# -- The report -------------------------------------------------------------------------------


def machine(workers: int) -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    mem = next(
        line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line
    )
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "postgres": admin_sql("SHOW server_version")[0][0],
        "python": platform.python_version(),
        "wrk": (wrk.stdout + wrk.stderr).split("[")[0].strip(),
        "workers": workers,
        "load": os.getloadavg(),
    }


def ms(value: float) -> str:
    return f"{value:.1f}"


def latencies(r: dict) -> str:
    return " | ".join(ms(r[p]) for p in ("p50", "p90", "p95", "p99"))


def failures(results: dict) -> list[str]:
    """Everything that makes the run fail, one line each."""
    out = []
    for phase in ("baseline", "reads", "mixed"):
        r = results[phase]["reads"] if phase == "mixed" else results[phase]
        if r["errors"]:
            out.append(f"{phase}: wrk errors: {r['error_detail']}")
    for phase in ("mixed", "lost_writes"):
        r = results[phase]
        out += [f"{phase}: {e}" for e in r["staff"]["errors"][:20]]
        check = r["ledger"]
        if not check.ok:
            out.append(
                f"{phase}: ledger: lost {check.lost[:10]}, unacknowledged {check.unacknowledged[:10]}, "
                f"duplicated {check.duplicates[:10]}, registered twice {check.double_registered[:10]}"
            )
        if r["history_gaps"]:
            out.append(f"{phase}: {r['history_gaps']} new cases without exactly one registration in their history")
    race = results["race"]
    out += [f"race: {p}" for p in race["check"].problems] + [f"race: {e}" for e in race["errors"]]
    out += [f"server log: {e}" for e in results["server"]["errors"][:20]]
    return out


def staff_rows(name: str, s: dict) -> list[str]:
    rows = []
    for label, key in (("staff: all requests", "all"), ("staff: pages (GET)", "pages"), ("staff: form posts", "posts")):
        r = s[key]
        rows.append(f"| {name} | {label} | {r['count']:,} | {r['rps']:.1f} | {latencies(r)} |")
    return rows


def report(info: dict, args, results: dict, problems: list[str]) -> str:
    base, reads, mixed = results["baseline"], results["reads"], results["mixed"]
    lw, race = results["lost_writes"], results["race"]
    mixed_reads = mixed["reads"]
    lines = [
        "# Load test results",
        "",
        "Written by `python -m bench.load` (issue 6 point 3). Every figure below was measured in that run.",
        "",
        "## Set-up",
        "",
        f"- CPU: {info['cpu']}, {info['cores']} cores, shared with the load generators (wrk and the",
        "  Python staff clients run on the same machine) and with other work (load average before the run:",
        f"  {', '.join(f'{x:.2f}' for x in info['load'])})",
        f"- Memory: {info['memory']}; PostgreSQL {info['postgres']} on 127.0.0.1; Python {info['python']};",
        f"  {info['wrk']}",
        f"- gunicorn (gunicorn.conf.py): {info['workers']} sync workers, 1 thread each; DEBUG=0, DB_CONN_MAX_AGE=60,",
        "  CACHE_URL=db://sanhe_cache, static files from collectstatic through whitenoise, JSON access log to a file",
        f"- Database: migrate, load_demo and generate_cases --count {args.count:,} ({results['cases_before']:,} cases)",
        f"- Each wrk phase: {args.duration} s, {args.connections} connections, 2 threads, timeout {WRK_TIMEOUT}; a",
        "  request counts as an error when wrk gets a socket error, a timeout or a status of 400 or more",
        "- Staff clients: Python threads, each its own session (login, CSRF cookie and token), submitting the",
        "  real forms as a browser does and following each redirect; no pause between steps",
        "",
        "## Throughput and latency",
        "",
        "| phase | traffic | requests | per second | p50 ms | p90 ms | p95 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        f"| a. baseline | wrk `/health/` (one query) | {base['requests']:,} | {base['rps']:.1f} | {latencies(base)} |",
        f"| b. reads alone | wrk notice boards | {reads['requests']:,} | {reads['rps']:.1f} | {latencies(reads)} |",
        f"| c. mixed | wrk notice boards | {mixed_reads['requests']:,} | {mixed_reads['rps']:.1f} | "
        f"{latencies(mixed_reads)} |",
        *staff_rows("c. mixed", mixed["staff"]),
        *staff_rows("d. lost writes", lw["staff"]),
        "",
        f"**Read throughput / trivial-view throughput: {reads['rps'] / base['rps']:.2f} reading alone, "
        f"{mixed_reads['rps'] / base['rps']:.2f} while staff write** "
        f"({mixed_reads['rps']:.1f} / {base['rps']:.1f} requests per second).",
        "",
        "Errors: baseline "
        + base["error_detail"]
        + "; reads alone "
        + reads["error_detail"]
        + "; mixed reads "
        + mixed_reads["error_detail"]
        + f"; staff {len(mixed['staff']['errors'])} in the mixed phase, "
        f"{len(lw['staff']['errors'])} in the lost-writes phase; server log: {len(results['server']['errors'])} "
        f"errors, answers by status {results['server']['statuses']}.",
        "",
        f"In the mixed phase the staff recorded {mixed['staff']['cases']:,} cases "
        f"({mixed['staff']['cases'] / mixed['seconds']:.1f} per second) and "
        f"{', '.join(f'{k}: {v}' for k, v in sorted(mixed['staff']['counts'].items())) or 'no other events'}.",
        "",
        "Notice-board paths read (wrk goes round them): " + ", ".join(f"`{p}`" for p in results["sample_paths"]) + " …",
        "",
        "## Nothing lost",
        "",
        f"{args.writers} cadres recorded problems through the visit form for {lw['seconds']:.0f} s "
        f"({lw['staff']['cases'] / lw['seconds']:.1f} cases per second); about one form in ten was sent twice.",
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
        "## One case, many hands",
        "",
        f"{args.racers} office sessions loaded case {race['number']}, waited for each other, and submitted the "
        f"same action at the same moment, {args.rounds} rounds in turn: edit the title, set the due date "
        "(both carry the version they loaded), add a line of progress (adds, overwrites nothing).",
        "",
        f"- submissions: {race['check'].attempts}; succeeded: {race['check'].succeeded}; refused with 409: "
        f"{race['check'].refused}",
        f"- version {race['versions'][0]} → {race['versions'][1]}; the history holds one line per success, in the "
        "order won; the final title and due date are the last winners'",
        f"- problems: {'; '.join(race['check'].problems) or 'none'}",
        "",
        "## Verdict",
        "",
        (
            "**PASS**: no errors, nothing lost, nothing duplicated, nothing overwritten silently."
            if not problems
            else "**FAIL**:\n\n" + "\n".join(f"- {p}" for p in problems)
        ),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds of each wrk phase (default 30)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--staff", type=int, default=4, help="staff clients in the mixed phase (default 4)")
    parser.add_argument("--writers", type=int, default=8, help="cadres in the lost-writes phase (default 8)")
    parser.add_argument("--write-seconds", type=int, default=30, help="length of the lost-writes phase")
    parser.add_argument("--racers", type=int, default=8, help="sessions updating one case at once (default 8)")
    parser.add_argument("--rounds", type=int, default=9, help="rounds of the one-case race (default 9)")
    parser.add_argument("--count", type=int, default=100_000, help="cases generate_cases adds (default 100000)")
    parser.add_argument("--database", default="sanhe_load_run", help="database name (must start sanhe_load_)")
    parser.add_argument("--reuse", action="store_true", help="use the database as it is (from an earlier --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--output", default=str(ROOT / "bench" / "load_results.md"))
    args = parser.parse_args()
    if not args.database.startswith("sanhe_load_"):
        parser.error("--database must start with sanhe_load_ (it is dropped afterwards)")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk)")

    info = machine(args.workers)
    work = Path(tempfile.mkdtemp(prefix="sanhe_load_"))
    port = free_port()
    env = server_env(args.database, str(work / "static"), port, args.workers)
    if not args.reuse:
        print(f"building {args.database}", flush=True)
        build(args.database, args.count, env)
    manage(env, "collectstatic", "--noinput", "-v", "0")
    log = work / "gunicorn.log"
    server = start_gunicorn(env, log)
    base = f"http://127.0.0.1:{port}"
    print(f"gunicorn on {base}, {args.workers} workers; log {log}", flush=True)
    ledger = Ledger(args.database)
    results: dict = {}
    try:
        codes = [row[0] for row in ledger.rows("SELECT code FROM villages_village ORDER BY code")]
        categories = [row[0] for row in ledger.rows("SELECT id FROM cases_category ORDER BY id")]
        numbers = [
            row[0]
            for row in ledger.rows(
                "SELECT number FROM cases_case WHERE status <> 'closed' ORDER BY md5(number) LIMIT 2000"
            )
        ]
        paths = notice_paths(codes, categories)
        results["sample_paths"] = paths[:6]
        results["cases_before"] = ledger.value("SELECT count(*) FROM cases_case")
        health = wrk_script(["/health/"], work, "health")
        boards = wrk_script(paths, work, "boards")
        days = staff.Days()
        results["baseline"] = phase_reads(base, health, args, "baseline /health/")
        results["reads"] = phase_reads(base, boards, args, "reads alone")
        results["mixed"] = phase_mixed(base, boards, args, ledger, days, numbers)
        results["lost_writes"] = phase_lost_writes(base, args, ledger, days)
        results["race"] = phase_race(base, args, ledger)
    finally:
        stop_gunicorn(server)
        ledger.conn.close()
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    results["server"] = server_log(log)
    problems = failures(results)
    text = report(info, args, results, problems)
    Path(args.output).write_text(text)
    print(text)
    shutil.rmtree(work / "static", ignore_errors=True)
    print(f"server log kept at {log}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
