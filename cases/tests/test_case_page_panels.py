"""The case page's action panels: closed and without their form, each a link to the action's own
page (GET on the action's URL), whose form htmx fetches alone (HX-Request) when the panel opens.

Who may GET an action's form is who may POST it (cases/views/detail.py): office staff every
action, a cadre of the case's team the team's actions (others 403), a cadre of another team 404,
supervisors 403; an action the case's status does not allow is 403 with the reason.
"""

import re

import pytest

from cases.models import Case, CaseEvent
from cases.tests.factories import ReferralFactory
from cases.tests.test_case_page import OFFICE_ONLY, TEAM_ACTIONS, edit_data, make_case, page, summaries
from teams.tests.factories import CadreFactory, UserFactory

S = Case.Status
pytestmark = pytest.mark.django_db

# action: (its URL's last part, a status that allows it)
URLS = {
    "triage": ("triage", S.REGISTERED),
    "add_progress": ("progress", S.IN_PROGRESS),
    "refer": ("refer", S.IN_PROGRESS),
    "close": ("close", S.IN_PROGRESS),
    "record_feedback": ("feedback", S.CLOSED),
    "reopen": ("reopen", S.CLOSED),
    "assign_responsible": ("responsible", S.IN_PROGRESS),
    "set_due_date": ("due", S.IN_PROGRESS),
    "edit_case": ("edit", S.IN_PROGRESS),
}
PANEL_ACTIONS = [action for action in TEAM_ACTIONS + OFFICE_ONLY if action in URLS]
TEAM_PANELS = [action for action in TEAM_ACTIONS if action in URLS]  # the reply form lives under its referral
HX = {"HTTP_HX_REQUEST": "true"}
PANEL = re.compile(r'<details class="detail-panel" id="(\w+)"( open)?( hx-get="([^"]+)" hx-trigger="toggle once")?')


def panels(html: str) -> list[tuple[str, bool, str]]:
    """(action, open, the URL htmx fetches its form from or "") of each action panel."""
    return [(action, bool(opened), url) for action, opened, _hx, url in PANEL.findall(html)]


def action_forms(html: str) -> list[str]:
    """Where the case's action forms on HTML post to (each carries the case's version)."""
    return re.findall(r'<form method="post" action="(/cases/[^"]+/)" class="stacked detail-form"', html)


# --- the case page --------------------------------------------------------------------------


def test_case_page_panels_are_closed_and_formless(office_client, team):
    case = make_case(team, S.IN_PROGRESS)

    html = page(office_client.get(f"/cases/{case.number}/"))

    n = case.number
    assert panels(html) == [
        ("triage", False, f"/cases/{n}/triage/"),
        ("close", False, f"/cases/{n}/close/"),
        ("add_progress", False, f"/cases/{n}/progress/"),
        ("refer", False, f"/cases/{n}/refer/"),
        ("assign_responsible", False, f"/cases/{n}/responsible/"),
        ("set_due_date", False, f"/cases/{n}/due/"),
        ("edit_case", False, f"/cases/{n}/edit/"),
        ("void", False, f"/cases/{n}/void/"),
    ]
    assert action_forms(html) == []
    assert ("<option" in html, 'name="version"' in html) == (False, False)
    # Without JavaScript each panel is a link to the form's own page.
    assert f'<a href="/cases/{n}/close/">打开“办结”表单</a>' in html
    assert 'hx-target="find .detail-panel-body"' in html


def test_case_page_loads_htmx_deferred_without_its_styles(office_client, team):
    case = make_case(team, S.IN_PROGRESS)

    html = page(office_client.get(f"/cases/{case.number}/"))

    assert '<script src="/static/django_htmx/htmx-2.min.js" defer></script>' in html
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false,' in html
    assert ("<style" in html, "<script>" in html) == (False, False)  # the CSP allows neither


