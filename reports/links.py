"""Where each figure's cases are listed.

A figure links to the case list (/cases/, the parameters of cases/filters.py) when that list can
show exactly the cases counted; otherwise — closed in a past period, open at a past date, the
unclassified — to /reports/cases/, which lists exactly the cases of reports.analysis's condition.

A dashboard has over a thousand such links (the trend alone has six a month since 2014): each
figure's address for a period is built once, and a row only adds its own parameter to it.
"""

import datetime
import functools
from urllib.parse import quote, quote_plus, urlencode

from django.urls import get_script_prefix, reverse
from django.utils import timezone

from reports.analysis import Period, Row

# Row.dim → the case list's parameter for it.
CASE_LIST_DIMS = {
    "category": "category",
    "subcategory": "subcategory",
    "village": "village",
    "team": "team",
    "town": "town",  # by the town's short code (Row.pk of a town's row)
}


@functools.cache
def _path(name: str, prefix: str) -> str:
    """reverse(NAME) under the script PREFIX, once."""
    return reverse(name)


def _reverse(name: str) -> str:
    return _path(name, get_script_prefix())


def case_list_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return _reverse("cases:list") + (f"?{query}" if query else "")


@functools.cache
def _case_path(prefix: str) -> tuple[str, str]:
    before, _marker, after = reverse("cases:detail", args=["NUMBER"]).partition("NUMBER")
    return before, after


def case_url(number: str) -> str:
    """reverse("cases:detail", args=[NUMBER]) without resolving it again for each of a list's rows."""
    before, after = _case_path(get_script_prefix())
    return before + quote(number, safe="!$&'()*+,;=/~:@") + after


def figure_url(figure: str, period: Period, row: Row | None = None) -> str:
    """The list of the cases behind FIGURE (a key of reports.analysis.case_filters, or "rated" /
    "satisfied" for feedback) for PERIOD, narrowed to ROW's category, village or team."""
    return FigureLinks(period).url(figure, row)


class FigureLinks:
    """figure_url for one PERIOD, each figure's address built once: the same links, for pages
    that have hundreds of them. TODAY decides whether the period is still running (then "now"
    and "at the end" are the same day, and the case list can show more figures exactly)."""

    def __init__(self, period: Period, today: datetime.date | None = None):
        self.period = period
        self.running = period.end >= (today or timezone.localdate())
        self.prefix = get_script_prefix()

    def url(self, figure: str, row: Row | None = None) -> str:
        base, exact = _base(figure, self.period, self.running, self.prefix)
        if row is None or row.dim == "county":
            return base
        if row.dim == "unclassified":
            # The case list cannot select "no category": the analysis's own list, exact as ever.
            base, _exact = _base(figure, self.period, self.running, self.prefix, listed=True)
            return f"{base}&unclassified={_quoted(row.pk if row.pk is not None else 1)}"
        if exact:
            if row.pk in (None, ""):
                return base
            return f"{base}{'&' if '?' in base else '?'}{CASE_LIST_DIMS[row.dim]}={_quoted(row.pk)}"
        return f"{base}&{row.dim}={_quoted(row.pk if row.pk is not None else 1)}"


def _quoted(value) -> str:
    """VALUE as urlencode writes it (a primary key's digits as they are)."""
    return str(value) if isinstance(value, int) else quote_plus(str(value))


@functools.lru_cache(maxsize=1024)
def _base(figure: str, period: Period, running: bool, prefix: str, listed: bool = False) -> tuple[str, bool]:
    """FIGURE's address for PERIOD without a row, and whether it is the case list's (exact): the
    case list where its parameters select exactly the figure's cases, else /reports/cases/ (always
    when LISTED)."""
    exact = None if listed else _case_list_params(figure, period, running)
    if exact is not None:
        return _path("cases:list", prefix) + (f"?{urlencode(exact)}" if exact else ""), True
    params = {"figure": figure, "start": period.start.isoformat(), "end": period.end.isoformat()}
    return _path("reports:cases", prefix) + "?" + urlencode(params), False


def _case_list_params(figure: str, period: Period, running: bool) -> dict | None:
    """The case list's parameters that select exactly FIGURE's cases, or None when none do.
    RUNNING: "now" and "at the end" are the same day."""
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
