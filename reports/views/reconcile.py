"""Reconciliation 对照: a published report's stated figures beside the ledger's for the same date."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from cases.models import Category
from reports.forms import StatedImportForm, StatedReportForm
from reports.models import StatedReport
from reports.reconcile import reconcile, save_stated
from teams.roles import ADMIN, COUNTY_SUPERVISOR, OFFICE, SUPERVISOR, chosen_town, require_role, towns_of


def _reports_for(user):
    return StatedReport.objects.filter(town__in=towns_of(user)).select_related("town")


def _town_to_enter(request: HttpRequest):
    """The town a supervisor enters a report for: their own (an administrator: the ?town= chosen)."""
    town = chosen_town(request.user, request.GET.get("town") or request.POST.get("town"))
    if town is None:
        raise Http404
    return town


@login_required
def reconcile_list(request: HttpRequest) -> HttpResponse:
    role = require_role(request.user, OFFICE, SUPERVISOR, COUNTY_SUPERVISOR)
    reports = _reports_for(request.user)[:100]
    return render(
        request, "reports/reconcile_list.html", {"reports": reports, "can_enter": role in (SUPERVISOR, ADMIN)}
    )


@login_required
def reconcile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    role = require_role(request.user, OFFICE, SUPERVISOR, COUNTY_SUPERVISOR)
    report = get_object_or_404(_reports_for(request.user).prefetch_related("lines"), pk=pk)
    result = reconcile(report)
    return render(
        request,
        "reports/reconcile_detail.html",
        {"r": result, "period": result.period, "can_enter": role in (SUPERVISOR, ADMIN)},
    )


@login_required
def reconcile_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Enter a report's figures (GET shows the form, POST saves); supervisors only."""
    require_role(request.user, SUPERVISOR)
    report = get_object_or_404(_reports_for(request.user), pk=pk) if pk else StatedReport(town=_town_to_enter(request))
    categories = Category.objects.for_town(report.town)
    form = StatedReportForm(request.POST if request.method == "POST" else None, instance=report, categories=categories)
    if request.method == "POST" and form.is_valid():
        report = save_stated(report=form.save(commit=False), lines=form.stated_lines(), by=request.user)
        messages.success(request, _("已保存报告数字。"))
        return redirect("reports:reconcile", pk=report.pk)
    return render(request, "reports/reconcile_edit.html", {"form": form, "report": report})


@login_required
def reconcile_import(request: HttpRequest) -> HttpResponse:
    """The same figures from a spreadsheet: nothing is saved unless every row is understood."""
    require_role(request.user, SUPERVISOR)
    report = StatedReport(town=_town_to_enter(request))
    form = StatedImportForm(*((request.POST, request.FILES) if request.method == "POST" else ()), instance=report)
    if request.method == "POST" and form.is_valid():
        report = form.save(commit=False)
        for field, value in form.totals.items():
            setattr(report, field, value)
        report = save_stated(report=report, lines=form.lines, by=request.user)
        messages.success(request, _("已导入报告数字。"))
        return redirect("reports:reconcile", pk=report.pk)
    return render(request, "reports/reconcile_import.html", {"form": form})
