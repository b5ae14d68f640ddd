"""The county's view: its towns side by side, by the same definitions as a town's dashboard, the
county's total their sum and a count in SQL; for the county's staff only."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from cases.tests.factories import CaseFactory, FeedbackFactory
from reports import analysis
from reports.analysis import Period
from reports.evaluation import rank_towns
from reports.models import Notice
from reports.tests.factories import NoticeFactory
from reports.tests.test_dashboard import text
from teams.models import Team
from teams.tests.factories import CadreFactory, TeamFactory, UserFactory
from villages.models import Town
from villages.tests.factories import TownFactory, VillageFactory, home_town

JANUARY = Period.month(2015, 1)


def town_with_cases(town, raised: int, closed: int):
    team = TeamFactory(village=VillageFactory(town=town))
    for n in range(raised):
        CaseFactory(team=team, raised_on=datetime.date(2015, 1, 8), **({"closed": True} if n < closed else {}))
    return team


@pytest.fixture
def county(db):
    """Sanhe: 4 cases in January, 1 closed; a second town: 3, 2 closed; a third: none."""
    town_with_cases(home_town(), 4, 1)
    town_with_cases(TownFactory(code="DJ", name="大江镇", division_code="440781105"), 3, 2)
    TownFactory(code="CH", name="冲蒌镇", division_code="440781106", generated=True)


@pytest.fixture
def county_client(client, county_supervisor_user):
    client.force_login(county_supervisor_user)
    return client


def sql_counts() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.code, COUNT(c.id), SUM(CASE WHEN c.status = 'closed' THEN 1 ELSE 0 END) "
            "FROM villages_town t LEFT JOIN cases_case c ON c.town_id = t.id AND c.voided_at IS NULL "
            "AND c.raised_on BETWEEN %s AND %s GROUP BY t.code",
            [JANUARY.start, JANUARY.end],
        )
        return {code: (n, closed or 0) for code, n, closed in cursor.fetchall()}


def test_the_towns_figures_are_hand_counted_and_the_county_is_their_sum_and_sql(county):
    rows = {row.key or "county": row for row in analysis.by_town(JANUARY, analysis.count_fine(JANUARY))}
    got = {key: (row.counts["collected"], row.counts["collected_closed"]) for key, row in rows.items()}
    assert got == {"SH": (4, 1), "DJ": (3, 2), "CH": (0, 0), "county": (7, 3)}
    assert {key: value for key, value in got.items() if key != "county"} == sql_counts()
    assert str(rows["SH"].rates["closure_rate_period"]) == "25.00"
    assert str(rows["county"].rates["closure_rate_period"]) == "42.85"  # 3/7 = 42.857… truncated


def test_a_towns_dashboard_counts_only_that_town(county):
    sanhe = analysis.headline(JANUARY, town=home_town())
    figures = {figure.key: figure.value for figure in sanhe.figures}
    assert figures["collected"] == 4


def test_the_county_page_shows_every_town_and_links_to_its_dashboard(county_client, county):
    page = county_client.get(reverse("reports:county"), {"month": "2015-01"}).content.decode()
    for name in ("三合镇", "大江镇", "冲蒌镇", "台山市"):
        assert name in page
    assert "town=DJ" in page and "演示数据" in page
    dashboard = county_client.get(reverse("reports:summary"), {"month": "2015-01", "town": "DJ"})
    assert dashboard.status_code == 200 and "大江镇" in dashboard.content.decode()


@pytest.mark.parametrize("towns", [0, 5])
def test_the_county_page_query_count_is_constant(county_client, county, towns, django_assert_max_num_queries):
    for _town in range(towns):
        town_with_cases(TownFactory(), 2, 1)
    # 12: the towns' table (with the spot checks, teams and team-weeks its ranking needs), the period's
    # tally, the session and user; the same at 3 towns as at 8.
    with django_assert_max_num_queries(12):
        assert county_client.get(reverse("reports:county"), {"month": "2015-01"}).status_code == 200


def test_a_towns_staff_may_not_see_the_county_nor_another_town(office_client, supervisor_client, county):
    for client in (office_client, supervisor_client):
        assert client.get(reverse("reports:county")).status_code == 403
        assert client.get(reverse("reports:summary"), {"town": "DJ"}).status_code == 403
        page = client.get(reverse("reports:summary"), {"month": "2015-01"}).content.decode()
        assert "大江镇" not in page


def test_another_towns_office_sees_its_own_figures(client, county):
    user = UserFactory(role="office")
    CadreFactory(user=user, team=None, town=Town.objects.get(code="DJ"))
    client.force_login(user)
    data = client.get(reverse("api-figures-list"), {"start": "2015-01-01", "end": "2015-01-31"}).json()
    assert (data["total"], data["closed"]) == (3, 2)


# -- The towns ranked as teams are, the county's pack and notices ---------------------------------

TWO_WEIGHTS = {
    "visit_rate": 0,
    "home_visit_rate": 0,
    "collected": 50,
    "closure_rate": 50,
    "on_time_rate": 0,
    "feedback_rate": 0,
    "satisfaction_rate": 0,
    "spot_check_rate": 0,
}


def test_the_towns_are_ranked_by_the_team_rankings_indicators(county):
    """Collected relative to the most (SH 4, DJ 3, CH 0) and the cumulative closure rate (1/4, 2/3,
    none): SH (100 + 25) / 2 = 62.50, DJ (75 + 66.66) / 2 = 70.83, CH 0.00 (its closure rate has
    nothing to divide, its weight goes to the other)."""
    entries = rank_towns(JANUARY, TWO_WEIGHTS)
    assert [(e.rank, e.row.key, str(e.score)) for e in entries] == [
        (1, "DJ", "70.83"),
        (2, "SH", "62.50"),
        (3, "CH", "0.00"),
    ]
    assert str(entries[0].values["closure_rate"]) == "66.66" and entries[2].values["closure_rate"] is None


def test_a_towns_visit_and_spot_check_rates_are_its_teams_added_up(ledger):
    """The ledger's two teams (conftest): weeks 3/5 and 2/5, spot checks 1/2 and 1/1 (test_notices)."""
    sanhe = next(e for e in rank_towns(JANUARY) if e.row.key == "SH")
    assert (sanhe.row.counts["weeks_visited"], sanhe.row.counts["thursdays"]) == (5, 10)
    assert str(sanhe.values["visit_rate"]) == "50.00" and str(sanhe.values["spot_check_rate"]) == "66.66"


