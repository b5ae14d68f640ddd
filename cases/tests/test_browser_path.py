"""The whole path in a real browser: a cadre's problem, carried by the office to the resident's
answer, then read by a villager on the public board."""

import datetime

import pytest

from cases.models import Case
from cases.tests.factories import CaseFactory
from teams.tests.factories import PASSWORD, CadreFactory, HelperFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


def open_panel(page, action: str) -> None:
    if page.get_attribute(f"details#{action}", "open") is None:
        page.click(f"details#{action} > summary")


def test_office_carries_a_case_to_closed_and_fed_back_and_the_board_shows_it(
    desktop_page, phone_page, office_user, team
):
    page = desktop_page
    leader = CadreFactory(team=team, name="黄团长")
    helper = HelperFactory(name="李律师")
    case = CaseFactory(team=team, title="村口路灯不亮", raised_on=datetime.date.today() - datetime.timedelta(days=1))
    today = datetime.date.today().isoformat()

    login(page, office_user.username)
    page.wait_for_url("**/triage/")
    page.click(f"text={case.number}")
    page.wait_for_url(f"**/cases/{case.number}/")

    page.check("#id_triage_decision_0")  # 即时办理
    page.select_option("#id_triage_responsible", str(leader.pk))
    page.click("details#triage button[type=submit]")
    assert "处理中" in page.inner_text(".detail-facts, main")

    open_panel(page, "refer")
    page.select_option("#id_refer_helper", str(helper.pk))
    page.fill("#id_refer_request", "请律师就路灯产权给意见")
    page.click("details#refer button[type=submit]")
    referral = f"reply-{case.referrals.get().pk}"
    open_panel(page, referral)
    page.fill("textarea[name=reply]", "路灯属村委会管理，可由村委维修")
    page.click(f"details#{referral} button[type=submit]")

    open_panel(page, "close")
    page.check("#id_close_closure_0")
    page.fill("#id_close_result", "村委已更换路灯，当晚恢复照明")
    page.fill("#id_close_closed_on", today)
    page.check("#id_close_confirm")
    page.click("details#close button[type=submit]")

    open_panel(page, "record_feedback")
    page.fill("#id_record_feedback_given_on", today)
    page.check("details#record_feedback input[name=channel][value=phone]")
    page.check("details#record_feedback input[name=satisfaction][value=satisfied]")
    page.click("details#record_feedback button[type=submit]")

    case.refresh_from_db()
    assert (case.status, case.closure, case.decision, case.fed_back_on) == (
        Case.Status.CLOSED,
        Case.Closure.SOLVED,
        Case.Decision.HANDLE_NOW,
        datetime.date.today(),
    )
    assert case.referrals.get().reply == "路灯属村委会管理，可由村委维修"
    timeline = page.inner_text("main")
    assert "村委已更换路灯，当晚恢复照明" in timeline

    board = phone_page
    board.goto(f"/notice/{case.village.code}/")
    entry = board.locator(".case", has_text=case.number)
    text = entry.inner_text()
    assert "已办结" in text
    assert "村委已更换路灯，当晚恢复照明" in text
    assert "已告知反映人" in text
    assert "陈测试" not in board.content() and "13912345678" not in board.content()
