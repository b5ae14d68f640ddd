"""Spot checks: a repeatable random sample, recording checks, flagging and reopening, pass rates."""

import datetime

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent
from cases.tests.factories import CaseFactory
from reports.analysis import Period
from reports.models import SpotCheck, SpotCheckDraw
from reports.spotchecks import draw_sample, flagged_cases, make_draw, pass_rates, redraw_matches, sample_size
from teams.tests.factories import TeamFactory

JANUARY = Period.month(2015, 1)
POPULATION = [(case_id, 1 + case_id % 3) for case_id in range(1, 61)]  # 60 cases in 3 teams


def test_same_seed_same_sample_other_seed_other_sample():
    first = draw_sample(POPULATION, size=8, per_team=0, seed=2015)
    assert draw_sample(list(reversed(POPULATION)), size=8, per_team=0, seed=2015) == first
    assert draw_sample(POPULATION, size=8, per_team=0, seed=2016) != first
    assert len(first) == 8 and len(set(first)) == 8


def test_at_least_k_per_team():
    sample = draw_sample(POPULATION, size=4, per_team=2, seed=1)
    teams = [team for case_id, team in POPULATION if case_id in sample]
    # 2 from each of the 3 teams is more than the 4 asked for: the minimum wins.
    assert sorted(teams) == [1, 1, 2, 2, 3, 3]
    sample = draw_sample(POPULATION, size=10, per_team=1, seed=1)
    assert len(sample) == 10
    assert {team for case_id, team in POPULATION if case_id in sample} == {1, 2, 3}


def test_sample_size_by_number_or_percent():
    assert sample_size(142, 10, SpotCheckDraw.Size.NUMBER) == 10
    assert sample_size(142, 10, SpotCheckDraw.Size.PERCENT) == 15  # 14.2 rounded up
    assert sample_size(5, 10, SpotCheckDraw.Size.NUMBER) == 5
    assert draw_sample([], size=3, per_team=1, seed=1) == []


def test_make_draw_stores_the_sample_and_redraws_the_same(db, supervisor_user):
    teams = TeamFactory.create_batch(2)
    for team in teams:
        CaseFactory.create_batch(6, team=team, raised_on=datetime.date(2015, 1, 15))
    CaseFactory(raised_on=datetime.date(2015, 2, 5))  # outside the period
    draw = make_draw(period=JANUARY, size=25, size_kind="percent", per_team=2, seed=99, by=supervisor_user)
    assert (draw.population, draw.checks.count(), draw.seed) == (12, 4, 99)  # 25% of 12 = 3, but 2 per team
    again = make_draw(period=JANUARY, size=25, size_kind="percent", per_team=2, seed=99, by=supervisor_user)
    assert sorted(again.checks.values_list("case_id", flat=True)) == sorted(
        draw.checks.values_list("case_id", flat=True)
    )
    assert redraw_matches(draw)


def test_pass_rates_per_team(ledger):
    rates = pass_rates(JANUARY)
    assert [(r["team"].name, r["checks"], r["checks_passed"], r["failed"], str(r["rate"])) for r in rates] == [
        ("第1驻点团队", 2, 1, 1, "50.00"),
        ("第2驻点团队", 1, 1, 0, "100.00"),
    ]
    assert list(flagged_cases().values_list("number", flat=True)) == ["SH-2015-0002"]


def test_supervisor_draws_a_sample_by_post(supervisor_client, ledger):
    response = supervisor_client.post(
        reverse("reports:draw_new"),
        {"start": "2015-01-01", "end": "2015-01-31", "size_kind": "number", "size": "3", "per_team": "1", "seed": "7"},
    )
    draw = SpotCheckDraw.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:draw", args=[draw.pk])
    assert (draw.seed, draw.population, draw.checks.count()) == (7, 7, 3)
    page = supervisor_client.get(response["Location"] + "?verify=1").content.decode()
    assert '<dd id="seed">7</dd>' in page
    assert "重抽核对：用同一种子重抽，样本与存档一致。" in page


def test_a_bad_draw_says_why(supervisor_client, ledger):
    response = supervisor_client.post(
        reverse("reports:draw_new"),
        {"start": "2015-01-31", "end": "2015-01-01", "size_kind": "percent", "size": "120"},
        follow=True,
    )
    page = response.content.decode()
    assert "截止日期不能早于起始日期。" in page
    assert "按比例抽样时，数量不能超过100%。" in page
    assert SpotCheckDraw.objects.count() == 1  # only the ledger's own


