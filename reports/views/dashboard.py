"""The monthly analysis dashboard, the lists behind its figures, and its tables as xlsx."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from reports import analysis, behind, exports, tables
from reports.analysis import Period
from reports.evaluation import rank_teams
from reports.forms import AnalysisPeriodForm, FigureForm
from reports.links import FigureLinks
from reports.views.periods import opening_query
from teams.roles import OFFICE, SUPERVISOR, require_role

BREAKDOWNS = {"categories": analysis.by_category, "villages": analysis.by_village, "teams": analysis.by_team}


def analysis_context(period: Period, breakdowns=tuple(BREAKDOWNS), with_trend: bool = True) -> dict:
    """What the dashboard shows for PERIOD (the meeting pack: two of the BREAKDOWNS, no trend).
    The tables' cells and the trend's links are computed here, once, not by a tag per cell."""
    fine = analysis.count_fine(period)  # counted once, added up four ways
    links = FigureLinks(period)
    ctx = {
        "period": period,
        "headline": analysis.headline(period, fine),
        "rates": analysis.RATES,
        "counts": analysis.COUNT_DEFINITIONS,
        "figure_names": behind.FIGURE_NAMES,
        "columns": tables.COLUMNS,
        "first_column": tables.FIRST_COLUMN,
        "titles": tables.TITLES,
        "breakdowns": {},
    }
    for name in breakdowns:
        ctx[name] = BREAKDOWNS[name](period, fine)
        ctx["breakdowns"][name] = tables.breakdown_rows(name, ctx[name], links)
    if with_trend:
        ctx["trend"] = analysis.trend(period.end)
        ctx["trend_rows"] = tables.trend_rows(ctx["trend"])
    return ctx


def refused(form: Form) -> HttpResponse:
    """A file asked for with a wrong period: 400 and what is wrong (no page to show the form on)."""
    errors = "\n".join(str(e) for errors in form.errors.values() for e in errors)
    return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """/reports/: a month (or any range) for office staff and supervisors; without one, the opening
    month (reports/views/periods.py). A wrong query shows the last full month with the form's
    errors, as 400."""
    require_role(request.user, OFFICE, SUPERVISOR)
    query, older_month = opening_query(request.GET)
    form = AnalysisPeriodForm(query)
    period = form.analysis_period()
    ctx = {"form": form, "older_month": older_month, **analysis_context(period)}
    return render(request, "reports/dashboard.html", ctx, status=form.status())


@login_required
def figure_cases(request: HttpRequest) -> HttpResponse:
    """The cases (or feedback, or visits) counted in one figure: exactly the analysis's condition."""
    require_role(request.user, OFFICE, SUPERVISOR)
    form = FigureForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/figure_cases.html", {"form": form}, status=400)
    figure, period, dim, pk = form.selection()
    if figure in behind.FEEDBACK_FIGURES:
        kind = "feedback"
        rows = behind.feedback_behind(figure, period, dim, pk).select_related(
            "case__village", "case__team", "case__category"
        )
        rows = rows.order_by("given_on", "id")
    elif figure in behind.VISIT_FIGURES:
        kind = "visits"
        rows = behind.visits_behind(figure, period, dim, pk).select_related("team", "village").order_by("date", "id")
    else:
        kind = "cases"
        rows = behind.cases_behind(figure, period, dim, pk).select_related("village", "team", "category", "subcategory")
        rows = rows.order_by("raised_on", "number")
    page = Paginator(rows, settings.LIST_PAGE_SIZE).get_page(form.cleaned_data["page"] or 1)
    query = request.GET.copy()
    query.pop("page", None)
    ctx = {"form": form, "kind": kind, "page": page, "period": period, "querystring": query.urlencode()}
    ctx |= {"title": form.title(), "row_name": form.row_name()}
    return render(request, "reports/figure_cases.html", ctx)


@login_required
def export_table(request: HttpRequest, table: str) -> HttpResponse:
    """One dashboard table as an Excel workbook."""
    require_role(request.user, OFFICE, SUPERVISOR)
    if table not in exports.TABLES:
        raise Http404
    form = AnalysisPeriodForm(opening_query(request.GET)[0])
    if not form.is_valid():
        return refused(form)
    period = form.analysis_period()
    if table == "ranking":
        data = rank_teams(period)
    elif table == "headline":
        data = analysis.headline(period)
    elif table == "trend":
        data = analysis.trend(period.end)
    else:
        data = {"categories": analysis.by_category, "villages": analysis.by_village, "teams": analysis.by_team}[table](
            period
        )
    return exports.xlsx_response(table, period, data)