def test_the_county_page_ranks_the_towns(county_client, county):
    page = text(county_client.get(reverse("reports:county"), {"month": "2015-01"}))
    assert "各镇（街道）考评排名" in page
    ranking = page[page.index("各镇（街道）考评排名") :]
    assert ranking.index("大江镇") < ranking.index("冲蒌镇")  # DJ has cases, CH none


def test_the_county_user_ranks_towns_and_a_towns_teams(county_client, county):
    towns = text(county_client.get(reverse("reports:ranking"), {"month": "2015-01"}))
    assert "2015年1月各镇（街道）考评" in towns and "三合镇" in towns and "大江镇" in towns
    assert "表扬、批评各几个镇（街道）" in towns and "表扬、批评各几个团队" not in towns  # the county's notice
    page = text(county_client.get(reverse("reports:ranking"), {"month": "2015-01", "town": "DJ"}))
    assert "2015年1月驻点团队考评" in page and "大江镇" in page
    assert Team.objects.get(town__code="DJ").name in page and Team.objects.get(town__code="SH").name not in page
    xlsx = county_client.get(reverse("reports:export", args=["ranking"]), {"month": "2015-01"})
    assert xlsx.status_code == 200


def test_a_towns_supervisor_ranks_only_their_teams(supervisor_client, county):
    sanhe_team = Team.objects.get(town__code="SH")
    other_team = Team.objects.get(town__code="DJ")
    page = text(supervisor_client.get(reverse("reports:ranking"), {"month": "2015-01"}))
    assert sanhe_team.name in page and other_team.name not in page
    assert "各镇（街道）考评" not in page and "表扬、批评各几个团队" in page
    assert supervisor_client.get(reverse("reports:ranking"), {"town": "DJ"}).status_code == 403


def test_the_county_pack_has_the_towns_and_a_towns_pack_its_teams(county_client, office_client, county):
    page = text(county_client.get(reverse("reports:pack"), {"month": "2015-01"}))
    assert "四、各镇（街道）情况" in page and "大江镇" in page and "台山市" in page
    docx = county_client.get(reverse("reports:pack_docx"), {"month": "2015-01"})
    assert docx.status_code == 200
    words = "\n".join(cell.text for table in Document(io.BytesIO(docx.content)).tables for cell in table._cells)
    assert "大江镇" in words and "三合镇" in words
    page = text(office_client.get(reverse("reports:pack"), {"month": "2015-01"}))
    assert "四、各驻点团队情况" in page and "三合镇" in page and "大江镇" not in page


