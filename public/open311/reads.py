"""What Open311's GET methods answer: services (our sub-categories), a service's definition, and
service requests (our cases, as the notice board shows them).

Privacy by construction, as on the board: a request is built from services.public_case (PublicCase)
only, never from a Case's private fields; voided cases are never listed; a case not for public
posting (sensitive personal information) shows its category, status and dates, no text, no photo.
"""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from cases import photos
from cases.models import Case, CasePhoto, SubCategory
from public import services
from public.open311.formats import Open311Error

MAX_SPAN = datetime.timedelta(days=90)  # the spec's longest start_date..end_date
MAX_PAGE_SIZE = 1000  # the spec's "first 1000 requests"
MAX_PAGE = 10_000
MAX_IDS = 200  # service_request_id=a,b,c: more than any client needs at once
KIND_CODE = "kind"
PRIVACY_CODE = "privacy"


# -- Services ------------------------------------------------------------------------------------


def _is_sensitive(sub: SubCategory) -> bool:
    return sub.sensitive or sub.category.sensitive


def service(sub: SubCategory) -> dict:
    keywords = [sub.category.label, sub.label]
    return {
        "service_code": sub.code,
        "service_name": sub.label,
        "description": _("%(category)s：%(name)s") % {"category": sub.category.label, "name": sub.label},
        # Every service has a definition (the kind of request, and for a sensitive one what is posted).
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(keywords),
        "group": sub.category.label,
    }


def service_list(town=None) -> list[dict]:
    """Every sub-category as a service, in the order of the town's report: one query."""
    subs = SubCategory.objects.select_related("category")
    if town is not None:  # the county's table and the town's own categories
        subs = subs.filter(Q(category__town__isnull=True) | Q(category__town=town))
    return [service(sub) for sub in subs]


def find_service(code: str, town=None) -> SubCategory:
    """The service CODE; with TOWN (a jurisdiction, or a report's village's town; a Town or its pk),
    only among the county's table and that town's own categories: another town's own is not its service."""
    subs = SubCategory.objects.select_related("category").filter(code=code)
    if town is not None:
        subs = subs.filter(Q(category__town__isnull=True) | Q(category__town=town))
    sub = subs.first()
    if sub is None:
        raise Open311Error(404, _("没有这个服务代码（service_code）：%(code)s") % {"code": code[:40]})
    return sub


def definition(sub: SubCategory) -> dict:
    """SUB's attributes: the kind of request (咨询, 求助, 建议, 投诉), which the POST may give as
    attribute[kind]; and, for a sensitive category, a note (variable=false) on what the public sees."""
    attributes = [
        {
            "variable": True,
            "code": KIND_CODE,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("不填时按“求助”登记。"),
            "order": 1,
            "description": _("诉求类型"),
            "values": [{"key": value, "name": str(label)} for value, label in Case.Kind.choices],
        }
    ]
    if _is_sensitive(sub):
        attributes.append(
            {
                "variable": False,
                "code": PRIVACY_CODE,
                "datatype": "text",
                "required": False,
                "datatype_description": None,
                "order": 2,
                "description": _("这类问题涉及敏感个人信息：村公开栏和本接口只公开类别、状态和日期，不公开问题内容。"),
            }
        )
    return {"service_code": sub.code, "attributes": attributes}


# -- Service requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """The filters of GET requests, checked: cases raised from START to END (dates, inclusive)."""

    ids: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    start: datetime.date | None = None
    end: datetime.date | None = None
    statuses: tuple[str, ...] = ()
    page: int = 1
    page_size: int = MAX_PAGE_SIZE
    town: object = None  # villages.models.Town: one town's requests; None, the county's


