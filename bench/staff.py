"""The staff side of the load test: cadres recording problems through the visit flow, office
staff updating cases through the case page's forms, and the checks that nothing was lost.

Every client is a thread with its own Browser (its own session, CSRF cookie and token), doing
what a person does in a browser: open the page, fill in its form, submit, follow the redirect.
No pause between steps: each client works as fast as the server answers.
"""

import collections
import datetime
import random
import re
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from bench.browser import Browser, Response, find_form, find_form_or_follow

PASSWORD = "sanhe-2015"  # load_demo's logins
PROBLEMS_PER_VISIT = 10  # then the cadre starts the next visit, as after a Thursday's round
CONFIRMS = 5  # times a cadre confirms "not a duplicate" before giving up on the problem
DOUBLE_TAP = 0.1  # share of problems whose form is sent twice (a second tap on 登记)
VERSIONED = {"edit", "due"}  # the case page's actions that refuse a stale version (409)
OFF_DAY = "台风改期（压力测试）"  # the reason a load-test visit gives for not being on a Thursday
RESIDENTS = ["陈", "黄", "李", "梁", "吴", "冯", "谭", "余"]
PROBLEMS = ["路灯不亮", "水渠堵塞", "村道坑洼", "垃圾清运不及时", "自来水压力低", "低保申请咨询", "山塘漏水"]


class Unexpected(Exception):
    """The server answered what a person at the page would call wrong."""

    def __init__(self, what: str, response: Response):
        snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.body))[:200]
        super().__init__(f"{what}: {response.method} {response.path} → {response.status} {snippet}")


@dataclass
class Tally:
    """What the clients saw, shared by their threads."""

    requests: list = field(default_factory=list)  # (kind, status, seconds)
    errors: list = field(default_factory=list)  # what went wrong, one line each
    acks: list = field(default_factory=list)  # (form nonce, tracking number) the server acknowledged
    counts: collections.Counter = field(default_factory=collections.Counter)  # conflicts, retries, …
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, kind: str, response: Response) -> None:
        with self.lock:
            self.requests.append((kind, response.status, response.seconds))

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def ack(self, nonce: str, number: str) -> None:
        with self.lock:
            self.acks.append((nonce, number))

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1


class Days:
    """Visit dates for the clients, one each, going back from FIRST (default yesterday): never a
    Thursday (the generated data has a visit every Thursday), so each new visit says why not."""

    def __init__(self, first: datetime.date | None = None):
        self.next = first or datetime.date.today() - datetime.timedelta(days=1)
        self.lock = threading.Lock()

    def take(self) -> datetime.date:
        with self.lock:
            if self.next.weekday() == 3:
                self.next -= datetime.timedelta(days=1)
            day, self.next = self.next, self.next - datetime.timedelta(days=1)
            return day


def saved_number(response: Response) -> str:
    """The tracking number a problem's redirect acknowledges (…/visits/7/?saved=SH-2026-0001#saved)."""
    if response.status != 302:
        raise Unexpected("problem not registered", response)
    query = urllib.parse.urlsplit(response.location).query
    number = urllib.parse.parse_qs(query).get("saved", [""])[0]
    if not number:
        raise Unexpected("redirect without a tracking number", response)
    return number


