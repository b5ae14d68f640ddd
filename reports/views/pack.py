"""The monthly meeting's pack 月度分析会材料: a printable A4 page and the same as a Word file."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reports import analysis, exports
from reports.forms import PackForm
from reports.views.dashboard import READERS, analysis_context, refused
from reports.views.periods import opening_query
from reports.writing import summary_paragraphs
from teams.roles import chosen_town, require_role

# The pack prints these two breakdowns and no trend: nothing else is counted for it. The county's
# pack has its towns side by side where a town's has its teams.
PACK_TABLES = ("categories", "teams")
COUNTY_PACK_TABLES = ("categories", "towns")


def pack_context(form: PackForm, town=None) -> dict:
    """The pack of TOWN, or without one the county's."""
    period = form.analysis_period()
    as_of = form.summary_date(period)
    ledger = analysis.ledger_as_of(as_of, town)
    place = town.name if town is not None else settings.COUNTY_NAME
    summary = summary_paragraphs(
        as_of=as_of,
        totals=ledger["counts"],
        categories=ledger["categories"],
        villages=ledger["villages"],
        place=place,
    )
    decisions = analysis.decisions_by_team(period, town=town)
    tables = PACK_TABLES if town is not None else COUNTY_PACK_TABLES
    ctx = {"form": form, "place": place, **analysis_context(period, tables, with_trend=False, town=town)}
    ctx |= {"as_of": as_of, "summary": summary, "decisions": decisions}
    return ctx | {"decisions_total": sum(group.total for group in decisions)}


@login_required
def pack(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *READERS)
    town = chosen_town(request.user, request.GET.get("town"))
    query, older_month = opening_query(request.GET)
    form = PackForm(query)
    ctx = pack_context(form, town) | {"older_month": older_month}
    return render(request, "reports/pack.html", ctx, status=form.status())


@login_required
def pack_docx(request: HttpRequest) -> HttpResponse:
    require_role(request.user, *READERS)
    town = chosen_town(request.user, request.GET.get("town"))
    form = PackForm(opening_query(request.GET)[0])
    if not form.is_valid():
        return refused(form)
    return exports.pack_docx_response(pack_context(form, town))
