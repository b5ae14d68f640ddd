"""The cadre where the signal drops, on a phone: the typed form is kept as a draft, a problem sent
offline waits in the phone's outbox and is registered once the connection returns, exactly once;
without JavaScript the forms still work."""

import io

import pytest
from PIL import Image

from cases.models import Case, CasePhoto
from cases.tests.factories import CaseFactory, SubCategoryFactory
from cases.visit_forms import default_visit_date
from teams.tests.factories import PASSWORD, VisitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUED = "网络不通，已保存在本机，恢复联网后自动发送"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PHOTO_STORAGE = "local"


def login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/my-team/")


def fill_problem(page, title: str) -> None:
    page.fill("#id_resident_name", "陈大伯")
    page.fill("#id_resident_phone", "139 1234 5678")
    page.select_option("#id_kind", "help")
    page.fill("#id_title", title)
    page.fill("#id_description", "入户时反映，详见记录本")


def jpeg() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (30, 120, 200)).save(buffer, "JPEG")
    return {"name": "canal.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_a_problem_sent_offline_waits_and_is_registered_once_back_online(phone_page, cadre_user, team):
    page = phone_page
    visit = VisitFactory(team=team, created_by=cadre_user)
    login(page, cadre_user.username)
    page.goto(f"/visits/{visit.pk}/")
    fill_problem(page, "村口路灯不亮")
    page.set_input_files("input[name=photos]", jpeg())

    page.context.set_offline(True)
    page.get_by_role("button", name="登记这个问题").click()

    outbox = page.locator(".draft-outbox")
    outbox.get_by_text(QUEUED).wait_for()
    assert "等待发送：1 条" in outbox.inner_text()
    assert page.input_value("#id_title") == ""  # the form is free for the next problem
    assert Case.objects.count() == 0

    page.context.set_offline(False)  # the browser's "online" event sends the outbox
    sent = outbox.locator(".sent a")
    sent.wait_for()

    case = Case.objects.get()
    assert (case.title, case.visit_id, case.request_key != "") == ("村口路灯不亮", visit.pk, True)
    assert sent.inner_text() == case.number
    assert QUEUED not in outbox.inner_text()
    page.goto(sent.get_attribute("href"))
    assert page.inner_text(".tracking-number") == case.number
    assert Case.objects.count() == 1
    assert CasePhoto.objects.filter(case=case).count() == 1


def test_two_problems_typed_offline_are_two_cases(phone_page, cadre_user, team):
    """Each waiting submission has its own request key: the second is not taken for a resend of the first."""
    page = phone_page
    visit = VisitFactory(team=team, created_by=cadre_user)
    login(page, cadre_user.username)
    page.goto(f"/visits/{visit.pk}/")
    page.context.set_offline(True)
    outbox = page.locator(".draft-outbox")
    fill_problem(page, "村口路灯不亮")
    page.get_by_role("button", name="登记这个问题").click()
    outbox.get_by_text("等待发送：1 条").wait_for()
    fill_problem(page, "西坑水渠漏水")
    page.get_by_role("button", name="登记这个问题").click()
    outbox.get_by_text("等待发送：2 条").wait_for()

    page.context.set_offline(False)
    page.wait_for_function("() => document.querySelectorAll('.draft-outbox .sent a').length === 2")

    assert sorted(Case.objects.values_list("title", flat=True)) == ["村口路灯不亮", "西坑水渠漏水"]
    assert sorted(outbox.locator(".sent a").all_inner_texts()) == sorted(Case.objects.values_list("number", flat=True))


def test_a_resend_of_a_submission_that_did_arrive_registers_nothing_new(phone_page, cadre_user, team):
    """The server saved the problem but the answer was lost: the outbox sends the same request key
    again and gets the first case back."""
    page = phone_page
    visit = VisitFactory(team=team, created_by=cadre_user)
    login(page, cadre_user.username)
    page.goto(f"/visits/{visit.pk}/")
    fill_problem(page, "西坑水渠漏水")
    lost = []

    def answer_lost(route):
        route.fetch()  # the server registers the problem...
        lost.append(route.request.url)
        route.abort("connectionreset")  # ...and the phone never hears back

    page.route("**/problems/", answer_lost, times=1)
    page.get_by_role("button", name="登记这个问题").click()
    outbox = page.locator(".draft-outbox")
    sent = outbox.locator(".sent a")
    outbox.get_by_role("button", name="现在发送").click()
    sent.wait_for()

    assert len(lost) == 1
    assert Case.objects.count() == 1
    assert sent.inner_text() == Case.objects.get().number


def test_a_submission_answered_503_waits_in_the_outbox(phone_page, cadre_user, team):
    """The phone is online but the server cannot reach its database (sanhe/lib/dbdown.py)."""
    page = phone_page
    visit = VisitFactory(team=team, created_by=cadre_user)
    login(page, cadre_user.username)
    page.goto(f"/visits/{visit.pk}/")
    fill_problem(page, "村口路灯不亮")
    page.route("**/problems/", lambda route: route.fulfill(status=503, body="down"), times=1)
    page.get_by_role("button", name="登记这个问题").click()

    outbox = page.locator(".draft-outbox")
    outbox.get_by_text(QUEUED).wait_for()
    assert Case.objects.count() == 0
    outbox.get_by_role("button", name="现在发送").click()
    outbox.locator(".sent a").wait_for()
    assert outbox.locator(".sent a").inner_text() == Case.objects.get().number


def test_a_refused_submission_waits_until_the_page_is_opened_again(phone_page, cadre_user, team):
    """A 403 (an expired CSRF token) keeps the submission and asks for the page to be opened again;
    the new page's token then gets it through."""
    page = phone_page
    visit = VisitFactory(team=team, created_by=cadre_user)
    login(page, cadre_user.username)
    page.goto(f"/visits/{visit.pk}/")
    fill_problem(page, "村口路灯不亮")
    page.context.set_offline(True)
    page.get_by_role("button", name="登记这个问题").click()
    outbox = page.locator(".draft-outbox")
    outbox.get_by_text(QUEUED).wait_for()

    page.route("**/problems/", lambda route: route.fulfill(status=403, body="CSRF verification failed."))
    page.context.set_offline(False)
    outbox.get_by_text("请重新打开本页").wait_for()
    assert QUEUED not in outbox.inner_text()
    assert Case.objects.count() == 0

    page.unroute("**/problems/")
    outbox.get_by_role("button", name="重新打开本页").click()
    page.locator(".draft-outbox .sent a").wait_for()
    assert page.inner_text(".draft-outbox .sent a") == Case.objects.get().number


def test_a_problem_sent_offline_that_may_be_a_duplicate_is_shown_for_checking(phone_page, cadre_user, team):
    """The outbox never confirms a possible duplicate itself: the cadre opens the server's check."""
    page = phone_page
    canal = SubCategoryFactory(label="水渠年久失修", category__label="农田水利建设")
    earlier = CaseFactory(team=team, category=canal.category, subcategory=canal, title="东坑水渠崩塌")
    # This year's numbers: CaseFactory's own cases are numbered in the demo's years.
    visit = VisitFactory(team=team, created_by=cadre_user, date=default_visit_date())
    login(page, cadre_user.username)
    page.goto(f"/visits/{visit.pk}/")
    fill_problem(page, "西坑水渠漏水")
    page.select_option("#id_category_choice", f"{canal.category_id}-{canal.pk}")
    page.context.set_offline(True)
    page.get_by_role("button", name="登记这个问题").click()
    page.locator(".draft-outbox").get_by_text(QUEUED).wait_for()

    page.context.set_offline(False)
    page.get_by_text("“西坑水渠漏水”需要核对后才能登记。").wait_for()
    assert Case.objects.count() == 1
    page.get_by_role("button", name="打开", exact=True).click()

    assert earlier.number in page.inner_text(".duplicates")
    assert page.input_value("#id_title") == "西坑水渠漏水"
    page.get_by_role("button", name="确认不是重复，登记").click()
    page.locator(".saved .tracking-number").wait_for()
    assert Case.objects.count() == 2
    assert page.locator(".draft-outbox li").count() == 0


def test_what_is_typed_in_the_visit_form_comes_back_after_a_reload(phone_page, cadre_user, team):
    page = phone_page
    login(page, cadre_user.username)
    page.goto("/visits/new/")
    page.fill("#id_households_visited", "23")
    page.fill("#id_key_people", "五保户李婆婆")
    page.wait_for_function(
        "() => Object.keys(localStorage).some(k => k.startsWith('sanhe-draft:') && localStorage[k].includes('李婆婆'))"
    )

    page.reload()

    page.get_by_text("已恢复未提交的草稿").wait_for()
    assert (page.input_value("#id_households_visited"), page.input_value("#id_key_people")) == ("23", "五保户李婆婆")
    page.get_by_role("button", name="放弃草稿").click()
    assert page.input_value("#id_key_people") == ""
    page.reload()
    assert page.input_value("#id_key_people") == ""
    assert page.get_by_text("已恢复未提交的草稿").count() == 0


def test_a_saved_visit_leaves_no_draft_behind(phone_page, cadre_user, team):
    page = phone_page
    login(page, cadre_user.username)
    page.goto("/visits/new/")
    page.fill("#id_households_visited", "12")
    page.get_by_role("button", name="保存，开始登记问题").click()
    page.locator("#id_title").wait_for()  # the visit's page, its problem form

    assert team.visits.get().households_visited == 12
    assert page.inner_text("ul.messages") == "驻点记录已保存。现在逐一登记群众反映的问题。"
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('sanhe-draft:'))") == []
    page.goto("/visits/new/")
    assert page.input_value("#id_households_visited") != "12"


def test_without_javascript_the_problem_form_still_registers_a_case(chromium, live_server, cadre_user, team):
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN", base_url=live_server.url, java_script_enabled=False
    )
    try:
        page = context.new_page()
        visit = VisitFactory(team=team, created_by=cadre_user)
        login(page, cadre_user.username)
        page.goto(f"/visits/{visit.pk}/")
        fill_problem(page, "村口路灯不亮")
        page.set_input_files("input[name=photos]", jpeg())
        page.get_by_role("button", name="登记这个问题").click()
        number = page.inner_text(".tracking-number")
    finally:
        context.close()

    case = Case.objects.get()
    assert (case.number, case.photos.count()) == (number, 1)