class CadreClient:
    """A cadre recording the problems raised on visits: a visit, ten problems, the next visit."""

    def __init__(self, base: str, tally: Tally, days: Days, name: str, seed: int):
        self.browser = Browser(base, record=tally.record)
        self.tally, self.days, self.name = tally, days, name
        self.rng = random.Random(seed)
        self.recorded = 0

    def login(self, username: str = "cadre", password: str = PASSWORD) -> None:
        self.browser.login(username, password)

    def run(self, deadline: float) -> None:
        page = None
        while time.monotonic() < deadline:
            try:
                if page is None or self.recorded % PROBLEMS_PER_VISIT == 0:
                    page = self.new_visit()
                page = self.record_problem(page)
            except Exception as error:  # every failure is counted, then the next visit
                self.tally.error(f"{self.name}: {error}")
                page = None
                self.recorded = 0
        self.browser.close()

    def new_visit(self) -> Response:
        page = self.browser.get("/visits/new/", kind="GET page")
        form = find_form(page, "/visits/new/")
        for _attempt in range(20):
            changes = {
                "date": self.days.take().isoformat(),
                "off_day_reason": OFF_DAY,
                "households_visited": str(self.rng.randint(5, 40)),
                "summary": "压力测试的驻点记录",
            }
            answer = self.browser.submit(form, changes, kind="POST visit")
            if answer.status == 302:
                return self.browser.get(answer.location, kind="GET page")
            if answer.status == 200 and "已经记录过了" in answer.body:
                self.tally.count("visit date taken, next date")  # an earlier run's visit
                form = find_form(answer, "/visits/new/")
                continue
            raise Unexpected("visit not saved", answer)
        raise RuntimeError(f"{self.name}: no free visit date in 20 tries")

    def problem(self) -> dict:
        rng = self.rng
        n = self.recorded + 1
        changes = {
            "resident_name": rng.choice(RESIDENTS) + "某",
            "resident_phone": "139" + "".join(rng.choice("0123456789") for _ in range(8)),
            "resident_address": "第三村民小组",
            "kind": rng.choice(["enquiry", "help", "suggestion", "complaint"]),
            "title": f"{rng.choice(PROBLEMS)}（{self.name}-{n}）",
            "description": "压力测试登记的问题。",
            "public_posting": "on" if rng.random() < 0.8 else None,
        }
        if rng.random() < 0.2:
            changes |= {"on_the_spot": "on", "result": "当场解释清楚，群众满意。"}
        return changes

    def record_problem(self, page: Response) -> Response:
        """Fill in the visit page's problem form; confirm when it shows possible duplicates."""
        form = find_form(page, "/problems/")
        changes = self.problem()
        categories = [value for value in form.options.get("category_choice", []) if value]
        if categories and self.rng.random() < 0.5:
            changes["category_choice"] = self.rng.choice(categories)
        pairs = form.values(changes)
        answer = self.browser.request("POST", form.action, pairs, kind="POST problem")
        for look in range(CONFIRMS):  # open cases of the same kind: look at them, confirm it is new
            if answer.status != 200:
                break
            confirm = find_form(answer, "/problems/")
            if ("confirm", "1") not in confirm.buttons:
                raise Unexpected("problem form refused", answer)
            # Asked again: someone registered a similar case since the list was shown.
            self.tally.count("duplicates shown, confirmed" if look == 0 else "duplicates changed, shown again")
            pairs = confirm.values(button=("confirm", "1"))
            answer = self.browser.request("POST", confirm.action, pairs, kind="POST problem")
        number = saved_number(answer)
        nonce = form.value("nonce")
        self.tally.ack(nonce, number)
        if self.rng.random() < DOUBLE_TAP:  # the same form again: must answer the same number
            again = self.browser.request("POST", form.action, pairs, kind="POST problem")
            self.tally.ack(nonce, saved_number(again))
            self.tally.count("double taps")
        self.recorded += 1
        shown = self.browser.get(answer.location, kind="GET page")
        if shown.status != 200 or number not in shown.body:
            raise Unexpected(f"visit page does not show {number}", shown)
        return shown


class OfficeClient:
    """Office staff working through cases: a line of progress, a new due date, a corrected title."""

    ACTIONS = ("progress", "progress", "due", "edit")

    def __init__(self, base: str, tally: Tally, numbers: list[str], name: str, seed: int):
        self.browser = Browser(base, record=tally.record)
        self.tally, self.numbers, self.name = tally, numbers, name
        self.rng = random.Random(seed)
        self.done = 0

    def login(self, username: str = "office", password: str = PASSWORD) -> None:
        self.browser.login(username, password)

    def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                self.update_one()
            except Exception as error:  # counted, then the next case
                self.tally.error(f"{self.name}: {error}")
        self.browser.close()

    def update_one(self) -> None:
        number = self.rng.choice(self.numbers)
        page = self.browser.get(f"/cases/{number}/", kind="GET page")
        if page.status != 200:
            raise Unexpected("case page", page)
        action = self.rng.choice(self.ACTIONS)
        opened = lambda path: self.browser.get(path, kind="GET page")  # noqa: E731
        try:
            form = find_form_or_follow(page, f"/{action}/", opened)
        except LookupError:  # e.g. a closed case has no due date form: add progress instead
            action, form = "progress", find_form_or_follow(page, "/progress/", opened)
        self.done += 1
        changes = change_for(action, form, f"{self.name}-{self.done}", self.rng.randrange(1000))
        answer = self.browser.submit(form, changes)
        if answer.status == 302:
            self.browser.get(answer.location, kind="GET page")
        elif answer.status == 409 and action in VERSIONED:
            self.tally.count("409 conflicts (someone else changed the case first)")
        else:
            raise Unexpected(f"{action} refused", answer)


