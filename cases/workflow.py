"""Every change of a case's state, one function each, writing its history in the same transaction.

Views and forms never set a case's status themselves: they call these functions.
"""

import datetime
import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from cases import history
from cases.deadlines import due_date
from cases.inserts import build
from cases.models import Case, CaseEvent, Feedback, Referral, after_today
from cases.numbering import format_number, give_track_codes, next_number  # noqa: F401 - the workflow's numbering, re-exported
from cases.privacy import check_case_text
from teams.roles import ADMIN, OFFICE, role_of


def loaded_relations(case: Case) -> list[str]:
    """The foreign keys of CASE set to an object already loaded (from a form or a lookup):
    checking that it exists would query the database again for nothing."""
    return [f.name for f in _case_relations() if getattr(case, f.attname) is not None and f.is_cached(case)]


@functools.cache
def _case_relations() -> list:
    return [f for f in Case._meta.concrete_fields if f.is_relation]


def check_new_case(case: Case) -> None:
    """The checks of a case about to be registered: loaded related objects are not looked up again,
    and the database enforces the unique number and the model's constraints. The one query is the
    public-text check's residents of the village (cases/privacy.py), kept on the Village object, so a
    batch sharing its villages asks once per village."""
    exclude = ["number", *loaded_relations(case)]
    case.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


def registration_event(case: Case, *, by, text: str, data: dict | None = None) -> CaseEvent:
    """Prepare CASE for registering (status, who) and check it; its first line of history, unsaved.
    DATA: the line the system writes, as a code (cases/history.py); TEXT: what a person typed."""
    case.created_by = by
    case.status = Case.Status.REGISTERED
    if case.public_posting and case.private_reason():
        # Sensitive personal information (PIPL) is never posted by default: posting it is a
        # decision the office takes later, on purpose (edit_case).
        case.public_posting = False
    check_new_case(case)
    kind = CaseEvent.Kind.REGISTERED
    data = data or {}
    return build(CaseEvent, case=case, kind=kind, author=by, text=text, data=data, status_to=case.status, public=True)


class AlreadyRegistered(Exception):
    """The form that would register a case was sent before by the same user: CASE is what it saved."""

    def __init__(self, case: Case):
        self.case = case
        super().__init__(case.number)


def registered_with_key(by, request_key: str) -> Case | None:
    """The case BY registered from the form carrying REQUEST_KEY, if any: only BY's own, so a key
    sent by someone else never reveals another person's case."""
    if not request_key or by is None:
        return None
    # A voided case too: the form was registered once, whatever the office did with it since.
    return Case.with_voided.filter(created_by=by, request_key=request_key).order_by("pk").first()


def register_case(*, case: Case, by=None, text: str = "", data: dict | None = None, request_key: str = "") -> Case:
    """Save a new CASE with its tracking number and a first line in its history.

    REQUEST_KEY is the registering form's one-time key, saved with the case: the unique index on
    (by, key) makes the same form sent again — after the first committed, or at the same moment, when
    the insert waits for the first transaction and then fails — raise AlreadyRegistered with the first
    case, and nothing of the second is kept (its number is given back with its transaction). Keys
    belong to a user: without BY the key is not kept."""
    event = registration_event(case, by=by, text=text, data=data)  # refused before a number is taken
    case.request_key = request_key if by is not None else ""
    try:
        with transaction.atomic():
            case.town = case.village.town
            case.number = next_number(case.town, case.raised_on.year)
            give_track_codes([case])
            case.save(force_insert=True)
            event.case = case
            event.save(force_insert=True)
    except IntegrityError:
        first = registered_with_key(by, case.request_key)
        if first is None:
            raise
        raise AlreadyRegistered(first) from None
    return case


# --- The rules of a case's life -------------------------------------------------------------

S = Case.Status

# Every status change that exists, and the action that makes it. Nothing else moves a case.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.REGISTERED, S.IN_PROGRESS): "triage",
    (S.IN_PROGRESS, S.IN_PROGRESS): "triage",  # the monthly meeting changes its decision
    (S.REGISTERED, S.CLOSED): "close",  # only "solved on the spot" (Case.Closure.ON_THE_SPOT)
    (S.IN_PROGRESS, S.CLOSED): "close",
    (S.CLOSED, S.IN_PROGRESS): "reopen",
}

