"""Registering many new cases at once, as an import does.

Each case goes through the same steps as one registered by hand — `register`, then
`assign_responsible`, `triage`, `add_progress`, `close`, `record_feedback` — checked by the same
rules and writing the same history (cases.workflow's `*_change` functions), but in memory. `save`
then takes the tracking numbers of all the cases in one locked step per town and writes the cases,
their history and feedback in bulk (cases.inserts), a few queries whatever the number of rows.
Each step is by the batch's BY unless it names its own `by` (a generator's cases pass through
several hands). Nothing is written until `save`; call it inside the caller's transaction so that a
failure writes nothing. Build a big batch under `collector_paused()`.
"""

import contextlib
import gc
from collections import Counter, defaultdict

from django.db import transaction

from cases import numbering, workflow
from cases.inserts import insert_all
from cases.models import Case, CaseEvent, Feedback
from villages.models import Town, Village


class Batch:
    def __init__(self, *, by=None):
        self.by = by
        self.cases: list[Case] = []
        self.events: list[CaseEvent] = []
        self.feedback: list[Feedback] = []
        self.towns: dict[int, Town] = {}

    def register(self, case: Case, *, text: str = "", data: dict | None = None, at=None, **kwargs) -> Case:
        """register_case, in memory: CASE is checked now and numbered by `save`. AT dates its first
        line of history (an import: the day the ledger says it was raised); DATA is that line as a
        code (cases/history.py), TEXT what a person wrote."""
        event = workflow.registration_event(case, text=text, data=data, **self._by(kwargs))
        case.town = self.town_of(case.village)
        if at is not None:
            event.at = at
        self.events.append(event)
        self.cases.append(case)
        return case

    def town_of(self, village: Village) -> Town:
        """VILLAGE's town, read once for the batch (its cases share a handful of towns)."""
        if village.town_id not in self.towns:
            self.towns[village.town_id] = Town.objects.get(pk=village.town_id)
        return self.towns[village.town_id]

    # AT dates a step's line of history when it happened before it was recorded (an import).

    def assign_responsible(self, case: Case, *, at=None, **kwargs) -> None:
        self._apply(case, workflow.assign_change(case, **self._by(kwargs)), at)

    def triage(self, case: Case, *, at=None, **kwargs) -> None:
        self._apply(case, workflow.triage_change(case, **self._by(kwargs)), at)

    def add_progress(self, case: Case, *, text: str = "", at=None, **kwargs) -> None:
        self._apply(case, workflow.progress_change(case, text=text, **self._by(kwargs)), at)

    def close(self, case: Case, *, at=None, **kwargs) -> None:
        self._apply(case, workflow.close_change(case, **self._by(kwargs)), at)

    def record_feedback(self, case: Case, *, at=None, **kwargs) -> None:
        change, feedback = workflow.feedback_change(case, **self._by(kwargs))
        self.feedback.append(feedback)
        self._apply(case, change, at)

    def _by(self, kwargs: dict) -> dict:
        kwargs.setdefault("by", self.by)
        return kwargs

    def _apply(self, case: Case, change: workflow.Change | None, at=None) -> None:
        if change is None:
            return
        if change.bump:
            case.version += 1
        if at is not None:
            change.event.at = at
        self.events.append(change.event)

    def discard(self, cases) -> None:
        """Leave CASES out of the batch (e.g. imported meanwhile), with their history."""
        gone = {id(case) for case in cases}
        self.cases = [case for case in self.cases if id(case) not in gone]
        self.events = [event for event in self.events if id(event.case) not in gone]
        self.feedback = [feedback for feedback in self.feedback if id(feedback.case) not in gone]

    @transaction.atomic
    def save(self) -> list[Case]:
        """Number the cases in their order (one locked step per town) and write them with their history."""
        years = defaultdict(Counter)
        for case in self.cases:
            years[case.town_id][case.raised_on.year] += 1
        taken = {}
        for town_id in sorted(years):
            numbers = numbering.take_numbers(self.towns[town_id], years[town_id])
            taken |= {(town_id, year): iter(serials) for year, serials in numbers.items()}
        for case in self.cases:
            case.number = next(taken[case.town_id, case.raised_on.year])
        numbering.give_track_codes(self.cases)
        self.write()
        return self.cases

    def write(self) -> None:
        """Write the cases, numbered already, with their history and feedback."""
        insert_all(Case, self.cases)
        insert_all(CaseEvent, self.events)  # each case has its id now: the events take it
        insert_all(Feedback, self.feedback)


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector paused while an import builds thousands of objects that all
    live until its end (the plan's rows, the cases, their history): each full pass of the collector
    walks every one of them again and frees nothing, a tenth or more of an import's time. Reference
    counting frees everything as usual meanwhile; the collector resumes at the end, error or not,
    unless it was already paused (by another import, in another thread)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