def change_for(action: str, form, tag: str, serial: int) -> dict:
    """What a person types into ACTION's form; TAG and SERIAL make the value unique, and never the
    case's own (a value equal to the case's changes nothing and writes no history)."""
    if action == "progress":
        return {"text": f"电话联系了责任部门，正在处理（{tag}）", "public": "1" if serial % 2 else "0"}
    if action == "due":
        day = datetime.date.today() + datetime.timedelta(days=400 + serial)
        if day.isoformat() == form.value("due_on"):
            day += datetime.timedelta(days=5000)
        return {"due_on": day.isoformat()}
    if action == "edit":
        return {"title": f"{re.sub(r'（核.*）$', '', form.value('title'))[:80]}（核{tag}）"}
    raise ValueError(action)


def run_clients(clients: list, seconds: float) -> None:
    """Run the (logged in) CLIENTS side by side for SECONDS."""
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=client.run, args=(deadline,), name=client.name) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# -- Did the ledger keep every acknowledged case? ---------------------------------------------


@dataclass
class LedgerCheck:
    submissions: int  # distinct problem forms acknowledged (double taps counted once)
    created: int  # cases the ledger gained in the run
    repeats: int  # double taps, answered with the first tap's number
    lost: list[str]  # acknowledged, missing from the ledger
    unacknowledged: list[str]  # in the ledger, never acknowledged to anyone
    duplicates: list[str]  # one number given to two different forms, or twice in the ledger
    double_registered: list[str]  # one form (nonce) acknowledged with two different numbers

    @property
    def ok(self) -> bool:
        return not (self.lost or self.unacknowledged or self.duplicates or self.double_registered)


def check_ledger(acks: list[tuple[str, str]], created: list[str]) -> LedgerCheck:
    """Compare what the server acknowledged (ACKS: form nonce, tracking number) with the numbers
    of the cases the ledger gained (CREATED)."""
    by_nonce: dict[str, set[str]] = collections.defaultdict(set)
    for nonce, number in acks:
        by_nonce[nonce].add(number)
    owners = collections.Counter(number for numbers in by_nonce.values() for number in numbers)
    in_ledger = collections.Counter(created)
    acknowledged = set(owners)
    duplicates = {n for n, k in owners.items() if k > 1} | {n for n, k in in_ledger.items() if k > 1}
    return LedgerCheck(
        submissions=len(by_nonce),
        created=len(created),
        repeats=len(acks) - len(by_nonce),
        lost=sorted(acknowledged - set(in_ledger)),
        unacknowledged=sorted(set(in_ledger) - acknowledged),
        duplicates=sorted(duplicates),
        double_registered=sorted(nonce for nonce, numbers in by_nonce.items() if len(numbers) > 1),
    )


# -- Many people updating one case at the same moment -----------------------------------------


@dataclass
class Attempt:
    round: int
    action: str
    client: int
    version: str  # the version of the form the client loaded
    value: str  # what it tried to write
    status: int


