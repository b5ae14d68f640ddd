"""The resident's slip (cases/views/slips.py): what it prints, the SMS, the warning, who sees it."""

import datetime
import io
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
import segno
from django.urls import reverse

from cases import workflow
from cases.models import ContactAccess
from cases.tests.factories import CaseFactory
from sanhe.lib.qr import qr_svg
from teams.tests.factories import PASSWORD, UserFactory, VisitFactory
from villages.tests.factories import VillageFactory

TRACK_URL = "http://testserver/track/"
SMS_TEXT = (
    "【三合镇】您反映的问题已登记，编号 SH-2015-0042。凭编号和本手机号后四位可在 http://testserver/track/ "
    "查询办理进度。咨询电话 0750-5524538。"
)
NO_PHONE = "没有留电话："
SHOTS = Path("/tmp/shots")
NO_WAY_TO_FOLLOW = "没有留电话，也没有查询码：群众无法在网上查询这个问题的进度。"


@pytest.fixture
def case(team):
    return CaseFactory(
        number="SH-2015-0042",
        team=team,
        village=VillageFactory(short_name="东坑村"),
        raised_on=datetime.date(2015, 3, 12),
        resident_phone="139 1234 5678",
        track_code="AB2CD3EF",
    )


def slip_url(case, size: str = "") -> str:
    return reverse("slip", args=[case.number]) + (f"?size={size}" if size else "")


def text_of(html: str, css_class: str) -> str:
    """The text of the first element with CSS_CLASS (one level of markup, as the slip writes it)."""
    match = re.search(rf'class="{css_class}"[^>]*>(.*?)</', html, re.S)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else ""


def facts_of(html: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", html))


# -- what the slip says ---------------------------------------------------------------------------


def test_slip_shows_number_village_date_code_and_town_phone(cadre_client, case):
    page = cadre_client.get(slip_url(case)).content.decode()

    assert text_of(page, "slip-number") == "SH-2015-0042"
    assert facts_of(page) == {"村（社区）": "东坑村", "反映日期": "2015-03-12", "查询码": "AB2C-D3EF"}
    assert "咨询电话 <strong>0750-5524538</strong>" in page
    assert (
        "扫码或打开 http://testserver/track/，填写编号和登记时所留电话的后四位（或查询码），即可查询办理进度。" in page
    )


def test_slip_never_prints_the_residents_details(cadre_client, case):
    page = cadre_client.get(slip_url(case)).content.decode()

    assert [text in page for text in ("陈测试", "13912345678", "139 1234 5678", "5678", "东坊8号", "内部记录")] == [
        False
    ] * 6


def test_slip_qr_code_encodes_the_track_address(cadre_client, case, tmp_path):
    page = cadre_client.get(slip_url(case)).content.decode()

    svg = re.search(r"<svg.*?</svg>", page, re.S).group()
    assert svg == qr_svg(TRACK_URL)  # the same drawing segno makes of the address …
    if not shutil.which("zbarimg"):
        pytest.skip("no zbarimg: apt-get install zbar-tools")
    segno.make(TRACK_URL, error="m").save(tmp_path / "qr.png", scale=8)  # … which decodes back to it
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "qr.png")], capture_output=True, text=True)
    assert decoded.stdout.strip() == TRACK_URL


def test_slip_track_sentence_follows_what_the_case_has(cadre_client, team):
    phone_only = CaseFactory(team=team, track_code="")
    code_only = CaseFactory(team=team, resident_phone="", track_code="AB2CD3EF")

    phone_page = cadre_client.get(slip_url(phone_only)).content.decode()
    code_page = cadre_client.get(slip_url(code_only)).content.decode()

    assert "扫码或打开 http://testserver/track/，填写编号和登记时所留电话的后四位，即可查询办理进度。" in phone_page
    assert "扫码或打开 http://testserver/track/，填写编号和查询码，即可查询办理进度。" in code_page


@pytest.mark.parametrize(
    ("size", "body_class"),
    [("", "slip-page"), ("58mm", "slip-page slip-58mm"), ("a6", "slip-page slip-a6"), ("a4", "slip-page")],
)
def test_slip_layout_follows_the_size_asked(cadre_client, case, size, body_class):
    page = cadre_client.get(slip_url(case, size)).content.decode()

    assert re.search(r'<body class="(.*?)">', page).group(1) == body_class
    assert re.findall(r'href="([^"]*\?size=[^"]*)"', page) == [slip_url(case, "58mm"), slip_url(case, "a6")]
    assert "css/slip.css" in page


# -- the SMS --------------------------------------------------------------------------------------


