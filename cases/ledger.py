"""Reading the Excel ledgers 台账 the town already keeps, and importing them as cases.

`read_ledger` (cases/ledger_read.py) turns an .xlsx, .xls or .csv into a `LedgerPlan`: how every
row will be read, what the notice board will show of it, every problem it has and every name still
to be matched, in Chinese; it writes nothing. `import_ledger` writes a plan through the workflow's
steps (cases/batch.py) in one transaction; it refuses a plan with problems unless told to take only
the clean rows. Each row carries a stable key (the sha256 of its ledger number, or else of its
village, date, resident, phone and content: cases/ledger_cells.row_keys), stored in
`Case.ledger_key`, so importing the same file again adds nothing.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import numbering, workflow
from cases.batch import Batch, collector_paused
from cases.deadlines import due_date
from cases.inserts import build
from cases.ledger_cells import OPEN, parse_date, row_key
from cases.ledger_plan import LedgerPlan, RowPlan
from cases.ledger_read import read_ledger
from cases.models import Case

__all__ = [
    "ImportResult",
    "LedgerImportError",
    "LedgerNotClean",
    "LedgerPlan",
    "RowPlan",
    "import_ledger",
    "parse_date",
    "read_ledger",
    "row_key",
]


@dataclass
class ImportResult:
    created: list[Case] = field(default_factory=list)
    skipped: int = 0  # already imported or repeated in the file
    refused: int = 0  # rows left out for their problems

    @property
    def numbers(self) -> list[str]:
        return [case.number for case in self.created]

    def summary(self) -> str:
        """What the import did, in one line: new, already imported (or repeated in the file), left out."""
        return _(
            "新登记 %(created)d 件，%(skipped)d 行已导入过或在文件中重复（跳过），%(refused)d 行有问题未导入。"
        ) % {
            "created": len(self.created),
            "skipped": self.skipped,
            "refused": self.refused,
        }


class LedgerNotClean(Exception):
    """The plan has problems and the caller did not choose to import only the clean rows."""


class LedgerImportError(Exception):
    """A row the plan found clean was refused while writing; nothing was written."""

    def __init__(self, row: int, message: str):
        self.row = row
        super().__init__(_("第 %(row)d 行未能写入：%(message)s") % {"row": row, "message": message})


def import_ledger(plan: LedgerPlan, *, by=None, only_clean: bool = False) -> ImportResult:
    """Write the plan's rows as cases, all or nothing. Without ONLY_CLEAN a plan with any problem
    raises LedgerNotClean; with it, the rows with problems are left out. Rows imported meanwhile
    are skipped. A row the workflow refuses raises LedgerImportError and nothing is written.

    Every row goes through the workflow's steps in memory (cases.batch), then all are written
    together: a constant number of queries per thousand rows."""
    if plan.problems or (not plan.is_clean and not only_clean):
        raise LedgerNotClean(plan.summary())
    result = ImportResult(skipped=len(plan.skipped), refused=len(plan.with_problems))
    with collector_paused():
        return _import(plan, by, result)


def _import(plan: LedgerPlan, by, result: ImportResult) -> ImportResult:
    batch = Batch(by=by)
    written: list[tuple[str, Case]] = []
    texts = _Texts(plan.filename, by)
    for row in plan.to_import:
        try:
            written.append((row.key, _write_row(row, texts, batch)))
        except (ValidationError, workflow.TransitionNotAllowed) as error:
            raise LedgerImportError(row.row, _error_text(error)) from error
    with transaction.atomic():
        # A concurrent import of the same rows has the same dates, hence the same years: it waits
        # on these locks until we commit, and we see its rows below (and it ours).
        numbering.lock_years_of(case for _row, case in written)
        taken = set(
            Case.objects.filter(ledger_key__in=[key for key, _case in written]).values_list("ledger_key", flat=True)
        )
        batch.discard(case for key, case in written if key in taken)
        result.skipped += sum(1 for key, _case in written if key in taken)
        result.created = batch.save()
    return result


class _Texts:
    """What every row of one import says alike, translated and worked out once (not once a row):
    the history's fixed lines, the templates of the others, who imports and when, and, a day at a
    time, the due dates and the morning times of the ledger's days."""

    def __init__(self, filename: str, by):
        self.filename = filename
        self.user = (by.get_full_name() or by.get_username()) if by else ""  # none: the system's (history)
        self.today = timezone.localdate().isoformat()
        self.handling = _("办理情况（台账）：%(text)s")
        self.notes = _("备注（台账）：%(text)s")
        self.source = _("（从Excel台账“%(file)s”%(where)s导入）")
        self.closed = _("已办结（办理情况见内部记录）。")
        self.due_dates: dict[tuple, datetime.date] = {}
        self.mornings: dict[datetime.date, datetime.datetime] = {}

    def due_on(self, case: Case) -> datetime.date:
        """The due date a case raised that day would have got, in working days (cases/deadlines.py);
        counted once per day and kind: a ledger has many rows of a day, and counting is slow."""
        if (case.raised_on, case.kind) not in self.due_dates:
            self.due_dates[case.raised_on, case.kind] = due_date(case.raised_on, case.kind)[0]
        return self.due_dates[case.raised_on, case.kind]

    def morning(self, day: datetime.date) -> datetime.datetime:
        if day not in self.mornings:
            self.mornings[day] = _morning(day)
        return self.mornings[day]