def test_case_page_without_panels_loads_no_htmx(supervisor_client, team):
    case = make_case(team, S.IN_PROGRESS)

    html = page(supervisor_client.get(f"/cases/{case.number}/"))

    assert (panels(html), "htmx" in html) == ([], False)


def test_case_page_registered_case_carries_only_the_triage_form(office_client, team):
    case = make_case(team)

    html = page(office_client.get(f"/cases/{case.number}/"))

    assert panels(html)[:2] == [("triage", True, ""), ("close", False, f"/cases/{case.number}/close/")]
    assert action_forms(html) == [f"/cases/{case.number}/triage/"]


def test_case_page_for_a_cadre_offers_the_team_panels_closed(cadre_client, team):
    case = make_case(team)  # registered: triage is the office's, so nothing opens for the cadre

    html = page(cadre_client.get(f"/cases/{case.number}/"))

    assert [(action, opened) for action, opened, _url in panels(html)] == [
        ("add_progress", False),
        ("refer", False),
        ("edit_case", False),
    ]
    assert action_forms(html) == []


def test_case_page_reveal_puts_the_edit_form_with_the_contact_in_its_closed_panel(cadre_client, team):
    case = make_case(team, S.IN_PROGRESS)

    shown = page(cadre_client.post(f"/cases/{case.number}/contact/"))
    opened = page(cadre_client.post(f"/cases/{case.number}/contact/", {"open": "edit_case"}))

    # The GET of the edit page never carries the contact, so the revealed form is on the page.
    assert ("edit_case", False, "") in panels(shown) and ("edit_case", True, "") in panels(opened)
    assert action_forms(shown) == [f"/cases/{case.number}/edit/"]
    assert 'name="resident_phone"' in shown


# --- a refused form comes back in its open panel ---------------------------------------------


def test_case_action_refused_post_opens_its_panel_with_the_bound_form(office_client, team):
    case = make_case(team)

    response = office_client.post(f"/cases/{case.number}/close/", {"closure": "solved", "version": case.version})

    html = page(response)
    assert response.status_code == 400
    assert panels(html)[:2] == [("triage", False, f"/cases/{case.number}/triage/"), ("close", True, "")]
    assert action_forms(html) == [f"/cases/{case.number}/close/"]  # triage no longer opens on its own
    assert '<p class="errorlist" role="alert">请选择办结方式。</p>' in html


def test_case_action_conflict_opens_its_panel_with_what_was_typed(office_client, cadre_client, team):
    case = make_case(team, S.IN_PROGRESS)
    cadre_client.post(f"/cases/{case.number}/edit/", {**edit_data(case, title="先改的"), "version": case.version})

    response = office_client.post(
        f"/cases/{case.number}/edit/", {**edit_data(case, title="后改的"), "version": case.version}
    )

    html = page(response)
    assert response.status_code == 409
    assert ("edit_case", True, "") in panels(html)
    assert action_forms(html) == [f"/cases/{case.number}/edit/"]
    assert 'name="title" value="后改的"' in html
    assert 'name="version" value="2"' in html  # resubmitting after review is possible


def test_case_action_refused_reply_keeps_the_other_panels_formless(office_client, team):
    case = make_case(team, S.IN_PROGRESS)
    referral = ReferralFactory(case=case)

    response = office_client.post(
        f"/cases/{case.number}/reply/",
        {"referral": referral.pk, "reply": "", "replied_on": "2015-01-12", "version": case.version},
    )

    html = page(response)
    assert response.status_code == 400
    assert f'<details class="detail-panel" id="reply-{referral.pk}" open>' in html
    assert [opened for _action, opened, _url in panels(html)] == [False] * 8  # seven actions and voiding
    assert action_forms(html) == [f"/cases/{case.number}/reply/"]


# --- an action's own page and its partial ------------------------------------------------------