def test_the_county_supervisor_drafts_and_publishes_the_countys_notice(client, county_client, county):
    weights = {f"w_{key}": str(value) for key, value in TWO_WEIGHTS.items()}
    response = county_client.post(reverse("reports:notice_draft"), {"month": "2015-01", **weights, "best": "1"})
    notice = Notice.objects.get()
    assert response["Location"] == reverse("reports:notice_edit", args=[notice.pk])
    assert notice.town is None and notice.title == "关于2015年1月各镇（街道）驻点直联工作情况的通报"
    assert "大江镇（70.83分）综合得分位列前1名" in notice.body and "中共台山市委员会" in notice.body
    assert [row["team"] for row in notice.ranking] == ["大江镇", "三合镇", "冲蒌镇"]
    response = county_client.post(reverse("reports:notice_publish", args=[notice.pk]))
    assert response["Location"] == reverse("reports:notice", args=[notice.pk])
    public = text(client.get(reverse("reports:notice_index")))
    assert "各镇（街道）驻点直联工作情况的通报" in public and "台山市" in public
    assert "附表：各镇（街道）考评排名" in text(client.get(reverse("reports:notice", args=[notice.pk])))


def test_a_towns_notice_is_its_supervisors_not_the_countys(county_client, supervisor_client, county):
    county_client.post(reverse("reports:notice_draft"), {"month": "2015-01", "town": "SH"})
    assert not Notice.objects.exists()  # the county's supervisor does not draft a town's notice
    supervisor_client.post(reverse("reports:notice_draft"), {"month": "2015-01"})
    notice = Notice.objects.get()
    assert notice.town == home_town()
    # The county's supervisor reads it, but neither edits nor publishes it.
    assert county_client.get(reverse("reports:notice_edit", args=[notice.pk])).status_code == 200
    assert county_client.post(reverse("reports:notice_publish", args=[notice.pk])).status_code == 403
    county_notice = NoticeFactory(town=None)
    # A town's supervisor does not see the county's drafts.
    assert supervisor_client.get(reverse("reports:notice_edit", args=[county_notice.pk])).status_code == 404


def test_a_published_towns_notice_names_its_town(client, county):
    notice = NoticeFactory(town=home_town(), status=Notice.Status.PUBLISHED, published_at=timezone.now())
    assert "三合镇" in text(client.get(reverse("reports:notice_index")))
    assert "三合镇" in text(client.get(reverse("reports:notice", args=[notice.pk])))


def test_exports_follow_the_town(office_client, county_client, county):
    def names(client, table, **extra):
        response = client.get(reverse("reports:export", args=[table]), {"month": "2015-01", **extra})
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        return {str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None}

    sanhe, other = Team.objects.get(town__code="SH").name, Team.objects.get(town__code="DJ").name
    assert sanhe in names(office_client, "teams") and other not in names(office_client, "teams")
    assert other in names(county_client, "teams", town="DJ") and sanhe not in names(county_client, "teams", town="DJ")
    assert {"三合镇", "大江镇", "台山市"} <= names(county_client, "towns")
    assert office_client.get(reverse("reports:export", args=["towns"]), {"month": "2015-01"}).status_code == 404


@pytest.fixture
def rated_feedback(db):
    """January's feedback: Sanhe's 3 (2 satisfied, 1 not), Dajiang's 2 (1 satisfied, 1 without a rating)."""
    sanhe = town_with_cases(home_town(), 0, 0)
    dajiang = town_with_cases(TownFactory(code="DJ", name="大江镇", division_code="440781105"), 0, 0)
    for team, ratings in ((sanhe, ["satisfied", "basically", "unsatisfied"]), (dajiang, ["satisfied", ""])):
        for rating in ratings:
            FeedbackFactory(case=CaseFactory(team=team, closed=True), satisfaction=rating)


def test_each_towns_satisfaction_counts_its_own_feedback(rated_feedback):
    rows = {row.key or "county": row for row in analysis.by_town(JANUARY, analysis.count_fine(JANUARY))}
    got = {key: (row.counts["rated"], row.counts["satisfied"]) for key, row in rows.items()}
    assert got == {"SH": (3, 2), "DJ": (1, 1), "county": (4, 3)}
    sanhe = {figure.key: figure.value for figure in analysis.headline(JANUARY, town=home_town()).figures}
    assert str(sanhe["satisfaction_rate"]) == "66.66"  # 2/3, truncated


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_a_towns_dashboard_reads_only_its_own_feedback(office_client, rated_feedback):
    """The period's feedback is found by the town's index (cases_feedback_town_given_on), not read
    for the whole county and joined to every case to find the town's."""
    with CaptureQueriesContext(connection) as queries:
        assert office_client.get("/reports/?month=2015-01").status_code == 200
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if "cases_feedback" in query["sql"]:
                cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
                plans += [row[3] for row in cursor.fetchall() if "cases_feedback" in row[3]]
    assert plans and all("USING INDEX cases_feedback_town_given_on" in plan for plan in plans), plans
