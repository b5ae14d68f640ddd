"""The demo data reproduces the town's report of 2 February 2015, corrected where it does not add up."""

import pytest
from django.core.management import call_command

from cases.models import Case, Feedback
from reports.figures import filter_cases, summarize
from teams.models import Cadre, Team, Visit
from villages.models import Town, Village

REPORT_SUBITEMS = [25, 17, 5, 7, 5, 4, 3, 24, 6, 2, 4, 3, 3, 7, 15, 4, 1, 3]


@pytest.fixture
def demo(db):
    call_command("load_demo", "--county", stdout=open("/dev/null", "w"))


def sanhe():
    return Town.objects.get(code="SH")


def test_demo_totals_match_the_report(demo):
    # Sanhe's figures, exactly, with the two generated towns beside it.
    assert Town.objects.count() == 3 and set(Town.objects.filter(generated=True).values_list("code", flat=True)) == {
        "DJ",
        "SB",
    }
    summary = summarize(filter_cases(end="2015-02-01", town=sanhe()))
    assert (summary.total, summary.closed, summary.in_progress, summary.closure_rate) == (142, 78, 64, "54.92")


def test_demo_category_counts_and_shares(demo):
    summary = summarize(filter_cases(town=sanhe()))
    assert [c.count for c in summary.categories] == [47, 19, 30, 9, 10, 15, 8]
    assert [c.share for c in summary.categories] == ["33.09", "13.38", "21.12", "6.33", "7.04", "10.56", "5.63"]
    assert (summary.unclassified.count, summary.unclassified.share) == (4, "2.81")


def test_demo_subitem_counts_and_shares(demo):
    summary = summarize(filter_cases(town=sanhe()))
    subs = [s for c in summary.categories for s in c.subcategories]
    assert [s.count for s in subs] == REPORT_SUBITEMS
    # 25/142 = 17.605…, 17/142 = 11.971…, 24/142 = 16.901…
    assert [subs[0].share, subs[1].share, subs[7].share] == ["17.60", "11.97", "16.90"]


def test_demo_people_places_and_visits(demo):
    town = sanhe()
    assert Village.objects.filter(town=town).count() == 10
    assert Team.objects.filter(town=town).count() == 10
    assert Cadre.objects.filter(team__town=town).count() == 72
    assert all(3 <= t.subgroups.count() <= 4 for t in Team.objects.filter(town=town))
    assert not Visit.objects.exclude(date__week_day=5).filter(off_day_reason="").exists()
    assert Case.objects.filter(raised_on__gt="2015-02-01").count() == 0
    assert Case.objects.filter(closed_on__gt="2015-02-01").count() == 0
    # The report says every resident was told the progress or the result.
    assert Feedback.objects.filter(case__town=town).values("case").distinct().count() == 142


def test_demo_is_marked_as_generated_and_idempotent(demo):
    numbers = list(Case.objects.order_by("number").values_list("number", flat=True))
    call_command("load_demo", "--county", stdout=open("/dev/null", "w"))
    assert list(Case.objects.order_by("number").values_list("number", flat=True)) == numbers
    assert Cadre.objects.filter(team__town=sanhe()).count() == 72
    assert Case.objects.filter(generated=False).count() == 0
    assert Town.objects.count() == 3
    assert Village.objects.filter(figures_generated=False).count() == 0


def test_demo_logins_exist_only_after_load_demo(db, client):
    from django.contrib.auth.models import User

    assert not User.objects.filter(username__in=["admin", "office", "supervisor", "cadre"]).exists()
    call_command("load_demo", "--county", stdout=open("/dev/null", "w"))
    assert client.login(username="cadre", password="sanhe-2015")
    cadre = User.objects.get(username="cadre").cadre
    assert cadre.team.village.code == "440781104001"


def test_demo_adds_two_generated_towns_numbered_and_tallied_on_their_own(demo):
    from django.db.models import Count, Sum

    from cases.models import CaseTally

    counted = dict(Case.objects.values_list("town__code").annotate(n=Count("id")))
    tallied = {
        Town.objects.get(pk=row["town_id"]).code: row["n"]
        for row in CaseTally.objects.values("town_id").annotate(n=Sum("raised"))
    }
    assert counted == tallied == {"SH": 142, "DJ": 260, "SB": 180}
    for code in ("DJ", "SB"):
        numbers = Case.objects.filter(town__code=code).values_list("number", flat=True)
        assert all(number.startswith(f"{code}-") for number in numbers)
        assert Village.objects.filter(town__code=code, figures_generated=False).count() == 0
        assert not Cadre.objects.filter(town__code=code, generated=False).exists()
    assert Cadre.objects.get(user__username="office_dj").town.code == "DJ"
    assert Cadre.objects.get(user__username="county").town is None


def test_plain_load_demo_is_sanhe_alone(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert list(Town.objects.values_list("code", flat=True)) == ["SH"]
    assert Case.objects.count() == 142
