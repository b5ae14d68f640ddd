"""The office's first hour on the demo, as `make run` leaves it, in a real browser: asking a helper
of the demo's roster (三官一师) for help, and voiding a case entered twice — on a phone."""

import io

import pytest
from django.core.management import call_command

from cases.models import Case, CaseEvent, Referral
from cases.tests.test_browser_path import open_panel
from teams.models import Helper

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DEMO_PASSWORD = "sanhe-2015"


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def login_as_office(page) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "office")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/triage/")


def test_referral_to_a_demo_helper_from_a_fresh_demo(demo, desktop_page):
    page = desktop_page
    case = Case.objects.exclude(status=Case.Status.CLOSED).order_by("raised_on", "number").first()
    login_as_office(page)
    page.goto(f"/cases/{case.number}/")
    open_panel(page, "refer")
    page.wait_for_selector("#id_refer_helper")  # htmx brings the panel's form
    options = page.locator("#id_refer_helper option").evaluate_all("(os) => os.map((o) => o.value).filter(Boolean)")
    assert len(options) >= 10  # the demo's roster, not an empty select
    helper = Helper.objects.get(pk=options[0])
    page.select_option("#id_refer_helper", options[0])
    page.fill("#id_refer_request", "请就这一问题给出法律意见")
    page.click("details#refer button[type=submit]")
    page.wait_for_selector(".messages, .message, [role=status]")
    referral = Referral.objects.get(case=case)
    assert referral.helper == helper and referral.request == "请就这一问题给出法律意见"


def test_office_voids_a_duplicate_on_a_phone(demo, phone_page):
    page = phone_page
    case = Case.objects.exclude(status=Case.Status.CLOSED).order_by("-raised_on", "-number").first()
    login_as_office(page)
    page.goto(f"/cases/{case.number}/")
    open_panel(page, "void")
    page.wait_for_selector("#id_void_reason")
    page.fill("#id_void_reason", "重复登记")
    page.click("details#void button[type=submit]")
    # Without the tick the office is told, at the top, and nothing is voided.
    page.wait_for_selector(".error-summary, [role=alert]")
    assert Case.objects.filter(pk=case.pk).exists()
    page.check("#id_void_confirm")
    page.click("details#void button[type=submit]")
    page.wait_for_selector(".detail-voided")
    assert "已作废" in page.inner_text(".detail-voided")
    voided = Case.with_voided.get(pk=case.pk)
    assert voided.voided_at is not None and not Case.objects.filter(pk=case.pk).exists()
    assert voided.events.filter(kind=CaseEvent.Kind.VOIDED, text="重复登记").exists()
    page.goto("/cases/")
    assert case.number not in page.inner_text("main")
