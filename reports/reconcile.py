"""Setting a published report's stated figures beside the ledger's for the same date."""

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import tablib
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases.formats import BoundedCSV, FastXLSX
from reports.analysis import Period, ledger_as_of
from reports.figures import percent_text
from reports.models import StatedCategory, StatedReport


@dataclass
class Line:
    label: str
    stated: str  # as the report writes it; "" when it says nothing
    ledger: str
    ok: bool | None  # None: nothing stated to compare
    note: str = ""
    figure: str = ""  # the analysis figure whose cases make up the ledger's number
    row: object = None

    @property
    def differs(self) -> bool:
        return self.ok is False


def share_matches(stated: str, part: int, whole: int) -> bool:
    """Whether a share as stated (33, 13.4, 54.92) is PART/WHOLE written to the stated precision,
    rounded or truncated (the report does both)."""
    if not whole:
        return False
    exact = Decimal(part) * 100 / Decimal(whole)
    places = Decimal(1).scaleb(-len(stated.partition(".")[2]))
    value = Decimal(stated)
    return value in (exact.quantize(places, rounding=ROUND_HALF_UP), exact.quantize(places, rounding=ROUND_DOWN))


def _count_line(label, stated, ledger, figure="", row=None, note="") -> Line:
    ok = None if stated is None else stated == ledger
    return Line(str(label), "" if stated is None else str(stated), str(ledger), ok, note, figure, row)


def _share_line(label, stated: str, part: int, whole: int, row=None, note="") -> Line:
    ok = None if not stated else share_matches(stated, part, whole)
    return Line(str(label), f"{stated}%" if stated else "", f"{percent_text(part, whole)}%", ok, note, "", row)


@dataclass
class Reconciliation:
    report: StatedReport
    period: Period
    totals: list[Line]
    categories: list[tuple[Line, Line]]
    sums: list[Line]

    @property
    def differences(self) -> int:
        lines = self.totals + self.sums + [line for pair in self.categories for line in pair]
        return sum(line.differs for line in lines)


def reconcile(report: StatedReport) -> Reconciliation:
    """Every stated figure beside the ledger's as of the report's date; five queries."""
    ledger = ledger_as_of(report.as_of, report.town)
    counts, rows = ledger["counts"], ledger["categories"]
    total, closed = counts["raised_to_date"], counts["closed_to_date"]
    totals = [
        _count_line(_("收集问题"), report.total, total, "raised_to_date"),
        _count_line(_("已办结"), report.closed, closed, "closed_to_date"),
        _count_line(_("正在处理"), report.in_progress, total - closed, "open_at_end"),
        _share_line(_("办结率"), report.closure_rate, closed, total),
    ]
    stated = {line.category_id: line for line in report.lines.all()}
    categories = []
    for row in rows:
        if row.dim != "category":
            continue
        line = stated.get(row.pk)
        count, share = (line.count, line.share) if line else (None, "")
        own = ""
        if share and count is not None and report.total and not share_matches(share, count, report.total):
            own = _("报告自身不一致：按报告的%(count)d条计，应占%(share)s%%。") % {
                "count": count,
                "share": percent_text(count, report.total),
            }
        categories.append(
            (
                _count_line(row.name, count, row.count, "raised_to_date", row),
                _share_line(row.name, share, row.count, total, row, own),
            )
        )
    unclassified = next(row for row in rows if row.dim == "unclassified")
    stated_sum = sum(line.count or 0 for line in stated.values())
    classified = total - unclassified.count
    sums = [
        _count_line(
            _("各类合计"),
            stated_sum if stated else None,
            total,
            "raised_to_date",
            note=_("台账中已归类%(classified)d条，另有%(n)d条未分类。")
            % {"classified": classified, "n": unclassified.count},
        ),
        _count_line(_("未分类"), None, unclassified.count, "raised_to_date", unclassified),
    ]
    return Reconciliation(report, Period.to_date(report.as_of), totals, categories, sums)


@transaction.atomic
def save_stated(*, report: StatedReport, lines: dict, by) -> StatedReport:
    """Save REPORT (new or edited) with exactly LINES, {category: (count, share)}."""
    if report.pk is None:
        report.entered_by = by
    report.save()
    report.lines.exclude(category__in=list(lines)).delete()
    for category, (count, share) in lines.items():
        StatedCategory.objects.update_or_create(
            report=report, category=category, defaults={"count": count, "share": share}
        )
    return report


def read_stated_file(upload) -> tablib.Dataset:
    """A report's figures as a table (first row the headers), read within the upload limits as the
    admin's import is (cases/formats.py): an .xlsx by cases/xlsx.py, never openpyxl, which a 2 KB
    file declaring A1:XFD1048576 drives to gigabytes; a .csv counted before it is kept. Raises
    LedgerFileError with a message to show, or another exception for a file that is no table."""
    content = upload.read()
    if upload.name.lower().endswith(".xlsx"):
        return FastXLSX().create_dataset(content)
    return BoundedCSV(encoding="utf-8-sig").create_dataset(content)
