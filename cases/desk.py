"""The figures at the top of the home pages (the office's triage queue, a cadre's "my team"), at a cost
that does not grow with the ledger.

Totals come from the tally (cases.models.CaseTally, kept by triggers on cases_case): every case counts
once in its `raised` column, once more in `raised_closed` when closed, in `closed` when closed and in
`fed_back` when it carries a feedback date, whatever its month. What the tally cannot know (today's
date, a feedback date on an open case) is counted live on the open cases, from partial indexes
(cases.models.Case.Meta.indexes) that hold only the small sets read. One statement carries them all.
"""

import datetime

from django.db.models import Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from cases.models import Case, CaseTally
from teams.models import Team


def count_of(cases: QuerySet) -> Subquery:
    """COUNT(*) of CASES as a scalar subquery, so that it rides in the statement of the tally's sums;
    COUNT(*) (not COUNT(id)) lets the database answer from the index alone."""
    return Subquery(cases.order_by().values(n=Func(template="COUNT(*)", output_field=IntegerField())))


def _total(column: str) -> Coalesce:
    return Coalesce(Sum(column), 0)


# What case_counts counts.
COUNTS = ("open", "overdue", "awaiting_feedback")


def case_counts(today: datetime.date, team: Team | None = None, town=None) -> dict[str, int]:
    """Open, overdue and closed-awaiting-feedback cases: the team's, or without TEAM the whole TOWN's."""
    tally, cases = CaseTally.objects.all(), Case.objects.open()
    if team is not None:
        tally, cases = tally.filter(team_id=team.pk), cases.filter(team=team)
    elif town is not None:
        tally, cases = tally.filter(town_id=town.pk), cases.filter(town=town)
    is_open = _total("raised") - _total("raised_closed")
    # Overdue = open minus the open ones not yet due (or with no due date): the active work, not history.
    not_yet_due = count_of(cases.filter(due_on__gte=today)) + count_of(cases.filter(due_on__isnull=True))
    # `fed_back` counts every case with a feedback date; the few open ones among them are not closed ones.
    closed_fed_back = _total("fed_back") - count_of(cases.filter(fed_back_on__isnull=False))
    return tally.aggregate(
        open=is_open,
        overdue=is_open - not_yet_due,
        awaiting_feedback=_total("closed") - closed_fed_back,
    )


def registered(cases: QuerySet) -> QuerySet:
    """The registered cases awaiting the monthly meeting, oldest first (cases_case_registered_raised)."""
    return cases.filter(status=Case.Status.REGISTERED).order_by("raised_on", "number")


def overdue(cases: QuerySet, today: datetime.date) -> QuerySet:
    """Open cases past their due date, the longest overdue first (cases_case_open_due / _open_team_due)."""
    return cases.overdue(today).order_by("due_on", "number")


def awaiting_feedback(cases: QuerySet) -> QuerySet:
    """Closed cases whose resident has not been told, the longest waiting first (cases_case_awaiting_closed_on)."""
    return cases.awaiting_feedback().order_by("closed_on", "number")


def open_newest_first(cases: QuerySet) -> QuerySet:
    """A team's open cases, newest first (reports_case_open_team_raised, backwards)."""
    return cases.open().order_by("-raised_on", "-number")


def not_overdue_newest_first(cases: QuerySet, today: datetime.date) -> QuerySet:
    """A team's open cases not yet overdue (due today or later, or without a due date), newest first:
    "my team" lists the overdue ones above and must not list them twice. The same index as
    open_newest_first; the due date is read from it too (PostgreSQL INCLUDEs it)."""
    return open_newest_first(cases).filter(Q(due_on__gte=today) | Q(due_on__isnull=True))


def team_visits_newest_first(team: Team) -> QuerySet:
    """The team's visits, newest first, each with its number of cases counted for that visit alone
    (a GROUP BY over all the team's visits and their cases would read every case of the team)."""
    n_cases = count_of(Case.objects.filter(visit=OuterRef("pk")))
    return team.visits.select_related("village").annotate(n_cases=n_cases).order_by("-date", "-pk")


def awaiting_signing(cases: QuerySet) -> QuerySet:
    """The 12345 work orders not yet signed for 签收 (cases/hotline.py), the earliest deadline first, so
    the overdue ones lead (cases_case_hotline_unsigned)."""
    unsigned = cases.filter(channel=Case.Channel.HOTLINE, hotline_signed_at__isnull=True, hotline_sign_by__isnull=False)
    return unsigned.exclude(hotline_number="").exclude(status=Case.Status.CLOSED).order_by("hotline_sign_by", "number")


def signing_rows(cases, now: datetime.datetime) -> list[dict]:
    """Each work order with whether its deadline has passed and the time left (or past), in words."""
    rows = []
    for case in cases:
        left = case.hotline_sign_by - now
        overdue = left.total_seconds() < 0
        rows.append({"case": case, "overdue": overdue, "left": _time_left(abs(left), overdue)})
    return rows


def _time_left(span: datetime.timedelta, overdue: bool) -> str:
    minutes = int(span.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        amount = _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
    else:
        amount = _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
    return (_("已超时 %(amount)s") if overdue else _("剩余 %(amount)s")) % {"amount": amount}
