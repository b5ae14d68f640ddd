"""The staff site's home pages (my team, the triage queue) and the cadre's visit flow: the desks
where cases come in and are worked, so they live with the cases (ARCHITECTURE.md)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import desk, photos, workflow
from cases.models import Case
from cases.visit_forms import ProblemForm, VisitForm, default_visit_date, sent_request_key
from teams.access import can_edit_visits, get_visit_for_user, visits_for_user
from teams.models import Visit, this_thursday
from teams.roles import (
    ADMIN,
    CADRE,
    COUNTY_SUPERVISOR,
    OFFICE,
    SUPERVISOR,
    chosen_town,
    is_county,
    require_role,
    role_of,
    team_of,
    town_of,
)
from villages.models import Town

HOME_PAGE_SIZE = 20  # open cases on "my team", the triage queue
SHORT_LIST = 10  # overdue and awaiting-feedback lists on the home pages
SIGNING_LIST = 20  # 12345 work orders awaiting signing on the triage queue


def _case_rows(cases):
    return cases.select_related("village", "team", "category", "subcategory", "responsible")


def home(request: HttpRequest) -> HttpResponse:
    """Staff land on their work; everyone else on the public notice board."""
    target = {
        CADRE: "my_team",
        OFFICE: "triage",
        ADMIN: "triage",
        SUPERVISOR: "reports:summary",
        COUNTY_SUPERVISOR: "reports:county",
    }
    return redirect(target.get(role_of(request.user), "board:index"))


@login_required
def my_team(request: HttpRequest) -> HttpResponse:
    """A cadre's home: this week's visit, what is overdue, the team's other open cases, recent visits."""
    require_role(request.user, CADRE)
    team = team_of(request.user)
    ctx = {"team": team}
    if team is not None:
        today = timezone.localdate()
        day = default_visit_date(today)
        cases = _case_rows(Case.objects.for_team(team))
        ctx |= {
            "today": today,
            "visit_day": day,
            "is_this_week": day == this_thursday(today),
            "next_thursday": this_thursday(today),
            "visit": Visit.objects.filter(team=team, date=day).annotate(n_cases=Count("cases")).first(),
            "counts": desk.case_counts(today, team),
            # The open cases not yet overdue: the overdue ones are listed above (and all of them behind its link).
            "page": Paginator(desk.not_overdue_newest_first(cases, today), HOME_PAGE_SIZE).get_page(
                request.GET.get("page")
            ),
            "overdue": desk.overdue(cases, today)[:SHORT_LIST],
            "recent_visits": desk.team_visits_newest_first(team)[:5],
        }
    return render(request, "teams/my_team.html", ctx)


@login_required
def triage(request: HttpRequest) -> HttpResponse:
    """The office's queue: cases awaiting the monthly meeting's decision, overdue, not yet fed back, and
    the 12345 work orders awaiting signing."""
    require_role(request.user, OFFICE)
    today = timezone.localdate()
    # The queue is one town's: the office's own; an administrator works in the town they choose. An
    # office account not yet given a town has an empty queue (teams.roles.town_of).
    if is_county(request.user):
        town = chosen_town(request.user, request.GET.get("town")) or Town.objects.first()
    else:
        town = town_of(request.user)
    town_cases = Case.objects.for_town(town) if town is not None else Case.objects.none()
    cases = _case_rows(town_cases)
    page = Paginator(desk.registered(cases), HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "today": today,
        # The paginator's count is the registered figure: counted once.
        "counts": (desk.case_counts(today, town=town) if town is not None else dict.fromkeys(desk.COUNTS, 0))
        | {"registered": page.paginator.count},
        "town": town,
        "page": page,
        "overdue": desk.overdue(cases, today)[:SHORT_LIST],
        "awaiting_feedback": desk.awaiting_feedback(cases)[:SHORT_LIST],
    }
    # The 12345 work orders to sign for, the overdue first: a short list and how many there are.
    unsigned = desk.awaiting_signing(town_cases.select_related("village"))
    ctx["signing"] = desk.signing_rows(unsigned[:SIGNING_LIST], timezone.now())
    ctx["counts"]["unsigned"] = len(ctx["signing"]) if len(ctx["signing"]) < SIGNING_LIST else unsigned.count()
    return render(request, "teams/triage.html", ctx)


