import pytest

from cases.tests.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_village_board_reads_on_a_phone(phone_page):
    case = CaseFactory(title="水渠年久失修", closed=True)
    phone_page.goto("/notice/")
    phone_page.click(f"text={case.village.short_name}")
    assert phone_page.locator(".case .number").first.inner_text() == case.number
    # Nothing is wider than the phone's screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