# The statuses in which each action that does not change the status may be taken.
ACTIONS_IN: dict[str, frozenset[str]] = {
    "add_progress": frozenset({S.REGISTERED, S.IN_PROGRESS, S.CLOSED}),
    "refer": frozenset({S.REGISTERED, S.IN_PROGRESS}),
    "record_reply": frozenset({S.REGISTERED, S.IN_PROGRESS, S.CLOSED}),
    "record_feedback": frozenset({S.CLOSED}),
    "assign_responsible": frozenset({S.REGISTERED, S.IN_PROGRESS}),
    "set_due_date": frozenset({S.REGISTERED, S.IN_PROGRESS}),
    "edit_case": frozenset({S.REGISTERED, S.IN_PROGRESS, S.CLOSED}),
    "void": frozenset({S.REGISTERED, S.IN_PROGRESS, S.CLOSED}),  # cases/voiding.py
    "sign_for": frozenset({S.REGISTERED, S.IN_PROGRESS}),  # a 12345 work order not yet signed for only
}

# Fields of the record edit_case may change (status, dates of handling etc. have their own actions).
EDITABLE_FIELDS = (
    "title",
    "description",
    "category",
    "subcategory",
    "kind",
    "channel",
    "raised_on",
    "resident_name",
    "resident_phone",
    "resident_address",
    "public_posting",
)
# Fields whose old and new values stay out of the history (private or long): only their name is written.
_UNQUOTED_FIELDS = {"description", "resident_name", "resident_phone", "resident_address"}


class TransitionNotAllowed(Exception):
    """The action is not allowed for the case's current status (or its arguments break a rule of it)."""


class Conflict(Exception):
    """The case changed since the form was loaded: the form's version is not the row's."""

    def __init__(self, case: Case, expected_version):
        self.case = case
        self.expected_version = expected_version
        super().__init__(f"{case.number}: version {case.version}, form had {expected_version}")


def allowed_actions(case: Case) -> set[str]:
    """The actions the case's current status allows (roles are the views' business); none once voided."""
    if case.voided_at is not None:
        return set()
    actions = {action for (start, _end), action in TRANSITIONS.items() if start == case.status}
    actions |= {action for action, statuses in ACTIONS_IN.items() if case.status in statuses}
    if not needs_signing(case):
        actions.discard("sign_for")
    return actions


def needs_signing(case: Case) -> bool:
    """CASE is a 12345 work order (cases/hotline.py) not yet signed for 签收."""
    return case.channel == Case.Channel.HOTLINE and bool(case.hotline_number) and case.hotline_signed_at is None


def _refuse_voided(case: Case, action: str) -> None:
    if case.voided_at is not None:
        raise TransitionNotAllowed(_("这个问题已作废，不能%(action)s。") % {"action": ACTION_LABELS[action]})


def _check_transition(case: Case, to_status: str, action: str) -> None:
    _refuse_voided(case, action)
    if TRANSITIONS.get((case.status, to_status)) != action:
        raise TransitionNotAllowed(
            _("“%(status)s”的问题不能%(action)s。")
            % {"status": case.get_status_display(), "action": ACTION_LABELS[action]}
        )


def _check_action(case: Case, action: str) -> None:
    _refuse_voided(case, action)
    if case.status not in ACTIONS_IN[action]:
        raise TransitionNotAllowed(
            _("“%(status)s”的问题不能%(action)s。")
            % {"status": case.get_status_display(), "action": ACTION_LABELS[action]}
        )


ACTION_LABELS = {
    "triage": gettext_lazy("分办"),
    "close": pgettext_lazy("action", "办结"),
    "reopen": gettext_lazy("重新办理"),
    "add_progress": gettext_lazy("记录进展"),
    "refer": gettext_lazy("请辅助团队协助"),
    "record_reply": gettext_lazy("记录答复"),
    "record_feedback": gettext_lazy("记录反馈"),
    "assign_responsible": gettext_lazy("指定责任人"),
    "set_due_date": gettext_lazy("设定办理期限"),
    "edit_case": gettext_lazy("修改"),
    "void": gettext_lazy("作废"),
    "sign_for": gettext_lazy("签收"),
}


