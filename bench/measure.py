"""Measure one database (DATABASE_URL) in-process; print the figures as one JSON line.

Run by `python -m bench`, which builds the database first."""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanhe.settings")
django.setup()

from django.conf import settings  # noqa: E402

# DEBUG is off as in production, but static URLs come without collectstatic's manifest.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

import psycopg2  # noqa: E402
import tablib  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.ledger_file import write_ledger  # noqa: E402
from cases import workflow  # noqa: E402
from cases.formats import FastXLSX  # noqa: E402
from cases.ledger import import_ledger, read_ledger  # noqa: E402
from cases.models import Case  # noqa: E402
from cases.resources import CaseResource  # noqa: E402
from public.services import last_good as last_good_pages  # noqa: E402
from public.services import pages as board_pages  # noqa: E402
from public.tracking import phone_last4  # noqa: E402
from teams.roles import team_of, town_of  # noqa: E402
from villages.models import Village  # noqa: E402

IMPORT_ROWS = 10_000
LEDGER_ROWS = 10_000
PREVIEW_RUNS = 3  # the preview only reads: timed a few times, the median kept


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(fn, runs: int, before=None) -> dict:
    """Run FN once to warm up, then RUNS times; the queries of the last run are counted."""
    if before:
        before()
    fn()
    times = []
    for _ in range(runs):
        if before:
            before()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "p95": p95(times), "queries": len(queries)}


def get(client: Client, url: str):
    def fetch():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        response.content  # noqa: B018 - render streaming content too

    return fetch


def track(client: Client, case: Case):
    """A resident's lookup on /track/: the case's number and its phone's last four digits, as the
    form asks. A right answer gives back the places it took in /track/'s limits
    (public/tracking.py), so however many runs, the bench is never throttled; each answer is
    checked to be the case found, not a refusal or the limit's page."""
    data = {"number": case.number, "last4": phone_last4(case.resident_phone)}

    def fetch():
        response = client.post("/track/", data)
        if response.status_code != 200 or b'class="tracked"' not in response.content:
            raise SystemExit(f"/track/ did not show {case.number} (answered {response.status_code})")

    return fetch


def floor_sql(closed: str):
    dsn = connection.settings_dict
    conn = psycopg2.connect(
        dbname=dsn["NAME"], user=dsn["USER"], host=dsn["HOST"], port=dsn["PORT"] or 5432, password=dsn["PASSWORD"]
    )

    def run():
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*), count(*) FILTER (WHERE status = %s) FROM cases_case",
                [closed],
            )
            cur.fetchall()
            cur.execute("SELECT category_id, subcategory_id, count(*) FROM cases_case GROUP BY 1, 2")
            cur.fetchall()

    return run


def record_case(template: Case, office):
    """cases.workflow.register_case timed directly (not through the cadre's visit form)."""

    def run():
        with transaction.atomic():
            case = Case(
                village=template.village,
                team=template.team,
                raised_on=template.raised_on,
                channel=template.channel,
                kind=template.kind,
                category=template.category,
                subcategory=template.subcategory,
                resident_name="陈测试",
                resident_phone="13912345678",
                resident_address="测试村东坊8号",
                title="水渠年久失修",
                description="基准测试",
            )
            workflow.register_case(case=case, by=office, text="基准测试")

    return run


def xlsx_import(rows: int = IMPORT_ROWS) -> dict:
    """CaseResource (django-import-export) on an .xlsx of IMPORT_ROWS new cases, rows without a number."""
    resource = CaseResource()
    queryset = resource.get_queryset().order_by("-id")[:rows]
    dataset = resource.export(queryset=queryset)
    number = dataset.headers.index(resource.fields["number"].column_name)
    data = tablib.Dataset(headers=dataset.headers)
    for row in dataset:
        row = list(row)
        row[number] = ""
        data.append(row)
    content = data.export("xlsx")
    start = time.perf_counter()
    loaded = FastXLSX().create_dataset(content)  # how the admin's import reads an .xlsx
    result = CaseResource().import_data(loaded, dry_run=False)
    seconds = time.perf_counter() - start
    if result.has_errors() or result.has_validation_errors():
        invalid = result.invalid_rows[:3]
        raise SystemExit(f"import refused: {[r.error_dict for r in invalid]} {result.base_errors[:1]}")
    created = result.totals.get("new", 0)
    return {
        "how": "the admin's import: cases.formats.FastXLSX then CaseResource.import_data, parse included",
        "rows": len(loaded),
        "created": created,
        "seconds": seconds,
        "rows_per_second": len(loaded) / seconds,
    }


