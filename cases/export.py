"""The case list as an Excel workbook: the office's ledger 台账 of the filtered cases.

Staff only (the view decides who and which rows); it carries the residents' details the
public never sees. Overdue and awaiting-feedback are computed columns, as on the list.
"""

import datetime
import io
from collections.abc import Iterable, Sequence

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.fields import Field
from import_export.formats.base_formats import XLSX
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cases.models import Case
from sanhe.lib.cells import neutralise_formula

# (column key, header): the workbook's columns in order.
COLUMNS = (
    ("number", gettext_lazy("编号")),
    ("raised_on", gettext_lazy("反映日期")),
    ("village", gettext_lazy("村（社区）")),
    ("team", gettext_lazy("驻点团队")),
    ("category", gettext_lazy("问题大类")),
    ("subcategory", gettext_lazy("问题小类")),
    ("kind", gettext_lazy("诉求类型")),
    ("channel", gettext_lazy("收集渠道")),
    ("title", gettext_lazy("公示摘要")),
    ("description", gettext_lazy("问题内容")),
    ("resident_name", gettext_lazy("反映人")),
    ("resident_phone", gettext_lazy("联系电话")),
    ("resident_address", gettext_lazy("住址（自然村）")),
    ("status", gettext_lazy("状态")),
    ("decision", gettext_lazy("处理决定")),
    ("responsible", gettext_lazy("责任人")),
    ("due_on", gettext_lazy("办理期限")),
    ("overdue", gettext_lazy("是否逾期")),
    ("closure", gettext_lazy("办结方式")),
    ("closed_on", gettext_lazy("办结日期")),
    ("result", gettext_lazy("办理结果")),
    ("fed_back_on", gettext_lazy("首次反馈日期")),
    ("awaiting_feedback", gettext_lazy("是否待反馈")),
)

XLSX_CONTENT_TYPE = XLSX.CONTENT_TYPE


RELATED = ("village", "team", "category", "subcategory", "responsible")


def _name(obj) -> str:
    return str(obj) if obj is not None else ""


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


class CaseExportResource(resources.Resource):
    """One row per case; every value a plain string or a date (Excel shows dates as dates)."""

    def __init__(self, today: datetime.date | None = None):
        super().__init__()
        # Each column KEY is filled by dehydrate_KEY below.
        self.fields = {key: Field(column_name=header) for key, header in COLUMNS}
        self.today = today or timezone.localdate()

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        # Control characters pasted into a description would make openpyxl refuse the whole file.
        return neutralise_formula(ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value)

    def dehydrate_number(self, case: Case) -> str:
        return case.number

    def dehydrate_raised_on(self, case: Case) -> datetime.date:
        return case.raised_on

    def dehydrate_village(self, case: Case) -> str:
        return _name(case.village)

    def dehydrate_team(self, case: Case) -> str:
        return _name(case.team)

    def dehydrate_category(self, case: Case) -> str:
        return _name(case.category)

    def dehydrate_subcategory(self, case: Case) -> str:
        return _name(case.subcategory)

    def dehydrate_kind(self, case: Case) -> str:
        return str(case.get_kind_display())

    def dehydrate_channel(self, case: Case) -> str:
        return str(case.get_channel_display())

    def dehydrate_title(self, case: Case) -> str:
        return case.title

    def dehydrate_description(self, case: Case) -> str:
        return case.description

    def dehydrate_resident_name(self, case: Case) -> str:
        return case.resident_name

    def dehydrate_resident_phone(self, case: Case) -> str:
        return case.resident_phone

    def dehydrate_resident_address(self, case: Case) -> str:
        return case.resident_address

    def dehydrate_status(self, case: Case) -> str:
        return str(case.get_status_display())

    def dehydrate_decision(self, case: Case) -> str:
        return str(case.get_decision_display()) if case.decision else ""

    def dehydrate_responsible(self, case: Case) -> str:
        return _name(case.responsible)

    def dehydrate_due_on(self, case: Case) -> datetime.date | None:
        return case.due_on

    def dehydrate_overdue(self, case: Case) -> str:
        return _yes_no(case.is_overdue(self.today))

    def dehydrate_closure(self, case: Case) -> str:
        return str(case.get_closure_display()) if case.closure else ""

    def dehydrate_closed_on(self, case: Case) -> datetime.date | None:
        return case.closed_on

    def dehydrate_result(self, case: Case) -> str:
        return case.result

    def dehydrate_fed_back_on(self, case: Case) -> datetime.date | None:
        return case.fed_back_on

    def dehydrate_awaiting_feedback(self, case: Case) -> str:
        return _yes_no(case.awaits_feedback)


def export_xlsx(cases: QuerySet) -> bytes:
    """CASES (already filtered and allowed) as an xlsx workbook, in the queryset's order."""
    dataset = CaseExportResource().export(queryset=cases.select_related(*RELATED))
    # Every cell went through neutralise_formula (export_field above); write_xlsx does it again, harmlessly.
    return write_xlsx(_("问题台账"), dataset.headers, dataset)


# -- One sheet as people open it: readable columns, the header kept in view, a filter on each column.

DATE_WIDTH = 10  # "2015-01-08"
MAX_WIDTH = 50  # a long description wraps in the cell rather than making the column a screen wide
PADDING = 2
FILTER_BUTTON = 2  # the autofilter's arrow sits over the header's last characters


def text_width(value) -> int:
    """How many Excel width units VALUE needs, capped at MAX_WIDTH: a CJK character shows two units
    wide, a digit or Latin letter one; a multi-line value needs its longest line.

    Counted from the UTF-8 length, which does it in C: a CJK character (and full-width punctuation)
    is 3 bytes, ASCII 1, so (characters + bytes) // 2 gives 2 and 1 units."""
    if value is None:
        return 0
    if isinstance(value, datetime.date):
        return DATE_WIDTH
    widest = max((len(line) + len(line.encode())) // 2 for line in str(value).splitlines() or [""])
    return min(widest, MAX_WIDTH)


def write_xlsx(title: str, header: Sequence, rows: Iterable[Sequence], *, caption: str = "") -> bytes:
    """A one-sheet workbook: an optional bold CAPTION line, the bold HEADER row frozen with an
    autofilter over it and the ROWS, each column as wide as its widest value (CJK counting double).
    Every value goes through neutralise_formula: names and text typed by people are never run."""
    book = Workbook()
    sheet = book.active
    sheet.title = str(title)[:31]
    if caption:
        sheet.append([neutralise_formula(str(caption))])
        sheet["A1"].font = Font(bold=True)
    header_row = sheet.max_row + 1 if caption else 1
    widths = [text_width(name) + FILTER_BUTTON for name in header]
    sheet.append([neutralise_formula(str(name)) for name in header])
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    rows = [list(row) for row in rows]
    for row in rows:
        sheet.append([neutralise_formula(value) for value in row])
    # Each distinct value measured once: a column of villages or statuses holds a handful.
    for index, column in enumerate(zip(*rows, strict=True)):
        if index < len(widths):
            widths[index] = max(widths[index], max(map(text_width, set(column))))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + PADDING
    last = get_column_letter(max(len(header), 1))
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.auto_filter.ref = f"A{header_row}:{last}{max(sheet.max_row, header_row)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
