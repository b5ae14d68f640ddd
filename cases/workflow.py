"""Every change of a case's state, one function each, writing its history in the same transaction.

Views and forms never set a case's status themselves: they call these functions.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F

from cases.models import Case, CaseEvent, NumberSequence


def next_number(year: int) -> str:
    """Take the next tracking number of YEAR (SH-2015-0001); safe against concurrent callers."""
    with transaction.atomic():
        NumberSequence.objects.get_or_create(year=year)
        # The row lock serialises concurrent callers until the transaction ends.
        sequence = NumberSequence.objects.select_for_update().get(year=year)
        sequence.last = F("last") + 1
        sequence.save(update_fields=["last"])
        sequence.refresh_from_db(fields=["last"])
    return format_number(year, sequence.last)


def format_number(year: int, serial: int) -> str:
    return f"{settings.CASE_NUMBER_PREFIX}-{year}-{serial:04d}"


@transaction.atomic
def register_case(*, case: Case, by=None, text: str = "") -> Case:
    """Save a new CASE with its tracking number and a first line in its history."""
    case.number = next_number(case.raised_on.year)
    case.created_by = by
    case.status = Case.Status.REGISTERED
    case.full_clean(exclude=["number"])
    case.save()
    CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.REGISTERED, author=by, text=text, status_to=case.status, public=True
    )
    return case
