"""Every count and rate of the analysis on the small ledger of conftest.py, worked out by hand."""

import datetime
from decimal import Decimal

import pytest

from reports.analysis import Period, by_category, by_team, by_village, headline, ledger_as_of, trend
from reports.behind import cases_behind, feedback_behind, needing_decision, visits_behind

JANUARY = Period.month(2015, 1)


def numbers(cases) -> list[str]:
    return sorted(cases.values_list("number", flat=True))


def test_period_month_previous_and_thursdays():
    assert JANUARY == Period(datetime.date(2015, 1, 1), datetime.date(2015, 1, 31))
    assert JANUARY.previous() == Period(datetime.date(2014, 12, 1), datetime.date(2014, 12, 31))
    assert Period.month(2015, 3).previous() == Period(datetime.date(2015, 2, 1), datetime.date(2015, 2, 28))
    # Not a month: the same number of days just before.
    assert Period(datetime.date(2015, 1, 10), datetime.date(2015, 1, 19)).previous() == Period(
        datetime.date(2014, 12, 31), datetime.date(2015, 1, 9)
    )
    assert [d.day for d in JANUARY.thursdays()] == [1, 8, 15, 22, 29]
    assert Period.last_full_month(datetime.date(2015, 2, 2)) == JANUARY
    assert str(JANUARY.label()) == "2015年1月"


def test_headline_counts_by_hand(ledger):
    h = headline(JANUARY)
    # collected: j1–j7; closed in January: d3, j1, j2, j3; open on 31 January: d2, j4, j5, j6, and
    # j7 (closed only on 5 February); overdue: d2 (due 31 Dec), j5 (due 29 Jan); on the spot: j1.
    assert [(f.key, f.value, f.previous, f.change) for f in h.figures[:5]] == [
        ("collected", 7, 3, 4),
        ("closed", 4, 1, 3),
        ("open_at_end", 5, 2, 3),
        ("overdue", 2, 0, 2),
        ("on_the_spot", 1, 0, 1),
    ]


def test_headline_rates_by_hand(ledger):
    h = headline(JANUARY)
    rates = {f.key: (f.value, f.part, f.whole, f.previous) for f in h.figures if f.is_rate}
    assert rates == {
        # d1, d3, j1, j2, j3 closed by 31 Jan of 10 raised; December: d1 of d1–d3.
        "closure_rate": (Decimal("50.00"), 5, 10, Decimal("33.33")),
        # Of j1–j7, j1 j2 j3 closed by the end: 3/7 = 42.857…; December: d1 of 3.
        "closure_rate_period": (Decimal("42.85"), 3, 7, Decimal("33.33")),
        # Solved (j1 on the spot, j2), not explained (j3): 2/7 = 28.571…
        "solved_rate": (Decimal("28.57"), 2, 7, Decimal("33.33")),
        # Closed in January with a due date: d3 (late), j2 (on time), j3 (late); j1 has none.
        "on_time_rate": (Decimal("33.33"), 1, 3, Decimal("100.00")),
        # Closed in January and told by the 31st: d3, j1 (j2 never, j3 on 3 February).
        "feedback_rate": (Decimal("50.00"), 2, 4, Decimal("100.00")),
        # Rated in January: satisfied, basically, unsatisfied (the unrated row does not count).
        "satisfaction_rate": (Decimal("66.66"), 2, 3, Decimal("100.00")),
        # Households visited on visits dated in January: 30 + 40 + 50 + 60, of 100 + 200.
        "home_visit_rate": (Decimal("60.00"), 180, 300, Decimal("10.00")),
    }
    assert next(f for f in h.figures if f.key == "closure_rate").change == Decimal("16.67")


def test_no_cases_no_division_error(db):
    h = headline(JANUARY)
    assert [f.value for f in h.figures] == [0, 0, 0, 0, 0, None, None, None, None, None, None, None]
    assert [f.change for f in h.figures if f.is_rate] == [None] * 7


def test_by_category_counts_and_shares(ledger):
    rows = by_category(JANUARY)
    assert [(r.dim, r.name, r.count, r.share) for r in rows] == [
        ("category", "民生保障", 4, Decimal("57.14")),
        ("subcategory", "低保", 3, Decimal("42.85")),
        ("subcategory", "就医难", 1, Decimal("14.28")),
        ("category", "农田水利建设", 2, Decimal("28.57")),  # j3 (水渠) and j6 (category only)
        ("subcategory", "水渠", 1, Decimal("14.28")),
        ("unclassified", "未分类", 1, Decimal("14.28")),
    ]
    assert [r.rates["closure_rate_period"] for r in rows] == [
        Decimal("50.00"),  # j1, j2 of j1 j2 j5 j7
        Decimal("33.33"),
        Decimal("100.00"),
        Decimal("50.00"),  # j3 of j3, j6
        Decimal("100.00"),
        Decimal("0.00"),
    ]


