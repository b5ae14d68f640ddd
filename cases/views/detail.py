"""One case: everything about it, its timeline, and a small form for each action.

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

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases import forms, pipl, workflow
from cases.access import get_case_for_user
from cases.models import Case, CaseEvent, ContactAccess, Feedback, Referral
from teams.roles import ADMIN, CADRE, OFFICE, role_of

TEAM_ACTIONS = frozenset({"add_progress", "edit_case", "refer", "record_reply"})
OFFICE_ACTIONS = TEAM_ACTIONS | {"triage", "close", "record_feedback", "reopen", "assign_responsible", "set_due_date"}


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
}


def actions_for(user, case: Case) -> set[str]:
    """The actions USER may take on CASE now: their role's, and of those what the status allows."""
    role = role_of(user)
    mine = OFFICE_ACTIONS if role in (OFFICE, ADMIN) else TEAM_ACTIONS if role == CADRE else frozenset()
    return set(mine) & workflow.allowed_actions(case)


# The action panels of the page, in this order: (action, heading, URL name).
PANELS = (
    ("triage", gettext_lazy("分办（处理决定）"), "cases:triage"),
    ("close", gettext_lazy("办结"), "cases:close"),
    ("record_feedback", gettext_lazy("记录反馈"), "cases:feedback"),
    ("reopen", gettext_lazy("重新办理"), "cases:reopen"),
    ("add_progress", gettext_lazy("记录进展"), "cases:progress"),
    ("refer", gettext_lazy("请辅助团队协助"), "cases:refer"),
    ("assign_responsible", gettext_lazy("更换责任人"), "cases:assign"),
    ("set_due_date", gettext_lazy("设定办理期限"), "cases:due"),
    ("edit_case", gettext_lazy("修改登记内容"), "cases:edit"),
)


def _form(action: str, case: Case, user, data=None, *, contact: bool = False) -> forms.CaseForm:
    """ACTION's form; the edit form carries the contact details only when they are CONTACT (shown
    to the user, the look logged) or posted back by such a form."""
    extra = {"user": user} if action == "record_feedback" else {}
    if action == "edit_case":
        posted = data is not None and any(name in data for name in forms.EditForm.CONTACT_FIELDS)
        extra["contact"] = (contact or posted) and pipl.can_reveal_contact(user, case)
    return ACTIONS[action].form(data, case=case, auto_id=f"id_{action}_%s", **extra)


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
    action_forms = {action: _form(action, case, request.user, contact=contact) for action in allowed}
    if bound:
        action_forms[bound[0]] = bound[1]
    panels = [
        {"action": action, "heading": heading, "url": reverse(url, args=[case.number]), "form": action_forms[action]}
        for action, heading, url in PANELS
        if action in action_forms
    ]
    ctx = {
        "case": case,
        "panels": panels,
        "reply_form": action_forms.get("record_reply"),
        "open_action": bound[0] if bound else opened,
        "conflict": conflict,
        "can_act": bool(allowed),
        # A refused reply whose referral is not one waiting on this page: its messages go on top.
        "reply_orphan_errors": _orphan_reply_errors(bound, case),
        "contact_shown": contact,
        "can_reveal": pipl.can_reveal_contact(request.user, case),
        "masked_phone": pipl.mask_phone(case.resident_phone),
        "masked_address": pipl.mask_address(case.resident_address),
    }
    return render(request, "cases/case_detail.html", ctx, status=status)


def _orphan_reply_errors(bound, case: Case) -> list[str]:
    if not bound or bound[0] != "record_reply":
        return []
    waiting = {str(r.pk) for r in case.referrals.all() if r.replied_on is None}
    if bound[1].data.get("referral") in waiting:
        return []
    return [error for errors in bound[1].errors.values() for error in errors]


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


def _perform(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Validate ACTION's form and run its workflow function; the page again with the message when
    refused (400), or with the fresh case and a conflict message when the case moved on (409)."""
    case = get_case_for_user(request.user, number, for_update=True)
    role = role_of(request.user)
    if action not in (OFFICE_ACTIONS if role in (OFFICE, ADMIN) else TEAM_ACTIONS):
        raise PermissionDenied
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


@login_required
@require_POST
def triage(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "triage")


@login_required
@require_POST
def add_progress(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "add_progress")


@login_required
@require_POST
def refer(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "refer")


@login_required
@require_POST
def record_reply(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "record_reply")


@login_required
@require_POST
def close(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "close")


@login_required
@require_POST
def record_feedback(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "record_feedback")


@login_required
@require_POST
def reopen(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "reopen")


@login_required
@require_POST
def assign_responsible(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "assign_responsible")


@login_required
@require_POST
def set_due_date(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "set_due_date")


@login_required
@require_POST
def edit_case(request: HttpRequest, number: str) -> HttpResponse:
    return _perform(request, number, "edit_case")
