"""The public board in a real Chromium: on a 360 px phone, in print, and /track/."""

import datetime
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from cases import workflow
from cases.tests.factories import CaseFactory, SubCategoryFactory
from public.tests.helpers import add_event, add_feedback
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The elder-friendly rules, measured in the page: see elder_audit.js.
ELDER_AUDIT = (Path(__file__).parent / "elder_audit.js").read_text()
NOT_FOUND = "没有查到：编号、电话后四位或查询码不对。请对照登记回执再试一次。"


@pytest.fixture
def village(db):
    sub = SubCategoryFactory(category__label="农田水利建设", label="水渠年久失修")
    team = TeamFactory()
    for index in range(24):
        case = CaseFactory(
            team=team,
            category=sub.category,
            subcategory=sub,
            raised_on=datetime.date(2015, 1, 1) + datetime.timedelta(days=index % 20),
            title=f"水渠年久失修，雨季农田被淹，希望尽快修复 R{index:02d}",
            resident_phone=f"1391234{index:04d}",
            **({"closed": True} if index % 2 else {}),
        )
        add_event(case, "已请镇农业办派技术人员现场查看，列入本年度维修计划", day=2 + index % 15)
        if index % 2:
            add_feedback(case)
    return team.village


def test_village_board_reads_on_a_phone(phone_page, village):
    phone_page.goto("/notice/")
    phone_page.click(f"text={village.short_name}")
    # The click only starts the navigation: read the village's page once it has loaded.
    phone_page.wait_for_url(f"**{reverse('board:village', args=[village.code])}")
    numbers = phone_page.locator(".case .number").all_inner_texts()
    assert len(numbers) == 20
    assert phone_page.locator("h1").inner_text() == f"{village.name} 问题办理公示"
    # Nothing is wider than the phone's screen.
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    phone_page.click("text=下一页")
    phone_page.wait_for_url("**page=2*")
    assert phone_page.locator(".case .number").count() == 4


@pytest.mark.parametrize("path", ["/notice/", "village", "print", "/track/"])
def test_public_pages_meet_the_elder_friendly_rules_on_a_phone(phone_page, village, path):
    if path == "village":
        path = reverse("board:village", args=[village.code])
    elif path == "print":
        path = reverse("board:print", args=[village.code])
    phone_page.goto(path)
    assert phone_page.evaluate(ELDER_AUDIT) == []
    assert phone_page.evaluate("document.documentElement.lang") == "zh-hans"
    assert phone_page.title().endswith("驻点直联工作台账")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360


def test_board_filters_work_without_script(chromium, live_server, village):
    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + reverse("board:village", args=[village.code]))
    page.select_option("#f-status", "closed")
    page.click("button:has-text('筛选')")
    assert "status=closed" in page.url
    assert page.locator(".case").count() == 12
    assert page.locator(".case .status").all_inner_texts() == ["✔ 已办结（已解决）"] * 12
    context.close()


def test_text_size_switch_is_remembered_without_script(chromium, live_server, village):
    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + reverse("board:village", args=[village.code]))
    page.click("a.text-size:has-text('大字')")
    assert page.url == live_server.url + reverse("board:village", args=[village.code])
    assert page.locator("body").get_attribute("class") == "public large"
    page.goto(live_server.url + "/notice/")
    assert page.locator("body").get_attribute("class") == "public large"
    context.close()


def test_text_size_switch_makes_the_text_larger(phone_page, village):
    board = reverse("board:village", args=[village.code])
    phone_page.goto(board)
    size = "() => parseFloat(getComputedStyle(document.querySelector('.case .title')).fontSize)"
    normal = phone_page.evaluate(size)
    phone_page.click("a.text-size")
    large = phone_page.evaluate(size)
    phone_page.goto("/track/")  # remembered on the next page
    assert (normal, large) == (18, 24.3)
    assert phone_page.evaluate("parseFloat(getComputedStyle(document.querySelector('label')).fontSize)") >= 24
    assert phone_page.evaluate(ELDER_AUDIT) == []
    phone_page.click("a.text-size:has-text('标准字')")
    assert phone_page.evaluate("document.body.className") == "public"


