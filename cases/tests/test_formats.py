"""The admin's .xlsx format reads what django-import-export's own XLSX reads."""

import datetime
import io

import openpyxl
import pytest
from import_export.formats import base_formats

from cases.formats import FastXLSX


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ROWS = [
    ["编号", "村（社区）", "反映日期", "户数", "内容", None],
    [None, "东联村", datetime.datetime(2015, 1, 8), 12, "水渠年久失修\n需要清理", None],
    ["SH-2015-0001", "三合圩社区", datetime.datetime(2015, 1, 15), 3.5, "", "多余一列"],
    [None, None, None, None, None, None],
]


def test_fast_xlsx_reads_what_import_exports_reader_reads():
    content = workbook(ROWS)

    fast = FastXLSX().create_dataset(content)
    slow = base_formats.XLSX().create_dataset(content)

    assert fast.headers == slow.headers
    assert [list(row) for row in fast] == [list(row) for row in slow]


@pytest.mark.parametrize("content", [b"not a workbook", b"PK\x03\x04 broken zip"])
def test_fast_xlsx_refuses_what_it_cannot_read_as_openpyxl_does_without_handing_it_on(content):
    # openpyxl reads without limits: a file our reader cannot read is never handed on to it.
    with pytest.raises(Exception) as fast:
        FastXLSX().create_dataset(content)
    with pytest.raises(Exception) as slow:
        base_formats.XLSX().create_dataset(content)

    assert type(fast.value) is type(slow.value)
    assert "openpyxl" not in "".join(str(frame.path) for frame in fast.traceback)


def test_fast_xlsx_refuses_a_workbook_past_its_limits_without_handing_it_to_openpyxl():
    """A tiny file whose one cell sits at XFD1048576 once drove a worker to 9.2 GB (openpyxl builds
    the whole grid): the admin's import refuses it with the ledger import's message instead."""
    from cases.tests.test_ledger_files import handmade

    data = handmade(
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>编号</t></is></c></row>'
        '<row r="1048576"><c r="B1048576"><v>1</v></c></row></sheetData>'
        '<mergeCells count="1"><mergeCell ref="A1:B1048576"/></mergeCells>'
    )

    with pytest.raises(ValueError, match="异常，无法读取"):
        FastXLSX().create_dataset(data)
