"""The content security policy in a real browser: the pages, their styles and inline SVG charts
load with nothing refused."""

import io

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def watch_csp(page) -> list[str]:
    refused = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and refused.append(f"{page.url}: {message.text}"),
    )
    return refused


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "sanhe-2015")
    page.click("main button[type=submit]")


def test_public_pages_load_under_csp_with_styles_and_charts(desktop_page, demo):
    page = desktop_page
    refused = watch_csp(page)

    response = page.goto("/notice/440781104001/")

    assert response.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'")
    # Our stylesheet applied (not refused): the body is not the browser's default serif on white margins.
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    charts = page.locator("main svg")
    assert charts.count() >= 1
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    page.goto("/notice/")
    page.goto("/accounts/login/")
    assert refused == []


def test_staff_pages_and_admin_load_under_csp(desktop_page, demo):
    page = desktop_page
    refused = watch_csp(page)

    log_in(page, "admin")
    page.goto("/reports/?month=2015-01")
    charts = page.locator("figure.chart svg").count()
    page.goto("/admin/")

    assert charts >= 1
    # The admin's own stylesheet applied: its header is a flex box.
    assert page.locator("#header").evaluate("e => getComputedStyle(e).display") == "flex"
    assert refused == []
