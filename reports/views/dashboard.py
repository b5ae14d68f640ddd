"""The monthly analysis dashboard, the lists behind its figures, and its tables as xlsx."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from reports import analysis, behind, exports, tables
from reports.analysis import Period
from reports.evaluation import INDICATORS, rank_teams, rank_towns
from reports.forms import AnalysisPeriodForm, FigureForm
from reports.links import FigureLinks
from reports.views.periods import opening_query
from teams.roles import COUNTY_SUPERVISOR, OFFICE, SUPERVISOR, chosen_town, is_county, require_role

# Who reads the figures: a town's office and supervisors (their town's), the county's supervisor
# (any town's, or the county's).
READERS = (OFFICE, SUPERVISOR, COUNTY_SUPERVISOR)

BREAKDOWNS = {
    "categories": analysis.by_category,
    "villages": analysis.by_village,
    "teams": analysis.by_team,
    "towns": analysis.by_town,  # the county's: its towns side by side (the county page, its pack)
}
DASHBOARD_TABLES = ("categories", "villages", "teams")


def analysis_context(period: Period, breakdowns=DASHBOARD_TABLES, with_trend: bool = True, town=None) -> dict:
    """What the dashboard shows for PERIOD (the meeting pack: two of the BREAKDOWNS, no trend), of
    TOWN or, without one, of the whole county. The tables' cells and the trend's links are computed
    here, once, not by a tag per cell."""
    fine = analysis.count_fine(period, town)  # counted once, added up four ways
    links = FigureLinks(period)
    ctx = {
        "period": period,
        "scope_town": town,
        # What every link of the page adds so that it stays in the same town (the county's staff).
        "scope_query": f"&town={town.code}" if town is not None else "",
        "COUNTY_NAME": settings.COUNTY_NAME,
        "headline": analysis.headline(period, fine, town),
        "rates": analysis.RATES,
        "counts": analysis.COUNT_DEFINITIONS,
        "figure_names": behind.FIGURE_NAMES,
        "columns": tables.COLUMNS,
        "first_column": tables.FIRST_COLUMN,
        "titles": tables.TITLES,
        "breakdowns": {},
    }
    for name in breakdowns:
        ctx[name] = BREAKDOWNS[name](period, fine, town)
        ctx["breakdowns"][name] = tables.breakdown_rows(name, ctx[name], links)
    if "towns" in ctx:  # the chart draws the towns, not the county's total beside them
        ctx["town_rows"] = [row for row in ctx["towns"] if row.dim == "town"]
    if with_trend:
        ctx["trend"] = analysis.trend(period.end, town)
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
    require_role(request.user, *READERS)
    town = chosen_town(request.user, request.GET.get("town"))
    query, older_month = opening_query(request.GET)
    form = AnalysisPeriodForm(query)
    period = form.analysis_period()
    ctx = {"form": form, "older_month": older_month, **analysis_context(period, town=town)}
    return render(request, "reports/dashboard.html", ctx, status=form.status())


@login_required
def county(request: HttpRequest) -> HttpResponse:
    """/reports/county/: the county's towns side by side for a period, the county's total their sum,
    each town leading to its own dashboard, and the towns ranked as teams are; for the county's staff
    only."""
    require_role(request.user, COUNTY_SUPERVISOR)  # and the administrators, the county's too
    query, older_month = opening_query(request.GET)
    form = AnalysisPeriodForm(query)
    period = form.analysis_period()
    rows = analysis.by_town(period, analysis.count_fine(period))
    ctx = {
        "form": form,
        "older_month": older_month,
        "period": period,
        "rows": rows,
        "towns": [row for row in rows if row.dim == "town"],
        "rates": analysis.RATES,
        "counts": analysis.COUNT_DEFINITIONS,
        "columns": tables.COLUMNS,
        "first_column": tables.FIRST_COLUMN,
        "titles": tables.TITLES,
        "breakdowns": {"towns": tables.breakdown_rows("towns", rows, FigureLinks(period))},
        # Ranked from the same rows: the ranking adds no query.
        "entries": rank_towns(period, rows=rows),
        "indicators": INDICATORS,
    }
    return render(request, "reports/county.html", ctx, status=form.status())


@login_required
def figure_cases(request: HttpRequest) -> HttpResponse:
    """The cases (or feedback, or visits) counted in one figure: exactly the analysis's condition."""
    require_role(request.user, *READERS)
    town = chosen_town(request.user, request.GET.get("town"))
    form = FigureForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/figure_cases.html", {"form": form}, status=400)
    figure, period, dim, pk = form.selection()
    if figure in behind.FEEDBACK_FIGURES:
        kind = "feedback"
        rows = analysis.in_town(behind.feedback_behind(figure, period, dim, pk), town).select_related(
            "case__village", "case__team", "case__category"
        )
        rows = rows.order_by("given_on", "id")
    elif figure in behind.VISIT_FIGURES:
        kind = "visits"
        rows = analysis.in_town(behind.visits_behind(figure, period, dim, pk), town, "village__town")
        rows = rows.select_related("team", "village").order_by("date", "id")
    else:
        kind = "cases"
        rows = analysis.in_town(behind.cases_behind(figure, period, dim, pk), town)
        rows = rows.select_related("village", "team", "category", "subcategory")
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
    require_role(request.user, *READERS)
    town = chosen_town(request.user, request.GET.get("town"))
    if table not in exports.TABLES:
        raise Http404
    form = AnalysisPeriodForm(opening_query(request.GET)[0])
    if not form.is_valid():
        return refused(form)
    period = form.analysis_period()
    if table == "ranking":
        # The county's ranking ranks its towns; a town's its teams (the ranking page's).
        data = rank_teams(period, town=town) if town is not None else rank_towns(period)
    elif table == "headline":
        data = analysis.headline(period, town=town)
    elif table == "trend":
        data = analysis.trend(period.end, town)
    elif table == "towns":
        if not is_county(request.user):
            raise Http404
        data = analysis.by_town(period)

    else:
        data = BREAKDOWNS[table](period, town=town)
    return exports.xlsx_response(table, period, data)