def test_slip_sms_is_prepared_by_a_post_that_logs_the_look(cadre_client, cadre_user, case):
    before = cadre_client.get(slip_url(case)).content.decode()
    response = cadre_client.post(reverse("slip_sms", args=[case.number]))

    page = response.content.decode()
    assert "sms:" not in before
    assert f'action="{reverse("slip_sms", args=[case.number])}"' in before
    assert re.search(r'href="(sms:[^"]*)"', page).group(1) == f"sms:13912345678?body={quote(SMS_TEXT, safe='')}"
    assert list(ContactAccess.objects.values_list("user", "case", "what", "fields")) == [
        (cadre_user.pk, case.pk, "contact", "resident_phone")
    ]
    assert response["Cache-Control"] == "private, no-store"
    # The page answers a POST: its print links lead back to the slip itself.
    assert f'href="{slip_url(case, "58mm")}"' in page


def test_slip_sms_for_office_too(office_client, case):
    page = office_client.post(reverse("slip_sms", args=[case.number])).content.decode()

    assert f"sms:13912345678?body={quote(SMS_TEXT, safe='')}" in page


def test_slip_sms_not_offered_to_a_supervisor(supervisor_client, case):
    page = supervisor_client.get(slip_url(case)).content.decode()
    refused = supervisor_client.post(reverse("slip_sms", args=[case.number]))

    assert (reverse("slip_sms", args=[case.number]) in page, "sms:" in page) == (False, False)
    assert refused.status_code == 403
    assert ContactAccess.objects.count() == 0


@pytest.mark.parametrize("phone", ["", "0750-5521234"])
def test_slip_sms_not_offered_without_a_mobile_number(cadre_client, team, phone):
    case = CaseFactory(team=team, resident_phone=phone, track_code="AB2CD3EF")

    page = cadre_client.get(slip_url(case)).content.decode()
    refused = cadre_client.post(reverse("slip_sms", args=[case.number]))

    assert reverse("slip_sms", args=[case.number]) not in page
    assert refused.status_code == 403


def test_slip_sms_takes_a_mobile_in_any_spacing(cadre_client, team):
    case = CaseFactory(team=team, resident_phone="+86 139-1234-5678")

    page = cadre_client.post(reverse("slip_sms", args=[case.number])).content.decode()

    assert 'href="sms:13912345678?body=' in page


# -- the warning without a phone ------------------------------------------------------------------


def test_slip_warns_when_the_case_cannot_be_followed_at_all(cadre_client, team):
    case = CaseFactory(team=team, resident_phone="", track_code="")

    page = cadre_client.get(slip_url(case)).content.decode()

    assert NO_WAY_TO_FOLLOW in page
    assert "<svg" not in page  # no code leading to a page that has nothing to ask
    assert "凭编号可在村公开栏查看办理情况，或拨打下面的咨询电话询问。" in page
    assert f'action="{reverse("cases:contact", args=[case.number])}"' in page  # 补填电话


def test_slip_warns_without_a_phone_that_only_the_code_works(cadre_client, team):
    case = CaseFactory(team=team, resident_phone="", track_code="AB2CD3EF")

    page = cadre_client.get(slip_url(case)).content.decode()

    assert (NO_PHONE in page, NO_WAY_TO_FOLLOW in page) == (True, False)


def test_slip_no_warning_with_a_phone(cadre_client, case):
    page = cadre_client.get(slip_url(case)).content.decode()

    assert (NO_PHONE in page, NO_WAY_TO_FOLLOW in page, "slip-warning" in page) == (False, False, False)


def test_supervisor_gets_the_warning_without_the_edit_button(supervisor_client, team):
    case = CaseFactory(team=team, resident_phone="", track_code="")

    page = supervisor_client.get(slip_url(case)).content.decode()

    assert NO_WAY_TO_FOLLOW in page
    assert reverse("cases:contact", args=[case.number]) not in page


def _register(cadre_client, visit, phone: str) -> str:
    """A problem saved through the visit flow: the saved state's page."""
    data = {
        "nonce": "",
        "resident_name": "陈大伯",
        "resident_phone": phone,
        "resident_address": "",
        "kind": "help",
        "category_choice": "",
        "title": "村口路灯不亮",
        "description": "",
        "channel": "household",
    }
    response = cadre_client.post(reverse("problem_add", args=[visit.pk]), data, follow=True)
    assert response.redirect_chain, response.content.decode()[-3000:]
    return response.content.decode()


def test_saved_state_links_to_the_slip_and_warns_without_a_phone(cadre_client, team):
    visit = VisitFactory(team=team)

    with_phone = _register(cadre_client, visit, "13912345678")
    without = _register(cadre_client, visit, "")

    numbers = [n for n in visit.cases.order_by("number").values_list("number", flat=True)]
    assert f'href="{reverse("slip", args=[numbers[0]])}"' in with_phone
    assert f'href="{reverse("slip", args=[numbers[1]])}"' in without
    # New cases are given a track code: without a phone it is the only way to follow them.
    assert (NO_PHONE in with_phone, NO_PHONE in without) == (False, True)


