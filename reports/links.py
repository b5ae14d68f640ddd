"""Where each figure's cases are listed.

A figure links to the case list (/cases/, the parameters of cases/filters.py) when that list can
show exactly the cases counted; otherwise — closed in a past period, open at a past date, the
unclassified — to /reports/cases/, which lists exactly the cases of reports.analysis's condition.
"""

import functools
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse
from django.utils import timezone

from reports.analysis import Period, Row

# Row.dim → the case list's parameter for it.
CASE_LIST_DIMS = {"category": "category", "subcategory": "subcategory", "village": "village", "team": "team"}


@functools.cache
def _path(name: str, prefix: str) -> str:
    """reverse(NAME) under the script PREFIX, once: a dashboard has some 600 links."""
    return reverse(name)


def _reverse(name: str) -> str:
    return _path(name, get_script_prefix())


def case_list_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return _reverse("cases:list") + (f"?{query}" if query else "")


def figure_url(figure: str, period: Period, row: Row | None = None) -> str:
    """The list of the cases behind FIGURE (a key of reports.analysis.case_filters, or "rated" /
    "satisfied" for feedback) for PERIOD, narrowed to ROW's category, village or team."""
    dim = {} if row is None or row.dim == "unclassified" else {CASE_LIST_DIMS[row.dim]: row.pk}
    exact = _case_list_params(figure, period)
    if exact is not None and not (row is not None and row.dim == "unclassified"):
        return case_list_url(**exact, **dim)
    params = {"figure": figure, "start": period.start.isoformat(), "end": period.end.isoformat()}
    if row is not None:
        params[row.dim] = row.pk if row.pk is not None else 1
    return _reverse("reports:cases") + "?" + urlencode(params)


def _case_list_params(figure: str, period: Period) -> dict | None:
    """The case list's parameters that select exactly FIGURE's cases, or None when none do."""
    running = period.end >= timezone.localdate()  # "now" and "at the end" are the same day
    start, end = period.start.isoformat(), period.end.isoformat()
    if figure == "collected":
        return {"raised_from": start, "raised_to": end}
    if figure == "raised_to_date":
        return {"raised_to": end}
    if running and figure == "open_at_end":
        return {"status": "open", "raised_to": end}
    if running and figure == "overdue":
        return {"overdue": "on", "raised_to": end}
    return None