def _listed(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def _moment(name: str, value: str) -> datetime.date:
    """A w3 date-time (2015-01-01T00:00:00Z or +08:00) or a date, as the town's date."""
    value = value.strip()
    try:
        moment = parse_datetime(value)
        day = parse_date(value) if moment is None else None
        if moment is not None:
            day = timezone.localdate(moment if timezone.is_aware(moment) else timezone.make_aware(moment))
    except (ValueError, OverflowError):
        day = None
    if day is None:
        raise Open311Error(400, _("%(name)s 应写成 ISO 8601 时间，如 2015-01-01T00:00:00+08:00。") % {"name": name})
    return day


def _whole(name: str, value: str, default: int, low: int, high: int) -> int:
    if not value.strip():
        return default
    if not re.fullmatch(r"[0-9]{1,9}", value.strip()) or not low <= int(value) <= high:
        raise Open311Error(
            400, _("%(name)s 应是 %(low)s 到 %(high)s 的整数。") % {"name": name, "low": low, "high": high}
        )
    return int(value)


def parse_query(params, town=None) -> Query:
    """GET requests' arguments (an empty one counts as not given, as the spec asks), or a 400."""
    ids = _listed(params.get("service_request_id", ""))
    if len(ids) > MAX_IDS:
        raise Open311Error(400, _("一次最多查询 %(n)s 个编号。") % {"n": MAX_IDS})
    statuses = _listed(params.get("status", ""))
    if not set(statuses) <= {"open", "closed"}:
        raise Open311Error(400, _("status 只能是 open 或 closed。"))
    start = _moment("start_date", params["start_date"]) if params.get("start_date", "").strip() else None
    end = _moment("end_date", params["end_date"]) if params.get("end_date", "").strip() else None
    if start is None and end is None:
        end = timezone.localdate()
    try:
        start = end - MAX_SPAN if start is None else start
        end = start + MAX_SPAN if end is None else end
    except OverflowError:
        raise Open311Error(400, _("start_date 或 end_date 超出了日期范围。")) from None
    if end < start:
        raise Open311Error(400, _("end_date 不能早于 start_date。"))
    if end - start > MAX_SPAN:
        raise Open311Error(400, _("start_date 到 end_date 不能超过 90 天。"))
    return Query(
        ids=ids,
        codes=_listed(params.get("service_code", "")),
        start=start,
        end=end,
        statuses=statuses,
        page=_whole("page", params.get("page", ""), 1, 1, MAX_PAGE),
        page_size=_whole("page_size", params.get("page_size", ""), MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        town=town,
    )


def matching_cases(query: Query):
    """The cases QUERY asks for, newest first: never a voided one (Case.objects)."""
    cases = Case.objects.public().select_related("town").order_by("-raised_on", "-number")
    if query.town is not None:
        cases = cases.filter(town=query.town)
    if query.ids:  # "This overrides all other arguments."
        return cases.filter(number__in=query.ids)
    cases = cases.raised_between(query.start, query.end)
    if query.codes:
        cases = cases.filter(
            Q(subcategory__code__in=query.codes) | Q(subcategory__isnull=True, category__code__in=query.codes)
        )
    if query.statuses == ("open",):
        cases = cases.open()
    elif query.statuses == ("closed",):
        cases = cases.closed()
    return cases


def page_of(query: Query) -> list[Case]:
    """One page of QUERY's cases, cut in the database (two queries: the cases, their public lines)."""
    offset = (query.page - 1) * query.page_size
    return list(matching_cases(query)[offset : offset + query.page_size])


def _moment_of(day: datetime.date | None) -> str | None:
    """A date as the spec's date-time: the start of that day in the town's time zone."""
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time())).isoformat()


def _media_urls(request, cases: list[Case]) -> dict[str, str]:
    """The board's thumbnail of the first public photo of each case that may show one (one query)."""
    numbers = [case.number for case in cases if photos.may_be_public(case)]
    if not numbers:
        return {}
    found: dict[str, str] = {}
    rows = CasePhoto.objects.filter(public=True, case__number__in=numbers).order_by("uploaded_at", "id")
    for number, key in rows.values_list("case__number", "key"):
        found.setdefault(number, request.build_absolute_uri(reverse("cases:photo_board", args=[key])))
    return found


def status_notes(public: services.PublicCase) -> str:
    """The status in words, and for a posted case its result or latest public step."""
    notes = public.status_label + (f"（{public.closure_label}）" if public.closure_label else "")
    detail = public.result or (public.latest_step.text if public.latest_step else "")
    return f"{notes}：{detail}" if detail else notes


def service_notice(case: Case) -> str:
    days = settings.CASE_WORKING_DAY_LIMITS.get(case.kind)
    if not days:
        return ""
    return _("%(kind)s类诉求按规定在 %(days)s 个工作日内答复。") % {
        "kind": services.label(Case.Kind, case.kind),
        "days": days,
    }


def request_item(case: Case, public: services.PublicCase, media_url: str | None) -> dict:
    """One case as a service request, from its PublicCase and the codes of its classification."""
    service_code = case.subcategory.code if case.subcategory else (case.category.code if case.category else "")
    updated = public.closed_on or max((entry.on for entry in public.entries), default=public.raised_on)
    item = {
        "service_request_id": public.number,
        "status": "closed" if public.is_closed else "open",
        "status_notes": status_notes(public),
        "service_name": public.subcategory or public.category or _("未分类"),
        "service_code": service_code,
        "description": public.title or None,
        "agency_responsible": case.town.name,
        "service_notice": service_notice(case) or None,
        "requested_datetime": _moment_of(public.raised_on),
        "updated_datetime": _moment_of(updated),
        "expected_datetime": _moment_of(case.due_on) if not public.is_closed else None,
        "address": case.village.name,
        "address_id": case.village.code,
    }
    if media_url:
        item["media_url"] = media_url
    return item


def request_items(request, cases: list[Case]) -> list[dict]:
    media = _media_urls(request, cases)
    return [request_item(case, services.public_case(case), media.get(case.number)) for case in cases]
