"""The JSON API (sanhe/api/, each app's api.py): the pages' roles and cases per endpoint, one
error shape, cursor pages, constant queries, and the whole workflow by the schema's own paths."""

import datetime

import pytest
from rest_framework.test import APIClient

from cases.models import Case, ContactAccess
from cases.tests.factories import CaseFactory, ReferralFactory
from teams.models import ApiToken
from teams.tests.factories import CadreFactory, UserFactory, VisitFactory
from villages.tests.factories import VillageFactory

ANONYMOUS, CADRE_A, CADRE_B, OFFICE, SUPERVISOR, ADMIN = (
    "anonymous",
    "cadre_a",
    "cadre_b",
    "office",
    "supervisor",
    "admin",
)
PERSONAS = (ANONYMOUS, CADRE_A, CADRE_B, OFFICE, SUPERVISOR, ADMIN)


def client_for(user) -> APIClient:
    """A client sending USER's API token (none for None)."""
    client = APIClient()
    if user is not None:
        _token, key = ApiToken.issue(user=user, name="test")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def people(team, other_team, cadre_user, office_user, supervisor_user):
    cadre_b = UserFactory(role="cadre")
    CadreFactory(user=cadre_b, team=other_team)
    admin = UserFactory(is_superuser=True, is_staff=True)
    return {
        ANONYMOUS: None,
        CADRE_A: cadre_user,
        CADRE_B: cadre_b,
        OFFICE: office_user,
        SUPERVISOR: supervisor_user,
        ADMIN: admin,
    }


@pytest.fixture
def clients(people):
    return {name: client_for(user) for name, user in people.items()}


@pytest.fixture
def case(team):
    return CaseFactory(team=team)


def errors_of(response) -> list[dict]:
    body = response.json()
    assert set(body) == {"errors"}, body
    for entry in body["errors"]:
        assert set(entry) == {"code", "message", "field"}
        assert entry["message"]
    return body["errors"]


# -- who sees what --------------------------------------------------------------------------------

