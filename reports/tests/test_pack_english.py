"""The meeting pack read in English: no Chinese marks between English words, spaces between sentences."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from reports.tests.test_dashboard import text

JANUARY = {"month": "2015-01"}
# The joints of sanhe/prose.py as the English catalogue will translate them (filled by the lead;
# until then these stand in for it, the rest of the page reads the real catalogue).
JOINTS = {
    "enumeration comma\x04、": ", ",
    "list separator\x04；": "; ",
    "label and value\x04%(label)s：%(value)s": "%(label)s: %(value)s",
    "end of sentence\x04%(text)s。": "%(text)s.",
    "two sentences\x04%(first)s%(second)s": "%(first)s %(second)s",
    "name and count\x04%(name)s（%(n)s）": "%(name)s (%(n)s)",
}
FULL_WIDTH = re.compile(r"[，；。、（）：]")


@pytest.fixture
def english_joints(monkeypatch):
    with translation.override("en"):
        catalogue = trans_real.translation("en")
    real = catalogue.gettext
    monkeypatch.setattr(catalogue, "gettext", lambda message: JOINTS.get(message) or real(message))


def test_the_english_pack_has_no_chinese_marks_and_spaces_between_sentences(supervisor_client, ledger, english_joints):
    page = text(supervisor_client.get(reverse("reports:pack"), JANUARY, HTTP_ACCEPT_LANGUAGE="en"))

    assert FULL_WIDTH.findall(page) == []
    assert not re.search(r"[.,;][A-Za-z]", page.replace("e.g.", "")), re.findall(r".{20}[.,;][A-Za-z].{20}", page)
    assert "民生保障, 农田水利建设" in page  # names of the ledger stay as written, joined in English
    assert "(1)" in page and "(一)" not in page  # sections numbered in the reader's script
    assert "第2驻点团队 (3)" in page


def test_the_chinese_pack_keeps_its_marks_and_no_spaces(supervisor_client, ledger):
    page = text(supervisor_client.get(reverse("reports:pack"), JANUARY))

    assert "涉及民生保障、农田水利建设等多个方面。其中已办结5个" in page
    assert "一是低保，此类问题意见有4条；二是就医难，此类问题意见有2条。" in page
    assert "第2驻点团队（3）" in page
