"""One case: everything about it, its timeline, and a closed panel for each action.

The page renders no action form it does not show: each panel is a link to the action's own page
(GET on the action's URL: the case's header and that one form), and with JavaScript htmx fetches
the form alone into the panel when it is opened (the same URL, answered with the partial when the
request comes from htmx). Posting goes to that URL; a refused form comes back on the case page,
its panel open and its messages inline, summed up at the top with its first bad field focused. The
panels shown open at load carry their form: the refused one, triage for a case just registered, and
the record's edit after revealing the contact.

Who may act (the rules of the case itself are in cases/workflow.py):
- office staff (and administrators): every action the case's status allows;
- a cadre, on their own team's cases only: add progress, edit the record, ask a helper and
  record the reply — the team's own work; triage, close, feedback, reopen, responsible person
  and due date are the office's (the monthly meeting's decisions and the ledger's closing);
- supervisors read everything and act on nothing (403 on every POST), except asking to see the
  resident's contact details (their spot-checks telephone residents).

The resident's phone and address are masked on the page; "查看联系方式" (a POST, so that a link or
a prefetch never reveals them) shows them in full to the roles of cases.pipl.can_reveal_contact and
logs the look. The form that edits the record carries them only after that look; without them
it edits the rest of the record and leaves them as they are.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from cases import forms, pipl, voiding, workflow
from cases.access import get_case_for_user
from cases.models import Case, CaseEvent, ContactAccess, Feedback, Referral
from teams.roles import ADMIN, CADRE, OFFICE, role_of

TEAM_ACTIONS = frozenset({"add_progress", "edit_case", "refer", "record_reply"})
OFFICE_ACTIONS = TEAM_ACTIONS | {"triage", "close", "record_feedback", "reopen", "assign_responsible", "set_due_date"}
OFFICE_ACTIONS |= {"void"}


@dataclass(frozen=True)
class Action:
    form: type[forms.CaseForm]
    run: Callable  # (case, by, version, **arguments) -> None
    done: str  # gettext_lazy: what the success message says


def _versioned(function):
    return lambda case, by, version, **kwargs: function(case=case, by=by, expected_version=version, **kwargs)


def _unversioned(function):
    return lambda case, by, version, **kwargs: function(case=case, by=by, **kwargs)


ACTIONS: dict[str, Action] = {
    "triage": Action(forms.TriageForm, _versioned(workflow.triage), gettext_lazy("已分办。")),
    "add_progress": Action(forms.ProgressForm, _unversioned(workflow.add_progress), gettext_lazy("已记录进展。")),
    "refer": Action(forms.ReferForm, _unversioned(workflow.refer), gettext_lazy("已请辅助团队协助。")),
    "record_reply": Action(
        forms.ReplyForm,
        lambda case, by, version, **kw: workflow.record_reply(by=by, **kw),
        gettext_lazy("已记录答复。"),
    ),
    "close": Action(forms.CloseForm, _versioned(workflow.close), gettext_lazy("已办结。")),
    "record_feedback": Action(forms.FeedbackForm, _unversioned(workflow.record_feedback), gettext_lazy("已记录反馈。")),
    "reopen": Action(forms.ReopenForm, _versioned(workflow.reopen), gettext_lazy("已重新办理。")),
    "assign_responsible": Action(
        forms.AssignForm, _versioned(workflow.assign_responsible), gettext_lazy("已指定责任人。")
    ),
    "set_due_date": Action(forms.DueDateForm, _versioned(workflow.set_due_date), gettext_lazy("已设定办理期限。")),
    "edit_case": Action(forms.EditForm, _versioned(workflow.edit_case), gettext_lazy("已保存修改。")),
    "void": Action(
        forms.VoidForm, _versioned(voiding.void_case), gettext_lazy("已作废：这个问题不再计入统计和公开栏。")
    ),
}


def actions_of(user) -> frozenset[str]:
    """The actions USER's role may take on the cases they may change (any status)."""
    role = role_of(user)
    return OFFICE_ACTIONS if role in (OFFICE, ADMIN) else TEAM_ACTIONS if role == CADRE else frozenset()


def actions_for(user, case: Case) -> set[str]:
    """The actions USER may take on CASE now: their role's, and of those what the status allows."""
    return set(actions_of(user)) & workflow.allowed_actions(case)


