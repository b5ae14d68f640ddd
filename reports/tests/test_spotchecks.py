"""Spot checks: a repeatable random sample, recording checks, flagging and reopening, pass rates."""

import datetime

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent
from cases.tests.factories import CaseFactory
from reports.analysis import Period
from reports.models import SpotCheck, SpotCheckDraw
from reports.spotchecks import draw_sample, flagged_cases, make_draw, pass_rates, redraw_matches, sample_size
from teams.tests.factories import TeamFactory, UserFactory
from villages.models import Town
from villages.tests.factories import home_town

JANUARY = Period.month(2015, 1)
POPULATION = [(case_id, 1 + case_id % 3) for case_id in range(1, 61)]  # 60 cases in 3 teams


def in_sanhe() -> dict:
    return {"town": home_town()}


def test_same_seed_same_sample_other_seed_other_sample():
    first = draw_sample(POPULATION, size=8, per_team=0, seed=2015)
    assert draw_sample(list(reversed(POPULATION)), size=8, per_team=0, seed=2015) == first
    assert draw_sample(POPULATION, size=8, per_team=0, seed=2016) != first
    assert len(first) == 8 and len(set(first)) == 8


def teams_of(sample: list[int], population=POPULATION) -> list[int]:
    return sorted(team for case_id, team in population if case_id in sample)


def test_at_least_k_per_team():
    sample = draw_sample(POPULATION, size=10, per_team=1, seed=1)
    assert len(sample) == 10
    assert {team for case_id, team in POPULATION if case_id in sample} == {1, 2, 3}
    sample = draw_sample(POPULATION, size=8, per_team=2, seed=1)
    assert len(sample) == 8
    assert all(teams_of(sample).count(team) >= 2 for team in (1, 2, 3))


def test_the_number_asked_is_honoured_when_the_minimums_need_more():
    # 2 from each of the 3 teams is more than the 4 asked for: 4, one from every team, then a second.
    sample = draw_sample(POPULATION, size=4, per_team=2, seed=1)
    counts = sorted(teams_of(sample).count(team) for team in (1, 2, 3))
    assert (len(sample), counts) == (4, [1, 1, 2])


def test_six_asked_of_nine_teams_gives_six_from_six_teams():
    population = [(case_id, 1 + case_id % 9) for case_id in range(1, 91)]  # 90 cases in 9 teams
    for seed in range(20):
        sample = draw_sample(population, size=6, per_team=1, seed=seed)
        assert (len(sample), len(set(teams_of(sample, population)))) == (6, 6)
    # Which teams go without is up to the seed, not to the teams' numbers.
    left_out = {
        frozenset(range(1, 10)) - set(teams_of(draw_sample(population, size=6, per_team=1, seed=s), population))
        for s in range(20)
    }
    assert len(left_out) > 1


def test_a_draw_made_under_the_old_rule_still_verifies(db, supervisor_user):
    teams = TeamFactory.create_batch(3)
    for team in teams:
        CaseFactory.create_batch(4, team=team, raised_on=datetime.date(2015, 1, 15))
    draw = make_draw(**in_sanhe(), period=JANUARY, size=2, size_kind="number", per_team=1, seed=5, by=supervisor_user)
    assert draw.checks.count() == 2
    # As the old rule stored it: one from every team, three for the two asked.
    population = [(c.pk, c.team_id) for c in Case.objects.all()]
    old = draw_sample(population, size=2, per_team=1, seed=5, capped=False)
    assert len(old) == 3
    draw.checks.all().delete()
    SpotCheck.objects.bulk_create([SpotCheck(draw=draw, case_id=case_id) for case_id in old])
    assert redraw_matches(draw)
    SpotCheck.objects.filter(draw=draw, case_id=old[0]).update(case_id=max(p for p, _t in population if p not in old))
    assert not redraw_matches(draw)


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
    draw = make_draw(
        **in_sanhe(), period=JANUARY, size=25, size_kind="percent", per_team=2, seed=99, by=supervisor_user
    )
    assert (draw.population, draw.checks.count(), draw.seed) == (12, 3, 99)  # 25% of 12 = 3, 2 per team or not
    again = make_draw(
        **in_sanhe(), period=JANUARY, size=25, size_kind="percent", per_team=2, seed=99, by=supervisor_user
    )
    assert sorted(again.checks.values_list("case_id", flat=True)) == sorted(
        draw.checks.values_list("case_id", flat=True)
    )
    assert redraw_matches(draw)


