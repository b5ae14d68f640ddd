"""Team evaluation 团队考评 and the notices 通报 drafted from it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from reports.evaluation import INDICATORS, rank_teams
from reports.forms import NoticeForm, WeightsForm
from reports.models import Notice
from reports.notices import draft_notice, publish_notice
from reports.views.periods import opening_query
from teams.roles import ADMIN, COUNTY_SUPERVISOR, OFFICE, SUPERVISOR, chosen_town, require_role


def _notices_for(user):
    """The notices USER may open to edit: their town's; the county's staff every town's."""
    town = chosen_town(user)
    return Notice.objects.all() if town is None else Notice.objects.filter(town=town)


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
        "entries": rank_teams(period, weights, town=town),
        "scope_town": town,
        "notices": Notice.objects.filter(start=period.start, end=period.end, town=town),
        # A notice ranks one town's teams: drafted by that town's supervisors.
        "can_notice": role in (SUPERVISOR, ADMIN) and town is not None,
    }
    return render(request, "reports/ranking.html", ctx, status=form.status())


@login_required
@require_POST
def notice_draft(request: HttpRequest) -> HttpResponse:
    require_role(request.user, SUPERVISOR)
    town = chosen_town(request.user, request.POST.get("town"))
    if town is None:
        messages.error(request, _("通报是一个乡镇的：请先选择乡镇。"))
        return redirect("reports:ranking")
    form = WeightsForm(request.POST)
    if not form.is_valid():
        errors = "；".join(e for es in form.errors.values() for e in es)
        messages.error(request, _("未能起草通报：%(errors)s") % {"errors": errors})
        return redirect("reports:ranking")
    period, weights = form.analysis_period(), form.weights()
    ranking = rank_teams(period, weights, town=town)
    notice = draft_notice(
        period=period, ranking=ranking, weights=weights, best=form.best_count(), by=request.user, town=town
    )
    messages.success(request, _("已起草通报，请修改后发布。"))
    return redirect("reports:notice_edit", pk=notice.pk)


@login_required
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft (POST saves); a published notice is shown, not edited."""
    role = require_role(request.user, OFFICE, SUPERVISOR, COUNTY_SUPERVISOR)
    notice = get_object_or_404(_notices_for(request.user), pk=pk)
    if request.method == "POST":
        require_role(request.user, SUPERVISOR)
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
        "can_edit": role in (SUPERVISOR, ADMIN) and not notice.is_published,
    }
    return render(request, "reports/notice_edit.html", ctx)


@login_required
@require_POST
def notice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, SUPERVISOR)
    notice = get_object_or_404(_notices_for(request.user), pk=pk)
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