def _lock(case: Case, expected_version=None) -> Case:
    """The case's row, locked until the transaction ends; Conflict if it moved past EXPECTED_VERSION."""
    locked = (
        Case.with_voided.select_for_update(of=("self",))  # only the case's row: the joins are nullable
        .select_related("category", "subcategory", "responsible")
        .get(pk=case.pk)
    )
    if expected_version is not None and str(expected_version) != str(locked.version):
        raise Conflict(locked, expected_version)
    if Case.village.is_cached(case) and case.village_id == locked.village_id:
        locked.village = case.village  # the village's residents' names, looked up once (cases/privacy.py)
    return locked


def _save(locked: Case, original: Case, fields: list[str], *, bump: bool) -> Case:
    """Save FIELDS of the locked row (always with updated_at) and copy them onto the caller's object."""
    fields = list(fields)
    if bump:
        locked.version += 1
        fields.append("version")
    fields.append("updated_at")
    locked.save(update_fields=fields)
    for name in fields:
        setattr(original, name, getattr(locked, name))
    return locked


def _new_event(
    case: Case, kind: str, by, text: str, data: dict, *, public: bool, status_from: str = "", status_to: str = ""
):
    """An unsaved line of history: DATA, what the system writes, as a code and its values
    (cases/history.py renders it in the reader's language); TEXT, only what a person typed."""
    return build(
        CaseEvent,
        case=case,
        kind=kind,
        author=by,
        text=text,
        data=data,
        public=public,
        status_from=status_from if status_from != status_to else "",
        status_to=status_to if status_from != status_to else "",
    )


def _event(case: Case, kind: str, by, text: str, data: dict, **kwargs) -> CaseEvent:
    event = _new_event(case, kind, by, text, data, **kwargs)
    event.save(force_insert=True)
    return event


@dataclass
class Change:
    """What an action did to a case in memory: the FIELDS to save, whether the record's version
    moves on (BUMP), and the line of history (unsaved). The actions below save it at once;
    cases.batch applies the same changes to many new cases and writes them together."""

    fields: list[str]
    bump: bool
    event: CaseEvent


def _apply(locked: Case, case: Case, change: Change | None) -> Case:
    """Save a change of the locked row and its history (the single-case path)."""
    if change is not None:
        _save(locked, case, change.fields, bump=change.bump)
        change.event.save(force_insert=True)
    return locked


