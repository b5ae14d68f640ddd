"""The monthly analysis dashboard, the lists behind its figures and its xlsx tables."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cases.tests.factories import CaseFactory, FeedbackFactory, SubCategoryFactory
from reports.tests.factories import SpotCheckFactory
from teams.tests.factories import TeamFactory, VisitFactory

JANUARY = {"month": "2015-01"}


def text(response) -> str:
    """The page's words without tags, one space between."""
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_dashboard_needs_a_login(client, db):
    response = client.get(reverse("reports:summary"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_dashboard_refuses_cadres(cadre_client, ledger):
    for name in ("summary", "cases", "pack", "pack_docx", "ranking", "reconcile_list"):
        assert cadre_client.get(reverse(f"reports:{name}"), JANUARY).status_code == 403
    assert cadre_client.get(reverse("reports:export", args=["teams"])).status_code == 403


@pytest.mark.parametrize("persona", ["office_client", "supervisor_client"])
def test_dashboard_shows_the_month(request, persona, ledger):
    page = text(request.getfixturevalue(persona).get(reverse("reports:summary"), JANUARY))
    assert "2015年1月驻点直联工作分析" in page
    assert "统计期间 2015-01-01 至 2015-01-31；“变化”与上期（2014年12月）比较。" in page
    assert "收集问题 7 较上期 +4" in page
    assert "期末未办结 5 较上期 +3" in page
    assert "办结率（累计） 50.00% 5 / 10 较上期 +16.67个百分点" in page
    assert "办结率（本期） 42.85% 3 / 7" in page
    assert "满意率 66.66% 2 / 3 较上期 −33.34个百分点" in page
    assert "入户率 60.00% 180 / 300" in page
    # The breakdowns: a category line, a village line, a team line.
    assert "民生保障 4 57.14% 2 50.00% 50.00% 2 1" in page
    assert "甲村 4 2 50.00% 2 1 70 100 70.00%" in page
    assert "第2驻点团队 2 5 110 3 1 33.33% 25.00% 0.00% 0.00% — 3 1" in page
    # The trend and the definitions.
    assert "2015-01 7 4 10 5 50.00%" in page
    assert "本期收集的问题中截至期末已解决（含现场解决，不含政策解释）的 ÷ 本期收集的问题数。" in page
    assert "第三位起直接舍去" in page


def test_dashboard_figures_link_to_their_cases(supervisor_client, ledger):
    html = supervisor_client.get(reverse("reports:summary"), JANUARY).content.decode()
    c1 = ledger.categories[0]
    # What the case list can select exactly goes to the case list, with its own parameter names…
    assert '<a href="/cases/?raised_from=2015-01-01&amp;raised_to=2015-01-31">7</a>' in html
    assert f'<a href="/cases/?raised_from=2015-01-01&amp;raised_to=2015-01-31&amp;category={c1.pk}">4</a>' in html
    # …the rest to the exact list of the analysis's own condition.
    assert '<a href="/reports/cases/?figure=closed&amp;start=2015-01-01&amp;end=2015-01-31">4</a>' in html
    assert '<a href="/reports/cases/?figure=overdue&amp;start=2015-01-01&amp;end=2015-01-31">2</a>' in html
    assert (
        '<a href="/reports/cases/?figure=collected&amp;start=2015-01-01&amp;end=2015-01-31&amp;unclassified=1">1</a>'
        in html
    )
    # Every number in the breakdown tables is a link.
    tables = re.findall(r'<table class="breakdown categories">.*?</table>', html, flags=re.S)
    cells = re.findall(r'<td class="num">(.*?)</td>', tables[0], flags=re.S)
    counts = [cell for cell in cells if not cell.strip().endswith("%") and cell.strip() != "—"]
    assert counts and all(cell.startswith("<a href=") for cell in counts)


def test_the_case_list_link_selects_the_same_cases(office_client, ledger):
    listed = office_client.get("/cases/?raised_from=2015-01-01&raised_to=2015-01-31").content.decode()
    numbers = sorted(set(re.findall(r"SH-201[45]-\d{4}", listed)))
    assert numbers == [f"SH-2015-000{n}" for n in range(1, 8)]


def test_the_list_behind_a_figure(supervisor_client, ledger):
    response = supervisor_client.get(
        reverse("reports:cases"), {"figure": "closed", "start": "2015-01-01", "end": "2015-01-31"}
    )
    page = text(response)
    assert "2015年1月 · 办结 共 4 条。" in page
    assert re.findall(r"SH-201[45]-\d{4}", page) == ["SH-2014-0003", "SH-2015-0001", "SH-2015-0002", "SH-2015-0003"]
    team = ledger.teams["B"]
    page = text(
        supervisor_client.get(
            reverse("reports:cases"),
            {"figure": "visited_households", "start": "2015-01-01", "end": "2015-01-31", "team": team.pk},
        )
    )
    assert "本期驻点走访 · 第2驻点团队 共 2 条。" in page


@pytest.mark.parametrize(
    "query",
    [
        {"figure": "nonsense", "start": "2015-01-01", "end": "2015-01-31"},
        {"figure": "closed", "start": "2015-02-30", "end": "2015-01-31"},
        {"figure": "closed", "start": "2015-01-31", "end": "2015-01-01"},
        {"figure": "closed", "start": "2015-01-01", "end": "2015-01-31", "team": "1", "village": "2"},
    ],
)
def test_the_list_behind_a_figure_refuses_bad_queries(supervisor_client, ledger, query):
    response = supervisor_client.get(reverse("reports:cases"), query)
    assert response.status_code == 400
    assert 'class="errors"' in response.content.decode()


def test_dashboard_takes_any_range_and_says_what_is_wrong(supervisor_client, ledger):
    page = text(supervisor_client.get(reverse("reports:summary"), {"start": "2015-01-08", "end": "2015-01-15"}))
    assert "2015-01-08至2015-01-15驻点直联工作分析" in page
    assert "与上期（2014-12-31至2015-01-07）比较" in page
    page = text(supervisor_client.get(reverse("reports:summary"), {"month": "2015-13"}))
    assert "月份格式应为 YYYY-MM，如 2015-01。" in page


def _busy_ledger(teams: int, cases: int):
    sub = SubCategoryFactory()
    for _ in range(teams):
        team = TeamFactory()
        VisitFactory(team=team, date=datetime.date(2015, 1, 8))
        for case in CaseFactory.create_batch(cases, team=team, category=sub.category, subcategory=sub, closed=True):
            FeedbackFactory(case=case)
            SpotCheckFactory(case=case, done=True)


@pytest.mark.parametrize(("teams", "cases"), [(1, 1), (4, 6)])
def test_dashboard_query_count_is_constant(supervisor_client, db, teams, cases, django_assert_num_queries):
    _busy_ledger(teams, cases)
    with django_assert_num_queries(18):
        supervisor_client.get(reverse("reports:summary"), JANUARY)


@pytest.mark.parametrize("cases", [2, 12])
def test_list_behind_query_count_is_constant(supervisor_client, db, cases, django_assert_num_queries):
    _busy_ledger(1, cases)
    query = {"figure": "collected", "start": "2015-01-01", "end": "2015-01-31"}
    with django_assert_num_queries(5):
        supervisor_client.get(reverse("reports:cases"), query)


def test_each_table_exports_to_xlsx(supervisor_client, ledger):
    response = supervisor_client.get(reverse("reports:export", args=["categories"]), JANUARY)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="sanhe-categories-20150101-20150131.xlsx"'
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "按问题类别（2015年1月）"
    assert rows[1] == ("类别", "本期收集", "占比", "其中已办结", "办结率（本期）", "解决率", "期末未办结", "逾期")
    assert rows[2] == ("民生保障", 4, "57.14%", 2, "50.00%", "50.00%", 2, 1)
    assert rows[3] == ("　低保", 3, "42.85%", 1, "33.33%", "33.33%", 2, 1)
    for table, first in [
        ("headline", ("收集问题", 7, 3, "+4", None, None)),
        ("villages", ("甲村", 4, 2, "50.00%", 2, 1, 70, 100, "70.00%")),
        ("teams", ("第1驻点团队", 3, 5, 70, 4, 2, "50.00%", "66.66%", "50.00%", "66.66%", "66.66%", 2, 1)),
        ("trend", None),
        (
            "ranking",
            (
                1,
                "第1驻点团队",
                "60.00%",
                "70.00%",
                "100.00%",
                "66.66%",
                "50.00%",
                "66.66%",
                "66.66%",
                "50.00%",
                "65.66",
            ),
        ),
    ]:
        response = supervisor_client.get(reverse("reports:export", args=[table]), JANUARY)
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        if first:
            assert rows[2] == first, table
    assert rows[-1] == (
        2,
        "第2驻点团队",
        "40.00%",
        "55.00%",
        "75.00%",
        "25.00%",
        "0.00%",
        "0.00%",
        "—",
        "100.00%",
        "40.00",
    )


def test_unknown_export_is_404(supervisor_client, db):
    assert supervisor_client.get(reverse("reports:export", args=["residents"])).status_code == 404


@pytest.mark.parametrize(("teams", "cases"), [(1, 1), (3, 4)])
def test_export_query_count_is_constant(supervisor_client, db, teams, cases, django_assert_num_queries):
    _busy_ledger(teams, cases)
    with django_assert_num_queries(10):  # the login's 3, the team table's 6, the security log's row (a download)
        supervisor_client.get(reverse("reports:export", args=["teams"]), JANUARY)
