"""Reading every spreadsheet a town office has (cases/ledger_files.py): .xlsx, .xls, .csv in its
encodings; bounded against files built to hurt the reader; anything else refused with a clear message.

cases/tests/files/ledger-old-excel.xls was written once with xlwt 1.3.0 (no maintained library
writes .xls), in a throwaway virtualenv outside the project:

    python3 -m venv /tmp/xlwtvenv && /tmp/xlwtvenv/bin/pip install xlwt==1.3.0
    /tmp/xlwtvenv/bin/python make_xls.py cases/tests/files/ledger-old-excel.xls

make_xls.py: sheet "台账" with A1:E1 merged ("三合镇问题台账"); the header 村（社区）, 反映时间,
内部备注, 问题内容, 件数 on row 2; A3:A4 merged ("东联村"); B3 the date 2024-03-05 (format
YYYY-MM-DD), B4 2024-03-06 14:30; C3 "不显示" with column C hidden (`sheet.col(2).hidden = True`);
D3 "水渠漏水", E3 3, D4 "路灯不亮", E4 2.5; row 5 ("隐藏行", "这一行隐藏了") hidden
(`sheet.row(4).hidden = True`); row 6 "西岭村", D6 True, E6 0; then a hidden sheet "隐藏的表"
(`visibility = 1`) with A1 "不该读到", and a sheet "说明" with A1 "填表说明".
"""

import datetime
import io
import random
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from cases import ledger_files, xlsx
from cases.ledger_files import LedgerFileError, Sheet, read_sheets

FILES = Path(__file__).parent / "files"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
SEE_OTHER = "请上传 Excel 或 WPS 表格（.xlsx、.xls）或 .csv 文件。"
BROKEN = "文件已损坏或不完整，无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。"


