"""A small ledger whose every figure for January 2015 is worked out by hand in the tests.

Two teams: A (team 1, village of 100 households) and B (team 2, 200 households). Categories
C1 (sub-categories S1, S2) and C2 (S3). Ten cases: three raised in December 2014, seven in
January 2015 (see LEDGER below), five feedback rows, six visits, three spot checks.
"""

import datetime
from types import SimpleNamespace

import pytest

from cases.models import Case
from cases.tests.factories import CaseFactory, CategoryFactory, FeedbackFactory, SubCategoryFactory
from reports.tests.factories import SpotCheckDrawFactory, SpotCheckFactory
from teams.tests.factories import TeamFactory, VisitFactory
from villages.tests.factories import VillageFactory

D = datetime.date
CLOSED, OPEN, NEW = Case.Status.CLOSED, Case.Status.IN_PROGRESS, Case.Status.REGISTERED
SOLVED, SPOT, EXPLAINED = Case.Closure.SOLVED, Case.Closure.ON_THE_SPOT, Case.Closure.EXPLAINED

# name: (number, raised, team, sub-category or category, status, closure, closed, due, fed back)
LEDGER = {
    "d1": (
        "SH-2014-0001",
        D(2014, 12, 4),
        "A",
        "S1",
        CLOSED,
        SOLVED,
        D(2014, 12, 20),
        D(2014, 12, 25),
        D(2014, 12, 22),
    ),
    "d2": ("SH-2014-0002", D(2014, 12, 11), "B", "S3", OPEN, "", None, D(2014, 12, 31), None),
    "d3": (
        "SH-2014-0003",
        D(2014, 12, 18),
        "A",
        "S2",
        CLOSED,
        EXPLAINED,
        D(2015, 1, 10),
        D(2015, 1, 5),
        D(2015, 1, 12),
    ),
    "j1": ("SH-2015-0001", D(2015, 1, 8), "A", "S1", CLOSED, SPOT, D(2015, 1, 8), None, D(2015, 1, 8)),
    "j2": ("SH-2015-0002", D(2015, 1, 8), "A", "S2", CLOSED, SOLVED, D(2015, 1, 20), D(2015, 1, 25), None),
    "j3": ("SH-2015-0003", D(2015, 1, 15), "B", "S3", CLOSED, EXPLAINED, D(2015, 1, 28), D(2015, 1, 20), D(2015, 2, 3)),
    "j4": ("SH-2015-0004", D(2015, 1, 15), "B", None, NEW, "", None, None, None),
    "j5": ("SH-2015-0005", D(2015, 1, 22), "A", "S1", OPEN, "", None, D(2015, 1, 29), None),
    "j6": ("SH-2015-0006", D(2015, 1, 29), "B", "C2", OPEN, "", None, D(2015, 3, 1), None),
    "j7": ("SH-2015-0007", D(2015, 1, 29), "A", "S1", CLOSED, SOLVED, D(2015, 2, 5), D(2015, 2, 10), None),
}


@pytest.fixture
def ledger(db):
    a = TeamFactory(number=91, name="第1驻点团队", village=VillageFactory(short_name="甲村", households=100))
    b = TeamFactory(number=92, name="第2驻点团队", village=VillageFactory(short_name="乙村", households=200))
    teams = {"A": a, "B": b}
    c1 = CategoryFactory(code="01", label="民生保障", order=1)
    c2 = CategoryFactory(code="02", label="农田水利建设", order=2)
    subs = {
        "S1": SubCategoryFactory(category=c1, code="0101", label="低保", order=1),
        "S2": SubCategoryFactory(category=c1, code="0102", label="就医难", order=2),
        "S3": SubCategoryFactory(category=c2, code="0201", label="水渠", order=1),
    }
    cases = {}
    for key, (number, raised, team, kind, status, closure, closed, due, fed) in LEDGER.items():
        sub = subs.get(kind)
        category = sub.category if sub else {"C2": c2}.get(kind)
        cases[key] = CaseFactory(
            number=number,
            raised_on=raised,
            team=teams[team],
            category=category,
            subcategory=sub,
            status=status,
            closure=closure,
            closed_on=closed,
            result="已办结" if status == CLOSED else "",
            due_on=due,
            fed_back_on=fed,
            decision=Case.Decision.PLAN if key == "j6" else "",
            planned_on=D(2015, 2, 20) if key == "j6" else None,
        )
    S = SimpleNamespace
    fb = FeedbackFactory
    fb(case=cases["d3"], given_on=D(2015, 1, 12), satisfaction="satisfied")
    fb(case=cases["j1"], given_on=D(2015, 1, 8), satisfaction="basically")
    fb(case=cases["d1"], given_on=D(2015, 1, 15), satisfaction="unsatisfied")
    fb(case=cases["j5"], given_on=D(2015, 1, 23), satisfaction="")
    fb(case=cases["d1"], given_on=D(2014, 12, 22), satisfaction="satisfied")
    for team, day, households, reason in [
        (a, D(2015, 1, 8), 30, ""),
        (a, D(2015, 1, 15), 40, ""),
        (a, D(2014, 12, 31), 20, "元旦放假，改为周三驻点"),
        (b, D(2015, 1, 8), 50, ""),
        (b, D(2015, 1, 22), 60, ""),
        (b, D(2014, 12, 4), 10, ""),
    ]:
        VisitFactory(team=team, date=day, households_visited=households, off_day_reason=reason)
    draw = SpotCheckDrawFactory()
    SpotCheckFactory(draw=draw, case=cases["j1"], done=True)
    SpotCheckFactory(draw=draw, case=cases["j2"], done=True, finding="false", method="revisit")
    SpotCheckFactory(draw=draw, case=cases["j3"], done=True)
    return S(teams=teams, cases=cases, categories=(c1, c2), subs=subs, draw=draw)
