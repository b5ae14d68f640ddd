"""Entering and importing a published report's figures, and who may."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from reports.models import StatedReport
from reports.reconcile import reconcile, share_matches
from reports.tests.factories import StatedCategoryFactory, StatedReportFactory


@pytest.mark.parametrize(
    ("stated", "part", "whole", "matches"),
    [
        ("33", 47, 142, True),  # 33.098…
        ("13.4", 19, 142, True),  # 13.380… rounded
        ("54.92", 78, 142, True),  # 54.929… truncated, as the report does
        ("10.7", 15, 142, False),  # 10.563…
        ("33", 42, 142, False),  # 29.577…
        ("7", 10, 142, True),
        ("50", 1, 0, False),
    ],
)
def test_share_matches_at_the_stated_precision(stated, part, whole, matches):
    assert share_matches(stated, part, whole) is matches


def test_reconcile_the_small_ledger(ledger):
    c1, c2 = ledger.categories
    report = StatedReportFactory(as_of=datetime.date(2015, 1, 31), total=10, closed=6, closure_rate="50")
    StatedCategoryFactory(report=report, category=c1, count=6, share="60")
    StatedCategoryFactory(report=report, category=c2, count=2, share="30")
    result = reconcile(report)
    assert [(line.label, line.stated, line.ledger, line.ok) for line in result.totals] == [
        ("收集问题", "10", "10", True),
        ("已办结", "6", "5", False),
        ("正在处理", "", "5", None),
        ("办结率", "50%", "50.00%", True),
    ]
    assert [(c.stated, c.ledger, c.ok, s.stated, s.ledger, s.ok) for c, s in result.categories] == [
        ("6", "6", True, "60%", "60.00%", True),
        ("2", "3", False, "30%", "30.00%", True),
    ]
    assert result.categories[1][1].note == "报告自身不一致：按报告的2条计，应占20.00%。"
    assert result.differences == 3  # closed, C2's count, and the categories' sum 8 against 10


def test_supervisor_enters_a_report(supervisor_client, ledger):
    c1, c2 = ledger.categories
    page = supervisor_client.get(reverse("reports:reconcile_new")).content.decode()
    assert "民生保障：条数" in page
    response = supervisor_client.post(
        reverse("reports:reconcile_new"),
        {
            "title": "一月情况",
            "as_of": "2015-01-31",
            "total": "10",
            "closed": "5",
            "closure_rate": "50",
            f"count_{c1.pk}": "6",
            f"share_{c1.pk}": "60",
            f"count_{c2.pk}": "",
            f"share_{c2.pk}": "",
        },
    )
    report = StatedReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:reconcile", args=[report.pk])
    assert [(line.category, line.count, line.share) for line in report.lines.all()] == [(c1, 6, "60")]
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "发现 1 处不一致。" in page  # the categories add up to 6, the ledger has 10


def test_entering_a_bad_share_says_so(supervisor_client, ledger):
    c1 = ledger.categories[0]
    response = supervisor_client.post(
        reverse("reports:reconcile_new"),
        {"title": "一月情况", "as_of": "2015-01-31", f"share_{c1.pk}": "33%"},
    )
    assert response.status_code == 200
    assert "请按报告原样填写百分比数字，如 33、13.4 或 54.92（不带百分号）。" in response.content.decode()
    assert not StatedReport.objects.exists()


def _upload(rows, name="report.xlsx"):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def test_import_from_a_spreadsheet(supervisor_client, ledger):
    rows = [
        ("项目", "条数", "占比"),
        ("收集问题", 10, None),
        ("已办结", 5, None),
        ("办结率", None, "50%"),
        ("01", 6, 60),
        ("农田水利建设", 3, "30"),
    ]
    response = supervisor_client.post(
        reverse("reports:reconcile_import"),
        {"title": "一月情况", "as_of": "2015-01-31", "file": _upload(rows)},
    )
    report = StatedReport.objects.get()
    assert response["Location"] == reverse("reports:reconcile", args=[report.pk])
    assert (report.total, report.closed, report.closure_rate) == (10, 5, "50")
    assert [(line.category.code, line.count, line.share) for line in report.lines.all()] == [
        ("01", 6, "60"),
        ("02", 3, "30"),
    ]
    assert reconcile(report).differences == 1  # 9 in the categories, 10 in the ledger (1 unclassified)


def test_import_with_a_bad_row_writes_nothing(supervisor_client, ledger):
    rows = [("项目", "条数", "占比"), ("收集问题", 10, None), ("治安消防", 3, None), ("01", "六", None)]
    response = supervisor_client.post(
        reverse("reports:reconcile_import"),
        {"title": "一月情况", "as_of": "2015-01-31", "file": _upload(rows)},
    )
    page = response.content.decode()
    assert "第3行：“治安消防”不是已知的项目或问题大类。" in page
    assert "第4行：条数“六”不是整数。" in page
    assert not StatedReport.objects.exists()


def test_import_refuses_other_files(supervisor_client, ledger):
    response = supervisor_client.post(
        reverse("reports:reconcile_import"),
        {"title": "一月情况", "as_of": "2015-01-31", "file": SimpleUploadedFile("x.pdf", b"%PDF")},
    )
    assert "只能导入 .xlsx 或 .csv 文件。" in response.content.decode()
    response = supervisor_client.post(
        reverse("reports:reconcile_import"),
        {"title": "一月情况", "as_of": "2015-01-31", "file": SimpleUploadedFile("x.xlsx", b"not a workbook")},
    )
    assert "无法读取文件，请确认是有效的 .xlsx 或 .csv 文件。" in response.content.decode()


def test_office_reads_but_does_not_enter(office_client, ledger):
    report = StatedReportFactory()
    assert "录入报告数字" not in office_client.get(reverse("reports:reconcile_list")).content.decode()
    assert office_client.get(reverse("reports:reconcile", args=[report.pk])).status_code == 200
    assert office_client.get(reverse("reports:reconcile_new")).status_code == 403
    assert office_client.post(reverse("reports:reconcile_edit", args=[report.pk])).status_code == 403
    assert office_client.post(reverse("reports:reconcile_import")).status_code == 403


@pytest.mark.parametrize("count", [1, 5])
def test_reconcile_page_query_count_is_constant(supervisor_client, ledger, count, django_assert_num_queries):
    report = StatedReportFactory(total=10)
    for category in ledger.categories[:count]:
        StatedCategoryFactory(report=report, category=category, count=3, share="30")
    with django_assert_num_queries(10):
        supervisor_client.get(reverse("reports:reconcile", args=[report.pk]))