def ledger_import(rows: int, office) -> dict:
    """The office's path (cases/views/ledger.py) on a ledger of ROWS rows written as offices write
    them (bench/ledger_file.py). The preview reads the uploaded file (read_ledger: timed
    PREVIEW_RUNS times, the median kept); the confirm reads it again and imports it as the office
    chooses when a few rows have problems, "only the rows without problems" (import_ledger with
    only_clean=True: its own transaction, the commit included). The import runs once: it adds its
    cases to the database."""
    with tempfile.TemporaryDirectory() as folder:
        path = write_ledger(Path(folder) / "台账.xlsx", rows, seed=1)
        previews = []
        for _ in range(PREVIEW_RUNS):
            start = time.perf_counter()
            plan = read_ledger(path)
            previews.append(time.perf_counter() - start)
        if plan.problems:
            raise SystemExit(f"the ledger was refused: {plan.problems}")
        start = time.perf_counter()
        plan = read_ledger(path)  # the confirm reads the file again
        reread = time.perf_counter() - start
        start = time.perf_counter()
        result = import_ledger(plan, by=office, only_clean=True)
        seconds = time.perf_counter() - start
    read = len(plan.rows)
    preview = statistics.median(previews)
    return {
        "how": "the office's ledger (/cases/import/): cases.ledger.read_ledger, then import_ledger(only_clean=True)",
        "rows": read,
        "preview": {"runs": len(previews), "median": preview, "rows_per_second": read / preview},
        "import": {
            "seconds": seconds,
            "rows_per_second": read / seconds,
            "created": len(result.created),
            "refused": result.refused,
            "skipped": result.skipped,
        },
        "confirm_seconds": reread + seconds,
    }


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def tracked_case(town) -> Case:
    """TOWN's newest case whose phone has four digits to answer /track/ with (in a county, the
    office's town's, as the other pages: the newest of all may be another town's, with another history)."""
    for case in Case.objects.filter(town=town).exclude(resident_phone="").order_by("-id")[:100]:
        if phone_last4(case.resident_phone):
            return case
    raise SystemExit("no case with a phone to look up on /track/")


def cold_board() -> None:
    """Nothing of the board kept anywhere: the shared cache and this process's rendered pages."""
    cache.clear()
    board_pages.clear()
    last_good_pages.clear()


def pages() -> tuple[dict, list[tuple[str, Callable[[], None], Callable | None]]]:
    """The pages the bench times, each as the user whose page it is (the office's casework, triage
    and reports; the demo's cadre, a member of a team, for the cadre's home and visit form; no login
    on public pages): (what they were, [(name, fetch, before each run or None)]). bench.explain
    runs the same list."""
    office_client, cadre_client, public = logged_in("office"), logged_in("cadre"), Client()
    if team_of(get_user_model().objects.get(username="cadre")) is None:
        raise SystemExit("the demo's cadre has no team: /my-team/ would show nothing to measure")
    latest = Case.objects.order_by("-raised_on").values_list("raised_on", flat=True).first()
    month = latest.strftime("%Y-%m")
    # The office's town's newest case: in a county the newest of all may be another town's.
    office = get_user_model().objects.get(username="office")
    town = town_of(office)
    busiest = Case.objects.filter(town=town).order_by("-id").first()
    village = Village.objects.get(pk=busiest.village_id)
    filters = f"/cases/?status={Case.Status.IN_PROGRESS}&village={village.pk}"
    board = f"/notice/{village.code}/"
    what = {"month": month, "busiest": busiest, "urls": [filters, board, f"/reports/?month={month}"]}
    return what, [
        ("FLOOR trivial view /health/", get(public, "/health/"), None),
        ("summary.json (all time)", get(public, "/reports/summary.json"), None),
        # The office's town's own public summary: in a county, the one above is the whole county's.
        (f"summary.json?town={town.code} (all time)", get(public, f"/reports/summary.json?town={town.code}"), None),
        ("dashboard /reports/?month=M", get(office_client, f"/reports/?month={month}"), None),
        ("meeting pack /reports/pack/?month=M", get(office_client, f"/reports/pack/?month={month}"), None),
        ("notice board /notice/<code>/ cold", get(public, board), cold_board),
        ("notice board /notice/<code>/ cached", get(public, board), None),
        ("case list /cases/ status+village", get(office_client, filters), None),
        ("case page /cases/<number>/", get(office_client, f"/cases/{busiest.number}/"), None),
        ("office's triage /triage/", get(office_client, "/triage/"), None),
        ("cadre's home /my-team/", get(cadre_client, "/my-team/"), None),
        ("cadre's visit form /visits/new/ (GET)", get(cadre_client, "/visits/new/"), None),
        ("resident's lookup /track/ (POST number + phone's last 4)", track(public, tracked_case(town)), None),
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--import-rows", type=int, default=IMPORT_ROWS, help="0 skips the import")
    parser.add_argument("--ledger-rows", type=int, default=LEDGER_ROWS, help="0 skips the office's ledger")
    args = parser.parse_args()
    runs = args.runs
    office = get_user_model().objects.get(username="office")
    what, timed_pages = pages()

    items = {}

    def run(name, fn, before=None):
        print(f"  {name}", file=sys.stderr, flush=True)
        items[name] = timed(fn, runs, before)

    run("FLOOR raw SQL aggregates (psycopg2)", floor_sql(str(Case.Status.CLOSED)))
    for name, fetch, before in timed_pages:
        run(name, fetch, before)
    run("record a case (workflow.register_case)", record_case(what["busiest"], office))
    figures = {"items": items, "month": what["month"], "urls": what["urls"]}
    if args.ledger_rows:
        print("  office's ledger: preview and import", file=sys.stderr, flush=True)
        figures["ledger"] = ledger_import(args.ledger_rows, office)
    if args.import_rows:
        print("  xlsx import", file=sys.stderr, flush=True)
        figures["import"] = xlsx_import(args.import_rows)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
