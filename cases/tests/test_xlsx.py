"""Reading an .xlsx's values straight from its XML (cases/xlsx.py) gives what openpyxl gives."""

import datetime
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from cases import xlsx

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

# A workbook as Excel and WPS write them (shared strings, styles), made by hand: every kind of cell.
FILES = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/worksheets/sheet2.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
        '<sheet name="说明" sheetId="1" r:id="rId2"/><sheet name="台账" sheetId="2" r:id="rId1"/>'
        "</sheets></workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{PKG}">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{REL}/worksheet" Target="/xl/worksheets/sheet2.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId4" Type="{REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/sharedStrings.xml": (
        f'<sst xmlns="{MAIN}" count="4" uniqueCount="4">'
        "<si><t>村(社区)</t></si>"
        "<si><t>反映时间</t></si>"
        '<si><r><rPr><b/></rPr><t>东联</t></r><r><t xml:space="preserve">村 </t></r></si>'
        '<si><t>三合圩</t><rPh sb="0" eb="1"><t>サン</t></rPh></si>'
        "</sst>"
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{MAIN}"><numFmts count="1">'
        '<numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
        '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="49"/></cellXfs>'
        "</styleSheet>"
    ),
    "xl/worksheets/sheet1.xml": (
        f'<worksheet xmlns="{MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="D1" t="inlineStr"><is><t>备注</t></is></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" s="1"><v>42012</v></c><c r="C2"><v>13912345678</v></c>'
        '<c r="D2" t="b"><v>1</v></c></row>'
        '<row r="4"><c r="B4" s="2"><v>42019.5</v></c><c r="C4" s="3"><v>2.5</v></c>'
        '<c r="D4" t="e"><v>#N/A</v></c></row>'
        '<row><c t="s"><v>3</v></c><c t="str"><f>A5</f><v>三合圩</v></c><c t="inlineStr"><is><t></t></is></c></row>'
        '</sheetData><mergeCells count="1"><mergeCell ref="A2:A4"/></mergeCells></worksheet>'
    ),
    "xl/worksheets/sheet2.xml": f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>',
}


def workbook(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def _sheet_rows(sheet) -> list[list]:
    """The sheet's values as openpyxl reads them, with merged cells filled (a village written once for several rows)."""
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        top = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
        for r in range(merged.min_row, min(merged.max_row, len(rows)) + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if c <= len(rows[r - 1]):
                    rows[r - 1][c - 1] = top
    return rows


def openpyxl_reading(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data), data_only=True)
    return [(sheet.title, _sheet_rows(sheet)) for sheet in book.worksheets]


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")  # openpyxl, on the handmade file
def test_xlsx_reads_every_kind_of_cell_as_openpyxl_does():
    data = workbook(FILES)

    sheets = list(xlsx.sheets(io.BytesIO(data)))

    assert sheets == openpyxl_reading(data)
    assert sheets[0] == ("说明", [])
    assert sheets[1] == (
        "台账",
        [
            ["村(社区)", "反映时间", None, "备注"],
            ["东联村 ", datetime.datetime(2015, 1, 8), 13912345678, True],
            ["东联村 ", None, None, None],
            ["东联村 ", datetime.datetime(2015, 1, 15, 12), 2.5, "#N/A"],
            ["三合圩", "三合圩", "", None],
        ],
    )


def test_xlsx_reads_what_openpyxl_writes_merged_cells_filled():
    book = Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append(["三合镇问题台账"])
    sheet.append(["村", "反映时间", "问题内容", "电话"])
    sheet.append(["东联村", datetime.datetime(2015, 1, 8), "水渠\n漏水", 13912345678])
    sheet.append([None, datetime.date(2015, 1, 9), "路灯 & <坏>", 0.5])
    sheet.merge_cells("A1:D1")
    sheet.merge_cells("A3:A4")
    out = io.BytesIO()
    book.save(out)

    assert list(xlsx.sheets(io.BytesIO(out.getvalue()))) == openpyxl_reading(out.getvalue())


@pytest.mark.parametrize("data", [b"not a zip", workbook({"xl/other.xml": "<x/>"})], ids=["not-zip", "no-workbook"])
def test_xlsx_refuses_what_is_not_a_workbook(data):
    with pytest.raises(Exception):  # noqa: B017 - any error: the caller refuses the file
        list(xlsx.sheets(io.BytesIO(data)))
