"""Spot checks 督查抽查: draw a repeatable random sample, record each check, reopen what failed."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.access import cases_for_user
from cases.workflow import Conflict, TransitionNotAllowed
from reports import spotchecks
from reports.analysis import Period
from reports.forms import AnalysisPeriodForm, CheckForm, DrawForm
from reports.models import SpotCheck, SpotCheckDraw
from reports.views.periods import opening_query
from teams.roles import ADMIN, COUNTY_SUPERVISOR, OFFICE, SUPERVISOR, chosen_town, require_role, towns_of


def _draws_for(user):
    return SpotCheckDraw.objects.filter(town__in=towns_of(user))


def _checks_for(user):
    return SpotCheck.objects.filter(draw__town__in=towns_of(user))


@login_required
def checks(request: HttpRequest) -> HttpResponse:
    """The period's draws, pass rates per team, the flagged cases, and the form for a new draw."""
    role = require_role(request.user, OFFICE, SUPERVISOR, COUNTY_SUPERVISOR)
    query, older_month = opening_query(request.GET)
    form = AnalysisPeriodForm(query)
    period = form.analysis_period()
    draws = (
        _draws_for(request.user)
        .filter(start__lte=period.end, end__gte=period.start)
        .select_related("drawn_by__cadre")[:50]
    )
    for draw in draws:
        draw.drawer = spotchecks.drawer_name(draw.drawn_by)
    flagged = (
        spotchecks.flagged_cases(cases_for_user(request.user)).select_related("team", "village").order_by("number")
    )
    draw_form = DrawForm(initial={"start": period.start, "end": period.end, "size": 10, "per_team": 1})
    ctx = {
        "period": period,
        "form": form,
        "older_month": older_month,
        "draws": draws,
        "rates": spotchecks.pass_rates(period, towns_of(request.user)),
        "flagged": flagged[:100],
        "draw_form": draw_form,
        "can_check": role in (SUPERVISOR, ADMIN),
    }
    return render(request, "reports/checks.html", ctx, status=form.status())


@login_required
@require_POST
def draw_new(request: HttpRequest) -> HttpResponse:
    require_role(request.user, SUPERVISOR)
    town = chosen_town(request.user, request.POST.get("town"))
    if town is None:
        messages.error(request, _("抽样是一个乡镇的：请先选择乡镇。"))
        return redirect("reports:checks")
    form = DrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("抽样未完成：%(errors)s") % {"errors": _errors(form)})
        return redirect(reverse("reports:checks") + f"?{request.POST.urlencode()}")
    data = form.cleaned_data
    draw = spotchecks.make_draw(
        town=town,
        period=Period(data["start"], data["end"]),
        size=data["size"],
        size_kind=data["size_kind"],
        per_team=data["per_team"],
        seed=data["seed"] if data["seed"] is not None else spotchecks.new_seed(),
        by=request.user,
    )
    messages.success(request, _("已抽取 %(n)d 件，随机种子 %(seed)d。") % {"n": draw.checks.count(), "seed": draw.seed})
    return redirect("reports:draw", pk=draw.pk)


@login_required
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    role = require_role(request.user, OFFICE, SUPERVISOR, COUNTY_SUPERVISOR)
    draw = get_object_or_404(_draws_for(request.user).select_related("drawn_by__cadre"), pk=pk)
    rows = draw.checks.select_related("case__team", "case__village", "case__category", "checked_by__cadre")
    page = Paginator(rows, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    for check in page:
        check.form = CheckForm(instance=check, prefix=f"c{check.pk}")
        check.checker = spotchecks.drawer_name(check.checked_by)
    ctx = {
        "draw": draw,
        "drawer": spotchecks.drawer_name(draw.drawn_by),
        # The number asked (a percentage worked out on the population then) and the number drawn.
        "asked": spotchecks.sample_size(draw.population, draw.size, draw.size_kind),
        "drawn": page.paginator.count,
        "page": page,
        "repeatable": spotchecks.redraw_matches(draw) if request.GET.get("verify") else None,
        "can_check": role in (SUPERVISOR, ADMIN),
    }
    return render(request, "reports/draw.html", ctx)


@login_required
@require_POST
def check_record(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, SUPERVISOR)
    check = get_object_or_404(_checks_for(request.user).select_related("case"), pk=pk)
    form = CheckForm(request.POST, instance=check, prefix=f"c{check.pk}")
    if form.is_valid():
        data = form.cleaned_data
        spotchecks.record_check(
            check=check, method=data["method"], finding=data["finding"], notes=data["notes"], by=request.user
        )
        messages.success(request, _("已记录 %(number)s 的督查结论。") % {"number": check.case.number})
    else:
        messages.error(
            request, _("%(number)s 未记录：%(errors)s") % {"number": check.case.number, "errors": _errors(form)}
        )
    return redirect(_back_to(request, check))


@login_required
@require_POST
def check_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """A failing check sends its closed case back for handling (cases.workflow.reopen)."""
    require_role(request.user, SUPERVISOR)
    check = get_object_or_404(_checks_for(request.user).select_related("case"), pk=pk)
    if not check.failed or check.reopened:
        messages.error(request, _("只有结论不合格、尚未据此重新办理的抽查才能重新办理问题。"))
        return redirect(_back_to(request, check))
    try:
        spotchecks.reopen_from_check(check=check, by=request.user, expected_version=request.POST.get("version"))
    except Conflict:
        messages.error(request, _("%(number)s 刚被别人修改过，请刷新后再试。") % {"number": check.case.number})
    except (TransitionNotAllowed, ValidationError) as error:
        messages.error(
            request, _("%(number)s 不能重新办理：%(why)s") % {"number": check.case.number, "why": _text(error)}
        )
    else:
        messages.success(request, _("%(number)s 已重新办理。") % {"number": check.case.number})
    return redirect(_back_to(request, check))


def _back_to(request: HttpRequest, check: SpotCheck) -> str:
    page = request.POST.get("page", "")
    query = f"?page={page}" if page.isdigit() else ""
    return reverse("reports:draw", args=[check.draw_id]) + f"{query}#check-{check.pk}"


def _errors(form) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors)


def _text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "；".join(error.messages)
    return str(error)
