"""Cache-Control: private, no-store on every response carrying residents' data (sanhe/lib/nostore.py);
the public boards keep their own revalidated caching (public/services.py)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from cases.tests.factories import CaseFactory
from teams.tests.factories import UserFactory

NO_STORE = "private, no-store"


@pytest.fixture
def case(db, team):
    cache.clear()  # the boards' page cache
    return CaseFactory(team=team, number="SH-2015-0001")


@pytest.fixture
def admin_client(client_class, db):
    client = client_class()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("office_client", "/"),
        ("office_client", "/cases/"),
        ("office_client", "/cases/export.xlsx"),
        ("office_client", "/cases/SH-2015-0001/"),
        ("cadre_client", "/cases/SH-2015-0001/"),
        ("cadre_client", "/visits/"),
        ("supervisor_client", "/reports/"),
        ("supervisor_client", "/reports/pack.docx"),
        ("supervisor_client", "/reports/export/teams.xlsx"),
        ("supervisor_client", "/reports/cases/?figure=collected&start=2015-01-01&end=2015-01-31"),
        ("admin_client", "/admin/"),
        ("admin_client", "/admin/cases/case/"),
        ("office_client", "/reports/summary.json"),  # public, but sent to a logged-in user
        ("office_client", "/no-such-page/"),  # an error page says who is logged in
    ],
)
def test_every_response_to_a_logged_in_user_is_not_stored(request, case, persona, url):
    response = request.getfixturevalue(persona).get(url)
    assert (response.status_code < 500, response["Cache-Control"]) == (True, NO_STORE)


def test_a_refusal_to_a_logged_in_user_is_not_stored(cadre_client, case):
    response = cadre_client.get("/reports/")
    assert (response.status_code, response["Cache-Control"]) == (403, NO_STORE)


def test_the_track_answer_is_not_stored(client, case):
    response = client.post(reverse("track:index"), {"number": case.number, "last4": "0000"})
    assert (response.status_code, response["Cache-Control"]) == (200, NO_STORE)


@pytest.mark.parametrize("url", ["/notice/", "/reports/summary.json", "/reports/notices/"])
def test_anonymous_public_pages_get_no_no_store(client, case, url):
    response = client.get(url)
    assert (response.status_code, "no-store" in response.get("Cache-Control", "")) == (200, False)


@pytest.mark.parametrize("persona", ["client", "office_client"])
def test_the_village_board_keeps_its_own_revalidated_caching(request, case, persona):
    browser = request.getfixturevalue(persona)
    url = reverse("board:village", args=[case.village.code])
    first = browser.get(url)
    again = browser.get(url, headers={"if-none-match": first["ETag"]})
    assert (first.status_code, first["Cache-Control"]) == (200, "private, no-cache")
    assert (again.status_code, again["Cache-Control"]) == (304, "private, no-cache")
