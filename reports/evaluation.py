"""Team evaluation 团队考评: each team's indicators for a period and a weighted composite score."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext_lazy as _

from reports.analysis import Period, Row, by_team, by_town, rates_of
from reports.figures import HUNDREDTH, percent


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    weight: int
    definition: str


INDICATORS = [
    Indicator(
        "visit_rate",
        _("驻点到位率"),
        20,
        _("本期有驻点的周数 ÷ 本期周四数（因节假日改在同周其他日子驻点的计入）。"),
    ),
    Indicator("home_visit_rate", _("入户率"), 10, _("本期走访户数 ÷ 驻点村（社区）户数。")),
    Indicator(
        "collected",
        _("收集问题"),
        10,
        _("本期收集的问题数 ÷ 各团队中最多的收集数（折算为百分制）。"),
    ),
    Indicator("closure_rate", _("办结率（累计）"), 20, _("截至期末已办结 ÷ 截至期末收集。")),
    Indicator("on_time_rate", _("按期办结率"), 10, _("本期办结且有期限的问题中按期办结的比例。")),
    Indicator("feedback_rate", _("反馈率"), 10, _("本期办结的问题中截至期末已反馈的比例。")),
    Indicator("satisfaction_rate", _("满意率"), 10, _("本期回访中满意和基本满意的比例。")),
    Indicator(
        "spot_check_rate",
        _("督查抽查合格率"),
        10,
        _("本期收集的问题被抽查且已有结论的，结论为“记录属实”的比例。"),
    ),
]
DEFAULT_WEIGHTS = {indicator.key: indicator.weight for indicator in INDICATORS}
NAMES = {indicator.key: indicator.name for indicator in INDICATORS}


@dataclass
class Entry:
    rank: int
    row: Row
    values: dict
    score: Decimal | None

    @property
    def name(self) -> str:
        return self.row.name

    def as_json(self) -> dict:
        """What a published notice keeps of the ranking: team figures only, never a resident's."""
        return {
            "rank": self.rank,
            "team": self.name,
            "values": {k: None if v is None else str(v) for k, v in self.values.items()},
            "counts": {
                k: self.row.counts[k] for k in ("weeks_visited", "thursdays", "visited_households", "collected")
            },
            "score": None if self.score is None else str(self.score),
        }


def indicator_values(row: Row, most_collected: int) -> dict[str, Decimal | None]:
    rates = rates_of(row.counts)
    counts = row.counts
    return {
        "visit_rate": percent(counts["weeks_visited"], counts["thursdays"]),
        "home_visit_rate": rates["home_visit_rate"],
        "collected": percent(counts["collected"], most_collected),
        "closure_rate": rates["closure_rate"],
        "on_time_rate": rates["on_time_rate"],
        "feedback_rate": rates["feedback_rate"],
        "satisfaction_rate": rates["satisfaction_rate"],
        "spot_check_rate": percent(counts["checks_passed"], counts["checks"]),
    }


def composite(values: dict, weights: dict) -> Decimal | None:
    """The weighted mean of the indicators that have a value; an indicator without one (nothing to
    divide by) is left out and its weight shared among the others. Truncated to two decimals."""
    used = {key: weights.get(key, 0) for key, value in values.items() if value is not None and weights.get(key, 0)}
    total = sum(used.values())
    if not total:
        return None
    score = sum(Decimal(weight) * values[key] for key, weight in used.items()) / Decimal(total)
    return score.quantize(HUNDREDTH, rounding=ROUND_DOWN)


def rank_teams(period: Period, weights: dict | None = None, town=None) -> list[Entry]:
    """The teams (of TOWN; a ranking compares one town's teams) best first by composite score (no
    score last; ties by team number)."""
    return rank(by_team(period, town=town), weights, tie=lambda row: int(row.key))


def rank_towns(period: Period, weights: dict | None = None, rows: list[Row] | None = None) -> list[Entry]:
    """The county's towns best first, by the team ranking's indicators and weights (analysis.by_town
    gives a town the same counts as a team); ties by division code. ROWS: by_town's, if read already."""
    rows = [row for row in (rows if rows is not None else by_town(period)) if row.dim == "town"]
    order = {row.key: position for position, row in enumerate(rows)}  # towns come by division code
    return rank(rows, weights, tie=lambda row: order[row.key])


def rank(rows: list[Row], weights: dict | None, tie) -> list[Entry]:
    """ROWS best first by composite score (no score last; ties by TIE(row)), "collected" relative to
    the most any of them collected."""
    weights = weights or DEFAULT_WEIGHTS
    most = max((row.counts["collected"] for row in rows), default=0)
    entries = []
    for row in rows:
        values = indicator_values(row, most)
        entries.append(Entry(0, row, values, composite(values, weights)))
    entries.sort(key=lambda e: (e.score is None, -(e.score or 0), tie(e.row)))
    for position, entry in enumerate(entries, start=1):
        entry.rank = position
    return entries
