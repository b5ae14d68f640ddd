"""The cadre's Thursday on a cheap phone: log in, record the visit, then three problems."""

import re
from pathlib import Path

import pytest

from cases.models import Case
from cases.tests.factories import CaseFactory, SubCategoryFactory
from cases.visit_forms import default_visit_date
from teams.tests.factories import PASSWORD, SubgroupFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")
PHONE_WIDTH = 360


def look(page, name: str) -> None:
    """Nothing may be wider than the phone; keep a picture of the page for a human to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"teams-{name}.png"), full_page=True)
    page.screenshot(path=str(SHOTS / f"teams-{name}-screen.png"))  # what the cadre sees first
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH, name
    wide = page.evaluate(
        """w => [...document.querySelectorAll('main *')]
              .filter(e => e.getBoundingClientRect().right > w + 0.5)
              .map(e => e.tagName + '.' + e.className)""",
        PHONE_WIDTH,
    )
    assert wide == [], name


def login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def add_problem(page, *, title: str, category: str = "", on_the_spot: str = "") -> None:
    page.fill("#id_resident_name", "陈大伯")
    page.fill("#id_resident_phone", "139 1234 5678")
    page.fill("#id_resident_address", "东坑村")
    page.select_option("#id_kind", "help")
    page.select_option("#id_category_choice", category)
    page.fill("#id_title", title)
    page.fill("#id_description", "入户时反映，详见记录本")
    if on_the_spot:
        page.check("#id_on_the_spot")
        page.fill("#id_result", on_the_spot)
    page.get_by_role("button", name="登记这个问题").click()


def test_cadre_records_a_thursday_visit_with_three_problems_on_a_phone(phone_page, cadre_user, team):
    page = phone_page
    canal = SubCategoryFactory(label="水渠年久失修", category__label="农田水利建设")
    SubgroupFactory(team=team, name="第一小组")
    SubgroupFactory(team=team, name="第二小组")
    earlier = CaseFactory(team=team, category=canal.category, subcategory=canal, title="东坑水渠崩塌")
    day = default_visit_date()

    login(page, cadre_user.username)
    page.wait_for_url("**/my-team/")
    look(page, "1-my-team")

    page.get_by_role("link", name="记录驻点").click()
    assert page.input_value("#id_date") == day.isoformat()
    page.check("text=第一小组")
    page.check("text=第二小组")
    page.fill("#id_households_visited", "23")
    page.fill("#id_key_people", "五保户李婆婆、独居老人黄伯")
    page.fill("#id_briefing_notes", "与村两委碰头：重点走访东坑、西坑")
    look(page, "2-visit-form")
    page.get_by_role("button", name="保存，开始登记问题").click()
    page.wait_for_url(re.compile(r"/visits/\d+/$"))  # not /visits/new/: the form is sent by fetch (drafts.js)
    look(page, "3-visit-empty")

    add_problem(page, title="村口路灯不亮")
    first = page.inner_text(".tracking-number")
    look(page, "4-first-number")

    add_problem(page, title="低保政策咨询", on_the_spot="当场讲解低保申请条件")
    second = page.inner_text(".tracking-number")
    assert page.inner_text(".saved .done") == "✔ 已现场解决"

    add_problem(page, title="西坑水渠漏水", category=f"{canal.category_id}-{canal.pk}")
    assert earlier.number in page.inner_text(".duplicates")
    look(page, "5-duplicates")
    page.get_by_role("button", name="确认不是重复，登记").click()
    third = page.inner_text(".tracking-number")
    look(page, "6-third-number")

    year = day.year
    assert [first, second, third] == [f"SH-{year}-0001", f"SH-{year}-0002", f"SH-{year}-0003"]
    assert page.inner_text(".tracking-number") == third
    assert page.input_value("#id_title") == ""  # the empty form for the next problem
    assert list(Case.objects.filter(visit__team=team).order_by("number").values_list("status", "closure")) == [
        ("registered", ""),
        ("closed", "on_the_spot"),
        ("registered", ""),
    ]