def race(
    base: str, number: str, *, clients: int, rounds: int, tally: Tally, login: tuple[str, str] = ("office", PASSWORD)
) -> list[Attempt]:
    """CLIENTS office sessions load case NUMBER's page, wait for each other, and submit the same
    action at once, ROUNDS times: edit the title, set the due date, add progress in turn."""
    browsers = [Browser(base, record=tally.record) for _ in range(clients)]
    for browser in browsers:
        browser.login(*login)
    barrier = threading.Barrier(clients, timeout=120)
    run = secrets.token_hex(2)  # this race's values differ from an earlier race's on the same case
    attempts: list[Attempt] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        browser = browsers[i]
        try:
            for r in range(rounds):
                action = ("edit", "due", "progress")[r % 3]
                page = browser.get(f"/cases/{number}/", kind="GET page")
                form = find_form_or_follow(page, f"/{action}/", lambda path: browser.get(path, kind="GET page"))
                changes = change_for(action, form, f"{run}r{r}c{i}", 1 + r * clients + i)
                barrier.wait()  # everyone holds the same version now
                answer = browser.submit(form, changes)
                value = next(iter(changes.values()))
                with lock:
                    attempts.append(Attempt(r, action, i, form.value("version"), value, answer.status))
                if answer.status == 302:
                    browser.get(answer.location, kind="GET page")
                barrier.wait()  # the round is over before anyone reloads
        except threading.BrokenBarrierError:
            pass  # another client failed; its error is the one to report
        except Exception as error:  # counted; the others stop at the barrier
            tally.error(f"race client {i}: {error}")
            barrier.abort()
        finally:
            browser.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(attempts, key=lambda a: (a.round, a.client))


@dataclass
class RaceCheck:
    attempts: int
    succeeded: dict  # action → successful submissions
    refused: int  # 409 answers
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_race(attempts: list[Attempt], *, clients: int, rounds: int, events: list, versions: tuple, final: dict):
    """The outcome of race() against the case's history afterwards.

    EVENTS: (kind, text) of the case's history written during the race, oldest first.
    VERSIONS: the case's version before and after; FINAL: its title and due date afterwards.
    Each versioned round: every client loaded the same version, exactly one wrote, the others got
    409, and the history has that one change. Each progress round: every line kept."""
    problems, succeeded, refused = [], collections.Counter(), 0
    expected_events: list[tuple[str, str]] = []  # (kind, what the text must end with or equal)
    winners: dict[str, str] = {}
    for r in range(rounds):
        tries = [a for a in attempts if a.round == r]
        if len(tries) != clients:
            problems.append(f"round {r}: {len(tries)} of {clients} clients submitted")
        if len({a.version for a in tries}) > 1:
            problems.append(f"round {r}: clients loaded different versions {sorted({a.version for a in tries})}")
        won = [a for a in tries if a.status == 302]
        lost = [a for a in tries if a.status == 409]
        refused += len(lost)
        for a in won:
            succeeded[a.action] += 1
        if len(won) + len(lost) != len(tries):
            problems.append(f"round {r}: answers {sorted(a.status for a in tries)} (only 302 and 409 expected)")
        if tries and tries[0].action in VERSIONED:
            if len(won) != 1:
                problems.append(f"round {r} ({tries[0].action}): {len(won)} submissions succeeded, expected 1")
            for a in won:
                expected_events.append(("edited", f"→ {a.value}"))
                winners[a.action] = a.value
        else:
            if lost:
                problems.append(f"round {r} (progress): {len(lost)} lines refused")
            expected_events += sorted(("progress", a.value) for a in won)
    seen = []
    for kind, text in events:
        if kind == "edited":
            match = next((end for k, end in expected_events if k == "edited" and text.endswith(end)), None)
            seen.append(("edited", match or text))
        else:
            seen.append((kind, text))
    if sorted(seen) != sorted(expected_events):
        missing = [e for e in expected_events if e not in seen]
        extra = [e for e in seen if e not in expected_events]
        problems.append(f"history differs: missing {missing[:5]}, unexpected {extra[:5]}")
    in_order = [end for kind, end in seen if kind == "edited"]
    if in_order != [end for kind, end in expected_events if kind == "edited"]:
        problems.append(f"the history's changes are not in the order they were won: {in_order[:5]}")
    bumps = sum(succeeded[a] for a in VERSIONED)
    if versions[1] - versions[0] != bumps:
        problems.append(f"version went {versions[0]} → {versions[1]}, but {bumps} versioned changes succeeded")
    for action, column in (("edit", "title"), ("due", "due_on")):
        if action in winners and str(final[column]) != winners[action]:
            problems.append(f"final {column} {final[column]!r} is not the last successful {action} {winners[action]!r}")
    return RaceCheck(len(attempts), dict(succeeded), refused, problems)