# -- the visit flow ------------------------------------------------------------------------


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    """A cadre's team's visits; every team's for office staff and supervisors."""
    role = require_role(request.user, CADRE, OFFICE, SUPERVISOR)
    team = team_of(request.user) if role == CADRE else None
    visits = visits_for_user(request.user).select_related("team", "village").prefetch_related("subgroups")
    visits = visits.annotate(
        n_cases=Count("cases"), n_on_the_spot=Count("cases", filter=Q(cases__closure=Case.Closure.ON_THE_SPOT))
    )
    page = Paginator(visits.order_by("-date", "team__number"), settings.LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ctx = {"page": page, "team": team, "can_record": role == CADRE and team is not None}
    return render(request, "teams/visit_list.html", ctx)


@login_required
def visit_new(request: HttpRequest) -> HttpResponse:
    """Record the team's visit; then its problems, one after another, on the visit's page."""
    require_role(request.user, CADRE)
    team = team_of(request.user)
    if team is None:
        raise PermissionDenied
    form = VisitForm(request.POST or None, team=team)
    if request.method == "POST":
        key = sent_request_key(request.POST)
        visit = _visit_with_key(request.user, key)  # the same form sent again: the first one's visit
        if visit is None and form.is_valid():
            visit = _save_visit(form, request.user, key)
        elif visit is None and _sent_by(form.existing_visit, request.user, key):
            visit = form.existing_visit  # the first of two taps at once committed while this one was checked
        if visit is not None:
            messages.success(request, _("驻点记录已保存。现在逐一登记群众反映的问题。"))
            return redirect("visit_detail", pk=visit.pk)
    return render(request, "teams/visit_form.html", {"form": form, "team": team})


def _sent_by(record, user, key: str) -> bool:
    """RECORD (a visit or a case) was saved from the form carrying KEY, sent by USER."""
    return bool(key) and record is not None and record.request_key == key and record.created_by_id == user.pk


def _visit_with_key(user, key: str) -> Visit | None:
    return Visit.objects.filter(created_by=user, request_key=key).order_by("pk").first() if key else None


def _save_visit(form: VisitForm, user, key: str) -> Visit | None:
    """Save the visit with the form's KEY; the first visit when the form was sent twice at once,
    None (and the form's error) when a teammate saved the same day's visit a moment earlier."""
    try:
        with transaction.atomic():
            visit = form.save(commit=False)
            visit.created_by, visit.request_key = user, key
            visit.save()
            form.save_m2m()
    except IntegrityError:  # the unique key or day: this insert waited for the other's commit
        first = _visit_with_key(user, key)
        if first is None:
            form.add_error("date", _("本团队这一天在该村的驻点已经记录过了。"))
        return first
    return visit


@login_required
def visit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_visit_for_user(request.user, pk, for_update=True)
    form = VisitForm(request.POST or None, instance=visit, team=visit.team)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, _("驻点记录已修改。"))
        return redirect("visit_detail", pk=visit.pk)
    return render(request, "teams/visit_form.html", {"form": form, "team": visit.team, "visit": visit})


def _render_visit(request: HttpRequest, visit: Visit, form=None, duplicates=(), saved_number: str = ""):
    problems = list(visit.cases.select_related("category", "subcategory").order_by("number"))
    editable = can_edit_visits(request.user)
    if editable and form is None:
        form = ProblemForm(visit=visit)
    ctx = {
        "visit": visit,
        "subgroups": visit.subgroups.all(),
        "problems": problems,
        "saved": next((c for c in problems if c.number == saved_number), None),
        "form": form if editable else None,
        "duplicates": duplicates,
        "can_edit": editable,
    }
    return render(request, "teams/visit_detail.html", ctx)


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit, its problems so far, the number just saved (large) and the form for the next one."""
    visit = get_visit_for_user(request.user, pk)
    return _render_visit(request, visit, saved_number=request.GET.get("saved", "")[:30])


@require_POST
@login_required
def problem_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Check for possible duplicates first; register (and close when solved on the spot) once confirmed."""
    visit = get_visit_for_user(request.user, pk, for_update=True)
    key = sent_request_key(request.POST)
    first = workflow.registered_with_key(request.user, key)
    if first is not None:  # the same form sent again: show what the first one saved
        return _redirect_saved(first)
    form = ProblemForm(request.POST, request.FILES, visit=visit)
    if not form.is_valid():
        return _render_visit(request, visit, form)
    duplicates = list(form.possible_duplicates())
    mine = next((c for c in duplicates if _sent_by(c, request.user, key)), None)
    if mine is not None:  # the first of two taps at once committed while this one was checked
        return _redirect_saved(mine)
    seen = set(request.POST.getlist("seen"))
    if duplicates and not ("confirm" in request.POST and {str(c.pk) for c in duplicates} <= seen):
        return _render_visit(request, visit, form, duplicates=duplicates)
    try:
        case = register_problem(form, request.user, key)
    except workflow.AlreadyRegistered as sent_before:
        case = sent_before.case
    except (ValidationError, workflow.TransitionNotAllowed) as error:
        form.add_error(None, getattr(error, "messages", None) or str(error))
        return _render_visit(request, visit, form)
    return _redirect_saved(case)


def register_problem(form: ProblemForm, user, key: str) -> Case:
    """Register the problem with the form's KEY (and close it when solved on the spot) and its photos, all or nothing:
    workflow.AlreadyRegistered when the form was sent before, and nothing of this one is kept. The visit
    page's and the API's (cases/api.py) alike."""
    data = form.cleaned_data
    with transaction.atomic():
        case = form.save(commit=False)
        # The line is written as a code, read in the reader's language (cases/history.py).
        line = {"code": "registered", "channel": str(case.channel)}
        workflow.register_case(case=case, by=user, data=line, request_key=key)
        if data["on_the_spot"]:
            workflow.close(
                case=case,
                closure=Case.Closure.ON_THE_SPOT,
                result=data["result"],
                closed_on=form.visit.date,
                by=user,
            )
        # Checked and re-encoded by the form already; stored last, so that a refusal above keeps no file.
        photos.store_prepared(case, data.get("photos") or [], user)
    return case


def _redirect_saved(case: Case) -> HttpResponse:
    """The page of the visit CASE was raised on, its number shown large."""
    return redirect(f"{reverse('visit_detail', args=[case.visit_id])}?saved={case.number}#saved")