def test_pass_rates_per_team(ledger):
    rates = pass_rates(JANUARY, Town.objects.all())
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
    assert '<dd id="drawn">要求 3 件，抽取 3 件</dd>' in page
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
    assert event.shown_text == f"重新办理：督查抽查发现“群众不满意”（抽查记录第{check.pk}号）"
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
    draw = make_draw(**in_sanhe(), period=JANUARY, size=100, size_kind="percent", per_team=0, seed=1, by=None)
    # session, user, groups, draw, count, page of checks, the user's cadre (base.html)
    with django_assert_num_queries(6):
        supervisor_client.get(reverse("reports:draw", args=[draw.pk]))


@pytest.mark.parametrize("size", [2, 20])
def test_checks_page_query_count_is_constant(supervisor_client, db, size, django_assert_num_queries):
    CaseFactory.create_batch(size, raised_on=datetime.date(2015, 1, 8))
    draw = make_draw(**in_sanhe(), period=JANUARY, size=100, size_kind="percent", per_team=0, seed=1, by=None)
    SpotCheck.objects.filter(draw=draw).update(method="phone", finding="false", checked_at="2015-02-01T10:00+08:00")
    with django_assert_num_queries(7):
        supervisor_client.get(reverse("reports:checks"), {"month": "2015-01"})


def test_draw_asked_more_than_the_period_holds_says_so(supervisor_client, ledger):
    response = supervisor_client.post(
        reverse("reports:draw_new"),
        {"start": "2015-01-01", "end": "2015-01-31", "size_kind": "number", "size": "9", "per_team": "1", "seed": "7"},
    )
    page = supervisor_client.get(response["Location"]).content.decode()
    assert '<dd id="drawn">要求 7 件，抽取 7 件</dd>' in page  # the 7 cases of the period: all of them


def test_six_asked_are_six_drawn_over_more_teams_than_that(supervisor_client, db):
    for team in TeamFactory.create_batch(9):
        CaseFactory.create_batch(2, team=team, raised_on=datetime.date(2015, 1, 15))
    response = supervisor_client.post(
        reverse("reports:draw_new"),
        {"start": "2015-01-01", "end": "2015-01-31", "size_kind": "number", "size": "6", "per_team": "1", "seed": "3"},
    )
    draw = SpotCheckDraw.objects.get()
    assert draw.checks.count() == 6
    assert draw.checks.values("case__team").distinct().count() == 6
    page = supervisor_client.get(response["Location"]).content.decode()
    assert '<dd id="drawn">要求 6 件，抽取 6 件</dd>' in page


def test_the_form_explains_the_count_before_drawing(supervisor_client, ledger):
    page = supervisor_client.get(reverse("reports:checks"), {"month": "2015-01"}).content.decode()
    assert "抽取的件数就是填写的数量（问题不够时全部抽取）。各团队的最少件数合计超过这个数量时，不多抽" in page


def test_the_drawer_and_checker_are_shown_by_name(supervisor_client, supervisor_user, db):
    supervisor_user.cadre.name = "周督查"
    supervisor_user.cadre.save()
    other = UserFactory(username="sup2", first_name="吴明", role="supervisor")
    CaseFactory.create_batch(2, raised_on=datetime.date(2015, 1, 15))
    mine = make_draw(**in_sanhe(), period=JANUARY, size=2, size_kind="number", per_team=0, seed=1, by=supervisor_user)
    make_draw(**in_sanhe(), period=JANUARY, size=1, size_kind="number", per_team=0, seed=2, by=other)
    SpotCheck.objects.filter(draw=mine).update(
        method="phone", finding="true", checked_by=other, checked_at="2015-02-01T10:00+08:00"
    )

    listing = supervisor_client.get(reverse("reports:checks"), {"month": "2015-01"}).content.decode()
    detail = supervisor_client.get(reverse("reports:draw", args=[mine.pk])).content.decode()

    assert "<td>周督查</td>" in listing
    assert "<td>吴明</td>" in listing
    assert supervisor_user.username not in listing and "sup2" not in listing
    assert "<dd>周督查 · " in detail
    assert " · 吴明 · 2015-02-01" in detail
    assert "sup2" not in detail