def test_case_page_links_to_the_slip(cadre_client, case):
    page = cadre_client.get(reverse("cases:detail", args=[case.number])).content.decode()

    assert f'<a href="{slip_url(case)}">群众的登记回执（打印、短信）</a>' in page


# -- who sees it ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["cadre_client", "office_client", "supervisor_client"])
def test_slip_shown_to_who_sees_the_case(request, case, persona):
    response = request.getfixturevalue(persona).get(slip_url(case))

    assert response.status_code == 200
    assert text_of(response.content.decode(), "slip-number") == case.number
    assert response["Cache-Control"] == "private, no-store"


def test_slip_of_another_team_is_not_found(client, other_team, case):
    from teams.tests.factories import CadreFactory

    user = UserFactory(role="cadre")
    CadreFactory(user=user, team=other_team)
    client.force_login(user)

    assert client.get(slip_url(case)).status_code == 404
    assert client.post(reverse("slip_sms", args=[case.number])).status_code == 404
    assert client.get(reverse("slip", args=["SH-2015-9999"])).status_code == 404


def test_slip_sends_anonymous_to_login(client, case):
    response = client.get(slip_url(case))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quote(slip_url(case))}"


def test_slip_methods(cadre_client, case):
    assert cadre_client.post(slip_url(case)).status_code == 405
    assert cadre_client.get(reverse("slip_sms", args=[case.number])).status_code == 405


@pytest.mark.parametrize("events", [0, 6])
def test_slip_query_count_is_constant(cadre_client, case, django_assert_max_num_queries, events):
    for i in range(events):
        workflow.add_progress(case=case, text=f"进展{i}", public=True, by=None)

    with django_assert_max_num_queries(6):
        cadre_client.get(slip_url(case))
    with django_assert_max_num_queries(7):  # and the access log's row
        cadre_client.post(reverse("slip_sms", args=[case.number]))


# -- printed, in Chromium -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_slip_prints_on_one_58mm_receipt_and_one_a6_card(desktop_page, live_server, cadre_user, team, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    case = CaseFactory(team=team, resident_phone="13912345678", track_code="AB2CD3EF")
    page = desktop_page
    page.goto("/accounts/login/")
    page.fill("input[name=username]", cadre_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/my-team/")

    page.goto(slip_url(case))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "teams-slip-screen.png", full_page=True)  # for a human to look at
    page.goto(slip_url(case, "58mm"))
    page.emulate_media(media="print")
    receipt = pypdf.PdfReader(io.BytesIO(page.pdf(width="58mm", print_background=True)))
    as_css = pypdf.PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, path=SHOTS / "teams-slip-58mm.pdf")))
    page.set_viewport_size({"width": 219, "height": 530})  # 58 mm at 96 px an inch
    page.screenshot(path=SHOTS / "teams-slip-58mm.png", full_page=True)
    if shutil.which("zbarimg"):
        page.locator(".slip-qr svg").screenshot(path=tmp_path / "qr.png")
        decoded = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "qr.png")], capture_output=True, text=True)
        assert decoded.stdout.strip() == live_server.url + "/track/"
    page.goto(slip_url(case, "a6"))
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 397, "height": 560})  # A6
    page.screenshot(path=SHOTS / "teams-slip-a6.png", full_page=True)
    card = pypdf.PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, path=SHOTS / "teams-slip-a6.pdf")))

    assert len(receipt.pages) == 1
    assert case.number in receipt.pages[0].extract_text()
    assert [(round(p.mediabox.width), round(p.mediabox.height)) for p in as_css.pages] == [(164, 340)]  # 58 × 120 mm
    assert [(round(p.mediabox.width), round(p.mediabox.height)) for p in card.pages] == [(298, 420)]  # A6
    assert case.number in card.pages[0].extract_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_slip_fits_a_phone_and_its_sms_link_opens_the_message(phone_page, cadre_user, team):
    case = CaseFactory(team=team, resident_phone="13912345678", track_code="AB2CD3EF")
    page = phone_page
    page.goto("/accounts/login/")
    page.fill("input[name=username]", cadre_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/my-team/")

    for size in ("", "58mm", "a6"):
        page.goto(slip_url(case, size))
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, size
    page.goto(slip_url(case))
    page.get_by_role("button", name="准备发给群众的短信").click()
    link = page.get_by_role("link", name="打开短信，发给群众")
    page.screenshot(path=SHOTS / "teams-slip-phone.png", full_page=True)

    assert link.get_attribute("href").startswith("sms:13912345678?body=%E3%80%90")


def test_slip_add_phone_button_opens_the_case_edit_with_the_phone(cadre_client, team):
    case = CaseFactory(team=team, resident_phone="", track_code="")
    page = cadre_client.get(slip_url(case)).content.decode()
    form = re.search(r'<form method="post" action="([^"]*)">.*?name="open" value="([^"]*)"', page, re.S)

    opened = cadre_client.post(form.group(1), {"open": form.group(2)}).content.decode()

    assert 'name="resident_phone"' in opened