# The action panels of the page, in this order: (action, heading, URL name).
PANELS = (
    ("triage", gettext_lazy("分办（处理决定）"), "cases:triage"),
    ("close", pgettext_lazy("action", "办结"), "cases:close"),
    ("record_feedback", gettext_lazy("记录反馈"), "cases:feedback"),
    ("reopen", gettext_lazy("重新办理"), "cases:reopen"),
    ("add_progress", gettext_lazy("记录进展"), "cases:progress"),
    ("refer", gettext_lazy("请辅助团队协助"), "cases:refer"),
    ("assign_responsible", gettext_lazy("更换责任人"), "cases:assign"),
    ("set_due_date", gettext_lazy("设定办理期限"), "cases:due"),
    ("edit_case", gettext_lazy("修改登记内容"), "cases:edit"),
    ("void", gettext_lazy("作废（误录）"), "cases:void"),
)


def _form(action: str, case: Case, user, data=None, *, contact: bool = False) -> forms.CaseForm:
    """ACTION's form; the edit form carries the contact details only when they are CONTACT (shown
    to the user, the look logged) or posted back by such a form."""
    extra = {"user": user} if action == "record_feedback" else {}
    referral = data.get("referral", "") if action == "record_reply" and data is not None else ""
    if referral.isdigit():
        # The ids the reply form under its referral writes (cases/_detail_reply.html): the summary links there.
        extra["auto_id"] = f"reply-%s-{referral}"
    if action == "edit_case":
        posted = data is not None and any(name in data for name in forms.EditForm.CONTACT_FIELDS)
        extra["contact"] = (contact or posted) and pipl.can_reveal_contact(user, case)
    extra.setdefault("auto_id", f"id_{action}_%s")
    return ACTIONS[action].form(data, case=case, **extra)


def _page(
    request: HttpRequest,
    case: Case,
    *,
    bound=None,
    conflict=False,
    status: int = 200,
    contact: bool = False,
    opened: str = "",
) -> HttpResponse:
    """The case page; BOUND is (action, form) of a refused submission, shown with its messages;
    CONTACT shows the resident's contact details in full (the caller has logged the look);
    OPENED names a panel to show open."""
    prefetch_related_objects(
        [case],
        Prefetch("events", queryset=CaseEvent.objects.select_related("author__cadre").order_by("at", "id")),
        Prefetch("referrals", queryset=Referral.objects.select_related("helper", "asked_by__cadre")),
        Prefetch("feedback", queryset=Feedback.objects.select_related("given_by", "recorded_by__cadre")),
    )
    allowed = actions_for(request.user, case)
    open_action = bound[0] if bound else opened or _opened_at_load(case, allowed)
    inline = {bound[0]: bound[1]} if bound else _inline_forms(request.user, case, allowed, open_action, contact=contact)
    shown = allowed | inline.keys()  # a refused action the status no longer allows keeps its panel
    panels = [
        {
            "action": action,
            "heading": heading,
            "url": reverse(url, args=[case.number]),
            "form": inline.get(action),
            "open": action == open_action,
        }
        for action, heading, url in PANELS
        if action in shown
    ]
    ctx = {
        "case": case,
        "panels": panels,
        # Unbound, the reply form renders no field of its own (the referrals template writes them).
        "reply_form": inline.get("record_reply")
        or (_form("record_reply", case, request.user) if "record_reply" in allowed else None),
        "conflict": conflict,
        "can_act": bool(allowed),
        # The refused form's messages, summed up at the top of the page (templates/_error_summary.html).
        "error_forms": [bound[1]] if bound else [],
        "contact_shown": contact,
        "can_reveal": pipl.can_reveal_contact(request.user, case),
        "masked_phone": pipl.mask_phone(case.resident_phone),
        "masked_address": pipl.mask_address(case.resident_address),
    }
    return render(request, "cases/case_detail.html", ctx, status=status)


def _opened_at_load(case: Case, allowed: set[str]) -> str:
    """A case just registered waits for the office's decision: its triage panel is open."""
    return "triage" if case.status == Case.Status.REGISTERED and "triage" in allowed else ""


def _inline_forms(user, case: Case, allowed: set[str], open_action: str, *, contact: bool) -> dict:
    """The forms rendered on the case page itself: the open panel's and, once the contact details
    are shown, the edit form that carries them (a GET of the edit page never does). Every other
    panel's form is fetched when opened."""
    wanted = {open_action} | ({"edit_case"} if contact else set())
    return {action: _form(action, case, user, contact=contact) for action in wanted & allowed}


@login_required
@require_GET
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _page(request, get_case_for_user(request.user, number))


@login_required
@require_POST
def reveal_contact(request: HttpRequest, number: str) -> HttpResponse:
    """The page with the resident's phone and address in full, and the look in the access log."""
    case = get_case_for_user(request.user, number)
    if not pipl.can_reveal_contact(request.user, case):
        raise PermissionDenied
    pipl.log_access(request, ContactAccess.What.CONTACT, case=case, fields=pipl.CONTACT_FIELDS)
    opened = "edit_case" if request.POST.get("open") == "edit_case" else ""
    return _page(request, case, contact=True, opened=opened)


