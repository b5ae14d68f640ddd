"""Issue 6 point 3, under load: gunicorn against PostgreSQL on loopback, driven for a bounded time.

    python -m bench.load [--duration 30] [--repeat 3] [--connections 16] [--staff 4] [--count 100000] …

Builds its own database (sanhe_load_*: migrate, load_demo, generate_cases), starts gunicorn as
production would (DEBUG=0, collectstatic, the database cache, persistent connections), then:

  a. baseline: wrk on /health/ (one query) for --duration seconds;
  b. reads alone: wrk villagers reading the notice boards (town, villages, pages, filters);
     issue 12's target: b's requests per second at least BOARD_SHARE_TARGET (0.5) of a's;
  c. mixed: the same reads while --staff staff clients record problems (cadres, the visit flow)
     and update cases (office: progress, due date, title) through the real forms;
     a, b and c in turn, --repeat times (the machine is shared: medians of the repeats);
  d. lost writes: --writers cadres record problems for --write-seconds; the ledger must hold
     exactly the acknowledged cases, each number once, and a form sent twice registers once;
  e. one case, many hands: --racers office sessions submit the same action on one case at
     the same moment, --rounds times; a stale version must get 409, never overwrite.

Writes bench/load_results.md and prints it. Exits 1 on any error, lost or duplicated write,
silent overwrite, or error in the server's log. Needs wrk (apt-get install wrk).
"""

import argparse
import datetime
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg2

from bench import load_report, staff
from bench.pg import PG, admin_sql, url_for

ROOT = Path(__file__).resolve().parent.parent
WRK_ERRORS = ("status", "connect", "read", "write", "timeout")

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


