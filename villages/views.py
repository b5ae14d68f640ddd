from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from cases.models import Case
from reports.figures import filter_cases, percent_text, summarize
from villages.models import Village

NOTICE_PAGE_SIZE = 30


def notice_index(request: HttpRequest) -> HttpResponse:
    """The town's public board: its figures and the ten villages with theirs."""
    villages = Village.objects.annotate(
        total=Count("cases"), closed=Count("cases", filter=Q(cases__status=Case.Status.CLOSED))
    ).order_by("code")
    for village in villages:
        village.closure_rate = percent_text(village.closed, village.total)
    ctx = {"summary": summarize(filter_cases()), "villages": villages}
    return render(request, "villages/notice_index.html", ctx)


def notice_village(request: HttpRequest, code: str) -> HttpResponse:
    """One village's public board: its figures and every case, with no resident's details."""
    village = get_object_or_404(Village, code=code)
    cases = Case.objects.for_village(village).public().order_by("-raised_on", "-number")
    page = Paginator(cases, NOTICE_PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"village": village, "summary": summarize(filter_cases(village=village)), "page": page}
    return render(request, "villages/notice_village.html", ctx)
