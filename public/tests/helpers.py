"""Small builders for the public board's tests: history lines and feedback as the workflow leaves them."""

import datetime

from cases.models import CaseEvent, Feedback


def add_event(case, text: str, *, public: bool = True, kind: str = CaseEvent.Kind.PROGRESS, day: int = 10):
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        text=text,
        public=public,
        at=datetime.datetime(2015, 1, day, 10, 0, tzinfo=datetime.UTC),
    )


def add_feedback(case, *, notes: str = "", satisfaction: str = "satisfied", given_by=None):
    """Feedback as record_feedback leaves it: a row, and the case's fed_back_on."""
    given_on = case.closed_on or datetime.date(2015, 1, 25)
    row = Feedback.objects.create(
        case=case, given_on=given_on, channel="phone", satisfaction=satisfaction, notes=notes, given_by=given_by
    )
    case.fed_back_on = given_on
    case.save(update_fields=["fed_back_on", "updated_at"])
    return row
