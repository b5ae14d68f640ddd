"""The load test's own logic (`python -m bench.load`): its checks catch a lost, duplicated or
silently overwritten write, and its small browser submits the app's forms as Django expects them."""

import datetime
import urllib.parse

import pytest
from django.db import connection

from bench import load
from bench.browser import Response, find_form, find_form_or_follow
from bench.load_report import target_lines
from bench.staff import Attempt, CadreClient, Days, Tally, check_ledger, check_race, race, run_clients
from cases.models import Case
from cases.tests.factories import CaseFactory
from teams.tests.factories import PASSWORD, CadreFactory, UserFactory, VisitFactory
from villages.tests.factories import home_town

# -- The ledger check --------------------------------------------------------------------------


def test_ledger_check_passes_when_every_acknowledged_case_is_there_once():
    # Form b was sent twice (a second tap) and answered with the same number both times.
    check = check_ledger(
        [("a", "SH-2026-0001"), ("b", "SH-2026-0002"), ("b", "SH-2026-0002")], ["SH-2026-0001", "SH-2026-0002"]
    )

    assert check.ok
    assert (check.submissions, check.created, check.repeats) == (2, 2, 1)


@pytest.mark.parametrize(
    "acks, created, caught",
    [
        ([("a", "SH-1"), ("b", "SH-2")], ["SH-1"], "lost"),
        ([("a", "SH-1")], ["SH-1", "SH-2"], "unacknowledged"),
        ([("a", "SH-1"), ("b", "SH-1")], ["SH-1"], "duplicates"),
        ([("a", "SH-1")], ["SH-1", "SH-1"], "duplicates"),
        ([("a", "SH-1"), ("a", "SH-2")], ["SH-1", "SH-2"], "double_registered"),
    ],
)
def test_ledger_check_catches(acks, created, caught):
    check = check_ledger(acks, created)

    assert not check.ok
    assert getattr(check, caught)


# -- The one-case race check -------------------------------------------------------------------

# Two clients, three rounds: an edit won by client 0, a due date won by client 1, two progress lines.
ATTEMPTS = [
    Attempt(0, "edit", 0, "1", "新标题", 302),
    Attempt(0, "edit", 1, "1", "另一标题", 409),
    Attempt(1, "due", 0, "2", "2027-03-01", 409),
    Attempt(1, "due", 1, "2", "2027-03-02", 302),
    Attempt(2, "progress", 0, "3", "进展甲", 302),
    Attempt(2, "progress", 1, "3", "进展乙", 302),
]
EVENTS = [
    ("edited", "公示摘要：旧标题 → 新标题"),
    ("edited", "办理期限：— → 2027-03-02"),
    ("progress", "进展乙"),
    ("progress", "进展甲"),
]
FINAL = {"title": "新标题", "due_on": "2027-03-02"}


def race_check(attempts=ATTEMPTS, events=EVENTS, versions=(1, 3), final=FINAL):
    return check_race(attempts, clients=2, rounds=3, events=events, versions=versions, final=final)


def test_race_check_passes_one_winner_per_versioned_round_and_every_line():
    check = race_check()

    assert check.ok, check.problems
    assert (check.succeeded, check.refused) == ({"edit": 1, "due": 1, "progress": 2}, 2)


def test_race_check_catches_a_silent_overwrite():
    # Both edits "succeeded" but only one change is in the history and the version moved once.
    both_won = [Attempt(0, "edit", 1, "1", "另一标题", 302) if a.client == 1 and a.round == 0 else a for a in ATTEMPTS]

    assert not race_check(attempts=both_won).ok


def test_race_check_catches_a_lost_progress_line_and_a_wrong_version():
    assert not race_check(events=EVENTS[:-1]).ok
    assert not race_check(versions=(1, 4)).ok
    assert not race_check(final={"title": "另一标题", "due_on": "2027-03-02"}).ok


# -- The report's throughput target (issue 12) --------------------------------------------------


def share_row(reads_rps: float, baseline_rps: float) -> str:
    results = {"reads": {"rps": reads_rps}, "baseline": {"rps": baseline_rps}, "board_shares": [0.61, 0.58]}
    return next(line for line in target_lines(results) if "`/health/`'s" in line)


@pytest.mark.parametrize("reads_rps, share, met", [(120.0, "0.600", "✓"), (100.0, "0.500", "✓"), (99.0, "0.495", "✗")])
def test_report_sets_the_boards_share_of_health_against_one_half(reads_rps, share, met):
    row = share_row(reads_rps, 200.0)

    assert row.endswith(f"| {met} |")
    assert f"| {share} (" in row
    assert "each repeat: 0.610, 0.580" in row


