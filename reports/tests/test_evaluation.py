"""Team ranking: each indicator and the composite score on the small ledger, by hand."""

from decimal import Decimal

from django.utils import timezone

from reports.analysis import Period
from reports.evaluation import DEFAULT_WEIGHTS, composite, rank_teams
from reports.notices import draft_notice
from villages.tests.factories import home_town

JANUARY = Period.month(2015, 1)


def test_indicators_of_each_team_by_hand(ledger):
    a, b = rank_teams(JANUARY)
    assert a.values == {
        "visit_rate": Decimal("60.00"),  # 3 weeks of 5 Thursdays
        "home_visit_rate": Decimal("70.00"),  # 70 of 100 households
        "collected": Decimal("100.00"),  # 4, the most of any team
        "closure_rate": Decimal("66.66"),  # 4 of 6 to date
        "on_time_rate": Decimal("50.00"),  # j2 of d3, j2
        "feedback_rate": Decimal("66.66"),  # d3, j1 of d3, j1, j2
        "satisfaction_rate": Decimal("66.66"),  # 2 of 3 rated
        "spot_check_rate": Decimal("50.00"),  # j1 true, j2 false
    }
    assert b.values == {
        "visit_rate": Decimal("40.00"),
        "home_visit_rate": Decimal("55.00"),
        "collected": Decimal("75.00"),  # 3 of A's 4
        "closure_rate": Decimal("25.00"),
        "on_time_rate": Decimal("0.00"),
        "feedback_rate": Decimal("0.00"),
        "satisfaction_rate": None,  # nobody rated
        "spot_check_rate": Decimal("100.00"),
    }


def test_composite_score_with_the_default_weights(ledger):
    a, b = rank_teams(JANUARY)
    # A: (60×20 + 70×10 + 100×10 + 66.66×20 + 50×10 + 66.66×10 + 66.66×10 + 50×10) / 100 = 65.664
    # B: satisfaction has no value, so its weight drops out:
    #    (40×20 + 55×10 + 75×10 + 25×20 + 0 + 0 + 100×10) / 90 = 40
    assert [(e.rank, e.name, e.score) for e in (a, b)] == [
        (1, "第1驻点团队", Decimal("65.66")),
        (2, "第2驻点团队", Decimal("40.00")),
    ]


def test_weights_change_the_order(ledger):
    only_checks = {key: 0 for key in DEFAULT_WEIGHTS} | {"spot_check_rate": 100}
    ranking = rank_teams(JANUARY, only_checks)
    assert [(e.name, e.score) for e in ranking] == [
        ("第2驻点团队", Decimal("100.00")),
        ("第1驻点团队", Decimal("50.00")),
    ]


def test_composite_without_any_value_is_none():
    assert composite({"visit_rate": None}, DEFAULT_WEIGHTS) is None
    assert composite({"visit_rate": Decimal("80")}, {"visit_rate": 0}) is None
    assert composite({"visit_rate": Decimal("80"), "collected": Decimal("33.333")}, DEFAULT_WEIGHTS) == Decimal("64.44")


def test_draft_notice_commends_the_best_and_criticises_the_worst(ledger, supervisor_user):
    notice = draft_notice(
        period=JANUARY,
        ranking=rank_teams(JANUARY),
        weights=DEFAULT_WEIGHTS,
        best=1,
        by=supervisor_user,
        town=home_town(),
    )
    assert notice.town == home_town()
    today = timezone.localdate()
    assert notice.title == "关于2015年1月驻点团队工作情况的通报"
    assert notice.body == (
        "各驻点团队：\n\n"
        "根据2015年1月驻点直联工作考评（综合得分按以下权重计算：驻点到位率20%、入户率10%、收集问题10%、"
        "办结率（累计）20%、按期办结率10%、反馈率10%、满意率10%、督查抽查合格率10%），全镇2个驻点团队的"
        "排名见附表。现将有关情况通报如下：\n\n"
        "一、通报表扬。第1驻点团队（65.66分）综合得分位列前1名，驻点坚持到位，问题收集、办理和反馈及时，"
        "予以通报表扬。\n\n"
        # B's two lowest rates, in the indicators' order when equal.
        "二、通报批评。第2驻点团队（40.00分）综合得分排名靠后（第2驻点团队：按期办结率0.00%、反馈率0.00%），"
        "予以通报批评。请以上团队认真查找原因，于下一次驻点前将整改情况报镇党政办。\n\n"
        "各驻点团队要对照先进、查找不足，严格落实每周四驻点制度，做到每村每户全覆盖，"
        "确保问题登记、处理、解决、督查、反馈全程记录完整。\n\n"
        "中共三合镇委员会\n\n"
        f"{today.year}年{today.month}月{today.day}日"
    )
    assert notice.weights == DEFAULT_WEIGHTS
    assert [(row["rank"], row["team"], row["score"]) for row in notice.ranking] == [
        (1, "第1驻点团队", "65.66"),
        (2, "第2驻点团队", "40.00"),
    ]
    assert not notice.is_published
