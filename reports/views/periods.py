"""The month a report page opens on when none is asked for: one rule for the dashboard, the
meeting pack, the spot checks and the team ranking."""

import datetime

from django.http import QueryDict
from django.utils import timezone

from reports.analysis import Period

PERIOD_FIELDS = ("month", "start", "end")


def opening_query(query: QueryDict) -> tuple[QueryDict, Period | None]:
    """QUERY with the opening month filled in when it asks for no month or range, so that the form
    reads it and the month picker shows it; and that month when it is older than the last full month
    (the page then says why it shows an older month), else None."""
    if any(query.get(name) for name in PERIOD_FIELDS):
        return query, None
    month = Period.opening_month()
    query = query.copy()
    query["month"] = month.start.strftime("%Y-%m")
    last_full = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    return query, (month if month.start < last_full else None)
