"""The paper board fits its sheet: on A4 the last column (告知本人) inside the page and at least
ten cases a sheet; on the A3 poster the title's last word "公示" never alone on a line."""

import datetime
import io

import pytest
from django.urls import reverse

from cases.tests.factories import CaseFactory, SubCategoryFactory
from public.tests.helpers import add_event, add_feedback
from teams.tests.factories import TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What Chromium lays a sheet out at: the paper's width less the @page margins (board.css), in CSS px.
A4_WIDTH = round((210 - 2 * 10) / 25.4 * 96)  # 718
A3_WIDTH = round((297 - 2 * 14) / 25.4 * 96)  # 1017
# A word with no break in it, as a cadre pastes a link: it must wrap, not push the table wider.
LONG_WORD = " https://mp.weixin.qq.com/s/Abcdefghijklmnopqrstuvwxyz0123456789Abcdefghij"


@pytest.fixture
def village(db):
    """Eighteen cases with long titles and a history line each, half closed and told."""
    sub = SubCategoryFactory(category__label="农田水利建设", label="水渠年久失修")
    team = TeamFactory()
    for index in range(18):
        case = CaseFactory(
            team=team,
            category=sub.category,
            subcategory=sub,
            raised_on=datetime.date(2015, 1, 1) + datetime.timedelta(days=index),
            title=f"水渠年久失修，雨季农田被淹，希望尽快修复 R{index:02d}" + (LONG_WORD if index == 0 else ""),
            **({"closed": True} if index % 2 else {}),
        )
        add_event(case, "已请镇农业办派技术人员现场查看，列入本年度维修计划", day=2 + index % 15)
        if index % 2:
            add_feedback(case)
    return team.village


def print_a4(page, village):
    page.set_viewport_size({"width": A4_WIDTH, "height": 1123})
    page.goto(reverse("board:print", args=[village.code]))
    page.emulate_media(media="print")


def test_print_board_table_fits_the_a4_width(desktop_page, village):
    print_a4(desktop_page, village)
    page_right = desktop_page.evaluate("document.documentElement.clientWidth")
    table = desktop_page.locator("table.print-cases").bounding_box()
    told = desktop_page.locator("table.print-cases thead th.c-told").bounding_box()
    assert table["x"] + table["width"] <= page_right
    assert told["x"] + told["width"] <= page_right
    assert desktop_page.evaluate("document.documentElement.scrollWidth") <= page_right


def test_print_board_holds_eighteen_cases_on_two_a4_sheets(desktop_page, village):
    pypdf = pytest.importorskip("pypdf")
    print_a4(desktop_page, village)
    pdf = pypdf.PdfReader(io.BytesIO(desktop_page.pdf(prefer_css_page_size=True, print_background=True)))
    texts = [sheet.extract_text() for sheet in pdf.pages]
    rows = [text.count("SH-") for text in texts]
    # Ten cases or more on the first sheet, under the head; the rest, with the footer, on the second.
    assert len(rows) <= 2 and rows[0] >= 10 and sum(rows) == 18, rows
    # The rows' type stays legible: at least 10 pt.
    size = desktop_page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('table.print-cases td')).fontSize)"
    )
    assert round(size, 1) >= round(10 * 96 / 72, 1)


TITLE_LINES = """() => {
    const h1 = document.querySelector('.print-sheet h1');
    const range = document.createRange();
    range.selectNodeContents(h1);
    const lines = {};
    for (const r of range.getClientRects()) {
        const top = Math.round(r.top);
        lines[top] = Math.max(lines[top] || 0, Math.round(r.right)) - 0;
        lines[top + ':left'] = Math.min(lines[top + ':left'] ?? 1e9, Math.round(r.left));
    }
    const tops = Object.keys(lines).filter(k => !k.includes(':')).map(Number).sort((a, b) => a - b);
    return {size: parseFloat(getComputedStyle(h1).fontSize), widths: tops.map(t => lines[t] - lines[t + ':left'])};
}"""


def poster_title(page, village) -> dict:
    page.set_viewport_size({"width": A3_WIDTH, "height": 1400})
    page.goto(reverse("board:print", args=[village.code]) + "?size=a3")
    page.emulate_media(media="print")
    return page.evaluate(TITLE_LINES)


def test_print_poster_title_is_one_line(desktop_page, village):
    # The demo's longest name: "三合圩居委会群众反映问题办理情况公示" is eighteen characters (the factory's
    # names grow with its sequence, so the name is set here).
    village.name = "三合圩居委会"
    village.save(update_fields=["name"])
    assert len(poster_title(desktop_page, village)["widths"]) == 1


def test_print_poster_long_title_does_not_leave_its_last_word_alone(desktop_page, village):
    village.name = "那金村村民委员会"  # twenty characters with the rest: one more than a line holds
    village.save(update_fields=["name"])
    title = poster_title(desktop_page, village)
    assert len(title["widths"]) == 2
    assert title["widths"][-1] > 4 * title["size"], title  # more than "公示" on the last line