def _provenance(row: RowPlan, texts: _Texts) -> dict:
    """The first line of an imported case's history, as a code (cases/history.py renders it): the
    ledger's date, and where and by whom it came in."""
    return {
        "code": "ledger_import",
        "raised": row.values["raised_on"].isoformat(),
        "file": texts.filename or "",
        "sheet": row.sheet or "",
        "row": row.row,
        "user": texts.user,
        "today": texts.today,
    }


def _write_row(row: RowPlan, texts: _Texts, batch: Batch) -> Case:
    """One case through the workflow: registered on the ledger's date; then, if open, given the due
    date a new case would get (marked as derived) and assigned; or triaged and closed, as the ledger says."""
    v = row.values
    where = row.where
    case = _build_case(v, key=row.key, texts=texts, where=where)
    raised_at = texts.morning(case.raised_on)
    batch.register(case, data=_provenance(row, texts), at=raised_at)
    closure = v["closure"]
    if closure == OPEN:
        case.due_on, case.due_derived = texts.due_on(case), True
        if v["responsible"]:
            batch.assign_responsible(case, responsible=v["responsible"], at=raised_at)
        return case
    if closure == Case.Closure.SOLVED:
        due_on = texts.due_on(case)
        batch.triage(case, decision=Case.Decision.HANDLE_NOW, responsible=v["responsible"], due_on=due_on, at=raised_at)
    elif closure == Case.Closure.EXPLAINED:
        batch.triage(
            case,
            decision=Case.Decision.EXPLAIN,
            responsible=v["responsible"],
            policy_basis=v["policy_basis"],
            explaining_department=v["explaining_department"],
            at=raised_at,
        )
    elif v["responsible"]:  # solved on the spot: by the cadre the ledger names
        batch.assign_responsible(case, responsible=v["responsible"], at=raised_at)
    if closure != Case.Closure.ON_THE_SPOT:
        batch.add_progress(case, data={"code": "ledger_progress"}, public=False, at=raised_at)
    result = v["result"] or texts.closed
    batch.close(
        case,
        closure=closure,
        result=result,
        closed_on=v["closed_on"],
        at=texts.morning(v["closed_on"]) if v["closed_on"] else None,
    )
    return case


def _morning(day: datetime.date) -> datetime.datetime:
    """A day of the ledger as a time in the history: nine in the morning, local time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))


def _build_case(values: dict, *, key: str, texts: _Texts, where: str) -> Case:
    """The case as the ledger writes it. What the board shows (summary, result) was made safe when
    the row was read; the ledger's own words stay in the internal record."""
    description = values["content"]
    if values["handling"] and (values["closure"] == OPEN or values["result"] != values["handling"]):
        description += "\n\n" + texts.handling % {"text": values["handling"]}
    if values["notes"]:
        description += "\n\n" + texts.notes % {"text": values["notes"]}
    if texts.filename:
        description += "\n\n" + texts.source % {"file": texts.filename, "where": where}
    return build(
        Case,
        village=values["village"],
        team=values["team"],
        raised_on=values["raised_on"],
        channel=values["channel"],
        kind=values["kind"],
        resident_name=values["resident_name"],
        resident_phone=values["resident_phone"],
        resident_address=values["resident_address"],
        category=values["category"],
        subcategory=values["subcategory"],
        title=values["title"],
        description=description,
        public_posting=values["public_posting"],
        ledger_number=values["ledger_number"],
        ledger_key=key,
    )


def _error_text(error: Exception) -> str:
    return "；".join(error.messages) if isinstance(error, ValidationError) else str(error)