def test_by_village_and_team(ledger):
    villages = by_village(JANUARY)
    assert [(r.name, r.count, r.counts["visited_households"], r.rates["home_visit_rate"]) for r in villages] == [
        ("甲村", 4, 70, Decimal("70.00")),
        ("乙村", 3, 110, Decimal("55.00")),
    ]
    teams = by_team(JANUARY)
    a, b = teams
    # A's weeks: 31 Dec (the week of Thursday 1 Jan, with a reason), 8 and 15 Jan; B's: 8 and 22 Jan.
    assert [(t.counts["weeks_visited"], t.counts["thursdays"]) for t in teams] == [(3, 5), (2, 5)]
    assert a.rates["closure_rate"] == Decimal("66.66")  # d1 d3 j1 j2 of d1 d3 j1 j2 j5 j7
    assert b.rates["closure_rate"] == Decimal("25.00")  # j3 of d2 j3 j4 j6
    assert (a.rates["on_time_rate"], b.rates["on_time_rate"]) == (Decimal("50.00"), Decimal("0.00"))
    assert (a.rates["feedback_rate"], b.rates["feedback_rate"]) == (Decimal("66.66"), Decimal("0.00"))
    assert (a.rates["satisfaction_rate"], b.rates["satisfaction_rate"]) == (Decimal("66.66"), None)
    assert [(t.counts["checks"], t.counts["checks_passed"]) for t in teams] == [(2, 1), (1, 1)]


def test_trend_since_the_programme_began(ledger, settings):
    settings.PROGRAMME_START = datetime.date(2014, 11, 1)
    months = trend(JANUARY.end)
    assert [(m.name, m.collected, m.closed, m.raised_to_date, m.closed_to_date, m.closure_rate) for m in months] == [
        ("2014-11", 0, 0, 0, 0, None),
        ("2014-12", 3, 1, 3, 1, Decimal("33.33")),
        ("2015-01", 7, 4, 10, 5, Decimal("50.00")),  # j7's closing in February is not counted
    ]


def test_ledger_as_of_a_day(ledger):
    counts = ledger_as_of(datetime.date(2015, 1, 10))["counts"]
    # Raised by 10 Jan: d1 d2 d3 j1 j2; closed by then: d1, d3 (10 Jan), j1; told: d1, j1.
    assert (counts["raised_to_date"], counts["closed_to_date"], counts["fed_back_to_date"]) == (5, 3, 2)


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        (
            "collected",
            [
                "SH-2015-0001",
                "SH-2015-0002",
                "SH-2015-0003",
                "SH-2015-0004",
                "SH-2015-0005",
                "SH-2015-0006",
                "SH-2015-0007",
            ],
        ),
        ("closed", ["SH-2014-0003", "SH-2015-0001", "SH-2015-0002", "SH-2015-0003"]),
        ("open_at_end", ["SH-2014-0002", "SH-2015-0004", "SH-2015-0005", "SH-2015-0006", "SH-2015-0007"]),
        ("overdue", ["SH-2014-0002", "SH-2015-0005"]),
        ("closed_on_time", ["SH-2015-0002"]),
    ],
)
def test_the_cases_behind_each_figure_are_the_ones_counted(ledger, figure, expected):
    assert numbers(cases_behind(figure, JANUARY)) == expected


def test_lists_behind_narrow_to_a_row(ledger):
    a = ledger.teams["A"]
    assert numbers(cases_behind("collected", JANUARY, "team", a.pk)) == [
        "SH-2015-0001",
        "SH-2015-0002",
        "SH-2015-0005",
        "SH-2015-0007",
    ]
    assert numbers(cases_behind("collected", JANUARY, "unclassified")) == ["SH-2015-0004"]
    assert feedback_behind("satisfied", JANUARY).count() == 2
    assert feedback_behind("rated", JANUARY, "team", a.pk).count() == 3
    assert sorted(v.households_visited for v in visits_behind("weeks_visited", JANUARY, "team", a.pk)) == [20, 30, 40]


def test_needing_decision_flags_why(ledger):
    rows = [(c.number, c.team.name, c.is_new, c.is_overdue, c.is_plan_due) for c in needing_decision(JANUARY)]
    assert rows == [
        ("SH-2015-0005", "第1驻点团队", False, True, False),
        ("SH-2014-0002", "第2驻点团队", False, True, False),
        ("SH-2015-0004", "第2驻点团队", True, False, False),
        ("SH-2015-0006", "第2驻点团队", False, False, True),  # plan due 20 Feb, before the end of February
    ]
