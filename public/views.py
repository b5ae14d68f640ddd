"""The public side: the notice board 村公开栏 on a phone and on paper, and a resident's own case.

No login anywhere here. Templates get PublicCase rows (public/services.py), never a Case.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from cases.models import Case
from public import services, tracking
from public.forms import OPEN, UNCLASSIFIED, BoardFilterForm, TrackForm
from reports.figures import percent_text, summary
from sanhe.lib.qr import qr_svg
from villages.models import Town, Village

BOARD_PAGE_SIZE = 20
# The paper board lists the newest cases; the QR code leads to all of them.
PRINT_LIMIT = 60
PRINT_SIZES = ("a4", "a3")


def _public(request: HttpRequest, template: str, ctx: dict, status: int = 200) -> HttpResponse:
    # A board's `page(**shell)` passes on what services.page_for asks of the shell: the CSRF token's
    # placeholder when the whole page is kept for every anonymous reader.
    ctx = {"large_text": services.large_text(request), **ctx}
    return render(request, template, ctx, status=status)


def town_place(town: Town | None) -> dict:
    """The name and phone a public page gives: TOWN's, or the county's above the towns."""
    if town is None:
        return {"town_name": settings.COUNTY_NAME, "town_phone": settings.COUNTY_PHONE}
    return {"town_name": town.name, "town_phone": town.phone or settings.COUNTY_PHONE}


@require_safe
@services.last_good_when_unreachable
def board_index(request: HttpRequest) -> HttpResponse:
    """The county's public board: every town with its figures, each leading to its own board. A
    deployment of one town shows that town's board here, as before there were towns."""
    towns = list(Town.objects.all()[:2])
    if len(towns) == 1:
        return _town_board(request, towns[0])
    freshness = services.town_freshness()
    key = services.page_key("county", freshness.version)

    def build() -> str:
        towns = services.towns_with_counts()
        for town in towns:
            town.in_progress = town.total - town.closed
            town.closure_rate = percent_text(town.closed, town.total)
        villages = Village.objects.order_by("town__division_code", "code").values("code", "short_name", "town__name")
        ctx = {"summary": summary(), "towns": towns, "villages": villages, **town_place(None)}
        return render_to_string("public/_county_board.html", ctx)

    def page(**shell) -> HttpResponse:
        ctx = {"board": services.cached_html(key, build), **town_place(None), **shell}
        return _public(request, "public/board_index.html", ctx)

    return services.conditional_page(request, key, freshness, page)


@require_safe
@services.last_good_when_unreachable
def board_town(request: HttpRequest, code: str) -> HttpResponse:
    """One town's public board: its figures and chart, and its villages with theirs."""
    return _town_board(request, get_object_or_404(Town, code=code.upper()))


def _town_board(request: HttpRequest, town: Town) -> HttpResponse:
    freshness = services.town_freshness(town)
    key = services.page_key("index", town.code, freshness.version)

    def build() -> str:
        villages = services.villages_with_counts(town)
        for village in villages:
            village.closure_rate = percent_text(village.closed, village.total)
        ctx = {"summary": summary(town=town), "villages": villages, "town": town, **town_place(town)}
        return render_to_string("public/_index_board.html", ctx)

    def page(**shell) -> HttpResponse:
        ctx = {"board": services.cached_html(key, build), **town_place(town), **shell}
        return _public(request, "public/board_index.html", ctx)

    return services.conditional_page(request, key, freshness, page)


def _board_cases(village: Village, filters: dict):
    cases = Case.objects.for_village(village).public().order_by("-raised_on", "-number")
    if filters["status"] == OPEN:
        cases = cases.open()
    elif filters["status"]:
        cases = cases.filter(status=filters["status"])
    if filters["category"] == UNCLASSIFIED:
        cases = cases.filter(category__isnull=True)
    elif filters["category"]:
        cases = cases.filter(category_id=int(filters["category"]))
    return cases


@require_safe
@services.last_good_when_unreachable
def board_village(request: HttpRequest, code: str) -> HttpResponse:
    """One village's board: its figures and chart, and every case, filtered, newest first, paginated."""
    village, freshness = services.village_for_board(code)
    form = BoardFilterForm(request.GET)
    filters = form.filters()
    key = services.page_key("village", village.code, freshness.version, *filters.values(), form.is_valid())

    def build() -> str:
        paginator = Paginator(_board_cases(village, filters), BOARD_PAGE_SIZE)
        count = services.board_count(village, filters["status"], filters["category"])
        if count is not None:  # the tally's count spares counting the village's every case
            paginator.count = count
        page = paginator.get_page(filters["page"])
        query = {k: v for k, v in filters.items() if k != "page" and v}
        ctx = {
            "village": village,
            "summary": summary(village=village),
            "page": page,
            "cases": [services.public_case(case) for case in page.object_list],
            "filters": filters,
            "filter_error": not form.is_valid(),
            "filtered": bool(query),
            "querystring": urlencode(query),
            "status_choices": form.fields["status"].choices,
            "unclassified": UNCLASSIFIED,
        }
        return render_to_string("public/_village_board.html", ctx)

    def page(**shell) -> HttpResponse:
        ctx = {"village": village, "board": services.cached_html(key, build), **town_place(village.town), **shell}
        return _public(request, "public/board_village.html", ctx)

    return services.conditional_page(request, key, freshness, page)


