"""The dashboard's tables, column by column: one definition for the page, the pack and the xlsx."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.analysis import Month, Row
from reports.links import FigureLinks


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # "count" (a figure with its list of cases), "rate", "share" or "plain"

    def value(self, row: Row):
        if self.kind == "rate":
            return row.rates[self.key]
        if self.kind == "share":
            return row.share
        return row.counts.get(self.key, 0)


COLLECTED = Column("collected", _("本期收集"), "count")
SHARE = Column("share", _("占比"), "share")
CLOSED = Column("collected_closed", _("其中已办结"), "count")
CLOSURE = Column("closure_rate_period", _("办结率（本期）"), "rate")
SOLVED = Column("solved_rate", _("解决率"), "rate")
OPEN = Column("open_at_end", _("期末未办结"), "count")
OVERDUE = Column("overdue", _("逾期"), "count")

COLUMNS = {
    "categories": [COLLECTED, SHARE, CLOSED, CLOSURE, SOLVED, OPEN, OVERDUE],
    "villages": [
        COLLECTED,
        CLOSED,
        CLOSURE,
        OPEN,
        OVERDUE,
        Column("visited_households", _("走访户数"), "count"),
        Column("households", _("户数"), "plain"),
        Column("home_visit_rate", _("入户率"), "rate"),
    ],
    # The county's towns side by side: the rates of a town's headline, by the same definitions.
    "towns": [
        COLLECTED,
        CLOSED,
        CLOSURE,
        Column("closure_rate", _("办结率（累计）"), "rate"),
        SOLVED,
        Column("on_time_rate", _("按期办结率"), "rate"),
        Column("feedback_rate", _("反馈率"), "rate"),
        Column("satisfaction_rate", _("满意率"), "rate"),
        Column("home_visit_rate", _("入户率"), "rate"),
        OPEN,
        OVERDUE,
    ],
    "teams": [
        Column("weeks_visited", _("驻点周数"), "count"),
        Column("thursdays", _("周四数"), "plain"),
        Column("visited_households", _("走访户数"), "count"),
        COLLECTED,
        CLOSED,
        CLOSURE,
        Column("closure_rate", _("办结率（累计）"), "rate"),
        Column("on_time_rate", _("按期办结率"), "rate"),
        Column("feedback_rate", _("反馈率"), "rate"),
        Column("satisfaction_rate", _("满意率"), "rate"),
        OPEN,
        OVERDUE,
    ],
}

FIRST_COLUMN = {"categories": _("类别"), "villages": _("村（社区）"), "teams": _("驻点团队"), "towns": _("镇（街道）")}
TITLES = {
    "headline": _("主要数字"),
    "categories": _("按问题类别"),
    "villages": _("按村（社区）"),
    "teams": _("按驻点团队"),
    "towns": _("各镇（街道）对比"),
    "trend": _("逐月走势"),
    "ranking": _("团队考评排名"),
}


def pct(value) -> str:
    """A rate as the report writes it: "54.92%", or "—" when there was nothing to divide by."""
    return "—" if value is None else f"{value:.2f}%"


def cell(column: Column, row: Row, links: FigureLinks) -> tuple[str, str]:
    """What one cell shows and where it links ("" for no link). Numbers are written with str():
    what the template's localisation gives without a thousands separator, for a fraction of its cost."""
    value = column.value(row)
    if column.kind == "count":
        return str(value), links.url(column.key, row)
    if column.kind == "plain":
        return ("—" if value is None else str(value)), ""
    return pct(value), ""


def breakdown_rows(table: str, rows: list[Row], links: FigureLinks) -> list[tuple[str, str, list]]:
    """TABLE's rows as the page draws them: the row's class, its name and its cells, computed here
    once (a dashboard has some 600 cells) instead of through a template tag per cell."""
    columns = COLUMNS[table]
    return [("sub" if row.level else "top", row.name, [cell(column, row, links) for column in columns]) for row in rows]


def trend_rows(months: list[Month]) -> list[dict]:
    """The trend's months with their figures as text and their links, shared by its table and chart."""
    rows, today = [], timezone.localdate()
    for month in months:
        month_links = FigureLinks(month.period, today)
        rows.append(
            {
                "month": month,
                "name": month.name,
                "collected": str(month.collected),
                "collected_url": month_links.url("collected"),
                "closed": str(month.closed),
                "closed_url": month_links.url("closed"),
                "raised_to_date": str(month.raised_to_date),
                "raised_to_date_url": month_links.url("raised_to_date"),
                "closed_to_date": str(month.closed_to_date),
                "closed_to_date_url": month_links.url("closed_to_date"),
                "closure_rate": pct(month.closure_rate),
            }
        )
    return rows