def saved(book: Workbook) -> io.BytesIO:
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def zipped(files: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def handmade(sheet_xml: str, *, sheets: str = '<sheet name="Sheet1" sheetId="1" r:id="rId1"/>', **extra) -> bytes:
    """A workbook written by hand: one worksheet part (xl/worksheets/sheet1.xml), no styles."""
    return zipped(
        {
            "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}</sheets></workbook>',
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{PKG}">'
                f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
            ),
            "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}">{sheet_xml}</worksheet>',
            **extra,
        }
    )


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s uncompressed size, in its local and central headers, changed to `size`."""
    data = bytearray(data)
    encoded = name.encode()
    for signature, size_at, name_length_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            (length,) = struct.unpack_from("<H", data, start + name_length_at)
            if bytes(data[start + name_at : start + name_at + length]) == encoded:
                struct.pack_into("<I", data, start + size_at, size)
            start += 4
    return bytes(data)


# .xlsx


def test_xlsx_reads_visible_sheets_rows_and_columns_merged_cells_filled():
    book = Workbook()
    ledger = book.active
    ledger.title = "台账"
    ledger.append(["三合镇问题台账"])
    ledger.append(["村（社区）", "反映时间", "内部备注", "问题内容", "件数"])
    ledger.append(["东联村", datetime.datetime(2024, 3, 5), "不显示", "水渠漏水", 3])
    ledger.append([None, datetime.date(2024, 3, 6), None, "路灯不亮", 2.5])
    ledger.append(["隐藏行", None, None, "这一行隐藏了", None])
    ledger.append([None, None, "只在隐藏列", None, None])
    ledger.append([])
    ledger.append(["西岭村", None, None, True, 0])
    ledger.merge_cells("A1:E1")
    ledger.merge_cells("A3:A4")
    ledger.row_dimensions[5].hidden = True
    ledger.column_dimensions["C"].hidden = True
    secret = book.create_sheet("隐藏的表")
    secret.append(["不该读到"])
    secret.sheet_state = "hidden"
    book.create_sheet("说明").append(["填表说明"])

    sheets = read_sheets(saved(book))

    assert sheets == [
        Sheet(
            "台账",
            [
                (1, ["三合镇问题台账", "三合镇问题台账", "三合镇问题台账", "三合镇问题台账"]),
                (2, ["村（社区）", "反映时间", "问题内容", "件数"]),
                (3, ["东联村", datetime.datetime(2024, 3, 5), "水渠漏水", 3]),
                (4, ["东联村", datetime.datetime(2024, 3, 6), "路灯不亮", 2.5]),
                (8, ["西岭村", None, True, 0]),
            ],
        ),
        Sheet("说明", [(1, ["填表说明"])]),
    ]


def test_xlsx_read_by_its_bytes_whatever_its_name(tmp_path):
    book = Workbook()
    book.active.append(["村", "问题内容"])
    path = tmp_path / "台账.csv"
    path.write_bytes(saved(book).getvalue())

    assert read_sheets(path, filename="台账.csv") == [Sheet("Sheet", [(1, ["村", "问题内容"])])]
    assert read_sheets(str(path)) == [Sheet("Sheet", [(1, ["村", "问题内容"])])]


def test_xlsx_sheets_keeps_its_dense_grid_for_its_callers():
    book = Workbook()
    sheet = book.active
    sheet.append(["标题"])
    sheet.append([])
    sheet.append(["东联村", None, 3])
    sheet.merge_cells("A1:C1")
    sheet.row_dimensions[3].hidden = True

    assert list(xlsx.sheets(saved(book))) == [
        ("Sheet", [["标题", "标题", "标题"], [None, None, None], ["东联村", None, 3]])
    ]


# .xls


def test_xls_reads_visible_rows_columns_and_sheets_dates_and_merged_cells():
    sheets = read_sheets(FILES / "ledger-old-excel.xls")

    assert sheets == [
        Sheet(
            "台账",
            [
                (1, ["三合镇问题台账", "三合镇问题台账", "三合镇问题台账", "三合镇问题台账"]),
                (2, ["村（社区）", "反映时间", "问题内容", "件数"]),
                (3, ["东联村", datetime.datetime(2024, 3, 5), "水渠漏水", 3]),
                (4, ["东联村", datetime.datetime(2024, 3, 6, 14, 30), "路灯不亮", 2.5]),
                (6, ["西岭村", None, True, 0]),
            ],
        ),
        Sheet("说明", [(1, ["填表说明"])]),
    ]


def test_xls_read_from_a_file_object():
    with open(FILES / "ledger-old-excel.xls", "rb") as upload:
        sheets = read_sheets(upload, filename="台账.xlsx")

    assert [sheet.title for sheet in sheets] == ["台账", "说明"]


def test_xls_truncated_is_refused():
    data = (FILES / "ledger-old-excel.xls").read_bytes()

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(data[:3000]))

    assert str(error.value) == (
        "文件已损坏或不完整（.xls 无法打开），无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。"
    )


def test_xls_without_a_workbook_stream_is_no_excel_file():
    # An OLE2 file whose stream is not named "Workbook": what a Word .doc or PowerPoint .ppt looks like.
    data = (
        (FILES / "ledger-old-excel.xls")
        .read_bytes()
        .replace("Workbook".encode("utf-16-le"), b"D\0o\0c\0u\0m\0e\0n\0t\0")
    )

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(data))

    assert str(error.value) == "这不是 Excel 表格（可能是 Word 或 PowerPoint 文件）。" + SEE_OTHER


# .csv and tab-separated text

CSV_TEXT = '村（社区）,反映时间,问题内容\r\n东联村,2024-03-05,"水渠漏水，""急""\r\n第二行"\r\n\r\n 西岭村 ,,䶮\r\n'
CSV_ROWS = [
    (1, ["村（社区）", "反映时间", "问题内容"]),
    (2, ["东联村", "2024-03-05", '水渠漏水，"急"\r\n第二行']),
    (4, ["西岭村", None, "䶮"]),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_encoding_detected(encoding):
    sheets = read_sheets(io.BytesIO(CSV_TEXT.encode(encoding)), filename="三合镇台账.csv")

    assert sheets == [Sheet("三合镇台账", CSV_ROWS)]


def test_csv_gbk_as_wps_saves_it():
    text = "村（社区）,问题内容\r\n东联村,路灯不亮（已报修）\r\n"

    sheets = read_sheets(io.BytesIO(text.encode("gbk")), filename="台账.csv")

    assert sheets == [Sheet("台账", [(1, ["村（社区）", "问题内容"]), (2, ["东联村", "路灯不亮（已报修）"])])]


def test_csv_unicode_text_from_excel_is_tab_separated_utf16():
    text = "村（社区）\t反映时间\t问题内容\r\n东联村\t2024/3/5\t水渠漏水, 影响灌溉\r\n"

    sheets = read_sheets(io.BytesIO(text.encode("utf-16")), filename="台账.txt")

    assert sheets == [
        Sheet("台账", [(1, ["村（社区）", "反映时间", "问题内容"]), (2, ["东联村", "2024/3/5", "水渠漏水, 影响灌溉"])])
    ]


def test_csv_semicolon_separated():
    text = "村;反映时间;问题内容\n东联村;2024-03-05;水渠漏水, 影响灌溉\n西岭村;;路灯\n"

    sheets = read_sheets(io.BytesIO(text.encode()), filename="台账.csv")

    assert sheets == [
        Sheet(
            "台账",
            [
                (1, ["村", "反映时间", "问题内容"]),
                (2, ["东联村", "2024-03-05", "水渠漏水, 影响灌溉"]),
                (3, ["西岭村", None, "路灯"]),
            ],
        )
    ]


def test_csv_one_column_and_ragged_rows_padded():
    text = "村\n东联村\n西岭村,多出的一格\n"

    sheets = read_sheets(io.BytesIO(text.encode()), filename="C:\\台账\\村名.csv")

    assert sheets == [Sheet("村名", [(1, ["村", None]), (2, ["东联村", None]), (3, ["西岭村", "多出的一格"])])]


def test_csv_neither_utf8_nor_gb18030_is_refused():
    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(b"\x80\x80,abc\n"), filename="x.csv")

    assert str(error.value) == (
        "无法识别文件的文字编码（不是 UTF-8，也不是 GBK）。"
        "请在 WPS 或 Excel 中另存为 .xlsx，或另存为“CSV UTF-8”后再上传。"
    )


def test_csv_html_saved_as_xls_by_another_system_is_refused():
    page = "<html><body><table><tr><td>村</td></tr></table></body></html>"

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(page.encode()), filename="导出.xls")

    assert str(error.value) == (
        "这是网页或 XML 格式的表格（其他系统导出的 .xls 常是这样），无法直接读取。"
        "请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。"
    )


# Bounds


def test_xlsx_bounds_one_cell_at_the_last_column_and_row_read_sparse():
    # 29 KB in the audit drove a worker to 9.2 GB: a grid as wide as column XFD and as long as row 1048576.
    data = handmade(
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>标题</t></is></c></row>'
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>尾</t></is></c><c r="XFD1048576"><v>1</v></c></row>'
        '</sheetData><mergeCells count="1"><mergeCell ref="B2:XFD1048575"/></mergeCells>'
    )

    tracemalloc.start()
    try:
        sheets = read_sheets(io.BytesIO(data))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sheets == [Sheet("Sheet1", [(1, ["标题"]), (1048576, ["尾"])])]
    assert len(data) < 2000
    assert peak < 50 * 1024 * 1024


def test_xlsx_bounds_cell_past_max_columns_only_is_an_empty_sheet():
    data = handmade('<sheetData><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')

    tracemalloc.start()
    try:
        sheets = read_sheets(io.BytesIO(data))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sheets == [Sheet("Sheet1", [])]
    assert peak < 50 * 1024 * 1024


def test_xlsx_bounds_merged_range_filling_the_sheet_stops_at_max_rows(monkeypatch):
    monkeypatch.setattr(ledger_files, "MAX_ROWS", 100)
    data = handmade(
        '<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="A1048576"><v>2</v></c></row>'
        '</sheetData><mergeCells count="1"><mergeCell ref="A1:A1048575"/></mergeCells>'
    )

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(data))

    assert str(error.value) == "文件中有数据的行超过 100 行，请分成几个文件导入。"


def test_xlsx_bounds_styles_declaring_4_gib_refused_before_unpacking():
    styles = f'<styleSheet xmlns="{MAIN}"><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>'
    data = handmade(
        '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>',
        **{
            "xl/styles.xml": styles,
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{PKG}">'
                f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/></Relationships>'
            ),
        },
    )
    assert read_sheets(io.BytesIO(data)) == [Sheet("Sheet1", [(1, [1])])]

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(declare_size(data, "xl/styles.xml", 4 * 1024**3 - 1)))

    assert str(error.value) == (
        "文件的格式（styles.xml）解压后超过 20 MB，格式多得异常。"
        "请在 WPS 或 Excel 中把表格复制到新文件，另存为 .xlsx 后再上传。"
    )


def test_xlsx_bounds_sheets_declaring_more_than_200_mb_together_refused():
    listed = "".join(f'<sheet name="表{i}" sheetId="{i}" r:id="rId{i}"/>' for i in (1, 2, 3))
    data = zipped(
        {
            "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{listed}</sheets></workbook>',
            "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in (1, 2, 3)
            )
            + "</Relationships>",
            **{f"xl/worksheets/sheet{i}.xml": f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>' for i in (1, 2, 3)},
        }
    )
    for i in (1, 2, 3):
        data = declare_size(data, f"xl/worksheets/sheet{i}.xml", 80 * 1024 * 1024)

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(data))

    assert str(error.value) == (
        "文件解压后超过 200 MB，不像是一份台账（可能含有大量格式或图片）。"
        "请在 WPS 或 Excel 中把台账复制到新文件，另存为 .xlsx 后再上传。"
    )


def test_xlsx_bounds_the_same_sheet_listed_again_and_again_stops_past_the_unpacked_limit(monkeypatch):
    # Each part's declared size is small; what is unpacked is counted as it is read, and reading stops.
    monkeypatch.setattr(ledger_files, "MAX_UNPACKED_BYTES", 1024 * 1024)
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>第{r}行</t></is></c></row>' for r in range(1, 2001))
    listed = "".join(f'<sheet name="表{i}" sheetId="{i}" r:id="rId1"/>' for i in range(1, 101))
    data = handmade(f"<sheetData>{rows}</sheetData>", sheets=listed)

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(data))

    assert str(error.value) == (
        "文件解压后超过 1 MB，不像是一份台账（可能含有大量格式或图片）。"
        "请在 WPS 或 Excel 中把台账复制到新文件，另存为 .xlsx 后再上传。"
    )


def test_xlsx_bounds_a_row_of_a_million_cells_refused(monkeypatch):
    monkeypatch.setattr(ledger_files, "MAX_COMPRESSION_RATIO", 10_000)  # which would refuse it first
    cells = '<c r="A1"/>' * 300_000  # 3 MB of XML in one row: no row of a ledger
    data = handmade(f'<sheetData><row r="1">{cells}</row></sheetData>')

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(data))

    assert str(error.value) == (
        "文件中的单元格、格式、合并区域或工作表多得异常，无法读取。"
        "请在 WPS 或 Excel 中把台账复制到新文件，另存为 .xlsx 后再上传。"
    )


def test_xlsx_bounds_columns_past_max_columns_ignored(monkeypatch):
    monkeypatch.setattr(ledger_files, "MAX_COLUMNS", 3)
    book = Workbook()
    book.active.append(["村", "时间", "内容", "第四列", "第五列"])
    book.active.append([None, None, None, "只在第四列"])

    assert read_sheets(saved(book)) == [Sheet("Sheet", [(1, ["村", "时间", "内容"])])]


def test_xlsx_bounds_more_than_max_rows_refused(monkeypatch):
    monkeypatch.setattr(ledger_files, "MAX_ROWS", 10)
    book = Workbook()
    for n in range(11):
        book.active.append([f"第{n}行"])

    with pytest.raises(LedgerFileError) as error:
        read_sheets(saved(book))

    assert str(error.value) == "文件中有数据的行超过 10 行，请分成几个文件导入。"


def test_xlsx_bounds_max_rows_counted_over_all_sheets(monkeypatch):
    monkeypatch.setattr(ledger_files, "MAX_ROWS", 10)
    book = Workbook()
    for n in range(6):
        book.active.append([f"第{n}行"])
    other = book.create_sheet("二")
    for n in range(5):
        other.append([f"第{n}行"])

    with pytest.raises(LedgerFileError) as error:
        read_sheets(saved(book))

    assert str(error.value) == "文件中有数据的行超过 10 行，请分成几个文件导入。"


def test_xls_bounds_more_than_max_rows_refused(monkeypatch):
    monkeypatch.setattr(ledger_files, "MAX_ROWS", 5)

    with pytest.raises(LedgerFileError) as error:
        read_sheets(FILES / "ledger-old-excel.xls")

    assert str(error.value) == "文件中有数据的行超过 5 行，请分成几个文件导入。"


def test_csv_bounds_more_than_max_rows_refused(monkeypatch):
    monkeypatch.setattr(ledger_files, "MAX_ROWS", 3)
    text = "村\n\n一\n二\n三\n"

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(text.encode()), filename="台账.csv")

    assert str(error.value) == "文件中有数据的行超过 3 行，请分成几个文件导入。"


def test_file_bounds_larger_than_max_bytes_refused_with_its_size(monkeypatch, tmp_path):
    monkeypatch.setattr(ledger_files, "MAX_BYTES", 1024 * 1024)
    path = tmp_path / "大.csv"
    path.write_bytes(b"a" * (2 * 1024 * 1024 + 100_000))
    message = "文件太大（2.1 MB），最大 1 MB。请删去无关的工作表、图片后另存，或分成几个文件导入。"

    with pytest.raises(LedgerFileError) as from_path:
        read_sheets(path)
    with pytest.raises(LedgerFileError) as from_upload:
        read_sheets(io.BytesIO(path.read_bytes()))

    assert str(from_path.value) == message
    assert str(from_upload.value) == message


# Anything else


def bad_files() -> dict[str, tuple[bytes, str]]:
    book = Workbook()
    book.active.append(["村", "问题内容"] * 50)
    xlsx_data = saved(book).getvalue()
    return {
        "empty": (b"", "文件是空的。"),
        "docx": (
            zipped({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"}),
            "这是 Word 文档，不是表格。" + SEE_OTHER,
        ),
        "zip": (
            zipped({"台账.xlsx": xlsx_data, "说明.txt": "见附件"}),
            "这是一个压缩包，不是表格文件。请解压后上传其中的 .xlsx、.xls 或 .csv 文件。",
        ),
        "ods": (
            zipped({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<office/>"}),
            "这是 OpenDocument 表格（.ods），无法直接读取。请在 WPS 或 Excel 中另存为 .xlsx 后再上传。",
        ),
        "numbers": (
            zipped({"Index/Document.iwa": b"\0\1\2", "Metadata/Properties.plist": "<plist/>"}),
            "这是苹果 Numbers 表格，无法直接读取。"
            "请在 Numbers 中导出为 Excel，或在 WPS 或 Excel 中另存为 .xlsx 后再上传。",
        ),
        "xlsb": (
            zipped({"xl/workbook.bin": b"\0\1"}),
            "这是 Excel 二进制工作簿（.xlsb），无法直接读取。请在 WPS 或 Excel 中另存为 .xlsx 后再上传。",
        ),
        "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "这是 PDF 文件，不是表格。" + SEE_OTHER),
        "png": (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1\0\0\0\1\x08\x02\0\0\0", "这是图片，不是表格。" + SEE_OTHER),
        "jpeg": (b"\xff\xd8\xff\xe0\0\x10JFIF\0\1\1\0\0\1\0\1\0\0", "这是图片，不是表格。" + SEE_OTHER),
        "random": (random.Random(10).randbytes(4096), "无法识别的文件格式。" + SEE_OTHER),
        "truncated-xlsx": (
            xlsx_data[: len(xlsx_data) // 2],
            "文件已损坏或不完整（压缩包无法打开），无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。",
        ),
        "corrupt-xlsx": (
            zipped({"xl/workbook.xml": "<workbook", "xl/_rels/workbook.xml.rels": "<x/>"}),
            BROKEN,
        ),
        "bad-cell-xlsx": (handmade('<sheetData><row r="1"><c r="A1"><v>一</v></c></row></sheetData>'), BROKEN),
        "no-sheets": (handmade("<sheetData/>", sheets=""), "工作簿中没有工作表。"),
        "all-sheets-hidden": (
            handmade(
                '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>',
                sheets='<sheet name="一" sheetId="1" state="hidden" r:id="rId1"/>'
                '<sheet name="二" sheetId="2" state="veryHidden" r:id="rId1"/>',
            ), "工作簿中的工作表都被隐藏了。请在 WPS 或 Excel 中取消隐藏后再上传。"),
        "encrypted-xlsx": (
            # What Excel writes for an .xlsx with a password to open it: an OLE2 file holding the
            # streams EncryptionInfo and EncryptedPackage (only its directory names matter here).
            ledger_files.OLE2 + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 50
            + "EncryptedPackage".encode("utf-16-le") + b"\0" * 1000,
            "文件设置了打开密码，无法读取。请在 WPS 或 Excel 中打开，取消密码后另存为 .xlsx，再上传。",
        ),
        "ole2-garbage": (
            ledger_files.OLE2 + b"\0" * 100,
            "文件已损坏或不完整（.xls 无法打开），无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。",
        ),
    }  # fmt: skip


BAD_KINDS = [
    "empty", "docx", "zip", "ods", "numbers", "xlsb", "pdf", "png", "jpeg", "random", "truncated-xlsx",
    "corrupt-xlsx", "bad-cell-xlsx", "no-sheets", "all-sheets-hidden", "encrypted-xlsx", "ole2-garbage",
]  # fmt: skip


def test_bad_files_every_kind_tested():
    assert sorted(bad_files()) == sorted(BAD_KINDS)


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_file_refused_with_a_clear_message(kind):
    data, message = bad_files()[kind]

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(data), filename="台账.xlsx")

    assert str(error.value) == message