def _login_required(view):
    """login_required; but htmx asking for a panel's form after the session ended sends the whole
    window to the login page (back to the case page after), not the login page into the panel."""
    guarded = login_required(view)

    @wraps(view)
    def check(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.htmx and not request.user.is_authenticated:
            back = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(redirect_to_login(back).url)
        return guarded(request, *args, **kwargs)

    return check


def _action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """GET: ACTION's form on its own page, or alone for htmx to put in the case page's panel;
    POST: do it."""
    if request.method == "POST":
        return _perform(request, number, action)
    return _action_page(request, number, action)


def _case_to_act_on(request: HttpRequest, number: str, action: str) -> Case:
    """The case NUMBER if the user may take ACTION on it: 404 to outsiders (cases/access.py), 403 to
    those who only read and to a role that does not take ACTION (the same rule for GET and POST)."""
    case = get_case_for_user(request.user, number, for_update=True)
    if action not in actions_of(request.user):
        raise PermissionDenied
    return case


def _action_page(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """ACTION's form: a full page (without JavaScript the panel's link leads here) or, asked by
    htmx, the form alone. An action the case's status does not allow (the case moved on since the
    page was loaded) is refused with 403 and the reason, on the page and not in the panel."""
    case = _case_to_act_on(request, number, action)
    heading, url = next((heading, url) for name, heading, url in PANELS if name == action)
    ctx = {
        "case": case,
        "action": action,
        "heading": heading,
        "url": reverse(url, args=[case.number]),
        "can_reveal": pipl.can_reveal_contact(request.user, case),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    if action not in workflow.allowed_actions(case):
        labels = {"status": case.get_status_display(), "action": workflow.ACTION_LABELS[action]}
        if case.voided_at:
            ctx["refused"] = gettext("这个问题已作废，不能%(action)s。") % labels
        else:
            ctx["refused"] = gettext("“%(status)s”的问题不能%(action)s。") % labels
        response = render(request, "cases/action_page.html", ctx, status=403)
    else:
        ctx["form"] = _form(action, case, request.user)
        response = render(request, "cases/_action_form.html" if partial else "cases/action_page.html", ctx)
    # One URL, two answers: a cache must not give the partial to a browser loading the page.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _perform(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Validate ACTION's form and run its workflow function; the page again with the message when
    refused (400), or with the fresh case and a conflict message when the case moved on (409)."""
    case = _case_to_act_on(request, number, action)
    form = _form(action, case, request.user, request.POST)
    if not form.is_valid():
        return _page(request, case, bound=(action, form), status=400)
    try:
        ACTIONS[action].run(case, request.user, form.cleaned_data["version"], **form.arguments())
    except workflow.Conflict as conflict:
        fresh = get_case_for_user(request.user, number)
        data = request.POST.copy()
        data["version"] = str(fresh.version)
        stale = _form(action, fresh, request.user, data)
        stale.is_valid()
        return _page(request, fresh, bound=(action, stale), conflict=conflict, status=409)
    except workflow.TransitionNotAllowed as refused:
        form.add_error(None, str(refused))
        return _page(request, case, bound=(action, form), status=400)
    except ValidationError as invalid:
        for field, errors in invalid.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _page(request, case, bound=(action, form), status=400)
    messages.success(request, ACTIONS[action].done)
    return redirect("cases:detail", number=case.number)


@_login_required
@require_http_methods(["GET", "POST"])
def triage(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "triage")


@_login_required
@require_http_methods(["GET", "POST"])
def add_progress(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "add_progress")


@_login_required
@require_http_methods(["GET", "POST"])
def refer(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "refer")


@login_required
@require_POST
def record_reply(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "record_reply")


@_login_required
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "close")


@_login_required
@require_http_methods(["GET", "POST"])
def record_feedback(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "record_feedback")


@_login_required
@require_http_methods(["GET", "POST"])
def reopen(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "reopen")


@_login_required
@require_http_methods(["GET", "POST"])
def assign_responsible(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "assign_responsible")


@_login_required
@require_http_methods(["GET", "POST"])
def set_due_date(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "set_due_date")


@_login_required
@require_http_methods(["GET", "POST"])
def edit_case(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "edit_case")


@_login_required
@require_http_methods(["GET", "POST"])
def void(request: HttpRequest, number: str) -> HttpResponse:
    return _action(request, number, "void")
