"""Two towns in one deployment: a town's staff never see another town's cases, on any page, export
or API, and cannot act on them; the county's supervisor reads both.

The routes are walked from the resolver (as test_bad_input does), so a page added later is in the
matrix without a test edit: every staff page without parameters is asked by each persona, and its
answer (HTML, JSON, CSV, an xlsx or docx opened and read) must hold none of the other town's marks.
Every page of one case is asked with the other town's tracking number and must not be found.
"""

import datetime
import io
import re
import zipfile

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cases.models import Case
from cases.tests.factories import CaseFactory
from teams.tests.factories import CadreFactory, TeamFactory, UserFactory, VisitFactory
from villages.tests.factories import TownFactory, VillageFactory, home_town

# The staff side of the site; the public pages (notice/, track/, open311/) show every town by design.
STAFF_PREFIXES = ("cases/", "reports/", "api/", "triage/", "visits/", "my-team/", "slips/")
# Documentation pages and what ends a session are not about a town's data.
SKIPPED = {"api-schema", "api-docs"}
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
REGEX_LEFT = re.compile(r"[()\[\]*+?\\]")


def staff_routes(patterns=None, prefix: str = "") -> list[tuple[str, str]]:
    """(route, name) of every staff URL pattern, parameters left as <converter:name>."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if hasattr(entry.pattern, "_route"):
            text = str(entry.pattern._route)
        else:  # the API router's regexes: ^cases/$, ^cases/(?P<pk>[^/.]+)/$
            text = entry.pattern.regex.pattern.lstrip("^").removesuffix("\\Z").removesuffix("$")
            text = re.sub(r"\(\?P<(\w+)>[^()]*\)", r"<str:\1>", text)
        if isinstance(entry, URLResolver):
            found += staff_routes(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern) and (prefix + text).startswith(STAFF_PREFIXES):
            if entry.name not in SKIPPED and not REGEX_LEFT.search(text):
                found.append(("/" + prefix + text, entry.name or ""))
    return sorted(set(found))


def without_parameters() -> list[str]:
    return [route for route, _name in staff_routes() if not CONVERTER.search(route)]


def of_one_case() -> list[str]:
    """Routes whose one parameter is a case's tracking number."""
    return [
        route for route, _name in staff_routes() if [name for _conv, name in CONVERTER.findall(route)] == ["number"]
    ]


def text_of(response) -> str:
    """What a reader of the answer sees: the text of a page, a JSON or CSV body, an xlsx's cells or
    a docx's paragraphs."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist() if name.endswith(".xml")
            )
    return body.decode("utf-8", "replace")


@pytest.fixture
def towns(db):
    """Sanhe and a second town, each with a village, a team, a visit, two cases (one closed) and
    its staff; every name, title and number says which town it is."""
    world = {}
    for key, town in (
        ("a", home_town()),
        ("b", TownFactory(code="DJ", name="大江镇", division_code="440781105", phone="0750-5550105")),
    ):
        village = VillageFactory(town=town, name=f"{key}甲乙村委会", short_name=f"{key}甲乙村")
        team = TeamFactory(village=village, name=f"{town.name}第一驻点团队")
        visit = VisitFactory(team=team, village=village)
        cases = [
            CaseFactory(
                team=team,
                village=village,
                visit=visit,
                number=f"{town.code}-2015-0{serial}01",
                title=f"{town.name}标记问题{serial}",
                resident_name=f"{town.name}居民{serial}",
                raised_on=datetime.date(2015, 1, 8),
                **({"closed": True} if serial == 2 else {}),
            )
            for serial in (1, 2)
        ]
        staff = {}
        for role in ("office", "supervisor", "cadre"):
            user = UserFactory(role=role, username=f"{role}_{key}")
            CadreFactory(user=user, team=team if role == "cadre" else None, town=town, position=role)
            staff[role] = user
        world[key] = {"town": town, "village": village, "team": team, "visit": visit, "cases": cases, **staff}
    world["county"] = UserFactory(role="county_supervisor", username="county")
    CadreFactory(user=world["county"], team=None, town=None, position="县督查室")
    return world


def marks(side: dict) -> list[str]:
    return [mark for case in side["cases"] for mark in (case.number, case.title, case.resident_name)]


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["office", "supervisor", "cadre"])
def test_a_towns_staff_see_nothing_of_the_other_town_on_any_staff_page(towns, role):
    routes = without_parameters()
    assert len(routes) > 20, routes  # the walk found the site
    leaks, errors, read = [], [], 0
    for mine, theirs in (("a", "b"), ("b", "a")):
        client = client_of(towns[mine][role])
        for route in routes:
            response = client.get(route)
            if response.status_code >= 500:
                errors.append((role, mine, route, response.status_code))
                continue
            if response.status_code != 200:
                continue
            read += 1
            text = text_of(response)
            leaks += [(role, mine, route, mark) for mark in marks(towns[theirs]) if mark in text]
    assert not errors
    assert not leaks, sorted({(r, route) for r, _m, route, _k in leaks})
    assert read > 10


@pytest.mark.parametrize("role", ["office", "supervisor", "cadre"])
def test_no_page_of_the_other_towns_case_is_found(towns, role):
    routes = of_one_case()
    assert any("/cases/" in route for route in routes) and any("/slips/" in route for route in routes)
    for mine, theirs in (("a", "b"), ("b", "a")):
        client = client_of(towns[mine][role])
        for case in towns[theirs]["cases"]:
            before = Case.with_voided.filter(pk=case.pk).values().get()
            for route in routes:
                url = CONVERTER.sub(case.number, route)
                assert client.get(url).status_code in (403, 404, 405), url
                assert client.post(url, {"note": "x", "result": "x"}).status_code in (403, 404, 405), url
            assert Case.with_voided.filter(pk=case.pk).values().get() == before


@pytest.mark.parametrize("role", ["office", "supervisor"])
def test_the_other_towns_visit_is_not_found(towns, role):
    client = client_of(towns["a"][role])
    visit = towns["b"]["visit"]
    for url in (f"/visits/{visit.pk}/", f"/visits/{visit.pk}/edit/"):
        assert client.get(url).status_code in (403, 404), url
    for url in (f"/visits/{visit.pk}/edit/", f"/visits/{visit.pk}/problems/"):
        assert client.post(url, {"title": "x", "households_visited": "3"}).status_code in (403, 404), url
    assert visit.cases.count() == 2


def test_the_county_supervisor_reads_both_towns(towns):
    client = client_of(towns["county"])
    for route in ("/cases/", "/api/cases/"):
        text = text_of(client.get(route))
        for side in ("a", "b"):
            assert towns[side]["cases"][0].number in text, (route, side)
    for side in ("a", "b"):
        case = towns[side]["cases"][0]
        assert client.get(f"/cases/{case.number}/").status_code == 200
    # Reads, never writes.
    case = towns["b"]["cases"][0]
    assert client.post(f"/cases/{case.number}/progress/", {"note": "县里来改"}).status_code in (403, 405)
