"""Team evaluation 团队考评 and the notices 通报 drafted from it.

A town's ranking ranks its teams and its notices are drafted by its supervisors; the county's (a
county user without ?town=) ranks the towns, by the same indicators and weights, and its notices
are drafted and published by the county's supervisors."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reports.evaluation import INDICATORS, rank_teams, rank_towns
from reports.forms import NoticeForm, WeightsForm
from reports.models import Notice
from reports.notices import draft_notice, publish_notice
from reports.views.periods import opening_query
from teams.roles import ADMIN, COUNTY_SUPERVISOR, OFFICE, SUPERVISOR, chosen_town, require_role


def _notices_for(user):
    """The notices USER may open: their town's; the county's staff every town's and the county's."""
    town = chosen_town(user)
    return Notice.objects.all() if town is None else Notice.objects.filter(town=town)


def _may_write(role: str, town) -> bool:
    """Who drafts, edits and publishes the notices of TOWN (None: the county's): a town's
    supervisors theirs, the county's supervisors the county's, the administrators any."""
    return role == ADMIN or role == (SUPERVISOR if town is not None else COUNTY_SUPERVISOR)


def _ranking(period, weights, town):
    """TOWN's teams ranked, or without a town the county's towns."""
    return rank_teams(period, weights, town=town) if town is not None else rank_towns(period, weights)


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    role = require_role(request.user, OFFICE, SUPERVISOR, COUNTY_SUPERVISOR)
    town = chosen_town(request.user, request.GET.get("town"))
    query, older_month = opening_query(request.GET)
    form = WeightsForm(query)
    period, weights = form.analysis_period(), form.weights()
    ctx = {
        "form": form,
        "older_month": older_month,
        "period": period,
        "weights": weights,
        "indicators": INDICATORS,
        "entries": _ranking(period, weights, town),
        "ranks_towns": town is None,
        "scope_town": town,
        "scope_query": f"&town={town.code}" if town is not None else "",
        "notices": Notice.objects.filter(start=period.start, end=period.end, town=town),
        "can_notice": _may_write(role, town),
        "COUNTY_NAME": settings.COUNTY_NAME,
    }
    return render(request, "reports/ranking.html", ctx, status=form.status())


@login_required
@require_POST
def notice_draft(request: HttpRequest) -> HttpResponse:
    role = require_role(request.user, SUPERVISOR, COUNTY_SUPERVISOR)
    town = chosen_town(request.user, request.POST.get("town"))
    back = reverse("reports:ranking") + (f"?town={town.code}" if town is not None else "")
    if not _may_write(role, town):
        # A town's notice is its supervisors'; the county's supervisor drafts the county's.
        messages.error(request, _("通报由所属乡镇（县级通报由县级督查）起草。"))
        return redirect(back)
    form = WeightsForm(request.POST)
    if not form.is_valid():
        errors = "；".join(e for es in form.errors.values() for e in es)
        messages.error(request, _("未能起草通报：%(errors)s") % {"errors": errors})
        return redirect(back)
    period, weights = form.analysis_period(), form.weights()
    notice = draft_notice(
        period=period,
        ranking=_ranking(period, weights, town),
        weights=weights,
        best=form.best_count(),
        by=request.user,
        town=town,
    )
    messages.success(request, _("已起草通报，请修改后发布。"))
    return redirect("reports:notice_edit", pk=notice.pk)


@login_required
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft (POST saves); a published notice is shown, not edited."""
    role = require_role(request.user, OFFICE, SUPERVISOR, COUNTY_SUPERVISOR)
    notice = get_object_or_404(_notices_for(request.user), pk=pk)
    if request.method == "POST":
        if not _may_write(role, notice.town):
            raise PermissionDenied
        if notice.is_published:
            messages.error(request, _("通报已发布，不能再修改。"))
            return redirect("reports:notice_edit", pk=notice.pk)
    form = NoticeForm(request.POST if request.method == "POST" else None, instance=notice)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("已保存通报。"))
        return redirect("reports:notice_edit", pk=notice.pk)
    ctx = {
        "notice": notice,
        "form": form,
        "indicators": INDICATORS,
        "can_edit": _may_write(role, notice.town) and not notice.is_published,
        "COUNTY_NAME": settings.COUNTY_NAME,
    }
    return render(request, "reports/notice_edit.html", ctx)


@login_required
@require_POST
def notice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    role = require_role(request.user, SUPERVISOR, COUNTY_SUPERVISOR)
    notice = get_object_or_404(_notices_for(request.user), pk=pk)
    if not _may_write(role, notice.town):
        raise PermissionDenied
    if notice.is_published:
        messages.error(request, _("通报已发布。"))
        return redirect("reports:notice_edit", pk=notice.pk)
    form = NoticeForm({"title": notice.title, "body": notice.body}, instance=notice)
    if not form.is_valid():
        messages.error(
            request, _("不能发布：%(errors)s") % {"errors": "；".join(e for es in form.errors.values() for e in es)}
        )
        return redirect("reports:notice_edit", pk=notice.pk)
    publish_notice(notice=notice, by=request.user)
    messages.success(request, _("通报已发布。"))
    return redirect("reports:notice", pk=notice.pk)
