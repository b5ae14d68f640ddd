"""Issue 15 point 4: two app nodes on one PostgreSQL with a streaming replica, sharing Redis.

    python -m bench.cluster [--duration 30] [--count 20000] [--workers 2] [--staff 4]

Everything it drives it starts itself, on loopback, in a folder of its own, and stops afterwards:
a PostgreSQL primary (initdb), a streaming replica of it (pg_basebackup -R), Redis as the nodes'
cache and session store (CACHE_URL=redis://…, SESSION_STORE=cache), and two gunicorn nodes serving
the working tree, each with the replica as DATABASE_REPLICA_URL. The database: migrate,
load_demo --county (three towns), generate_cases --count N --towns 3. Then:

  a. reads: wrk at each node at once (the towns' and villages' boards, the public summary: a
     report page, read from the replica), --duration seconds;
  b. mixed: the same reads while --staff staff clients record problems and update cases through
     the real forms, every client's requests going to the two nodes in turn (a session made on
     one node carries on on the other);
  c. checks: the primary holds exactly the cases the server acknowledged, each number once; the
     replica catches up (the time it took) and holds the same cases; the report pages were read
     on the replica (its transactions grew while the nodes served them); the sessions are in
     Redis and none in the database.

Writes bench/cluster_results.md and prints it; exits 1 on any error, lost write or failed check.
Needs PostgreSQL's server binaries, redis-server and wrk (Debian: postgresql, redis-server, wrk).
"""

import argparse
import datetime
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import psycopg2
import redis

from bench import load, load_report, staff
from bench.browser import Browser

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "sanhe_cluster"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
READY_SECONDS = 120  # how long a server may take to start on a busy machine


class NodesBrowser(Browser):
    """One user's session whose requests go to the nodes of BASES in turn (what a balancer without
    sticky sessions does): only a session store the nodes share keeps the user logged in."""

    def __init__(self, bases: list[str], **kwargs):
        super().__init__(bases[0], **kwargs)
        self.nodes = [(parts.hostname, parts.port) for parts in map(urllib.parse.urlsplit, bases)]
        self.turn = 0

    def request(self, *args, **kwargs):
        self.close()  # the next node: a connection of its own
        self.host, self.port = self.nodes[self.turn % len(self.nodes)]
        self.turn += 1
        return super().request(*args, **kwargs)


# -- The servers ------------------------------------------------------------------------------


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def run_checked(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}")


def wait_until(ready, what: str, seconds: float = READY_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready within {seconds} s")


def connects(port: int, database: str = "postgres") -> bool:
    try:
        psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=database, connect_timeout=2).close()
    except psycopg2.OperationalError:
        return False
    return True


def start_postgres(data: Path, port: int, log: Path) -> subprocess.Popen:
    options = ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={data.parent}"]
    options += ["-c", "max_connections=200", "-c", "wal_level=replica", "-c", "max_wal_senders=4"]
    with log.open("w") as out:
        server = subprocess.Popen(
            as_postgres([str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), *options]),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_until(lambda: server.poll() is None and connects(port), f"PostgreSQL on port {port} (log {log})")
    return server


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        load.stop_gunicorn(process)  # SIGTERM, then SIGKILL if it hangs: any server alike


