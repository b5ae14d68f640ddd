"""The dashboard's tables as Excel workbooks (openpyxl) and the meeting pack as a Word document
(python-docx). Rates are written as the page writes them ("54.92%"), so the files say the same.

Names in the tables are typed by people (a category, a village, a team): every xlsx cell goes
through the staff export's writer (cases.export.write_xlsx) and its one rule against formulas. Word does
not run text as a formula (only field codes, which python-docx never writes), so the pack needs none."""

import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cases.export import write_xlsx
from reports.analysis import Period
from reports.evaluation import INDICATORS
from reports.tables import COLUMNS, FIRST_COLUMN, TITLES
from sanhe.prose import labelled, listed

TABLES = ("headline", "categories", "villages", "teams", "towns", "trend", "ranking")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def rate_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def table_rows(table: str, data) -> list[list]:
    """The header and the rows of TABLE, as plain values."""
    if table == "headline":
        rows = [[_("指标"), _("本期"), _("上期"), _("变化"), _("分子"), _("分母")]]
        for f in data.figures:
            show = rate_text if f.is_rate else (lambda v: v)
            change = "—" if f.change is None else (f"{f.change:+.2f}" if f.is_rate else f"{f.change:+d}")
            rows.append([str(f.name), show(f.value), show(f.previous), change, f.part, f.whole])
        return rows
    if table == "trend":
        rows = [[_("月份"), _("收集"), pgettext("heading", "办结"), _("累计收集"), _("累计办结"), _("累计办结率")]]
        for m in data:
            rows.append([m.name, m.collected, m.closed, m.raised_to_date, m.closed_to_date, rate_text(m.closure_rate)])
        return rows
    if table == "ranking":
        ranked = str(FIRST_COLUMN["towns"]) if data and data[0].row.dim == "town" else _("驻点团队")
        rows = [[_("名次"), ranked, *[str(i.name) for i in INDICATORS], _("综合得分")]]
        for e in data:
            values = [rate_text(e.values[i.key]) for i in INDICATORS]
            rows.append([e.rank, e.name, *values, "—" if e.score is None else str(e.score)])
        return rows
    columns = COLUMNS[table]
    rows = [[str(FIRST_COLUMN[table]), *[str(c.label) for c in columns]]]
    for row in data:
        name = ("　" + row.name) if row.level else row.name
        values = [c.value(row) for c in columns]
        rows.append(
            [name, *[rate_text(v) if c.kind in ("rate", "share") else v for c, v in zip(columns, values, strict=True)]]
        )
    return rows


def xlsx_response(table: str, period: Period, data) -> HttpResponse:
    header, *rows = table_rows(table, data)
    caption = _("%(title)s（%(period)s）%(note)s") % {
        "title": TITLES[table],
        "period": period.label(),
        "note": period.running_note(),
    }
    # The staff export's writer: columns sized for Chinese, header frozen, a filter on each column.
    content = write_xlsx(str(TITLES[table]), header, rows, caption=caption)
    response = HttpResponse(content, content_type=XLSX)
    filename = f"sanhe-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- The meeting pack as a Word document ------------------------------------------------------------


def pack_docx_response(ctx: dict) -> HttpResponse:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    period = ctx["period"]
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin = section.bottom_margin = Mm(18)
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")

    title = document.add_heading(_("%(period)s驻点直联工作月度分析会材料") % {"period": period.label()}, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    place = document.add_paragraph(ctx["place"])  # the town the pack is about, or the county
    place.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = document.add_paragraph(
        _("统计期间 %(start)s 至 %(end)s；累计数字截至 %(as_of)s")
        % {"start": period.start.isoformat(), "end": period.end.isoformat(), "as_of": ctx["as_of"].isoformat()}
    )
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading(_("一、意见收集的总体情况"), level=1)
    for text in ctx["summary"]:
        paragraph = document.add_paragraph(text)
        paragraph.paragraph_format.first_line_indent = Pt(22)

    document.add_heading(_("二、主要数字"), level=1)
    _docx_table(document, table_rows("headline", ctx["headline"]))
    document.add_heading(_("三、分类情况"), level=1)
    _docx_table(document, table_rows("categories", ctx["categories"]))
    if ctx["scope_town"] is not None:
        document.add_heading(_("四、各驻点团队情况"), level=1)
        _docx_table(document, table_rows("teams", ctx["teams"]))
    else:  # the county's pack: its towns side by side, the county's total last
        document.add_heading(_("四、各镇（街道）情况"), level=1)
        _docx_table(document, table_rows("towns", ctx["towns"]))

    document.add_heading(_("五、需要会议研究决定的问题"), level=1)
    if not ctx["decisions"]:
        document.add_paragraph(_("本期没有需要会议研究决定的问题。"))
    for group in ctx["decisions"]:
        team = group.team.name if group.team else _("未分配团队")
        document.add_heading(team, level=2)
        if group.unlisted:
            document.add_paragraph(group.unlisted_note())
        rows = [[_("编号"), _("村（社区）"), _("类别"), _("摘要"), _("反映日期"), _("办理期限"), _("原因")]]
        for case in group.cases:
            rows.append(
                [
                    case.number,
                    str(case.village),
                    str(case.subcategory or case.category or _("未分类")),
                    case.title,
                    case.raised_on.isoformat(),
                    case.due_on.isoformat() if case.due_on else "—",
                    listed(decision_reasons(case)),
                ]
            )
        _docx_table(document, rows)

    document.add_heading(_("口径说明"), level=1)
    for _key, name, text in ctx["counts"]:
        document.add_paragraph(labelled(name, text))
    for rate in ctx["rates"]:
        document.add_paragraph(labelled(rate.name, rate.definition))
    document.add_paragraph(_("百分比保留两位小数，第三位起直接舍去（不四舍五入）。"))

    out = io.BytesIO()
    document.save(out)
    response = HttpResponse(out.getvalue(), content_type=DOCX)
    filename = f"sanhe-meeting-pack-{period.start:%Y%m%d}-{period.end:%Y%m%d}.docx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def decision_reasons(case) -> list[str]:
    reasons = []
    if case.is_new:
        reasons.append(_("尚未分办"))
    if case.is_overdue:
        reasons.append(_("逾期"))
    if case.is_plan_due:
        reasons.append(_("实施方案将到期"))
    return reasons


def _docx_table(document, rows: list[list]) -> None:
    table = document.add_table(rows=0, cols=len(rows[0]))
    table.style = "Table Grid"
    for index, values in enumerate(rows):
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = "" if value is None else str(value)
            if index == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True