def test_a_change_appears_on_the_board_at_once(phone_page, village):
    board = reverse("board:village", args=[village.code])
    bodies = []  # bytes of each answer: an unchanged board is revalidated (304) and not sent again

    def finished(request):
        if request.url.endswith(board):
            bodies.append(request.sizes()["responseBodySize"])

    phone_page.on("requestfinished", finished)
    phone_page.goto(board)
    phone_page.reload()
    case = village.cases.order_by("-raised_on", "-number").first()
    workflow.add_progress(case=case, text="施工队已进场修复水渠", public=True, by=None)
    phone_page.reload()
    assert "施工队已进场修复水渠" in phone_page.locator(".case").first.inner_text()
    assert [size > 0 for size in bodies] == [True, False, True]


def test_print_board_fits_a4_without_cut_rows(desktop_page, village):
    pypdf = pytest.importorskip("pypdf")
    desktop_page.goto(reverse("board:print", args=[village.code]))
    desktop_page.emulate_media(media="print")
    pdf = pypdf.PdfReader(io.BytesIO(desktop_page.pdf(prefer_css_page_size=True, print_background=True)))
    pages = [page.extract_text() for page in pdf.pages]
    assert len(pages) >= 2  # so that rows could be cut
    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in pdf.pages} == {(595, 842)}  # A4
    numbers = list(village.cases.order_by("number").values_list("number", "title"))
    for number, title in numbers:
        on = [i for i, text in enumerate(pages) if number in text]
        marker = re.search(r"R\d\d", title).group()
        assert len(on) == 1, number
        assert marker in pages[on[0]], f"{number}: its row is cut across pages"
    assert "0750-5524538" in pages[-1]


def test_print_board_a3_poster_is_a3(desktop_page, village):
    pypdf = pytest.importorskip("pypdf")
    desktop_page.goto(reverse("board:print", args=[village.code]) + "?size=a3")
    desktop_page.emulate_media(media="print")
    pdf = pypdf.PdfReader(io.BytesIO(desktop_page.pdf(prefer_css_page_size=True)))
    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in pdf.pages} == {(842, 1191)}


def test_print_board_qr_code_leads_to_the_village_page(desktop_page, live_server, village, tmp_path):
    if not shutil.which("zbarimg"):
        pytest.skip("no zbarimg: apt-get install zbar-tools (.ci/run does)")
    desktop_page.goto(reverse("board:print", args=[village.code]))
    desktop_page.emulate_media(media="print")
    desktop_page.locator("figure.qr svg").screenshot(path=tmp_path / "qr.png")
    decoded = subprocess.run(
        ["zbarimg", "--raw", "-q", str(tmp_path / "qr.png")], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert decoded == live_server.url + reverse("board:village", args=[village.code])
    desktop_page.emulate_media(media="screen")
    desktop_page.goto(decoded)
    assert desktop_page.locator("h1").inner_text() == f"{village.name} 问题办理公示"


def test_track_right_and_wrong_on_a_phone(phone_page, village):
    case = village.cases.filter(status="closed").order_by("number").first()
    last4 = case.resident_phone[-4:]
    phone_page.goto("/notice/")
    phone_page.click("text=查我的问题")
    phone_page.fill("#id_number", case.number)
    phone_page.fill("#id_last4", "0000")
    phone_page.click("button:has-text('查询')")
    assert phone_page.locator(".board-error").inner_text() == NOT_FOUND
    phone_page.fill("#id_number", "SH-2015-9999")
    phone_page.fill("#id_last4", last4)
    phone_page.click("button:has-text('查询')")
    assert phone_page.locator(".board-error").inner_text() == NOT_FOUND
    phone_page.fill("#id_number", case.number.lower())
    phone_page.fill("#id_last4", last4)
    phone_page.click("button:has-text('查询')")
    assert phone_page.locator("h2").first.inner_text() == f"问题 {case.number}"
    assert "已请镇农业办派技术人员现场查看" in phone_page.locator("ol.history").inner_text()
    assert phone_page.locator("table.feedback tbody").inner_text().split() == ["2015-01-20", "电话", "满意"]
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
