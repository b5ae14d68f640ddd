"""The case page's panels in a real browser: a closed panel has no form until it is opened, then
htmx fetches it into the panel (under the site's CSP), and posting it records the progress."""

import pytest

from cases.models import Case
from cases.tests.factories import CaseFactory
from teams.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_opening_a_panel_fetches_its_form_and_posting_it_adds_progress(desktop_page, office_user, team):
    page = desktop_page
    refused = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    case = CaseFactory(team=team, status=Case.Status.IN_PROGRESS, decision="handle_now")
    page.goto("/accounts/login/")
    page.fill("input[name=username]", office_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/triage/")

    page.goto(f"/cases/{case.number}/")
    panel = page.locator("details#add_progress")
    before = panel.locator("form").count()
    panel.locator("summary").click()
    text = panel.locator("#id_add_progress_text")
    text.wait_for()  # htmx has put the form in the panel
    text.fill("已电话联系水利所，下周施工")
    panel.locator("input[name=public][value='1']").check()
    panel.locator("button[type=submit]").click()
    page.wait_for_url(f"**/cases/{case.number}/")
    page.locator(".messages .success").wait_for()

    assert before == 0
    assert page.locator(".messages .success").inner_text() == "已记录进展。"
    assert list(case.events.values_list("kind", "text", "public")) == [("progress", "已电话联系水利所，下周施工", True)]
    assert page.locator("details#close form").count() == 0  # the other panels are still formless
    assert refused == []
