"""Reconciliation 对照: a published report's stated figures beside the ledger's for the same date."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from cases.models import Category
from reports.forms import StatedImportForm, StatedReportForm
from reports.models import StatedReport
from reports.reconcile import reconcile, save_stated
from teams.roles import OFFICE, SUPERVISOR, require_role


@login_required
def reconcile_list(request: HttpRequest) -> HttpResponse:
    role = require_role(request.user, OFFICE, SUPERVISOR)
    reports = StatedReport.objects.all()[:100]
    return render(request, "reports/reconcile_list.html", {"reports": reports, "can_enter": role != OFFICE})


@login_required
def reconcile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    role = require_role(request.user, OFFICE, SUPERVISOR)
    report = get_object_or_404(StatedReport.objects.prefetch_related("lines"), pk=pk)
    result = reconcile(report)
    return render(
        request, "reports/reconcile_detail.html", {"r": result, "period": result.period, "can_enter": role != OFFICE}
    )


@login_required
def reconcile_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Enter a report's figures (GET shows the form, POST saves); supervisors only."""
    require_role(request.user, SUPERVISOR)
    report = get_object_or_404(StatedReport, pk=pk) if pk else StatedReport()
    categories = Category.objects.all()
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
    form = StatedImportForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if request.method == "POST" and form.is_valid():
        report = form.save(commit=False)
        for field, value in form.totals.items():
            setattr(report, field, value)
        report = save_stated(report=report, lines=form.lines, by=request.user)
        messages.success(request, _("已导入报告数字。"))
        return redirect("reports:reconcile", pk=report.pk)
    return render(request, "reports/reconcile_import.html", {"form": form})
