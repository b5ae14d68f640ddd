"""The office's case list at /cases/: filters, sorting, pages, the xlsx export and bulk actions."""

from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from cases import pipl, workflow
from cases.access import cases_for_user
from cases.export import RELATED, XLSX_CONTENT_TYPE, export_xlsx
from cases.filters import CaseFilter
from cases.list_forms import BulkForm, PageForm
from cases.models import Case, CaseTally
from teams import roster
from teams.roles import OFFICE, can_read_all_cases, is_office, require_role, team_of, town_of

_NUMBER = "NUMBER"  # stands for a case's number in its page's URL, reversed once per page


def _without_page(params: QueryDict) -> str:
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


def _list_url(params: QueryDict) -> str:
    query = params.urlencode()
    return reverse("cases:list") + (f"?{query}" if query else "")


def _unfiltered_count(user, filterset: CaseFilter) -> int | None:
    """The number of cases of an unfiltered list (sorting aside): the town's for its office, every
    town's for the county's staff, a team's for its cadre, from the tally of months
    (cases.models.CaseTally) instead of counting a million rows; None when a filter narrows the list."""
    chosen = {name: value for name, value in filterset.form.cleaned_data.items() if name != "sort"}
    if any(value not in (None, "", False) for value in chosen.values()):
        return None
    tally = CaseTally.objects.all()
    town = town_of(user)
    if town is not None:
        tally = tally.filter(town_id=town.pk)
    if not can_read_all_cases(user):
        team = team_of(user)
        if team is None:
            return None
        tally = tally.filter(team_id=team.pk)
    return tally.aggregate(n=Sum("raised"))["n"] or 0


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _prepare_rows(cases: list[Case]) -> list[Case]:
    """What each row shows, worked out once per page rather than by the template per row: the
    link (one reverse), the labels (one translation each), the flags (one date), the tick's label."""
    detail = reverse("cases:detail", args=[_NUMBER])
    today = timezone.localdate()
    statuses, closures = _labels(Case.Status.choices), _labels(Case.Closure.choices)
    decisions = _labels(Case.Decision.choices)
    pick = _("选择 %(number)s")
    for case in cases:
        case.url = detail.replace(_NUMBER, quote(case.number, safe=""))
        case.flag_overdue = case.is_overdue(today)
        case.flag_awaiting = case.awaits_feedback
        case.status_label = statuses.get(case.status, case.status)
        case.closure_label = closures.get(case.closure, case.closure)
        case.decision_label = decisions.get(case.decision, case.decision)
        case.pick_label = pick % {"number": case.number}
    return cases


def _render_list(request: HttpRequest, params: QueryDict, bulk_form: BulkForm | None = None) -> HttpResponse:
    """The list page for the filters in PARAMS (the query string, or the one a bulk form came from)."""
    filterset = CaseFilter(params, queryset=cases_for_user(request.user), request=request)
    page_form = PageForm(params)
    valid = filterset.is_valid()
    rows: QuerySet = filterset.qs.select_related(*RELATED) if valid else Case.objects.none()
    paginator = Paginator(rows, settings.LIST_PAGE_SIZE)
    count = _unfiltered_count(request.user, filterset) if valid else None
    if count is not None:  # the tally's sum spares counting every case the user may see
        paginator.count = count
    page = paginator.get_page(page_form.number())
    page.object_list = _prepare_rows(list(page.object_list))
    flags = {"overdue": rows.overdue().count(), "awaiting": rows.awaiting_feedback().count()}
    can_bulk = is_office(request.user)
    if can_bulk and bulk_form is None:
        bulk_form = BulkForm(cases=rows, town=town_of(request.user), initial={"query": params.urlencode()})
    roster.prepare(filterset.form, bulk_form)  # every long select's options in one cache read
    ctx = {
        "filterset": filterset,
        "filters_valid": valid,
        "page_form": page_form,
        "page": page,
        "flags": flags,
        "params": params,
        "querystring": _without_page(params),
        "current_sort": params.get("sort", "") if valid else "",
        "can_bulk": can_bulk,
        "bulk_form": bulk_form,
        "ticked": bulk_form.selected_numbers() if bulk_form is not None and bulk_form.is_bound else set(),
    }
    return render(request, "cases/case_list.html", ctx)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Every case the user may see (a cadre: their team's), filtered, sorted and paginated."""
    return _render_list(request, request.GET)


@login_required
def case_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as an xlsx workbook: the same filters and order as the page, all pages."""
    filterset = CaseFilter(request.GET, queryset=cases_for_user(request.user), request=request)
    if not filterset.is_valid():
        messages.error(request, _("筛选条件有误，未能导出；请先更正筛选条件。"))
        return redirect(_list_url(request.GET))
    response = HttpResponse(export_xlsx(filterset.qs), content_type=XLSX_CONTENT_TYPE)
    # The ledger keeps full phones (the office phones residents back); PIPL: each case's log says so.
    pipl.log_export(request, filterset.qs, request.GET)
    filename = f"cases-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _link_errors_to_first_tick(form: BulkForm) -> None:
    """The ticks are the table's own checkboxes (templates/cases/_list_table.html), not the field's
    hidden inputs: shown as checkboxes, the field's error in the summary at the top ("tick first")
    links to the first of them, bulk_case_0."""
    form.fields["case"].widget = forms.CheckboxSelectMultiple()


@require_POST
@login_required
def case_bulk(request: HttpRequest) -> HttpResponse:
    """Assign a responsible person or set a due date on every ticked case: all of them or none."""
    require_role(request.user, OFFICE)
    form = BulkForm(request.POST, cases=cases_for_user(request.user), town=town_of(request.user))
    _link_errors_to_first_tick(form)
    if not form.is_valid():
        return _render_list(request, form.list_query(), form)
    data, changed = form.cleaned_data, 0
    try:
        with transaction.atomic():
            for case, version in data["case"]:
                if data["action"] == BulkForm.ASSIGN:
                    workflow.assign_responsible(
                        case=case, responsible=data["responsible"], by=request.user, expected_version=version
                    )
                else:
                    workflow.set_due_date(case=case, due_on=data["due_on"], by=request.user, expected_version=version)
                changed += case.version != version
    except workflow.Conflict as conflict:
        form.add_error(
            None,
            _("问题 %(number)s 在您打开列表后已被他人修改，本次批量操作未作任何修改。请刷新列表后重试。")
            % {"number": conflict.case.number},
        )
        return _render_list(request, form.list_query(), form)
    except (ValidationError, workflow.TransitionNotAllowed) as error:
        reason = "；".join(error.messages) if isinstance(error, ValidationError) else str(error)
        form.add_error(
            None,
            _("问题 %(number)s 无法修改（%(reason)s），本次批量操作未作任何修改。")
            % {"number": case.number, "reason": reason},
        )
        return _render_list(request, form.list_query(), form)
    messages.success(
        request,
        ngettext("已修改 %(count)d 件问题。", "已修改 %(count)d 件问题。", changed) % {"count": changed}
        + (
            _("另有 %(same)d 件原本就是这样，未改动。") % {"same": len(data["case"]) - changed}
            if changed < len(data["case"])
            else ""
        ),
    )
    return redirect(_list_url(form.list_query()))
