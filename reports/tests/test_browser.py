"""The supervisor's month in a real browser: the dashboard on a desk and a phone, and the
meeting pack as it prints on A4. Screenshots go to /tmp/shots/ for a human to look at."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_stated_report", stdout=io.StringIO())


def browser_login(page, username: str, password: str) -> None:
    # conftest.browser_login clicks the first submit button, which is now the header's language switch.
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"reports-{name}.png"), full_page=True)


def test_supervisor_reads_january_2015(desktop_page, demo):
    page = desktop_page
    browser_login(page, "supervisor", "sanhe-2015")
    page.goto("/reports/?month=2015-01")
    assert page.locator("h1").inner_text() == "2015年1月驻点直联工作分析"
    closure = page.locator(".figure", has_text="办结率（累计）")
    assert closure.locator("dd.value").inner_text() == "54.92%"
    assert closure.locator("dd.parts").inner_text() == "78 / 142"
    assert page.locator("figure.chart svg").count() == 4  # categories, villages, teams, trend
    shot(page, "dashboard")
    # A figure leads to its cases.
    page.locator(".figure", has_text="期末未办结").locator("dd.value a").click()
    assert page.locator("#count").inner_text() == "共 64 条。"


def test_dashboard_fits_a_phone(phone_page, demo):
    page = phone_page
    browser_login(page, "supervisor", "sanhe-2015")
    page.goto("/reports/?month=2015-01")
    shot(page, "dashboard-phone")
    # Wide tables scroll inside their box; the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_meeting_pack_prints_on_a4(desktop_page, demo):
    page = desktop_page
    browser_login(page, "supervisor", "sanhe-2015")
    page.goto("/reports/pack/?month=2015-01&as_of=2015-02-01")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    assert not page.locator("header.site").is_visible()
    assert not page.locator("form.period-picker").is_visible()
    summary = page.locator(".summary-text p").first.inner_text()
    assert summary.startswith("三合镇辖区共有10个村（社区），截至2015年2月1日，直联活动共收集群众意见和问题142条。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 794
    shot(page, "pack-print")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    (SHOTS / "reports-pack.pdf").write_bytes(pdf)
