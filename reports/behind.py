"""The cases (or feedback, or visits) behind each figure of reports.analysis, and the cases the
monthly meeting must decide on: the same conditions that count them, used to list them."""

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, F, Q, Value, When
from django.db.models import Case as Choose
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Feedback
from reports.analysis import COUNT_DEFINITIONS, GOOD, Period, case_filters, not_of_voided_cases, week_range
from teams.models import Visit

FEEDBACK_FIGURES = ("rated", "satisfied")
VISIT_FIGURES = ("visited_households", "visits", "weeks_visited")
DIMS = ("category", "subcategory", "unclassified", "village", "team")


def _dim_q(dim: str | None, pk: int | None, prefix: str = "") -> Q:
    if dim is None:
        return Q()
    if dim == "unclassified":
        return Q(**{f"{prefix}category__isnull": True})
    return Q(**{f"{prefix}{dim}_id": pk})


def cases_behind(figure: str, p: Period, dim: str | None = None, pk: int | None = None):
    """The cases counted in FIGURE (a key of case_filters) for P, narrowed to one row's DIM."""
    return Case.objects.filter(case_filters(p)[figure] & _dim_q(dim, pk))


def feedback_behind(figure: str, p: Period, dim: str | None = None, pk: int | None = None):
    given = Q(given_on__gte=p.start, given_on__lte=p.end) & not_of_voided_cases() & ~Q(satisfaction="")
    if figure == "satisfied":
        given &= Q(satisfaction__in=GOOD)
    return Feedback.objects.filter(given & _dim_q(dim, pk, "case__"))


def visits_behind(figure: str, p: Period, dim: str | None = None, pk: int | None = None):
    if dim not in (None, "village", "team"):
        return Visit.objects.none()
    days = week_range(p) if figure == "weeks_visited" else p
    if days is None:
        return Visit.objects.none()
    return Visit.objects.filter(Q(date__gte=days.start, date__lte=days.end) & _dim_q(dim, pk))


FIGURE_NAMES = {
    **{key: name for key, name, _d in COUNT_DEFINITIONS},
    "collected_closed": _("本期收集、截至期末已办结"),
    "collected_solved": _("本期收集、截至期末已解决（含现场解决）"),
    "closed_with_due": _("本期办结、有办理期限"),
    "closed_on_time": _("本期按期办结"),
    "closed_fed_back": _("本期办结、截至期末已反馈"),
    "raised_to_date": _("截至期末累计收集"),
    "closed_to_date": _("截至期末累计办结"),
    "fed_back_to_date": _("截至期末已向反映人反馈"),
    "rated": _("本期有满意度评价的回访"),
    "satisfied": _("本期评价满意或基本满意的回访"),
    "visited_households": _("本期驻点走访"),
    "weeks_visited": _("本期驻点（按周）"),
}


def _decision_conditions(p: Period) -> dict[str, Q]:
    """Why a case needs the meeting's decision: not yet triaged, overdue at the end of P, or a plan
    falling due before the end of the next month (on cases annotated with plan_date)."""
    filters = case_filters(p)
    horizon = Period.month(p.end.year, p.end.month)
    horizon = (horizon.end + datetime.timedelta(days=1)).replace(day=1)
    horizon = Period.month(horizon.year, horizon.month).end
    return {
        "is_new": filters["raised_to_date"] & Q(status=Case.Status.REGISTERED),
        "is_overdue": filters["overdue"],
        "is_plan_due": filters["open_at_end"] & Q(decision=Case.Decision.PLAN, plan_date__lte=horizon),
    }


def _deciding(p: Period):
    """The cases needing a decision, unordered. Each reason needs a case open at the end of P: open
    now, or closed after the end; saying so lets the indexes on status and closed_on find them."""
    why = _decision_conditions(p)
    still_open = Q(status__in=[Case.Status.REGISTERED, Case.Status.IN_PROGRESS]) | Q(closed_on__gt=p.end)
    return (
        Case.objects.annotate(plan_date=Coalesce("planned_on", "due_on"))
        .filter(still_open)
        .filter(why["is_new"] | why["is_overdue"] | why["is_plan_due"])
    )


def needing_decision(p: Period):
    """The cases the monthly meeting must decide on, each flagged with why: not yet triaged,
    overdue at the end of P, or a plan falling due before the end of the next month. One query."""
    flags = {name: _flag(q) for name, q in _decision_conditions(p).items()}
    return (
        _deciding(p)
        .annotate(**flags)
        .select_related("team", "village", "category", "subcategory", "responsible")
        .order_by(F("team__number").asc(nulls_last=True), "raised_on", "number")
    )


# A meeting gets through a few dozen cases a team; a backlog of thousands is counted, not printed.
DECISIONS_LISTED = 50


@dataclass
class Decisions:
    """One team's cases needing a decision: how many, why, and the oldest DECISIONS_LISTED of them."""

    team: object  # teams.models.Team, or None for cases without a team
    total: int
    new: int
    overdue: int
    plan_due: int
    cases: list
    listed: int = DECISIONS_LISTED

    @property
    def unlisted(self) -> int:
        return self.total - len(self.cases)

    def unlisted_note(self) -> str:
        """What the pack says above a team's list when it does not list every case."""
        return _(
            "以下只列最早反映的%(listed)d个，另有%(n)d个未列出。全队共%(total)d个：尚未分办%(new)d个、"
            "逾期%(overdue)d个、实施方案将到期%(plan)d个（一个问题可有几项原因）。"
        ) % {
            "listed": self.listed,
            "n": self.unlisted,
            "total": self.total,
            "new": self.new,
            "overdue": self.overdue,
            "plan": self.plan_due,
        }


def _flag(condition: Q):
    """True or False for each row (a bare condition would be NULL where a date is empty)."""
    return Choose(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())
