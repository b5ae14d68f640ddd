"""The meeting pack printed to PDF by Chromium: no sheet holds only the footer or nothing."""

import io

import pytest

from reports.tests.test_browser import browser_login, demo  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOOTER = "中共三合镇委员会"
LAST_LINE = "所有数字均由台账按上述"


def test_meeting_pack_pdf_has_no_footer_only_last_page(desktop_page, demo):  # noqa: F811
    pypdf = pytest.importorskip("pypdf")
    page = desktop_page
    browser_login(page, "supervisor", "sanhe-2015")
    page.goto("/reports/pack/?month=2015-01&as_of=2015-02-01")
    page.emulate_media(media="print")
    pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    texts = [sheet.extract_text() for sheet in pdf.pages]
    # Every sheet carries the pack's own text, not the site footer alone; the last ends the definitions.
    for number, sheet in enumerate(texts, 1):
        assert len(sheet.replace(FOOTER, "").split()) > 5, f"sheet {number} of {len(texts)}: {sheet!r}"
    assert LAST_LINE in texts[-1].replace("\n", "")
