"""The month a report page opens on without ?month=: the last full month if it has cases, this month
if only it has, else the latest month that has, said in one line; and a month not yet ended says its
figures are partial."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.tests.factories import CaseFactory
from reports.analysis import Period
from reports.tests.test_dashboard import text

POINTER = "上个月和本月都还没有问题，显示的是有问题的最近一个月：2015年1月"
PAGES = {
    "reports:summary": "2015年1月驻点直联工作分析",
    "reports:pack": "2015年1月驻点直联工作月度分析会材料",
    "reports:ranking": "2015年1月驻点团队考评",
    "reports:checks": "2015年1月督查抽查",
}


def month_picked(html: str) -> str:
    return re.search(r'<input type="month" name="month" value="([^"]*)"', html).group(1)


@pytest.mark.parametrize(("name", "title"), PAGES.items())
def test_report_pages_open_on_the_latest_month_with_cases(supervisor_client, ledger, name, title):
    response = supervisor_client.get(reverse(name))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in html
    assert POINTER in text(response)
    assert month_picked(html) == "2015-01"


def test_an_asked_month_is_shown_without_the_pointer(supervisor_client, ledger):
    response = supervisor_client.get(reverse("reports:summary"), {"month": "2014-12"})
    assert "2014年12月驻点直联工作分析" in text(response)
    assert 'class="period-note"' not in response.content.decode()


def test_this_month_with_a_case_is_opened_and_marked_partial(supervisor_client, ledger):
    today = timezone.localdate()
    CaseFactory(raised_on=today)
    for name in ("reports:summary", "reports:pack"):
        response = supervisor_client.get(reverse(name))
        page = text(response)
        assert f"{today.year}年{today.month}月驻点直联" in page
        assert "都还没有问题" not in page
        assert f"本月尚未结束，数字截至{today.month}月{today.day}日。" in page
        assert month_picked(response.content.decode()) == today.strftime("%Y-%m")


def test_a_range_running_past_today_is_marked_partial(supervisor_client, ledger):
    today = timezone.localdate()
    query = {"start": today.replace(day=1).isoformat(), "end": today.replace(year=today.year + 1).isoformat()}
    page = text(supervisor_client.get(reverse("reports:summary"), query))
    assert f"本期尚未结束，数字截至{today.month}月{today.day}日。" in page


def test_without_any_case_the_page_opens_on_this_month(supervisor_client, db):
    this_month = Period.opening_month()
    today = timezone.localdate()
    assert this_month == Period.month(today.year, today.month)
    page = text(supervisor_client.get(reverse("reports:summary")))
    assert "都还没有问题" not in page


def test_the_files_use_the_same_opening_month(supervisor_client, ledger):
    response = supervisor_client.get(reverse("reports:export", args=["categories"]))
    assert response["Content-Disposition"] == 'attachment; filename="sanhe-categories-20150101-20150131.xlsx"'


def test_the_last_full_month_with_cases_is_opened_before_this_one(supervisor_client, ledger):
    today = timezone.localdate()
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    CaseFactory(raised_on=last_month)
    CaseFactory(raised_on=today)

    response = supervisor_client.get("/reports/")

    assert month_picked(response.content.decode()) == last_month.strftime("%Y-%m")
    assert "都还没有问题" not in response.content.decode()