@require_safe
@services.last_good_when_unreachable
def board_print(request: HttpRequest, code: str) -> HttpResponse:
    """The paper board for the village's 公开栏: A4, or an A3 poster with ?size=a3."""
    village, freshness = services.village_for_board(code, with_count=True)
    size = request.GET.get("size") if request.GET.get("size") in PRINT_SIZES else "a4"
    online_url = request.build_absolute_uri(reverse("board:village", args=[village.code]))
    today = timezone.localdate()
    key = services.page_key("print", village.code, freshness.version, size, today, online_url)

    def build() -> str:
        cases = list(Case.objects.for_village(village).public().order_by("-raised_on", "-number")[:PRINT_LIMIT])
        ctx = {
            "village": village,
            "summary": summary(village=village),
            "cases": [services.public_case(case) for case in cases],
            "more": max(freshness.count - len(cases), 0),
            "size": size,
            "posted_on": today,
            "online_url": online_url,
            "qr": qr_svg(online_url),
            **town_place(village.town),
        }
        return render_to_string("public/_print_board.html", ctx)

    def page(**shell) -> HttpResponse:
        ctx = {"village": village, "size": size, "board": services.cached_html(key, build), **town_place(village.town)}
        ctx |= shell
        return _public(request, "public/board_print.html", ctx)

    return services.conditional_page(request, key, freshness, page)


@require_safe
def text_size(request: HttpRequest) -> HttpResponse:
    """The 大字 switch: remember the reader's text size in a cookie and go back to the page."""
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("board:index")
    response = HttpResponseRedirect(back)
    if request.GET.get("size") == "large":
        response.set_cookie(services.TEXT_SIZE_COOKIE, "large", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(services.TEXT_SIZE_COOKIE, samesite="Lax")
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """A resident's own case by its tracking number and the last four digits of their phone or the
    track code on their slip; wrong answers are limited per address and per number (public/tracking.py)."""
    form = TrackForm(request.POST or None)
    found, message, status = None, "", 200
    place = town_place(None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = tracking.follow(data["number"], data["last4"], tracking.client_ip(request))
        place = town_place(town_of_number(data["number"]))
        if outcome.case is not None:
            found = services.public_case(outcome.case, own=True)
        else:
            message, status = _track_refusal(outcome.result, place["town_phone"])
    ctx = {"form": form, "found": found, "message": message, **place}
    return _public(request, "public/track.html", ctx, status)


def town_of_number(number: str) -> Town | None:
    """The town whose short code begins a tracking number (SH-2015-0001), if there is one."""
    code = number.split("-", 1)[0].strip().upper()
    return Town.objects.filter(code=code).first() if code else None


def _track_refusal(result: str, phone: str) -> tuple[str, int]:
    """What /track/ says when it shows no case. None of it depends on whether the number exists."""
    if result == tracking.WRONG:
        return _("没有查到：编号、电话后四位或查询码不对。请对照登记回执再试一次。"), 200
    if result == tracking.NUMBER_LOCKED:
        message = _(
            "为保护反映人的信息，这个编号近期用电话后四位查询的错误次数过多，已暂停用电话后四位查询。"
            "请改用登记回执上的8位查询码查询；没有查询码的，请拨打镇政府电话 %(phone)s 查询。"
        )
    elif result == tracking.CODES_LOCKED:
        message = _("查询码错误次数过多，请%(minutes)s分钟后再试，或拨打镇政府电话 %(phone)s 查询。")
    else:  # ADDRESS_LOCKED
        message = _(
            "查询错误次数过多，请%(minutes)s分钟后再试。登记回执上有查询码的，现在就可以用查询码查询；"
            "也可以拨打镇政府电话 %(phone)s 查询。"
        )
    limit = tracking.CODE_ADDRESS if result == tracking.CODES_LOCKED else tracking.ADDRESS
    return message % {"minutes": limit.seconds // 60, "phone": phone}, 429
