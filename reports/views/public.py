"""What anyone may read without a login: the figures as JSON and the published notices 通报."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from reports.evaluation import INDICATORS
from reports.figures import summary as summarize_period
from reports.forms import PeriodForm
from reports.models import Notice
from villages.models import Town


def summary_json(request: HttpRequest) -> HttpResponse:
    """Public aggregates for any period, of the county or of one town (?town=SH): no login, and
    nothing about any resident."""
    code = (request.GET.get("town") or "").strip().upper()
    town = get_object_or_404(Town, code=code) if code else None
    form = PeriodForm(request.GET)
    if not form.is_valid():
        first = next(iter(form.errors.values()))[0]  # the reason, in a sentence; every one under "fields"
        return JsonResponse(
            {"error": first, "fields": form.errors}, status=400, json_dumps_params={"ensure_ascii": False}
        )
    summary = summarize_period(**form.period(), town=town)
    place = {"town": town.code if town else None, "name": town.name if town else settings.COUNTY_NAME}
    return JsonResponse({**place, **form.period_json(), **summary.as_json()}, json_dumps_params={"ensure_ascii": False})


def notice_index(request: HttpRequest) -> HttpResponse:
    """The published notices, each with its town's name (or the county's)."""
    notices = Notice.objects.filter(status=Notice.Status.PUBLISHED).select_related("town").order_by("-published_at")
    ctx = {"notices": notices[:50], "COUNTY_NAME": settings.COUNTY_NAME}
    return render(request, "reports/notice_index.html", ctx)


def notice_public(request: HttpRequest, pk: int) -> HttpResponse:
    """A published notice: its text and the ranking as it stood when published. Drafts are 404."""
    notice = get_object_or_404(Notice.objects.select_related("town"), pk=pk, status=Notice.Status.PUBLISHED)
    ctx = {"notice": notice, "indicators": INDICATORS, "COUNTY_NAME": settings.COUNTY_NAME}
    return render(request, "reports/notice_public.html", ctx)