READS = {
    # persona: (case list count of team A's one case, case detail status, visit detail status)
    ANONYMOUS: (401, 401, 401),
    CADRE_A: (1, 200, 200),
    CADRE_B: (0, 404, 404),
    OFFICE: (1, 200, 200),
    SUPERVISOR: (1, 200, 200),
    ADMIN: (1, 200, 200),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_reads_follow_the_pages(persona, clients, case, team):
    visit = VisitFactory(team=team)
    client = clients[persona]
    listed, detail, visit_status = READS[persona]
    response = client.get("/api/cases/")
    if listed == 401:
        assert response.status_code == 401
        assert errors_of(response)[0]["code"] == "not_authenticated"
        for url in ("/api/villages/", "/api/teams/", "/api/visits/", "/api/figures/", "/api/schema/"):
            assert client.get(url).status_code == 401, url
    else:
        assert response.status_code == 200
        assert [row["number"] for row in response.json()["results"]] == [case.number][:listed]
        for url in ("/api/villages/", "/api/teams/", "/api/visits/", "/api/figures/"):
            assert client.get(url).status_code == 200, url
    assert client.get(f"/api/cases/{case.number}/").status_code == detail
    assert client.get(f"/api/visits/{visit.pk}/").status_code == visit_status


# Which actions each persona may take on team A's case, as on the case page (cases/views/detail.py).
ACTION_STATUS = {
    ANONYMOUS: {"progress": 401, "triage": 401},
    CADRE_A: {"progress": 200, "triage": 403},
    CADRE_B: {"progress": 404, "triage": 404},
    OFFICE: {"progress": 200, "triage": 200},
    SUPERVISOR: {"progress": 403, "triage": 403},
    ADMIN: {"progress": 200, "triage": 200},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_actions_follow_the_pages(persona, clients, people, case):
    client = clients[persona]
    progress = client.post(
        f"/api/cases/{case.number}/progress/",
        {"version": case.version, "text": "已联系水利所", "public": False},
        format="json",
    )
    assert progress.status_code == ACTION_STATUS[persona]["progress"], progress.content
    case.refresh_from_db()
    triage = client.post(
        f"/api/cases/{case.number}/triage/",
        {"version": case.version, "decision": "handle_now", "responsible": people[CADRE_A].cadre.pk},
        format="json",
    )
    assert triage.status_code == ACTION_STATUS[persona]["triage"], triage.content
    if triage.status_code == 200:
        assert triage.json()["status"] == "in_progress"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [(ANONYMOUS, 401), (CADRE_A, 200), (CADRE_B, 404), (OFFICE, 200), (SUPERVISOR, 200), (ADMIN, 200)],
)
def test_contact_is_a_logged_look_for_those_the_page_shows_it_to(persona, expected, clients, case):
    detail = clients[OFFICE].get(f"/api/cases/{case.number}/").json()
    assert detail["resident"]["phone"] == "139****5678"
    assert "13912345678" not in str(detail)
    response = clients[persona].post(f"/api/cases/{case.number}/contact/")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["resident_phone"] == "13912345678"
        assert ContactAccess.objects.filter(case=case, what=ContactAccess.What.CONTACT).count() == 1
    else:
        assert not ContactAccess.objects.exists()


def test_list_rows_carry_no_resident_details(clients, case):
    row = clients[OFFICE].get("/api/cases/").json()["results"][0]
    assert not {"resident", "resident_name", "resident_phone", "resident_address"} & set(row)
    assert "陈测试" not in str(row)


def test_case_list_takes_the_pages_filters(clients, team):
    open_case = CaseFactory(team=team)
    closed = CaseFactory(team=team, closed=True)
    rows = clients[OFFICE].get("/api/cases/", {"status": "closed"}).json()["results"]
    assert [row["number"] for row in rows] == [closed.number]
    rows = clients[OFFICE].get("/api/cases/", {"q": open_case.number}).json()["results"]
    assert [row["number"] for row in rows] == [open_case.number]
    refused = clients[OFFICE].get("/api/cases/", {"status": "nonsense"})
    assert refused.status_code == 400
    assert errors_of(refused)[0]["field"] == "status"


def test_a_cadre_records_their_own_teams_visit_once(clients, people, team):
    body = {"date": "2015-01-15", "village": team.village_id, "households_visited": 12, "summary": "走访"}
    first = clients[CADRE_A].post("/api/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="visit-1")
    assert first.status_code == 201, first.content
    assert first.json()["team"]["id"] == team.pk
    again = clients[CADRE_A].post("/api/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="visit-1")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    same_day = clients[CADRE_A].post("/api/visits/", body, format="json")
    assert same_day.status_code == 400
    assert errors_of(same_day)[0]["field"] == "date"
    assert clients[OFFICE].post("/api/visits/", body, format="json").status_code == 403
    assert clients[SUPERVISOR].post("/api/visits/", body, format="json").status_code == 403


def test_teams_count_their_members(clients, team):
    rows = clients[OFFICE].get("/api/teams/").json()["results"]
    assert {row["id"]: row["members_count"] for row in rows}[team.pk] == 1
    assert "members" not in rows[0]


def test_one_team_lists_its_members_for_responsible_and_given_by(clients, team):
    detail = clients[CADRE_A].get(f"/api/teams/{team.pk}/").json()

    assert detail["members"] == [{"id": cadre.pk, "name": cadre.name} for cadre in team.members.all()]


def test_figures_are_the_public_summarys(clients, office_client, team):
    CaseFactory(team=team)
    CaseFactory(team=team, closed=True)
    api = clients[CADRE_A].get("/api/figures/", {"start": "2015-01-01", "end": "2015-12-31"}).json()
    page = office_client.get("/reports/summary.json", {"start": "2015-01-01", "end": "2015-12-31"}).json()
    assert api == {key: value for key, value in page.items() if key not in ("town", "name")}
    assert api["total"] == 2


# -- errors -------------------------------------------------------------------------------------------


def test_errors_have_one_shape(clients, case):
    office = clients[OFFICE]
    not_found = office.get("/api/cases/SH-1999-9999/")
    assert not_found.status_code == 404
    assert errors_of(not_found)[0]["code"] == "not_found"
    for url in ("/api/visits/abc/", "/api/villages/99999999999999999999/", "/api/teams/0/"):
        assert errors_of(office.get(url))[0]["code"] == "not_found", url
    unknown = office.get("/api/no-such-thing/")
    assert unknown.status_code == 404
    assert unknown["Content-Type"].startswith("application/json")
    assert errors_of(unknown)[0]["code"] == "not_found"
    wrong_method = office.delete(f"/api/cases/{case.number}/")
    assert wrong_method.status_code == 405
    assert errors_of(wrong_method)[0]["code"] == "method_not_allowed"
    forbidden = clients[SUPERVISOR].post(f"/api/cases/{case.number}/triage/", {"version": 1})
    assert forbidden.status_code == 403
    assert errors_of(forbidden)[0]["code"] == "permission_denied"
    invalid = office.post(f"/api/cases/{case.number}/close/", {"version": case.version}, format="json")
    assert invalid.status_code == 400
    fields = {entry["field"] for entry in errors_of(invalid)}
    assert {"result", "closed_on", "confirm"} <= fields
    assert all(entry["message"] for entry in errors_of(invalid))


def test_a_stale_version_is_a_conflict(clients, people, case):
    office = clients[OFFICE]
    body = {"version": case.version, "due_on": "2015-03-01"}
    assert office.post(f"/api/cases/{case.number}/due/", body, format="json").status_code == 200
    stale = office.post(f"/api/cases/{case.number}/due/", body, format="json")
    assert stale.status_code == 409
    assert errors_of(stale)[0]["code"] == "conflict"


def test_messages_are_chinese_by_default(clients, case):
    not_found = clients[OFFICE].get("/api/cases/SH-1999-9999/")
    assert errors_of(not_found)[0]["message"] == "找不到这个对象，或您无权查看。"
    refused = clients[OFFICE].post(f"/api/cases/{case.number}/progress/", {}, format="json")
    assert "请填写进展内容。" in [entry["message"] for entry in errors_of(refused)]


def test_an_unexpected_error_is_a_500_in_the_shape(clients, monkeypatch):
    from villages import api

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api.VillageViewSet, "list", broken)
    response = clients[OFFICE].get("/api/villages/")
    assert response.status_code == 500
    assert errors_of(response)[0]["code"] == "server_error"
    assert "boom" not in response.content.decode()


def test_too_many_requests_is_a_429_in_the_shape(clients, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "2/minute"})
    for _ in range(2):
        assert clients[OFFICE].get("/api/villages/").status_code == 200
    throttled = clients[OFFICE].get("/api/villages/")
    assert throttled.status_code == 429
    assert errors_of(throttled)[0]["code"] == "throttled"


# -- pages and queries --------------------------------------------------------------------------------


def test_a_cursor_walks_every_case_once(clients, team):
    numbers = {CaseFactory(team=team).number for _ in range(7)}
    seen, url = [], "/api/cases/?page_size=3"
    while url:
        page = clients[OFFICE].get(url).json()
        assert len(page["results"]) <= 3
        seen += [row["number"] for row in page["results"]]
        url = page["next"]
        if len(seen) == 3:
            CaseFactory(team=team)  # added while walking: newer than the cursor, not seen twice
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == numbers
    too_big = clients[OFFICE].get("/api/cases/?page_size=5000").json()
    assert len(too_big["results"]) == 8


# Per request, whatever the number of rows: the token, the role, the rows (and their relations).
# (The first request also writes the token's last use.) A case's page: its history, referrals, feedback.
QUERIES = {"cases": 6, "visits": 6, "villages": 3, "teams": 3, "case": 8}


@pytest.mark.parametrize("rows", [5, 50])
def test_lists_take_a_constant_number_of_queries(rows, clients, people, team, django_assert_max_num_queries):
    helper_case = None
    for _ in range(rows):
        helper_case = CaseFactory(team=team)
        ReferralFactory(case=helper_case)
        VisitFactory(team=team, date=datetime.date(2015, 1, 8) + datetime.timedelta(days=7 * _))
        VillageFactory()
    client = clients[CADRE_A]
    for url in ("/api/cases/", "/api/visits/", "/api/villages/", "/api/teams/", f"/api/cases/{helper_case.number}/"):
        kind = "case" if url.count("/") == 4 else url.split("/")[2]
        with django_assert_max_num_queries(QUERIES[kind]):
            assert client.get(url).status_code == 200, url


def test_problems_are_registered_on_visits_the_caller_may_change(clients, team, other_team):
    visit, theirs = VisitFactory(team=team), VisitFactory(team=other_team)
    body = {"title": "路灯不亮", "channel": "household", "kind": "help", "public_posting": True}
    assert clients[CADRE_A].post("/api/cases/", {**body, "visit": theirs.pk}, format="json").status_code == 404
    assert clients[SUPERVISOR].post("/api/cases/", {**body, "visit": visit.pk}, format="json").status_code == 403
    for wrong in ([1, 2], "text"):
        refused = clients[CADRE_A].post("/api/cases/", wrong, format="json")
        assert refused.status_code == 400 and errors_of(refused)[0]["code"] == "parse_error"
    missing = clients[CADRE_A].post("/api/cases/", body, format="json")
    assert missing.status_code == 400 and errors_of(missing)[0]["field"] == "visit"
    spot = {**body, "visit": visit.pk, "on_the_spot": True, "result": "已更换灯泡"}
    done = clients[CADRE_A].post("/api/cases/", spot, format="json")
    assert done.status_code == 201, done.content
    assert done.json()["status"] == "closed" and done.json()["closure"] == "on_the_spot"
    assert Case.objects.get(number=done.json()["number"]).created_by.cadre.team == team


def test_an_action_without_its_version_is_refused(clients, case):
    response = clients[OFFICE].post(f"/api/cases/{case.number}/due/", {"due_on": "2015-03-01"}, format="json")
    assert response.status_code == 400
    assert [entry["field"] for entry in errors_of(response)] == ["version"]


def test_edit_is_partial_and_keeps_the_contact_unless_sent(clients, case):
    response = clients[CADRE_A].post(
        f"/api/cases/{case.number}/edit/", {"version": case.version, "title": "水渠破损"}, format="json"
    )
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert (case.title, case.resident_phone, case.description) == ("水渠破损", "13912345678", "内部记录")
    clients[CADRE_A].post(
        f"/api/cases/{case.number}/edit/", {"version": case.version, "resident_phone": "13800001111"}, format="json"
    )
    case.refresh_from_db()
    assert (case.resident_phone, case.resident_address) == ("13800001111", "测试村东坊8号")


# -- 12345 work orders ----------------------------------------------------------------------------

SIGNS = {ANONYMOUS: 401, CADRE_A: 403, CADRE_B: 403, OFFICE: 200, SUPERVISOR: 403, ADMIN: 200}


@pytest.fixture
def work_order(team):
    received = datetime.datetime(2026, 11, 30, 9, 15, tzinfo=datetime.UTC)
    return CaseFactory(
        team=team,
        channel=Case.Channel.HOTLINE,
        hotline_number="GD-001",
        hotline_received_at=received,
        hotline_sign_by=received + datetime.timedelta(hours=24),
        hotline_handler="三合镇人民政府",
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_signing_for_a_work_order_is_the_offices_as_on_the_pages(clients, work_order, persona):
    response = clients[persona].post(f"/api/cases/{work_order.number}/sign/")

    assert response.status_code == SIGNS[persona]
    work_order.refresh_from_db()
    assert (work_order.hotline_signed_at is not None) == (SIGNS[persona] == 200)
    if SIGNS[persona] == 200:
        assert response.json()["hotline"]["signed_at"] is not None
        assert "sign" not in response.json()["actions"]


def test_a_work_order_shows_its_facts_and_is_signed_once(clients, work_order, case):
    detail = clients[OFFICE].get(f"/api/cases/{work_order.number}/").json()
    assert detail["hotline"] == {
        "number": "GD-001",
        "received_at": "2026-11-30T17:15:00+08:00",
        "sign_by": "2026-12-01T17:15:00+08:00",
        "signed_at": None,
        "handler": "三合镇人民政府",
    }
    assert "sign" in detail["actions"]
    assert clients[OFFICE].get(f"/api/cases/{case.number}/").json()["hotline"] is None

    assert clients[OFFICE].post(f"/api/cases/{work_order.number}/sign/").status_code == 200
    again = clients[OFFICE].post(f"/api/cases/{work_order.number}/sign/")
    assert again.status_code == 400
    assert errors_of(again)[0]["code"] == "not_allowed"
    not_an_order = clients[OFFICE].post(f"/api/cases/{case.number}/sign/")
    assert not_an_order.status_code == 400


def test_a_request_refused_before_any_view_is_still_the_apis_error(clients):
    response = clients[OFFICE].get("/api/cases/", {"q": "水" * 2000})

    assert response.status_code == 400
    assert errors_of(response)[0]["code"] == "bad_request"


def test_the_visit_list_leaves_out_each_visits_free_text_its_detail_has_it(clients, team):
    visit = VisitFactory(team=team, key_people="五保户李婆婆", briefing_notes="低保复核", summary="走访12户")

    listed = clients[OFFICE].get("/api/visits/")
    detail = clients[OFFICE].get(f"/api/visits/{visit.pk}/").json()

    assert "李婆婆" not in listed.content.decode() and "低保" not in listed.content.decode()
    assert (detail["key_people"], detail["briefing_notes"], detail["summary"]) == (
        "五保户李婆婆",
        "低保复核",
        "走访12户",
    )


@pytest.mark.parametrize("value", [20150101, 3.5, ["x", "y"], {"day": 8}, [{"a": 1}], True])
def test_a_value_of_the_wrong_json_type_is_a_400_never_a_500(clients, case, value):
    detail = clients[OFFICE].get(f"/api/cases/{case.number}/").json()

    response = clients[OFFICE].post(
        f"/api/cases/{case.number}/due/", {"version": detail["version"], "due_on": value}, format="json"
    )

    assert response.status_code == 400, response.content
    assert errors_of(response)[0]["field"] == "due_on"


@pytest.mark.parametrize("visit", [True, "1; drop", 99999999999999999999, None, [1]])
def test_registering_needs_a_visit_id_of_digits(clients, visit):
    response = clients[CADRE_A].post("/api/cases/", {"visit": visit, "title": "路灯坏了"}, format="json")

    assert response.status_code == 400
    assert errors_of(response)[0]["field"] == "visit"
