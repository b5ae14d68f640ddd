"""The API's OpenAPI document: valid, complete (every endpoint, its parameters, bodies and the
error shape), served with Swagger UI from our own static files; and the whole workflow of a case
driven by a script that knows only the paths the document advertises."""

import datetime
import re

import pytest
import yaml
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from teams.models import ApiToken
from teams.tests.factories import PASSWORD, VisitFactory

ENDPOINTS = {
    "/api/villages/": {"get"},
    "/api/villages/{id}/": {"get"},
    "/api/teams/": {"get"},
    "/api/teams/{id}/": {"get"},
    "/api/visits/": {"get", "post"},
    "/api/visits/{id}/": {"get"},
    "/api/figures/": {"get"},
    "/api/cases/": {"get", "post"},
    "/api/cases/{number}/": {"get"},
    "/api/cases/{number}/contact/": {"post"},
    **{
        f"/api/cases/{{number}}/{action}/": {"post"}
        for action in "triage progress refer reply close feedback reopen responsible due edit void sign".split()
    },
}


def api(user) -> APIClient:
    _token, key = ApiToken.issue(user=user, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def schema(office_user) -> dict:
    response = api(office_user).get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi(schema):
    validate(schema)


def test_the_schema_documents_every_endpoint_and_the_error_shape(schema):
    paths = schema["paths"]
    assert {path: set(ops) & {"get", "post"} for path, ops in paths.items()} == ENDPOINTS
    assert "Errors" in schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method not in ("get", "post"):
                continue
            for status in ("401", "403", "404"):
                ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Errors", (path, method, status)
            if method == "post":
                assert "409" in operation["responses"] and "400" in operation["responses"]
    triage = paths["/api/cases/{number}/triage/"]["post"]
    body = triage["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"version", "decision", "responsible"} <= set(schema["components"]["schemas"][body]["properties"])
    listed = {p["name"] for p in paths["/api/cases/"]["get"]["parameters"]}
    assert {"cursor", "page_size", "q", "status", "village", "overdue"} <= listed
    create = {p["name"] for p in paths["/api/cases/"]["post"]["parameters"]}
    assert "Idempotency-Key" in create


def test_the_schema_and_docs_are_not_public(client):
    assert client.get("/api/schema/").status_code == 401
    assert client.get("/api/docs/").status_code in (401, 403)


def test_the_docs_load_nothing_from_elsewhere(office_client):
    page = office_client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"<script>(?!</script>)", html), "an inline script the CSP would block"
    policy = page["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "'sha256-" in policy
    script = office_client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()


def test_swagger_ui_runs_under_the_csp(desktop_page, live_server, cadre_user):
    from conftest import browser_login

    problems = []
    desktop_page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    browser_login(desktop_page, cadre_user.username, PASSWORD)
    desktop_page.goto("/api/docs/")
    desktop_page.wait_for_selector(".swagger-ui .opblock-tag", timeout=15000)
    assert "/api/cases/" in desktop_page.content()
    assert not [p for p in problems if "Content Security Policy" in p], problems


def test_the_workflow_by_the_schemas_paths(schema, cadre_user, office_user, team):
    """Register → triage → progress → close → feedback, each URL taken from the schema."""
    paths = {path for path in schema["paths"]}

    def url(template: str, **values) -> str:
        assert template in paths, template
        return template.format(**values)

    visit = VisitFactory(team=team)
    cadre, office = api(cadre_user), api(office_user)
    body = {
        "visit": visit.pk,
        "resident_name": "陈测试",
        "resident_phone": "13912345678",
        "resident_address": "测试村东坊8号",
        "channel": "household",
        "kind": "help",
        "title": "水渠年久失修",
        "description": "渠道破损，影响灌溉",
        "public_posting": True,
    }
    created = cadre.post(url("/api/cases/"), body, format="json", HTTP_IDEMPOTENCY_KEY="form-1")
    assert created.status_code == 201, created.content
    case = created.json()
    number = case["number"]
    assert case["resident"]["phone"] == "139****5678"
    again = cadre.post(url("/api/cases/"), body, format="json", HTTP_IDEMPOTENCY_KEY="form-1")
    assert again.status_code == 200 and again.json()["number"] == number

    def act(client, action: str, **fields):
        response = client.post(
            url(f"/api/cases/{{number}}/{action}/", number=number),
            {"version": case["version"], **fields},
            format="json",
        )
        assert response.status_code == 200, response.content
        return response.json()

    case = act(office, "triage", decision="handle_now", responsible=cadre_user.cadre.pk)
    assert case["status"] == "in_progress"
    case = act(cadre, "progress", text="已联系水利所，下周施工", public=True)
    case = act(office, "close", closure="solved", result="水渠已修复", closed_on=visit.date.isoformat(), confirm=True)
    assert case["status"] == "closed"
    given_on = (visit.date + datetime.timedelta(days=1)).isoformat()
    case = act(office, "feedback", given_on=given_on, channel="phone", given_by=cadre_user.cadre.pk)
    assert case["fed_back_on"] == given_on
    assert [line["kind"] for line in case["history"]][:2] == ["registered", "triaged"]
    assert len(case["history"]) >= 5 and all(line["line"] for line in case["history"][:4])
    assert case["feedback"][0]["channel"] == "phone"
    listed = office.get(url("/api/cases/"), {"status": "closed"}).json()["results"]
    assert [row["number"] for row in listed] == [number]


def test_the_schema_generates_without_a_warning(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "/api/cases/{number}/sign/" in (tmp_path / "schema.yaml").read_text()
