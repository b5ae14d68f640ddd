"""The dashboard's tables, column by column: one definition for the page, the pack and the xlsx."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from reports.analysis import Row


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

FIRST_COLUMN = {"categories": _("类别"), "villages": _("村（社区）"), "teams": _("驻点团队")}
TITLES = {
    "headline": _("主要数字"),
    "categories": _("按问题类别"),
    "villages": _("按村（社区）"),
    "teams": _("按驻点团队"),
    "trend": _("逐月走势"),
    "ranking": _("团队考评排名"),
}
