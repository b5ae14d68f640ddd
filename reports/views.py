import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from reports.figures import filter_cases, summarize
from reports.forms import PeriodForm
from teams.roles import OFFICE, SUPERVISOR, require_role


def summary_json(request: HttpRequest) -> HttpResponse:
    """Public aggregates for any period: no login, and nothing about any resident."""
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"error": _("日期格式应为 YYYY-MM-DD。"), "fields": form.errors}, status=400)
    summary = summarize(filter_cases(**form.period()))
    return JsonResponse({**form.period_json(), **summary.as_json()}, json_dumps_params={"ensure_ascii": False})


@login_required
def summary_page(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE, SUPERVISOR)
    form = PeriodForm(request.GET)
    period = form.period() if form.is_valid() else {}
    summary = summarize(filter_cases(**period))
    ctx = {"form": form, "summary": summary, "period": period, "today": datetime.date.today()}
    return render(request, "reports/summary.html", ctx)