@pytest.mark.parametrize("action", PANEL_ACTIONS)
def test_action_page_office_gets_the_case_header_and_that_one_form(action, office_client, team):
    url, status = URLS[action]
    case = make_case(team, status, title="村口路灯不亮")

    response = office_client.get(f"/cases/{case.number}/{url}/")

    html = page(response)
    assert response.status_code == 200
    assert html.startswith("<!doctype html>")
    assert f'<h1><span class="detail-number">{case.number}</span> 村口路灯不亮</h1>' in html
    assert action_forms(html) == [f"/cases/{case.number}/{url}/"]
    assert html.count('name="version"') == 1
    assert "htmx" not in html  # a plain page: nothing to fetch
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("action", PANEL_ACTIONS)
def test_action_partial_for_htmx_is_the_form_alone(action, office_client, team):
    url, status = URLS[action]
    case = make_case(team, status)

    response = office_client.get(f"/cases/{case.number}/{url}/", **HX)

    html = page(response)
    assert response.status_code == 200
    assert ("<html" in html, "<h1" in html, "<header" in html) == (False, False, False)
    assert action_forms(html) == [f"/cases/{case.number}/{url}/"]
    assert f'name="version" value="{case.version}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "HX-Request" in response["Vary"]


def test_action_partial_of_triage_lists_the_cadres_and_defaults(office_client, team):
    case = make_case(team, kind="complaint")
    CadreFactory(name="黄跟进", team=team)

    html = page(office_client.get(f"/cases/{case.number}/triage/", **HX))

    assert re.findall(r'name="decision" value="(\w+)"', html) == ["handle_now", "plan", "explain"]
    assert f">黄跟进（{team.name}）</option>" in html
    assert "默认按“投诉”类诉求15个工作日计算（法定节假日和调休已计入）。" in html


def test_action_partial_then_post_saves_and_returns_to_the_case(office_client, team):
    case = make_case(team, S.IN_PROGRESS)
    html = page(office_client.get(f"/cases/{case.number}/progress/", **HX))
    version = re.search(r'name="version" value="(\d+)"', html).group(1)

    response = office_client.post(
        f"/cases/{case.number}/progress/", {"text": "已电话联系", "public": "0", "version": version}, follow=True
    )

    assert response.redirect_chain == [(f"/cases/{case.number}/", 302)]
    assert '<li class="success">已记录进展。</li>' in page(response)
    assert list(case.events.values_list("text", flat=True)) == ["已电话联系"]


@pytest.mark.parametrize("action", TEAM_PANELS)
@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_action_page_cadre_of_the_team_gets_the_team_forms(action, headers, cadre_client, team):
    url, status = URLS[action]
    case = make_case(team, status)

    response = cadre_client.get(f"/cases/{case.number}/{url}/", **headers)

    assert (response.status_code, action_forms(page(response))) == (200, [f"/cases/{case.number}/{url}/"])


@pytest.mark.parametrize("action", OFFICE_ONLY)
@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_action_page_office_only_refused_to_a_cadre(action, headers, cadre_client, team):
    url, status = URLS[action]
    case = make_case(team, status)

    response = cadre_client.get(f"/cases/{case.number}/{url}/", **headers)

    assert (response.status_code, action_forms(page(response))) == (403, [])


@pytest.mark.parametrize("action", PANEL_ACTIONS)
@pytest.mark.parametrize(
    ("persona", "expected"), [("supervisor_client", 403), ("cadre_client", 404), ("no_role_client", 403)]
)
def test_action_page_refused_to_readers_and_outsiders(action, persona, expected, request, other_team, team):
    url, status = URLS[action]
    case = make_case(other_team if persona == "cadre_client" else team, status)

    response = request.getfixturevalue(persona).get(f"/cases/{case.number}/{url}/", **HX)

    assert (response.status_code, action_forms(page(response))) == (expected, [])


@pytest.fixture
def no_role_client(client):
    client.force_login(UserFactory())
    return client