def source_tree(commit: str, work: Path, tree: str = "") -> tuple[Path, str]:
    """Where the served code comes from, and how the report names it: TREE (a folder), COMMIT
    exported by git archive (what other people edit in the working tree meanwhile does not reach
    the server, not even when gunicorn replaces a worker), or the working tree itself."""
    if tree:
        return Path(tree).resolve(), f"the folder {tree}"
    head = subprocess.run(["git", "rev-parse", "--short", commit or "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if not commit:
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
        changes = " with uncommitted changes" if dirty.stdout else ""
        return ROOT, f"the working tree at {head.stdout.strip()}{changes}"
    tree = work / "src"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree, f"commit {head.stdout.strip()} (git archive)"


def manage(tree: Path, env: dict, *args: str) -> None:
    print("  manage.py", *args, flush=True)
    subprocess.run([sys.executable, "manage.py", *args], cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)


def build(tree: Path, name: str, count: int, env: dict) -> None:
    admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {name}")
    manage(tree, env, "createcachetable")  # first: migrate's receivers may already use the cache
    manage(tree, env, "migrate", "--noinput", "-v", "0")
    manage(tree, env, "load_demo")
    if count:
        manage(tree, env, "generate_cases", "--count", str(count), "--seed", "1")


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port free on loopback, never one this run has handed out already: once its socket is closed
    the system may offer the same port again, and two servers given one port would leave one
    unstarted and the other answering for both (seen: the cluster's two nodes on one port)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


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


def start_gunicorn(tree: Path, env: dict, log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        server = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py"], cwd=tree, env=env, stdout=out, stderr=out)
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
    stop_gunicorn(server)
    raise RuntimeError(f"gunicorn did not answer /health/ within 60 s; see {log}")


def stop_gunicorn(server: subprocess.Popen) -> None:
    server.terminate()  # SIGTERM to the master we started: it stops its workers
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


class ServerCpu:
    """CPU seconds gunicorn has used so far: its master, its live workers, and the workers it has
    already replaced (counted in the master's children's times once reaped). PostgreSQL's own
    processes are not counted. A figure the other work on a shared machine hardly changes."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int):
        self.pid = pid

    def _used(self, pid: int, *, reaped: bool) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker that has just exited
            return 0.0
        ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
        return ticks / self.TICK

    def __call__(self) -> float:
        workers = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return self._used(self.pid, reaped=True) + sum(self._used(int(w), reaped=False) for w in workers)


# -- wrk --------------------------------------------------------------------------------------


def wrk_script(paths: list[str], folder: Path, name: str) -> Path:
    script = folder / f"{name}.lua"
    script.write_text(WRK_DONE % ", ".join(json.dumps(p) for p in paths))
    return script


def start_wrk(base: str, script: Path, args) -> subprocess.Popen:
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", f"--timeout={load_report.WRK_TIMEOUT}"]
    return subprocess.Popen([*command, "-s", str(script), base + "/"], stdout=subprocess.PIPE, text=True)


def wrk_result(process: subprocess.Popen) -> dict:
    """Requests, requests per second, latency percentiles in ms and errors of one wrk run."""
    out, _err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {out}")
    line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
    r = json.loads(line.removeprefix("WRKJSON "))
    seconds = r["duration_us"] / 1e6
    result = {"requests": r["requests"], "rps": r["requests"] / seconds}
    result |= {key: r[key] / 1000 for key in ("p50", "p90", "p95", "p99", "max")}
    result["errors_by"] = {key: r[key] for key in WRK_ERRORS}
    return result


def combine(runs: list[dict]) -> dict:
    """The repeats of one wrk phase: medians of the rates and percentiles, sums of the counts."""
    out = {key: statistics.median(r[key] for r in runs) for key in ("rps", "p50", "p90", "p95", "p99", "max")}
    for key in ("requests", "served", "cpu", "wall"):
        out[key] = sum(r[key] for r in runs)
    out["each_rps"] = [r["rps"] for r in runs]
    out["errors_by"] = {key: sum(r["errors_by"][key] for r in runs) for key in WRK_ERRORS}
    out["errors"] = sum(out["errors_by"].values())
    return out


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
    def __init__(self, database: str, **where):
        """WHERE: host and port of another server than bench.pg's (bench/cluster.py's primary)."""
        self.conn = psycopg2.connect(dbname=database, **(PG | where))
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

    def tally_check(self, tree: Path, env: dict) -> dict | None:
        """Does the tally the triggers kept under all that writing (cases.models.CaseTally) equal a
        recount of the cases (manage.py rebuild_tally, of the served code)? None without a tally."""
        if not self.value("SELECT to_regclass('reports_casetally') IS NOT NULL"):
            return None
        columns = [
            row[0]
            for row in self.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'reports_casetally' "
                "AND column_name <> 'id' ORDER BY ordinal_position"
            )
        ]
        counts = [c for c in columns if c not in ("month", "village_id", "team_id", "category_id", "subcategory_id")]
        rows = f"SELECT {', '.join(columns)} FROM reports_casetally WHERE {' OR '.join(f'{c} <> 0' for c in counts)}"
        self.rows(f"DROP TABLE IF EXISTS load_tally_kept; CREATE TABLE load_tally_kept AS {rows}; SELECT 1")
        manage(tree, env, "rebuild_tally")
        differ = self.value(
            f"SELECT count(*) FROM (({rows} EXCEPT SELECT * FROM load_tally_kept) "
            f"UNION ALL (SELECT * FROM load_tally_kept EXCEPT {rows})) d"
        )
        return {"rows": self.value("SELECT count(*) FROM load_tally_kept"), "differ": differ}

    def written_since(self, case_id: int, tally: staff.Tally, seconds: float) -> dict:
        """The staff's figures and the ledger check for the cases created after CASE_ID."""
        return {
            "staff": load_report.summarize_staff(tally, seconds),
            "ledger": staff.check_ledger(tally.acks, self.numbers_after(case_id)),
            "history_gaps": self.without_one_registration(case_id),
            "seconds": seconds,
        }


# -- The phases -------------------------------------------------------------------------------


def reads(base: str, script: Path, args, label: str, cpu: ServerCpu) -> dict:
    print(f"{label}: wrk, {args.connections} connections, {args.duration} s", flush=True)
    cpu_before, started = cpu(), time.monotonic()
    result = wrk_result(start_wrk(base, script, args))
    return result | {"served": result["requests"], "cpu": cpu() - cpu_before, "wall": time.monotonic() - started}


def mixed(base: str, script: Path, args, days: staff.Days, numbers: list[str], tally: staff.Tally, cpu: ServerCpu):
    """wrk reading the boards while the staff clients write: the reads (with the server's CPU and
    every request it served), and the staff's seconds."""
    print(f"mixed: wrk reads + {args.staff} staff clients, {args.duration} s", flush=True)
    cadres = [staff.CadreClient(base, tally, days, f"cadre{i}", seed=i) for i in range((args.staff + 1) // 2)]
    office = [staff.OfficeClient(base, tally, numbers, f"office{i}", seed=100 + i) for i in range(args.staff // 2)]
    clients = cadres + office
    for client in clients:
        client.login()
    staff_before, cpu_before = len(tally.requests), cpu()
    process = start_wrk(base, script, args)
    started = time.monotonic()
    staff.run_clients(clients, args.duration)
    seconds = time.monotonic() - started
    result = wrk_result(process)
    served = result["requests"] + len(tally.requests) - staff_before
    return result | {"served": served, "cpu": cpu() - cpu_before, "wall": time.monotonic() - started}, seconds


def throughput(base: str, args, ledger: Ledger, days: staff.Days, work: Path, cpu: ServerCpu) -> dict:
    """Phases a, b and c in turn, --repeat times."""
    codes = [row[0] for row in ledger.rows("SELECT code FROM villages_village ORDER BY code")]
    categories = [row[0] for row in ledger.rows("SELECT id FROM cases_category ORDER BY id")]
    sample = "SELECT number FROM cases_case WHERE status <> 'closed' ORDER BY md5(number) LIMIT 2000"
    numbers = [row[0] for row in ledger.rows(sample)]
    paths = notice_paths(codes, categories)
    health, boards = wrk_script(["/health/"], work, "health"), wrk_script(paths, work, "boards")
    runs: dict[str, list] = {"baseline": [], "reads": [], "mixed": []}
    tally, seconds, before = staff.Tally(), 0.0, ledger.last_case_id()
    for i in range(args.repeat):
        print(f"== round {i + 1} of {args.repeat}", flush=True)
        runs["baseline"].append(reads(base, health, args, "baseline /health/", cpu))
        runs["reads"].append(reads(base, boards, args, "reads alone", cpu))
        result, spent = mixed(base, boards, args, days, numbers, tally, cpu)
        runs["mixed"].append(result)
        seconds += spent
    # Only the mixed phases wrote: the cases after BEFORE are theirs.
    return {
        "baseline": combine(runs["baseline"]),
        "reads": combine(runs["reads"]),
        "mixed": {"reads": combine(runs["mixed"])} | ledger.written_since(before, tally, seconds),
        "ratios": [m["rps"] / b["rps"] for m, b in zip(runs["mixed"], runs["baseline"], strict=True)],
        # Issue 12's target: each round's boards-only rate over its health-only rate, measured back to back.
        "board_shares": [r["rps"] / b["rps"] for r, b in zip(runs["reads"], runs["baseline"], strict=True)],
        "sample_paths": paths[:6],
    }


def lost_writes(base: str, args, ledger: Ledger, days: staff.Days, cpu: ServerCpu) -> dict:
    print(f"lost writes: {args.writers} cadres record problems for {args.write_seconds} s", flush=True)
    tally = staff.Tally()
    clients = [staff.CadreClient(base, tally, days, f"writer{i}", seed=1000 + i) for i in range(args.writers)]
    for client in clients:
        client.login()
    before, cpu_before, logins = ledger.last_case_id(), cpu(), len(tally.requests)
    started = time.monotonic()
    staff.run_clients(clients, args.write_seconds)
    wall = time.monotonic() - started
    server = {"served": len(tally.requests) - logins, "cpu": cpu() - cpu_before, "wall": wall}
    return ledger.written_since(before, tally, wall) | {"server": server}


def shown_line(data: dict | None, text: str) -> str:
    """A line of history as the case page shows it: the system's part is stored as a code and
    rendered by cases/history.py (this process reads the rows itself, so Django is set up here,
    once, only for that: no database is opened through it)."""
    import django
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanhe.settings")
        django.setup()
    from django.conf import settings
    from django.utils import translation

    from cases.history import render

    with translation.override(settings.LANGUAGE_CODE):
        return render(data, text)


def one_case_race(base: str, args, ledger: Ledger) -> dict:
    case_id, number, version = ledger.rows(
        "SELECT id, number, version FROM cases_case WHERE status = 'in_progress' ORDER BY id LIMIT 1"
    )[0]
    print(f"one case, many hands: {args.racers} office sessions on {number}, {args.rounds} rounds", flush=True)
    last_event = ledger.value("SELECT coalesce(max(id), 0) FROM cases_caseevent WHERE case_id = %s", [case_id])
    tally = staff.Tally()
    attempts = staff.race(base, number, clients=args.racers, rounds=args.rounds, tally=tally)
    rows = ledger.rows(
        "SELECT kind, data, text FROM cases_caseevent WHERE case_id = %s AND id > %s ORDER BY id",
        [case_id, last_event],
    )
    events = [(kind, shown_line(data, text)) for kind, data, text in rows]
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


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds of each wrk phase (default 30)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of phases a, b, c (default 3)")
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
    parser.add_argument("--commit", default="", help="serve this commit (git archive), not the working tree")
    parser.add_argument("--tree", default="", help="serve the code in this folder (e.g. an export with a fix)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--output", default=str(ROOT / "bench" / "load_results.md"))
    args = parser.parse_args()
    if not args.database.startswith("sanhe_load_"):
        parser.error("--database must start with sanhe_load_ (it is dropped afterwards)")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk)")
    return args


def main() -> int:
    args = arguments()
    info = load_report.machine(args.workers, admin_sql("SHOW server_version")[0][0])
    work = Path(tempfile.mkdtemp(prefix="sanhe_load_"))
    tree, info["code"] = source_tree(args.commit, work, args.tree)
    env = server_env(args.database, str(work / "static"), free_port(), args.workers)
    if not args.reuse:
        print(f"building {args.database} from {info['code']}", flush=True)
        build(tree, args.database, args.count, env)
    manage(tree, env, "collectstatic", "--noinput", "-v", "0")
    log = work / "gunicorn.log"
    server = start_gunicorn(tree, env, log)
    base = f"http://{env['GUNICORN_BIND']}"
    print(f"gunicorn on {base}, {args.workers} workers; log {log}", flush=True)
    ledger = Ledger(args.database)
    try:
        # Before the visits of an earlier run on the same database (--reuse), if any.
        earliest = ledger.value("SELECT min(date) FROM teams_visit WHERE off_day_reason = %s", [staff.OFF_DAY])
        days = staff.Days(earliest - datetime.timedelta(days=1) if earliest else None)
        results = {"cases_before": ledger.value("SELECT count(*) FROM cases_case")}
        cpu = ServerCpu(server.pid)
        results |= throughput(base, args, ledger, days, work, cpu)
        results["lost_writes"] = lost_writes(base, args, ledger, days, cpu)
        results["race"] = one_case_race(base, args, ledger)
        results["tally"] = ledger.tally_check(tree, env)
    finally:
        stop_gunicorn(server)
        ledger.conn.close()
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    info["load_after"] = os.getloadavg()
    results["server"] = load_report.server_log(log)
    problems = load_report.failures(results)
    text = load_report.report(info, args, results, problems)
    Path(args.output).write_text(text)
    print(text)
    shutil.rmtree(work / "static", ignore_errors=True)
    shutil.rmtree(work / "src", ignore_errors=True)
    print(f"server log kept at {log}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