class Cluster:
    """The primary, its replica and Redis, in WORK; stopped by stop_all."""

    def __init__(self, work: Path):
        self.work = work
        self.primary_port, self.replica_port, self.redis_port = (load.free_port() for _ in range(3))
        self.processes: list[subprocess.Popen] = []

    def start_primary(self) -> None:
        data = self.work / "pg" / "primary"
        data.parent.mkdir()
        if os.geteuid() == 0:
            self.work.chmod(0o711)  # mkdtemp's folder is root's alone: the postgres user must get in
            shutil.chown(data.parent, "postgres", "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        run_checked(as_postgres([*initdb, "--locale=C.UTF-8", "--no-sync"]))
        self.processes.append(start_postgres(data, self.primary_port, self.work / "primary.log"))
        self.sql(self.primary_port, f"CREATE DATABASE {DATABASE}", database="postgres")

    def start_replica(self) -> None:
        data = self.work / "pg" / "replica"
        backup = [str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"]
        backup += ["-D", str(data), "-R", "-X", "stream", "-c", "fast"]
        run_checked(as_postgres(backup))
        self.processes.append(start_postgres(data, self.replica_port, self.work / "replica.log"))
        wait_until(
            lambda: self.sql(self.primary_port, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"),
            "streaming replication",
        )

    def start_redis(self) -> None:
        command = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", ""]
        with (self.work / "redis.log").open("w") as out:
            self.processes.append(subprocess.Popen([*command, "--appendonly", "no"], stdout=out, stderr=out))
        wait_until(self._redis_answers, "Redis")

    def _redis_answers(self) -> bool:
        try:
            return self.redis().ping()
        except redis.exceptions.ConnectionError:
            return False

    def redis(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.redis_port)

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"

    def sql(self, port: int, statement: str, params=(), database: str = DATABASE):
        """The first value of STATEMENT's first row on the server at PORT (autocommit)."""
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=database)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchone()[0] if cur.description else None
        finally:
            conn.close()

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            stop(process)


def node_env(cluster: Cluster, static_root: str, port: int, workers: int, secret: str) -> dict:
    """What production sets on each node (README, "Several app nodes"): the same secret, the
    primary, the replica for the reports, Redis for the cache and the sessions."""
    env = load.server_env(DATABASE, static_root, port, workers)
    env.update(
        SECRET_KEY=secret,
        DATABASE_URL=cluster.url(cluster.primary_port),
        DATABASE_REPLICA_URL=cluster.url(cluster.replica_port),
        CACHE_URL=f"redis://127.0.0.1:{cluster.redis_port}/0",
        SESSION_STORE="cache",
    )
    return env


# -- The run ----------------------------------------------------------------------------------


def board_paths(ledger: load.Ledger) -> list[str]:
    """The villagers' reads (load.notice_paths), a fifth of them the public summary (a report page)."""
    codes = [row[0] for row in ledger.rows("SELECT code FROM villages_village ORDER BY code")]
    categories = [row[0] for row in ledger.rows("SELECT id FROM cases_category ORDER BY id")]
    paths = load.notice_paths(codes, categories)
    summary = "/reports/summary.json"
    return [one for i, path in enumerate(paths) for one in ((path, summary) if i % 4 == 0 else (path,))]


def wrk_both(bases: list[str], script: Path, args) -> list[dict]:
    """wrk at every node at once; each node's result."""
    processes = [load.start_wrk(base, script, args) for base in bases]
    return [load.wrk_result(process) for process in processes]


def staff_clients(bases: list[str], tally: staff.Tally, numbers: list[str], count: int) -> list:
    days = staff.Days()
    cadres = [staff.CadreClient(bases[0], tally, days, f"cadre{i}", seed=i) for i in range((count + 1) // 2)]
    office = [staff.OfficeClient(bases[0], tally, numbers, f"office{i}", seed=100 + i) for i in range(count // 2)]
    for client in cadres + office:
        client.browser = NodesBrowser(bases, record=tally.record)
        client.login()
    return cadres + office


def replica_reads(cluster: Cluster) -> int:
    """Transactions the replica's database has served so far."""
    return cluster.sql(
        cluster.replica_port, "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [DATABASE]
    )


def replica_growth(cluster: Cluster, before: int) -> int:
    """Transactions on the replica since BEFORE. A server process reports its counts at most once a
    second while busy, and within some seconds once idle: waited for, up to a bound."""
    deadline = time.monotonic() + 30
    while (grown := replica_reads(cluster) - before) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    return grown


def catch_up(cluster: Cluster) -> float:
    """Seconds until the replica has replayed everything the primary had written when asked."""
    target = cluster.sql(cluster.primary_port, "SELECT pg_current_wal_lsn()::text")
    started = time.monotonic()
    wait_until(
        lambda: cluster.sql(cluster.replica_port, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]),
        "the replica's replay",
    )
    return time.monotonic() - started


def report_pages_on_replica(cluster: Cluster, bases: list[str], month: str) -> dict:
    """The dashboard fetched by the office through each node: the replica's transactions before and
    after, and the primary's (which serve the session, the user and nothing of the ledger)."""
    office = NodesBrowser(bases)
    office.login("office", staff.PASSWORD)
    before = replica_reads(cluster)
    statuses = [office.get(f"/reports/?month={month}").status for _ in range(10)]
    office.close()
    grown = replica_growth(cluster, before)
    return {"fetches": len(statuses), "ok": statuses.count(200), "replica_transactions": grown}


def run(args, cluster: Cluster, work: Path) -> dict:
    cluster.start_primary()
    cluster.start_redis()
    build_env = node_env(cluster, str(work / "static"), 0, 1, "build") | {"DATABASE_REPLICA_URL": ""}
    print(f"building {DATABASE}: {args.count:,} cases in three towns", flush=True)
    load.manage(ROOT, build_env, "migrate", "--noinput", "-v", "0")
    load.manage(ROOT, build_env, "load_demo", "--county")
    load.manage(ROOT, build_env, "generate_cases", "--count", str(args.count), "--towns", "3", "--seed", "1")
    load.manage(ROOT, build_env, "collectstatic", "--noinput", "-v", "0")
    cluster.sql(cluster.primary_port, "VACUUM ANALYZE")
    print("replica: pg_basebackup, then streaming", flush=True)
    cluster.start_replica()
    secret = secrets.token_urlsafe(50)
    envs = [node_env(cluster, str(work / "static"), load.free_port(), args.workers, secret) for _ in range(2)]
    nodes = [load.start_gunicorn(ROOT, env, work / f"node{i + 1}.log") for i, env in enumerate(envs)]
    bases = [f"http://{env['GUNICORN_BIND']}" for env in envs]
    print(f"nodes: {', '.join(bases)}, {args.workers} workers each", flush=True)
    ledger = load.Ledger(DATABASE, host="127.0.0.1", port=cluster.primary_port)
    results: dict = {"bases": bases, "cases_before": ledger.value("SELECT count(*) FROM cases_case")}
    try:
        script = load.wrk_script(board_paths(ledger), work, "boards")
        print(f"a. reads: wrk at both nodes, {args.duration} s", flush=True)
        results["reads"] = wrk_both(bases, script, args)
        numbers = [
            row[0]
            for row in ledger.rows(
                "SELECT c.number FROM cases_case c JOIN villages_town t ON t.id = c.town_id "
                "WHERE t.code = 'SH' AND c.status <> 'closed' ORDER BY md5(c.number) LIMIT 500"
            )
        ]
        tally = staff.Tally()
        clients = staff_clients(bases, tally, numbers, args.staff)
        before, replica_before = ledger.last_case_id(), replica_reads(cluster)
        print(f"b. mixed: wrk at both nodes + {len(clients)} staff clients, {args.duration} s", flush=True)
        processes = [load.start_wrk(base, script, args) for base in bases]
        started = time.monotonic()
        staff.run_clients(clients, args.duration)
        seconds = time.monotonic() - started
        results["mixed"] = [load.wrk_result(process) for process in processes]
        results["replica_transactions"] = replica_growth(cluster, replica_before)
        results["written"] = ledger.written_since(before, tally, seconds)
        results["catch_up_seconds"] = catch_up(cluster)
        count = "SELECT count(*)::text || ' / ' || coalesce(max(id), 0)::text FROM cases_case"
        results["cases"] = {
            "primary": cluster.sql(cluster.primary_port, count),
            "replica": cluster.sql(cluster.replica_port, count),
        }
        month = datetime.date.today().strftime("%Y-%m")
        results["dashboard"] = report_pages_on_replica(cluster, bases, month)
        results["sessions"] = {
            "in_redis": len(cluster.redis().keys("*django.contrib.sessions.cache*")),
            "in_database": ledger.value("SELECT count(*) FROM django_session"),
        }
    finally:
        for node in nodes:
            load.stop_gunicorn(node)
        ledger.conn.close()
    results["server_errors"] = {f"node{i + 1}": load_report.server_log(work / f"node{i + 1}.log") for i in range(2)}
    return results


# -- The report -------------------------------------------------------------------------------


def failures(results: dict) -> list[str]:
    problems = []
    for phase in ("reads", "mixed"):
        for node, result in enumerate(results[phase], start=1):
            errors = sum(result["errors_by"].values())
            if errors:
                problems.append(f"{phase}: node {node}: {errors} wrk errors {result['errors_by']}")
    written, errors = results["written"], results["written"]["staff"]["errors"]
    if errors:
        problems.append(f"staff clients: {len(errors)} errors, e.g. {errors[0]}")
    if not written["ledger"].ok:
        problems.append(f"ledger: {written['ledger']}")
    if written["ledger"].created == 0:
        problems.append("the staff clients recorded no case")
    if results["cases"]["primary"] != results["cases"]["replica"]:
        problems.append(f"the replica differs from the primary: {results['cases']}")
    dashboard = results["dashboard"]
    if dashboard["ok"] != dashboard["fetches"] or not dashboard["replica_transactions"]:
        problems.append(f"the dashboard was not served from the replica: {dashboard}")
    if results["sessions"]["in_database"] or not results["sessions"]["in_redis"]:
        problems.append(f"sessions not (only) in Redis: {results['sessions']}")
    for node, log in results["server_errors"].items():
        if log["errors"]:
            problems.append(f"{node}'s log has {len(log['errors'])} errors, e.g. {log['errors'][0]}")
    return problems


def wrk_rows(label: str, runs: list[dict]) -> list[str]:
    rows = [
        f"| {label} | node {node} | {r['requests']:,} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | "
        f"{r['p99']:.0f} | {sum(r['errors_by'].values())} |"
        for node, r in enumerate(runs, start=1)
    ]
    total = sum(r["rps"] for r in runs)
    return [*rows, f"| {label} | both | {sum(r['requests'] for r in runs):,} | {total:.1f} | | | | |"]


def report(args, info: dict, results: dict, problems: list[str]) -> str:
    written, staff_figures = results["written"], results["written"]["staff"]
    errors = staff_figures["errors"]
    ledger = written["ledger"]
    lines = [
        "# Two app nodes, a primary and its streaming replica, Redis shared",
        "",
        "Written by `python -m bench.cluster` (issue 15 point 4); every figure below was measured in that run.",
        "",
        "## Set-up (all on loopback, started and stopped by the run)",
        "",
        f"- Code served: {info['code']}; CPU: {info['cpu']}, {os.cpu_count()} cores shared by everything below;"
        f" load average before {info['load_before']}, after {info['load_after']}",
        f"- PostgreSQL {info['postgres']}: a primary made by initdb and a hot standby made from it by"
        " `pg_basebackup -R -X stream`, streaming; the nodes write and read the primary, and their report"
        " pages read the standby (DATABASE_REPLICA_URL, sanhe/lib/replica.py)",
        f"- Redis {info['redis']} as the nodes' cache (CACHE_URL=redis://…) and session store (SESSION_STORE=cache)",
        f"- Two gunicorn nodes (gunicorn.conf.py), {args.workers} sync workers each, the same SECRET_KEY, DEBUG=0",
        f"- Database: migrate, `load_demo --county`, `generate_cases --count {args.count:,} --towns 3`"
        f" ({results['cases_before']:,} cases at the start)",
        f"- wrk at each node at once: {args.connections} connections, 2 threads, {args.duration} s; paths: the"
        " county's, towns' and villages' boards and their pages and filters, and `/reports/summary.json` (a"
        " report page: read on the replica) for one request in five",
        f"- Staff clients ({args.staff}: half cadres recording"
        " problems through the visit form, half office staff updating cases on the case page), each logged in"
        " once, then every request to the other node than the one before",
        "",
        "## Throughput and latency",
        "",
        "| phase | node | requests | per second | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *wrk_rows("a. reads", results["reads"]),
        *wrk_rows("b. reads while staff write", results["mixed"]),
        "",
        f"Staff clients in phase b: {staff_figures['all']['count']:,} requests"
        f" ({staff_figures['all']['rps']:.1f}/s, p50 {staff_figures['all']['p50']:.0f} ms, p95"
        f" {staff_figures['all']['p95']:.0f} ms), {len(staff_figures['errors'])} errors;"
        f" what they met: {staff_figures['counts'] or 'nothing to note'}; answers by status, node 1:"
        f" {results['server_errors']['node1']['statuses']}, node 2: {results['server_errors']['node2']['statuses']}.",
        "",
        "## Checks",
        "",
        "| check | measured | holds |",
        "|---|---|---|",
        f"| every acknowledged case in the primary, each number once | {ledger.submissions} acknowledged,"
        f" {ledger.created} created, {len(ledger.lost)} lost, {len(ledger.duplicates)} duplicated | {yes(ledger.ok)} |",
        f"| the replica caught up and holds the same cases (count / last id) | primary {results['cases']['primary']},"
        f" replica {results['cases']['replica']}; caught up {results['catch_up_seconds']:.2f} s after the writes"
        f" | {yes(results['cases']['primary'] == results['cases']['replica'])} |",
        f"| report pages read on the replica | phase b: {results['replica_transactions']:,} transactions on the"
        f" replica; the office's dashboard {results['dashboard']['fetches']}× through both nodes:"
        f" {results['dashboard']['ok']} × 200, {results['dashboard']['replica_transactions']} replica transactions"
        f" | {yes(results['dashboard']['replica_transactions'] > 0)} |",
        f"| sessions shared in Redis, none in the database | {results['sessions']['in_redis']} in Redis,"
        f" {results['sessions']['in_database']} in django_session; {len(errors)} staff errors (a session a node did not"
        " know would have sent its client to the login page: an error)"
        f" | {yes(not results['sessions']['in_database'] and results['sessions']['in_redis'] > 0)} |",
        "",
        "## Verdict",
        "",
        "All checks hold, no errors." if not problems else "**Failed:**\n\n" + "\n".join(f"- {p}" for p in problems),
        "",
    ]
    return "\n".join(lines)


def yes(holds: bool) -> str:
    return "✓" if holds else "**✗**"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds of each wrk phase (default 30)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections per node (default 8)")
    parser.add_argument("--staff", type=int, default=4, help="staff clients in phase b (default 4)")
    parser.add_argument("--count", type=int, default=20_000, help="cases generate_cases adds (default 20000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node (default 2)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "cluster_results.md"))
    args = parser.parse_args()
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed")
    if not (PG_BIN / "initdb").exists():
        parser.error(f"no PostgreSQL server binaries in {PG_BIN} (set PG_BIN)")
    return args


def version_word(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True).stdout.split()[2]


def main() -> int:
    args = arguments()
    work = Path(tempfile.mkdtemp(prefix="sanhe_cluster_"))
    cluster = Cluster(work)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    info = {
        "code": f"the working tree at {head.stdout.strip()}",
        "cpu": load_report.machine(args.workers, "")["cpu"],
        "load_before": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "postgres": version_word([str(PG_BIN / "postgres"), "--version"]),  # postgres (PostgreSQL) 15.20 …
        "redis": version_word(["redis-server", "--version"]).removeprefix("v="),  # Redis server v=7.0.15 …
    }
    try:
        results = run(args, cluster, work)
    finally:
        cluster.stop_all()
    info["load_after"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    problems = failures(results)
    text = report(args, info, results, problems)
    Path(args.output).write_text(text)
    print(text)
    print(f"logs kept in {work}")
    shutil.rmtree(work / "pg", ignore_errors=True)
    shutil.rmtree(work / "static", ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