def test_record_a_check_then_reopen_the_case(supervisor_client, supervisor_user, ledger):
    check = SpotCheck.objects.get(case=ledger.cases["j1"])
    response = supervisor_client.post(
        reverse("reports:check_record", args=[check.pk]),
        {f"c{check.pk}-method": "phone", f"c{check.pk}-finding": "unsatisfied", f"c{check.pk}-notes": "陈测试说没修好"},
    )
    check.refresh_from_db()
    assert response.status_code == 302
    assert (check.method, check.finding, check.checked_by, check.failed) == (
        "phone",
        "unsatisfied",
        supervisor_user,
        True,
    )
    case = ledger.cases["j1"]
    response = supervisor_client.post(
        reverse("reports:check_reopen", args=[check.pk]), {"version": str(case.version)}, follow=True
    )
    case.refresh_from_db()
    check.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS
    assert check.reopened
    event = case.events.get(kind=CaseEvent.Kind.REOPENED)
    assert event.text == f"重新办理：督查抽查发现“群众不满意”（抽查记录第{check.pk}号）"
    assert "陈测试" not in event.text  # the check's notes stay off the public history
    assert "SH-2015-0001 已重新办理。" in response.content.decode()


def test_a_passing_check_cannot_reopen(supervisor_client, ledger):
    check = SpotCheck.objects.get(case=ledger.cases["j3"])
    response = supervisor_client.post(reverse("reports:check_reopen", args=[check.pk]), follow=True)
    assert "只有结论不合格、尚未据此重新办理的抽查才能重新办理问题。" in response.content.decode()
    assert Case.objects.get(pk=ledger.cases["j3"].pk).status == Case.Status.CLOSED


def test_a_check_needs_a_method_and_finding(supervisor_client, ledger):
    check = SpotCheck.objects.get(case=ledger.cases["j1"])
    response = supervisor_client.post(reverse("reports:check_record", args=[check.pk]), {}, follow=True)
    assert "请选择督查方式。" in response.content.decode()
    check.refresh_from_db()
    assert check.finding == "true"


@pytest.mark.parametrize("name", ["draw_new", "check_record", "check_reopen"])
def test_office_cannot_draw_or_check(office_client, ledger, name):
    args = [] if name == "draw_new" else [SpotCheck.objects.first().pk]
    assert office_client.post(reverse(f"reports:{name}", args=args)).status_code == 403


@pytest.mark.parametrize("name", ["draw_new", "check_record", "check_reopen"])
def test_spot_check_actions_are_post_only(supervisor_client, ledger, name):
    args = [] if name == "draw_new" else [SpotCheck.objects.first().pk]
    assert supervisor_client.get(reverse(f"reports:{name}", args=args)).status_code == 405


def test_spot_check_pages(supervisor_client, office_client, cadre_client, ledger):
    page = supervisor_client.get(reverse("reports:checks"), {"month": "2015-01"}).content.decode()
    assert "2015年1月督查抽查" in page
    assert "随机抽取" in page
    assert "SH-2015-0002" in page  # flagged: its check found the record false
    assert "随机抽取" not in office_client.get(reverse("reports:checks"), {"month": "2015-01"}).content.decode()
    assert cadre_client.get(reverse("reports:checks")).status_code == 403
    assert cadre_client.get(reverse("reports:draw", args=[ledger.draw.pk])).status_code == 403


@pytest.mark.parametrize("size", [3, 30])
def test_draw_page_query_count_is_constant(supervisor_client, db, size, django_assert_num_queries):
    CaseFactory.create_batch(size, raised_on=datetime.date(2015, 1, 8))
    draw = make_draw(period=JANUARY, size=100, size_kind="percent", per_team=0, seed=1, by=None)
    # session, user, groups, draw, count, page of checks, the user's cadre (base.html)
    with django_assert_num_queries(7):
        supervisor_client.get(reverse("reports:draw", args=[draw.pk]))


@pytest.mark.parametrize("size", [2, 20])
def test_checks_page_query_count_is_constant(supervisor_client, db, size, django_assert_num_queries):
    CaseFactory.create_batch(size, raised_on=datetime.date(2015, 1, 8))
    draw = make_draw(period=JANUARY, size=100, size_kind="percent", per_team=0, seed=1, by=None)
    SpotCheck.objects.filter(draw=draw).update(method="phone", finding="false", checked_at="2015-02-01T10:00+08:00")
    with django_assert_num_queries(8):
        supervisor_client.get(reverse("reports:checks"), {"month": "2015-01"})
