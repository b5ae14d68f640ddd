"""What reading a ledger 台账 found: the plan of the whole file (`LedgerPlan`) and of each data
row (`RowPlan`): how it will be read, and what is wrong with it. The preview, the command and
the import all work from it."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from cases.ledger_cells import OPEN, cell_text, column_labels
from cases.models import Case


@dataclass
class RowPlan:
    """One data row of the ledger: how it will be read, and what is wrong with it."""

    row: int  # the row number in Excel
    seq: str = ""
    values: dict = field(default_factory=dict)  # column -> value as read (model objects, dates, text)
    problems: list[str] = field(default_factory=list)
    skip: str = ""  # why the row is left out though it has no problem (already imported, repeated)
    key: str = ""

    @property
    def is_clean(self) -> bool:
        return not self.problems

    @property
    def will_import(self) -> bool:
        return not self.problems and not self.skip

    @property
    def is_closed(self) -> bool:
        return self.values.get("closure", OPEN) != OPEN

    def reading(self) -> list[tuple[str, str]]:
        """(label, text) pairs saying how the row will be read, for the preview and the command."""
        labels, v = column_labels(), self.values
        pairs = [
            (labels["village"], v.get("village")),
            (labels["team"], v.get("team")),
            (labels["raised_on"], v.get("raised_on")),
            (labels["resident_name"], v.get("resident_name")),
            (labels["resident_phone"], v.get("resident_phone")),
            (labels["resident_address"], v.get("resident_address")),
            (labels["channel"], Case.Channel(v["channel"]).label if v.get("channel") else ""),
            (labels["kind"], Case.Kind(v["kind"]).label if v.get("kind") else ""),
            (labels["category"], v.get("category") or (_("未分类") if "category" in v else "")),
            (labels["subcategory"], v.get("subcategory")),
            (labels["title"], v.get("title")),
            (labels["content"], v.get("content")),
            (_("状态"), self.status_text()),
            (labels["responsible"], _responsible_text(v)),
            (labels["policy_basis"], v.get("policy_basis") if v.get("closure") == Case.Closure.EXPLAINED else ""),
            (labels["explaining_department"], v.get("explaining_department")),
            (labels["closed_on"], v.get("closed_on")),
            (_("办理结果") if self.is_closed else labels["handling"], v.get("handling")),
        ]
        return [(label, cell_text(value)) for label, value in pairs if cell_text(value)]

    def status_text(self) -> str:
        closure = self.values.get("closure")
        if closure is None:
            return ""
        if closure == OPEN:
            return str(Case.Status.REGISTERED.label)
        return f"{Case.Status.CLOSED.label}（{Case.Closure(closure).label}）"

    def outcome(self) -> str:
        """One word for the row: will be imported, left out, or has problems."""
        if self.problems:
            return _("有问题")
        return self.skip or _("将导入")


@dataclass
class LedgerPlan:
    """The whole file: where its header is, what its columns mean, and every row's plan."""

    filename: str = ""
    sheet: str = ""
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # column -> the header as written
    ignored: list[str] = field(default_factory=list)  # headers we do not read
    problems: list[str] = field(default_factory=list)  # problems of the file itself
    rows: list[RowPlan] = field(default_factory=list)
    blank_rows: int = 0  # rows without village, date, resident or content: titles, totals, signatures

    @property
    def is_clean(self) -> bool:
        return not self.problems and not any(r.problems for r in self.rows)

    @property
    def to_import(self) -> list[RowPlan]:
        return [r for r in self.rows if r.will_import]

    @property
    def with_problems(self) -> list[RowPlan]:
        return [r for r in self.rows if r.problems]

    @property
    def skipped(self) -> list[RowPlan]:
        return [r for r in self.rows if r.skip and not r.problems]

    def column_meanings(self) -> list[tuple[str, str]]:
        """(header as written, what we read it as), in the file's order."""
        labels = column_labels()
        return [(header, labels[column]) for column, header in self.columns.items()]

    def summary(self) -> str:
        return _("共 %(total)d 行：%(ok)d 行可导入，%(bad)d 行有问题，%(skipped)d 行跳过。") % {
            "total": len(self.rows),
            "ok": len(self.to_import),
            "bad": len(self.with_problems),
            "skipped": len(self.skipped),
        }


def _responsible_text(values: dict) -> str:
    person = values.get("responsible")
    if person is None:
        return ""
    if values.get("responsible_is_leader"):
        return _("%(name)s（台账未写责任人，按驻点团队团长补记）") % {"name": person.name}
    return person.name
