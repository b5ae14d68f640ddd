"""Dates on the case list never wrap ("2026-11-/26" on a phone): each date stays on one line, on
a phone's cards and in a squeezed table alike."""

import datetime

import pytest

from cases.models import Case
from cases.tests.factories import CaseFactory, SubCategoryFactory
from teams.tests.factories import PASSWORD, CadreFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINES = """cells => cells.map(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
})"""


@pytest.mark.parametrize("width", [320, 360, 770, 1024])
def test_case_list_dates_stay_on_one_line(chromium, live_server, office_user, team, width):
    sub = SubCategoryFactory(label="村道硬底化及路灯安装维修", category__label="农村基础设施建设")
    responsible = CadreFactory(name="欧阳志华", team=team)
    for n in range(3):
        CaseFactory(
            team=team,
            category=sub.category,
            subcategory=sub,
            title="村口至新屋里路段路灯长期不亮，夜间出行不便，群众要求尽快维修" * 2,
            status=Case.Status.IN_PROGRESS,
            responsible=responsible,
            raised_on=datetime.date(2026, 11, 26),
            due_on=datetime.date(2026, 12, 10 + n),
        )
    context = chromium.new_context(viewport={"width": width, "height": 800}, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", office_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()

    page.goto("/cases/")
    lines = page.locator(".list-table td.raised, .list-table td.due").evaluate_all(LINES)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()

    assert lines == [1] * 6
    assert overflow <= 0  # kept whole, the dates still fit: the page does not scroll sideways
