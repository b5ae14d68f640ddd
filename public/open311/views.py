"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): discovery, services, service
definitions, service requests (GET and POST) and tokens, each as .json and .xml.

No login and no cookies: the GET methods show what the notice board shows (public/open311/reads.py);
the POST needs an API key (public/open311/intake.py). Every refusal is the spec's error list.
"""

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from public.models import Open311Post
from public.open311 import intake, reads
from public.open311.formats import FORMATS, Open311Error, Payload, error_response, render
from sanhe.lib.clientip import client_ip
from villages.models import Town

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this interface last changed (the discovery document's changeset).
CHANGESET = "2026-12-03T00:00:00+08:00"


def open311(*methods: str) -> Callable:
    """A view of format FMT allowing METHODS: unknown format → 404, wrong jurisdiction_id → 404,
    another method → 405, and every Open311Error as the spec's error list."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
            try:
                if fmt not in FORMATS:
                    raise Open311Error(404, _("格式只能是 .json 或 .xml。"))
                if request.method not in methods:
                    raise Open311Error(405, _("这个地址不接受 %(method)s 请求。") % {"method": request.method[:10]})
                jurisdiction = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or ""
                request.jurisdiction = jurisdiction_of(jurisdiction.strip())
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                if request.method == "POST" and "POST" in methods:  # every POST is logged, refused ones too
                    intake.log_refusal(None, error, client_ip(request))
                response = error_response(error, fmt)
                if error.status == 405:
                    response["Allow"] = ", ".join(methods)
                return response

        return wrapper

    return decorate


def jurisdiction_of(code: str) -> Town | None:
    """The town whose 9-digit division code is CODE; None for the whole county (its 6-digit code, or
    none given); an unknown code is the spec's 404."""
    if not code or code == settings.COUNTY_DIVISION_CODE:
        return None
    town = Town.objects.filter(division_code=code).first()
    if town is None:
        raise Open311Error(
            404,
            _("没有这个 jurisdiction_id；本接口服务%(county)s（%(code)s）及其各镇（街道）的区划代码。")
            % {"county": settings.COUNTY_NAME, "code": settings.COUNTY_DIVISION_CODE},
        )
    return town


@open311("GET", "HEAD")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    endpoint = {
        "specification": SPECIFICATION,
        # The base the methods' paths follow (…/v2/services.xml), as in the spec's examples.
        "url": request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "xml"}).rsplit("/", 1)[0]),
        "changeset": CHANGESET,
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    town = request.jurisdiction
    place = {"town": settings.COUNTY_NAME, "phone": settings.COUNTY_PHONE}
    if town is not None:
        place = {"town": town.name, "phone": town.phone or settings.COUNTY_PHONE}
    data = {
        "changeset": CHANGESET,
        "contact": _("%(town)s党政办，电话 %(phone)s") % place,
        "key_service": _("提交问题所需的 api_key 请向%(town)s党政办申请，电话 %(phone)s。") % place,
        "endpoints": [endpoint],
    }
    return render(Payload(data, "discovery"), fmt)


@open311("GET", "HEAD")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return render(Payload(reads.service_list(request.jurisdiction), "services", "service"), fmt)


@open311("GET", "HEAD")
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return render(Payload(reads.definition(reads.find_service(code, request.jurisdiction)), "service_definition"), fmt)


@csrf_exempt
@open311("GET", "HEAD", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET: the service requests asked for, newest first, a page at a time; POST: a new report."""
    if request.method == "POST":
        return _post(request, fmt)
    cases = reads.page_of(reads.parse_query(request.GET, request.jurisdiction))
    return render(Payload(reads.request_items(request, cases), "service_requests", "request"), fmt)


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    ip = client_ip(request)
    client = None
    try:
        client = intake.authenticate(request.POST.get("api_key", "").strip()[:200])
        intake.count_post(client)
        posted = intake.submit(
            client, request.POST, key=intake.idempotency_key(request), ip=ip, town=request.jurisdiction
        )
    except intake.Refused as refused:
        return _refused(refused.client, refused.error, fmt, ip)
    except Open311Error as error:
        return _refused(client, error, fmt, ip)
    return render(Payload([posted.response_item()], "service_requests", "request"), fmt)


def _refused(client, error: Open311Error, fmt: str, ip: str) -> HttpResponse:
    intake.log_refusal(client, error, ip)
    return error_response(error, fmt)


@open311("GET", "HEAD")
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    cases = list(reads.matching_cases(reads.Query(ids=(number,), town=request.jurisdiction)))
    if not cases:
        raise Open311Error(404, _("没有这个编号的问题：%(number)s") % {"number": number[:40]})
    return render(Payload(reads.request_items(request, cases), "service_requests", "request"), fmt)


@open311("GET", "HEAD")
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    post = (
        Open311Post.objects.select_related("case")
        .filter(token=token, outcome=Open311Post.Outcome.CREATED, case__voided_at__isnull=True)
        .first()
        if token
        else None
    )
    if post is None:
        raise Open311Error(404, _("没有这个令牌（token）。"))
    return render(
        Payload([{"service_request_id": post.case.number, "token": post.token}], "service_requests", "request"), fmt
    )
