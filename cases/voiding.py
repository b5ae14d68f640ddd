"""Voiding a case entered by mistake 作废: the office's decision, with a reason, kept in the history.

A voided case is never deleted: its row, number and history stay, and its page still opens. It counts
nowhere: Case.objects (every list, figure and board) leaves it out, the tally's triggers
(cases/tally_sql.py) take it out of the monthly counts, and no action can be taken on it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, CaseEvent
from cases.workflow import _event, _lock, _refuse_voided, _required, _save
from teams.roles import ADMIN, OFFICE, role_of


def may_void(user) -> bool:
    """Only the office (and the administrator) voids: a cadre asks the office."""
    return role_of(user) in (OFFICE, ADMIN)


@transaction.atomic
def void_case(*, case: Case, reason: str, by, expected_version=None) -> Case:
    """Void CASE for REASON (why it was a mistake: entered twice, wrong village ...)."""
    if not may_void(by):
        raise PermissionDenied
    locked = _lock(case, expected_version)
    _refuse_voided(locked, "void")
    reason = _required(reason, "reason", gettext_lazy("请填写作废的原因。"))
    if len(reason) > 500:
        raise ValidationError({"reason": _("作废原因请不要超过 500 字。")})
    locked.voided_at, locked.void_reason, locked.voided_by = timezone.now(), reason, by
    _save(locked, case, ["voided_at", "void_reason", "voided_by"], bump=True)
    _event(locked, CaseEvent.Kind.VOIDED, by, reason, {"code": "voided"}, public=False)
    return locked
