"""What reading a ledger 台账 found: the plan of the whole file (`LedgerPlan`) and of each data
row (`RowPlan`): how it will be read, and what is wrong with it. The preview, the command and
the import all work from it."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.ledger_cells import OPEN, cell_text, column_labels
from cases.models import Case
from cases.privacy import Finding

KIND_LABELS = {
    "village": gettext_lazy("村（社区）"),
    "category": gettext_lazy("问题大类"),
    "subcategory": gettext_lazy("问题小类"),
}


def row_place(sheet: str, row: int) -> str:
    """A row as the office finds it in the file: its sheet (when there are several) and number."""
    if sheet:
        return _("工作表“%(sheet)s”第 %(row)d 行") % {"sheet": sheet, "row": row}
    return _("第 %(row)d 行") % {"row": row}


@dataclass(frozen=True)
class Unresolved:
    """A name the ledger writes that matches nothing: the office picks what it means, once."""

    kind: str  # "village", "category" or "subcategory"
    text: str  # as the ledger writes it
    candidates: tuple = ()  # the closest objects

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    def __str__(self) -> str:
        closest = "、".join(str(c) for c in self.candidates)
        if closest:
            return _("%(kind)s“%(text)s”无法识别，最接近的是：%(closest)s") % {
                "kind": self.kind_label,
                "text": self.text,
                "closest": closest,
            }
        return _("%(kind)s“%(text)s”无法识别") % {"kind": self.kind_label, "text": self.text}


@dataclass
class RowPlan:
    """One data row of the ledger: how it will be read, and what is wrong with it."""

    row: int  # the row number in Excel
    seq: str = ""
    values: dict = field(default_factory=dict)  # column -> value as read (model objects, dates, text)
    problems: list[str] = field(default_factory=list)
    skip: str = ""  # why the row is left out though it has no problem (already imported, repeated)
    key: str = ""
    legacy_key: str = ""  # the key such a row had before the phone was part of it
    sheet: str = ""  # the sheet's name, when the workbook has several
    unresolved: list[Unresolved] = field(default_factory=list)  # names to match by hand first
    removed: list[Finding] = field(default_factory=list)  # what was taken out of its public text
    private_reason: str = ""  # why its detail is not posted (a sensitive category or word)

    @property
    def where(self) -> str:
        return row_place(self.sheet, self.row)

    @property
    def is_clean(self) -> bool:
        return not self.problems and not self.unresolved

    @property
    def will_import(self) -> bool:
        return self.is_clean and not self.skip

    @property
    def board_text(self) -> str:
        """Exactly what the village's notice board will show of the row's words."""
        v = self.values
        if not v.get("public_posting", True):
            labels = [str(o) for o in (v.get("category"), v.get("subcategory")) if o]
            return _("只公示类别：%(category)s") % {"category": " · ".join(labels) or _("未分类")}
        text = v.get("title", "")
        if self.is_closed and v.get("result"):
            text += " — " + _("办理结果：%(result)s") % {"result": v["result"]}
        return text

    @property
    def is_closed(self) -> bool:
        return self.values.get("closure", OPEN) != OPEN

    def reading(self) -> list[tuple[str, str]]:
        """(label, text) pairs saying how the row will be read, for the preview and the command."""
        labels, v = column_labels(), self.values
        pending = {name.kind: _("“%(text)s”（无法识别，待确认）") % {"text": name.text} for name in self.unresolved}
        category = v.get("category") or pending.get("category")
        if not category and "category" in v:
            category = _("未分类（台账未写类别）")
        pairs = [
            (labels["village"], v.get("village") or pending.get("village")),
            (labels["team"], v.get("team")),
            (labels["raised_on"], v.get("raised_on")),
            (labels["resident_name"], v.get("resident_name")),
            (labels["resident_phone"], v.get("resident_phone")),
            (labels["resident_address"], v.get("resident_address")),
            (labels["channel"], Case.Channel(v["channel"]).label if v.get("channel") else ""),
            (labels["kind"], Case.Kind(v["kind"]).label if v.get("kind") else ""),
            (labels["category"], category),
            (labels["subcategory"], v.get("subcategory") or pending.get("subcategory")),
            (labels["ledger_number"], v.get("ledger_number")),
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
        if self.unresolved:
            return _("名称待确认")
        return self.skip or _("将导入")


@dataclass
class SheetPlan:
    """One sheet read as part of the ledger: where its header is and what its columns mean."""

    title: str
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # column -> the header as written
    ignored: list[str] = field(default_factory=list)  # headers we do not read
    village: object = None  # the village the sheet's name names, for sheets without a village column


@dataclass
class LedgerPlan:
    """The whole file: where its headers are, what its columns mean, and every row's plan."""

    filename: str = ""
    sheets: list[SheetPlan] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)  # sheets with no header (notes, summaries)
    problems: list[str] = field(default_factory=list)  # problems of the file itself
    rows: list[RowPlan] = field(default_factory=list)
    blank_rows: int = 0  # rows without village, date, resident or content: titles, totals, signatures

    # The first sheet's, for a ledger of one sheet.
    @property
    def sheet(self) -> str:
        return self.sheets[0].title if self.sheets else ""

    @property
    def header_row(self) -> int:
        return self.sheets[0].header_row if self.sheets else 0

    @property
    def columns(self) -> dict[str, str]:
        return self.sheets[0].columns if self.sheets else {}

    @property
    def ignored(self) -> list[str]:
        return list(dict.fromkeys(name for sheet in self.sheets for name in sheet.ignored))

    @property
    def is_clean(self) -> bool:
        return not self.problems and all(r.is_clean for r in self.rows)

    @property
    def to_import(self) -> list[RowPlan]:
        return [r for r in self.rows if r.will_import]

    @property
    def with_problems(self) -> list[RowPlan]:
        """Rows left out for what is wrong in them, or for a name still to be matched."""
        return [r for r in self.rows if not r.is_clean]

    @property
    def unresolved(self) -> list[tuple[Unresolved, int]]:
        """Each name to match by hand once, with the number of rows that write it, in the file's order."""
        counts: dict[tuple[str, str], list] = {}
        for row in self.rows:
            for name in row.unresolved:
                entry = counts.setdefault((name.kind, name.text), [name, 0])
                entry[1] += 1
        return [(name, count) for name, count in counts.values()]

    @property
    def skipped(self) -> list[RowPlan]:
        return [r for r in self.rows if r.skip and not r.problems]

    def column_meanings(self) -> list[tuple[str, str]]:
        """(header as written, what we read it as), in the file's order, each once over the sheets."""
        labels = column_labels()
        seen = {}
        for sheet in self.sheets:
            for column, header in sheet.columns.items():
                seen.setdefault((header, column), (header, labels[column]))
        return list(seen.values())

    def summary(self) -> str:
        naming = sum(1 for r in self.rows if r.unresolved and not r.problems)
        text = _("共 %(total)d 行：%(ok)d 行可导入，%(bad)d 行有问题，%(skipped)d 行跳过。") % {
            "total": len(self.rows),
            "ok": len(self.to_import),
            "bad": len(self.with_problems) - naming,
            "skipped": len(self.skipped),
        }
        if naming:
            text += _("另有 %(n)d 行的名称待确认。") % {"n": naming}
        return text


def _responsible_text(values: dict) -> str:
    person = values.get("responsible")
    if person is None:
        return ""
    if values.get("responsible_is_leader"):
        return _("%(name)s（台账未写责任人，按驻点团队团长补记）") % {"name": person.name}
    return person.name