# -- The browser against the real forms ----------------------------------------------------------


def as_response(page, path: str) -> Response:
    return Response("GET", path, page.status_code, page.headers, page.content.decode(), 0.0)


def post_pairs(client, form, pairs):
    data: dict[str, list[str]] = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return client.post(form.action, data)


@pytest.mark.django_db
def test_the_problem_form_as_the_load_test_fills_it_registers_once(cadre_client, cadre_user):
    visit = VisitFactory(team=cadre_user.cadre.team)
    path = f"/visits/{visit.pk}/"
    form = find_form(as_response(cadre_client.get(path), path), "/problems/")
    pairs = form.values({"title": "路灯不亮", "resident_name": "陈某", "resident_phone": "13912345678"})

    first = post_pairs(cadre_client, form, pairs)
    again = post_pairs(cadre_client, form, pairs)  # a second tap: the same nonce

    assert first.status_code == again.status_code == 302
    number = urllib.parse.parse_qs(urllib.parse.urlsplit(first["Location"]).query)["saved"][0]
    assert again["Location"] == first["Location"]
    assert list(Case.objects.values_list("number", flat=True)) == [number]


@pytest.mark.django_db
def test_the_case_page_forms_as_the_load_test_fills_them_refuse_a_stale_version(office_client):
    case = CaseFactory()
    path = f"/cases/{case.number}/"

    def get(link: str) -> Response:
        return as_response(office_client.get(link), link)

    # On the case page, or on the action's own page its panel links to (bench/staff.py follows it).
    form = find_form_or_follow(as_response(office_client.get(path), path), "/edit/", get)

    assert post_pairs(office_client, form, form.values({"title": "新标题"})).status_code == 302
    assert post_pairs(office_client, form, form.values({"title": "又一个标题"})).status_code == 409
    case.refresh_from_db()
    assert (case.title, case.version) == ("新标题", 2)


@pytest.mark.django_db(transaction=True)
def test_cadres_recording_over_http_lose_nothing(live_server):
    """A short run of the lost-writes phase against a live server: one client on SQLite (its
    connection is shared by the server's threads), three on PostgreSQL."""
    clients = 3 if connection.vendor == "postgresql" else 1
    user = UserFactory(username="cadre-load", role="cadre")
    CadreFactory(user=user)
    tally, days = Tally(), Days(datetime.date.today())
    cadres = [CadreClient(live_server.url, tally, days, f"c{i}", seed=i) for i in range(clients)]
    for cadre in cadres:
        cadre.login("cadre-load", PASSWORD)

    run_clients(cadres, 1.5)

    assert tally.errors == []
    check = check_ledger(tally.acks, list(Case.objects.values_list("number", flat=True)))
    assert check.ok, check
    assert check.created > 0


@pytest.mark.django_db(transaction=True)
def test_office_sessions_racing_on_one_case_over_http(live_server):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests need PostgreSQL (DATABASE_URL=postgres://…)")
    user = UserFactory(username="office-load", role="office")
    CadreFactory(user=user, team=None, town=home_town(), position="党政办")
    case = CaseFactory(status=Case.Status.IN_PROGRESS, decision=Case.Decision.HANDLE_NOW)
    tally = Tally()

    attempts = race(live_server.url, case.number, clients=2, rounds=3, tally=tally, login=("office-load", PASSWORD))

    assert tally.errors == []
    case.refresh_from_db()
    events = [(e.kind, e.shown_text) for e in case.events.order_by("id")]
    final = {"title": case.title, "due_on": case.due_on.isoformat()}
    check = check_race(attempts, clients=2, rounds=3, events=events, versions=(1, case.version), final=final)
    assert check.ok, check.problems


def test_free_ports_are_never_handed_out_twice(monkeypatch):
    """The system may offer a closed socket's port again: the load tests' servers still get a port each."""
    offered = iter([40001, 40001, 40002, 40001, 40003])

    class Socket:
        def __init__(self):
            self.port = next(offered)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def bind(self, address):
            pass

        def getsockname(self):
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(load, "_HANDED_OUT", set())
    monkeypatch.setattr(load.socket, "socket", Socket)

    assert [load.free_port() for _ in range(3)] == [40001, 40002, 40003]