@pytest.mark.parametrize("action", PANEL_ACTIONS)
def test_action_page_anonymous_goes_to_login(action, client, team):
    url, status = URLS[action]
    case = make_case(team, status)

    response = client.get(f"/cases/{case.number}/{url}/")

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next=/cases/{case.number}/{url}/")


def test_action_partial_after_the_session_ended_sends_the_window_to_log_in(client, team):
    case = make_case(team, S.IN_PROGRESS)
    on_the_case_page = {**HX, "HTTP_HX_CURRENT_URL": f"http://testserver/cases/{case.number}/"}

    response = client.get(f"/cases/{case.number}/progress/", **on_the_case_page)

    # Not the login page inside the panel: htmx loads it in the window, then back to the case.
    assert (response.status_code, response["HX-Redirect"]) == (200, f"/accounts/login/?next=/cases/{case.number}/")
    assert page(response) == ""


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_action_page_not_allowed_by_the_status_says_why(headers, office_client, team):
    case = make_case(team, S.IN_PROGRESS)

    response = office_client.get(f"/cases/{case.number}/reopen/", **headers)

    html = page(response)
    assert response.status_code == 403
    assert '<p class="detail-refused" role="alert">“处理中”的问题不能重新办理。</p>' in html
    assert f'<a href="/cases/{case.number}/">返回问题页面</a>' in html
    assert action_forms(html) == []


def test_action_page_unknown_case_is_404(office_client):
    assert office_client.get("/cases/SH-2015-9999/triage/").status_code == 404


def test_action_page_put_is_405(office_client, team):
    case = make_case(team)

    assert office_client.put(f"/cases/{case.number}/triage/").status_code == 405


# --- queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("events", [1, 40])
@pytest.mark.parametrize("status", [S.REGISTERED, S.IN_PROGRESS])
def test_case_page_office_query_count_stays_within_ten(
    events, status, office_client, django_assert_max_num_queries, team
):
    """A case just registered carries the triage form (its list of names: one query) on top."""
    registrar = CadreFactory(user=UserFactory(role="cadre")).user
    case = make_case(team, status, created_by=registrar)
    CadreFactory.create_batch(5)
    authors = [CadreFactory(user=UserFactory(role="cadre")).user for _ in range(3)]
    CaseEvent.objects.bulk_create(
        CaseEvent(case=case, kind="progress", text=f"进展{i}", author=authors[i % 3]) for i in range(events)
    )

    with django_assert_max_num_queries(10):
        response = office_client.get(f"/cases/{case.number}/")

    html = page(response)
    assert html.count('<li class="event-progress">') == events
    assert summaries(response)[0] == "分办（处理决定）"


# --- the cadre selects, rendered once per roster version (teams/roster.py) ----------------------


def selected_options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="(\d*)" selected>', select)


def test_responsible_select_shows_each_case_its_own_responsible_from_one_cached_roster(office_client, team):
    first, second = CadreFactory(team=team), CadreFactory(team=team)
    one, two = make_case(team, S.IN_PROGRESS), make_case(team, S.IN_PROGRESS)
    Case.objects.filter(pk=one.pk).update(responsible=first)
    Case.objects.filter(pk=two.pk).update(responsible=second)

    pages = [page(office_client.get(f"/cases/{case.number}/responsible/", **HX)) for case in (one, two, one)]

    assert [selected_options(html, "responsible") for html in pages] == [
        [str(first.pk)],
        [str(second.pk)],
        [str(first.pk)],
    ]


def test_a_new_cadre_appears_in_the_responsible_select_at_once(office_client, team):
    case = make_case(team, S.IN_PROGRESS)
    page(office_client.get(f"/cases/{case.number}/responsible/", **HX))  # the roster now cached

    newcomer = CadreFactory(team=team, name="新来的")

    assert f'<option value="{newcomer.pk}">新来的（' in page(
        office_client.get(f"/cases/{case.number}/responsible/", **HX)
    )