def _required(value: str, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


_DECISIONS = frozenset(Case.Decision.values)
_CLOSURES = frozenset(Case.Closure.values)
_FEEDBACK_CHANNELS = frozenset(Feedback.Channel.values)
_SATISFACTION = frozenset(Feedback.Satisfaction.values)


def _is_choice(value, choices: frozenset) -> bool:
    """VALUE is one of CHOICES (as `value in Choices.values`, without building the list each time)."""
    try:
        return value in choices
    except TypeError:  # unhashable: no choice
        return False


def check_date(case: Case, value: datetime.date | None, field: str, *, label, allow_future: bool = False) -> None:
    """A date of handling: required, not before the programme nor the day the problem was raised,
    not in the future (unless ALLOW_FUTURE, e.g. a due date)."""
    if value is None:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    if value < settings.PROGRAMME_START:
        raise ValidationError(
            {field: _("%(label)s早于直联活动开始（%(start)s）。") % {"label": label, "start": settings.PROGRAMME_START}}
        )
    if value < case.raised_on:
        raise ValidationError(
            {field: _("%(label)s不能早于反映日期（%(raised)s）。") % {"label": label, "raised": case.raised_on}}
        )
    if not allow_future and after_today(value):
        raise ValidationError({field: _("%(label)s不能晚于今天。") % {"label": label}})


# --- Actions --------------------------------------------------------------------------------


@transaction.atomic
def triage(
    *,
    case: Case,
    decision: str,
    by,
    responsible=None,
    due_on: datetime.date | None = None,
    plan: str = "",
    planned_on: datetime.date | None = None,
    policy_basis: str = "",
    explaining_department: str = "",
    expected_version=None,
) -> Case:
    """Record the monthly meeting's decision: handle now (a responsible person and a due date,
    by default the working-day limit of the case's kind), make a plan (plan text and planned
    date) or explain under policy (basis and explaining department). Moves the case in progress."""
    locked = _lock(case, expected_version)
    change = triage_change(
        locked,
        decision=decision,
        by=by,
        responsible=responsible,
        due_on=due_on,
        plan=plan,
        planned_on=planned_on,
        policy_basis=policy_basis,
        explaining_department=explaining_department,
    )
    return _apply(locked, case, change)


def triage_change(
    locked: Case,
    *,
    decision: str,
    by,
    responsible=None,
    due_on: datetime.date | None = None,
    plan: str = "",
    planned_on: datetime.date | None = None,
    policy_basis: str = "",
    explaining_department: str = "",
) -> Change:
    """triage's rules and changes, in memory."""
    _check_transition(locked, S.IN_PROGRESS, "triage")
    D = Case.Decision
    if not _is_choice(decision, _DECISIONS):
        raise ValidationError({"decision": _("请选择处理决定。")})
    plan, policy_basis = (plan or "").strip(), (policy_basis or "").strip()
    explaining_department = (explaining_department or "").strip()
    if decision == D.HANDLE_NOW:
        if responsible is None:
            raise ValidationError({"responsible": _("即时办理须指定责任人。")})
        if due_on is None:
            due_on, _fallback = due_date(timezone.localdate(), locked.kind)
    elif decision == D.PLAN:
        _required(plan, "plan", gettext_lazy("请填写实施方案。"))
        check_date(locked, planned_on, "planned_on", label=gettext_lazy("计划完成日期"), allow_future=True)
    else:
        _required(policy_basis, "policy_basis", gettext_lazy("请填写政策依据。"))
        _required(explaining_department, "explaining_department", gettext_lazy("请填写负责解释的部门。"))
        # The department is named in the history line the board shows.
        check_case_text(locked, "explaining_department", explaining_department)
    if due_on is not None:
        check_date(locked, due_on, "due_on", label=gettext_lazy("办理期限"), allow_future=True)

    status_from = locked.status
    locked.status = S.IN_PROGRESS
    locked.decision = decision
    locked.responsible = responsible
    locked.due_on, locked.due_derived = due_on, False
    locked.plan = plan if decision == D.PLAN else ""
    locked.planned_on = planned_on if decision == D.PLAN else None
    locked.policy_basis = policy_basis if decision == D.EXPLAIN else ""
    locked.explaining_department = explaining_department if decision == D.EXPLAIN else ""
    fields = ["status", "decision", "responsible", "due_on", "due_derived", "plan", "planned_on", "policy_basis"]

    data = {"code": "triaged", "decision": str(decision)}
    if responsible is not None:
        data["responsible"] = responsible.name
    if due_on is not None:
        data["due_on"] = due_on.isoformat()
    if decision == D.PLAN:
        data["planned_on"] = planned_on.isoformat()
    if decision == D.EXPLAIN:
        data["department"] = explaining_department
    event = _new_event(
        locked,
        CaseEvent.Kind.TRIAGED,
        by,
        "",
        data,
        public=True,
        status_from=status_from,
        status_to=locked.status,
    )
    return Change([*fields, "explaining_department"], True, event)


@transaction.atomic
def add_progress(*, case: Case, text: str, public: bool, by) -> CaseEvent:
    """A line of progress; PUBLIC ones appear on the village notice board. The record's version stays."""
    locked = _lock(case)
    change = progress_change(locked, text=text, public=public, by=by)
    _apply(locked, case, change)
    return change.event


def progress_change(locked: Case, *, text: str, public: bool, by, data: dict | None = None) -> Change:
    """add_progress's rules, in memory: only updated_at is saved (a public event advances the board's
    version itself: villages/board_sql.py). DATA: a line the system writes instead (an import's,
    cases/history.py), then TEXT may be empty."""
    _check_action(locked, "add_progress")
    if data is None:
        text = _required(text, "text", gettext_lazy("请填写进展内容。"))
    text = (text or "").strip()
    if public and text:
        check_case_text(locked, "text", text)
    event = _new_event(locked, CaseEvent.Kind.PROGRESS, by, text, data or {"code": "progress"}, public=bool(public))
    return Change([], False, event)


@transaction.atomic
def refer(*, case: Case, helper, request: str, asked_on: datetime.date, by) -> Referral:
    """Ask an auxiliary helper (三官一师, city-department cadre) for help with the case."""
    locked = _lock(case)
    _check_action(locked, "refer")
    request = _required(request, "request", gettext_lazy("请填写请求协助的内容。"))
    if helper is None or not helper.active:
        raise ValidationError({"helper": _("请选择在册的辅助团队成员。")})
    check_date(locked, asked_on, "asked_on", label=gettext_lazy("请求日期"))
    referral = Referral.objects.create(case=locked, helper=helper, request=request, asked_on=asked_on, asked_by=by)
    _save(locked, case, [], bump=False)
    _event(
        locked,
        CaseEvent.Kind.REFERRED,
        by,
        request,
        {"code": "referred", **history.helper_data(helper)},
        public=False,
    )
    return referral


@transaction.atomic
def record_reply(*, referral: Referral, reply: str, replied_on: datetime.date, by) -> Referral:
    """Record the helper's reply to a referral (once)."""
    locked = _lock(referral.case)
    _check_action(locked, "record_reply")
    row = Referral.objects.select_for_update().select_related("helper").get(pk=referral.pk)
    if row.replied_on is not None:
        raise TransitionNotAllowed(_("这项协助请求已记录答复。"))
    reply = _required(reply, "reply", gettext_lazy("请填写答复内容。"))
    check_date(locked, replied_on, "replied_on", label=gettext_lazy("答复日期"))
    if replied_on < row.asked_on:
        raise ValidationError({"replied_on": _("答复日期不能早于请求日期（%(date)s）。") % {"date": row.asked_on}})
    row.reply, row.replied_on = reply, replied_on
    row.save(update_fields=["reply", "replied_on"])
    referral.reply, referral.replied_on = reply, replied_on
    _save(locked, referral.case, [], bump=False)
    _event(
        locked,
        CaseEvent.Kind.REPLIED,
        by,
        reply,
        {"code": "replied", **history.helper_data(row.helper)},
        public=False,
    )
    return row


@transaction.atomic
def close(*, case: Case, closure: str, result: str, closed_on: datetime.date, by, expected_version=None) -> Case:
    """Close the case: solved or explained under policy, with the result the board shows.
    A case still registered may only be closed as "solved on the spot" (at registration)."""
    locked = _lock(case, expected_version)
    change = close_change(locked, closure=closure, result=result, closed_on=closed_on, by=by)
    return _apply(locked, case, change)


def close_change(locked: Case, *, closure: str, result: str, closed_on: datetime.date, by) -> Change:
    """close's rules and changes, in memory."""
    _check_transition(locked, S.CLOSED, "close")
    C = Case.Closure
    if not _is_choice(closure, _CLOSURES):
        raise ValidationError({"closure": _("请选择办结方式。")})
    if locked.status == S.REGISTERED and closure != C.ON_THE_SPOT:
        raise TransitionNotAllowed(_("未分办的问题只能以“现场解决”办结；请先分办。"))
    if locked.status == S.IN_PROGRESS and closure == C.ON_THE_SPOT:
        raise TransitionNotAllowed(_("“现场解决”只用于登记时当场解决的问题。"))
    result = _required(result, "result", gettext_lazy("办结须填写办理结果。"))
    check_case_text(locked, "result", result)
    check_date(locked, closed_on, "closed_on", label=gettext_lazy("办结日期"))

    status_from = locked.status
    locked.status, locked.closure, locked.result, locked.closed_on = S.CLOSED, closure, result, closed_on
    event = _new_event(
        locked,
        CaseEvent.Kind.CLOSED,
        by,
        result,
        {"code": "closed", "closure": str(closure)},
        public=True,
        status_from=status_from,
        status_to=locked.status,
    )
    return Change(["status", "closure", "result", "closed_on"], True, event)


@transaction.atomic
def record_feedback(
    *, case: Case, given_on: datetime.date, channel: str, given_by, satisfaction: str, notes: str, by
) -> Feedback:
    """Record telling the resident the outcome 反馈 (and how satisfied they were); the first
    feedback after a closing sets case.fed_back_on."""
    locked = _lock(case)
    change, feedback = feedback_change(
        locked, given_on=given_on, channel=channel, given_by=given_by, satisfaction=satisfaction, notes=notes, by=by
    )
    feedback.save(force_insert=True)
    _apply(locked, case, change)
    return feedback


def feedback_change(
    locked: Case, *, given_on: datetime.date, channel: str, given_by, satisfaction: str, notes: str, by
) -> tuple[Change, Feedback]:
    """record_feedback's rules and changes, in memory: the change and the feedback, both unsaved."""
    _check_action(locked, "record_feedback")
    if not _is_choice(channel, _FEEDBACK_CHANNELS):
        raise ValidationError({"channel": _("请选择反馈方式。")})
    if satisfaction and not _is_choice(satisfaction, _SATISFACTION):
        raise ValidationError({"satisfaction": _("请选择满意度。")})
    check_date(locked, given_on, "given_on", label=gettext_lazy("反馈日期"))
    if locked.closed_on and given_on < locked.closed_on:
        raise ValidationError({"given_on": _("反馈日期不能早于办结日期（%(date)s）。") % {"date": locked.closed_on}})
    feedback = build(
        Feedback,
        case=locked,
        town_id=locked.town_id,
        given_on=given_on,
        channel=channel,
        given_by=given_by,
        satisfaction=satisfaction or "",
        notes=(notes or "").strip(),
        recorded_by=by,
    )
    first = locked.fed_back_on is None
    if first:
        locked.fed_back_on = given_on
    data = {"code": "feedback", "channel": str(channel), "satisfaction": str(feedback.satisfaction)}
    if given_by is not None:
        data["given_by"] = given_by.name
    event = _new_event(locked, CaseEvent.Kind.FEEDBACK, by, feedback.notes, data, public=False)
    return Change(["fed_back_on"] if first else [], first, event), feedback


@transaction.atomic
def reopen(*, case: Case, reason: str = "", by, expected_version=None, data: dict | None = None) -> Case:
    """Take a closed case up again (e.g. the resident is not satisfied). The former closing stays
    in the history; the case awaits a new result and a new feedback. DATA: why, when the system says
    it (a failed spot check: reports/spotchecks.py), as a code (cases/history.py); then REASON, what
    a person typed, may be empty."""
    locked = _lock(case, expected_version)
    _check_transition(locked, S.IN_PROGRESS, "reopen")
    if data is None:
        reason = _required(reason, "reason", gettext_lazy("请填写重新办理的原因。"))
    reason = (reason or "").strip()
    if reason:
        check_case_text(locked, "reason", reason)  # the board shows why a case was taken up again
    status_from = locked.status
    locked.status, locked.closure, locked.result, locked.closed_on = S.IN_PROGRESS, "", "", None
    locked.fed_back_on = None
    _save(locked, case, ["status", "closure", "result", "closed_on", "fed_back_on"], bump=True)
    _event(
        locked,
        CaseEvent.Kind.REOPENED,
        by,
        reason,
        data or {"code": "reopened"},
        public=True,
        status_from=status_from,
        status_to=locked.status,
    )
    return locked


@transaction.atomic
def assign_responsible(*, case: Case, responsible, by, expected_version=None) -> Case:
    """Name the person who follows the case up 专人跟进."""
    locked = _lock(case, expected_version)
    return _apply(locked, case, assign_change(locked, responsible=responsible, by=by))


def assign_change(locked: Case, *, responsible, by) -> Change | None:
    """assign_responsible's rules and change, in memory; None when the person stays the same."""
    _check_action(locked, "assign_responsible")
    if responsible is None:
        raise ValidationError({"responsible": _("请选择责任人。")})
    before = locked.responsible
    if before == responsible:
        return None
    locked.responsible = responsible
    data = {"code": "assigned", "old": before.name if before else None, "new": responsible.name}
    return Change(["responsible"], True, _new_event(locked, CaseEvent.Kind.ASSIGNED, by, "", data, public=False))


@transaction.atomic
def set_due_date(*, case: Case, due_on: datetime.date, by, expected_version=None) -> Case:
    """Set the date the case must be handled by (not before it was raised)."""
    locked = _lock(case, expected_version)
    _check_action(locked, "set_due_date")
    check_date(locked, due_on, "due_on", label=gettext_lazy("办理期限"), allow_future=True)
    before = locked.due_on
    if before == due_on:
        return locked
    locked.due_on, locked.due_derived = due_on, False
    _save(locked, case, ["due_on", "due_derived"], bump=True)
    data = {"code": "due_date", "old": history.raw(before), "new": history.raw(due_on)}
    _event(locked, CaseEvent.Kind.EDITED, by, "", data, public=False)
    return locked


@transaction.atomic
def sign_for(*, case: Case, by, at: datetime.datetime | None = None) -> Case:
    """Sign for 签收 a 12345 work order: who and when, once. Signed after its deadline, the history
    says so. The record's version stays (no form of the case changes)."""
    locked = _lock(case)
    _check_action(locked, "sign_for")
    if locked.channel != Case.Channel.HOTLINE or not locked.hotline_number:
        raise TransitionNotAllowed(_("只有12345热线工单需要签收。"))
    if locked.hotline_signed_at is not None:
        raise TransitionNotAllowed(
            _("这张工单已于 %(at)s 签收。")
            % {"at": timezone.localtime(locked.hotline_signed_at).strftime("%Y-%m-%d %H:%M")}
        )
    at = at or timezone.now()
    locked.hotline_signed_at, locked.hotline_signed_by = at, by
    _save(locked, case, ["hotline_signed_at", "hotline_signed_by"], bump=False)
    data = {"code": "hotline_signed", "number": locked.hotline_number}
    if locked.hotline_sign_by is not None and at > locked.hotline_sign_by:
        data["late_since"] = timezone.localtime(locked.hotline_sign_by).isoformat(timespec="minutes")
    _event(locked, CaseEvent.Kind.SIGNED, by, "", data, public=False)
    return locked


@transaction.atomic
def edit_case(*, case: Case, changes: dict, by, expected_version, confirm_sensitive_posting: bool = False) -> Case:
    """Change fields of the record (EDITABLE_FIELDS); the history lists what changed.
    Nothing changed: nothing written. Posting the detail of a case that touches sensitive personal
    information is a decision only the office takes, on purpose (CONFIRM_SENSITIVE_POSTING)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"edit_case cannot change {sorted(unknown)}")
    locked = _lock(case, expected_version)
    _check_action(locked, "edit_case")
    changed, lines = [], []  # LINES: each change as DATA keeps it (cases/history.py "edited")
    for name in EDITABLE_FIELDS:
        if name not in changes:
            continue
        new, old = changes[name], getattr(locked, name)
        if isinstance(new, str):
            new = new.strip()
        if new == old:
            continue
        if name in _UNQUOTED_FIELDS:
            lines.append({"field": name})
        else:
            lines.append({"field": name, "old": history.raw(old), "new": history.raw(new)})
        setattr(locked, name, new)
        changed.append(name)
    if not changed:
        return locked
    data = {"code": "edited", "changes": lines}
    if _sensitive_posting(case, locked, by=by, confirmed=confirm_sensitive_posting):
        data["posting"] = history.posting_reason(locked)
        locked.posting_decided = True  # Case.clean: decided here, on purpose
    locked.full_clean(exclude=["number"], validate_unique=False, validate_constraints=False)
    _save(locked, case, changed, bump=True)
    _event(locked, CaseEvent.Kind.EDITED, by, "", data, public=False)
    return locked


def _sensitive_posting(before: Case, after: Case, *, by, confirmed: bool) -> bool:
    """A case whose detail touches sensitive personal information (PIPL) becomes posted only when
    someone of the office decides so on purpose: whether that decision is taken here (the history
    records it). Raises ValidationError when it is taken by the wrong person or
    without confirming."""
    reason = after.private_reason() if after.public_posting else ""
    if not reason or (before.public_posting and before.private_reason()):
        return False
    if role_of(by) not in (OFFICE, ADMIN):
        raise ValidationError(
            {
                "public_posting": _("这一问题%(reason)s，涉及敏感个人信息，只能由党政办决定是否公示内容。")
                % {"reason": reason}
            }
        )
    if not confirmed:
        raise ValidationError(
            {
                "public_posting": _(
                    "这一问题%(reason)s，涉及敏感个人信息，默认不公示内容。确需公示时，请勾选“确认公示”。"
                )
                % {"reason": reason}
            }
        )
    return True
