"""The values of an .xlsx workbook, read straight from its XML with lxml.

openpyxl builds an object for every cell (and a rich-text object for every inline string), about
forty microseconds a cell: most of the time of reading a ledger of ten thousand rows. Here each
sheet is streamed once and only the values are kept, as openpyxl's `load_workbook(data_only=True)`
gives them: the cached result of a formula, numbers as int or float, dates (by their number
format) as datetimes, shared and inline strings as text; merged cells are filled with their
top-left value, as a ledger that writes a village once for several rows means them.

An upload can be built to hurt its reader (one cell at XFD1048576, a styles.xml that unpacks to
gigabytes, a zip of 100,000 entries), so reading is bounded (`Limits`): the zip's entries are counted
from its end record before its directory is read (`check_entries`); a zip member is refused by its
declared size (and by how far it claims to unpack, the ratio) before it is opened and read through a
counting reader that stops past the limit (a header can lie);
every XML part is streamed, each element dropped once handled, and a stretch of XML with nothing
to handle longer than `max_gap_bytes` is refused (a row of millions of cells, a heap of unknown
elements); rows are kept sparse (only those with values, by number), columns past `max_columns`
ignored, merged ranges clipped to the rows and columns that hold values. A sheet whose declared
`<dimension>` is past `max_cells` is refused before its rows are read: a reader that makes a grid
(`sheets`, openpyxl) would allocate it, and no table of ours is that large. Past a limit: `TooLarge`.
"""

import io
import os
import posixpath
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"

ROW, CELL, MERGE, COL = MAIN + "row", MAIN + "c", MAIN + "mergeCell", MAIN + "col"
# What a worksheet's stream stops at: rows, merged ranges, column widths, and the repeated elements
# of the parts after the rows (dropped unread, so that a long list of them is no long stretch).
SHEET_TAGS = (
    ROW,
    MERGE,
    COL,
    *(MAIN + tag for tag in ("dataValidation", "conditionalFormatting", "hyperlink", "protectedRange", "brk")),
)
STYLE_TAGS = tuple(MAIN + tag for tag in ("numFmt", "xf", "font", "fill", "border", "dxf", "cellStyle", "tableStyle"))
WORKBOOK_TAGS = tuple(MAIN + tag for tag in ("workbookPr", "sheet", "definedName", "workbookView"))
HIDDEN = ("1", "true")
MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much reading a workbook may cost. The defaults bound memory without refusing any real file."""

    max_member_bytes: int = 100 * MEGABYTE  # one unpacked XML part
    max_total_bytes: int = 200 * MEGABYTE  # all the parts read, together
    max_gap_bytes: int = 2 * MEGABYTE  # XML read without reaching an element handled (one row, say)
    max_columns: int = 16384  # cells further right are ignored (XFD, Excel's last column, by default)
    max_rows: int | None = None  # rows with a value, over the workbook
    max_row_elements: int = 2 * 1048576  # <row> elements, empty ones too, over the workbook
    max_merged_cells: int = 2_000_000  # cells filled (or cleared) from merged ranges, over the workbook
    max_shared_strings: int = 5_000_000
    max_sheets: int = 1000
    max_entries: int = 10_000  # members of the zip (a workbook has tens; one with many pictures, hundreds)
    max_ratio: int = 200  # how far a part read may unpack (deflate's own limit is about 1,000)
    min_ratio_bytes: int = MEGABYTE  # smaller parts are not worth a ratio check
    max_styles_bytes: int = 100 * MEGABYTE  # styles.xml, unpacked
    max_shared_strings_bytes: int = 100 * MEGABYTE  # sharedStrings.xml, unpacked
    max_cells: int = 10_000_000  # a grid (`sheets`): its declared dimension and the rows as read


class TooLarge(ValueError):
    """Reading would pass one of the `Limits`: `what` names it (a field of Limits, less its `max_`)."""

    def __init__(self, what: str, limit: int):
        super().__init__(f"workbook past its limit: {what} > {limit}")
        self.what = what
        self.limit = limit


@dataclass
class SparseSheet:
    """A worksheet's values as they are stored: only the rows with a value, by their number."""

    title: str
    hidden: bool  # state="hidden" or "veryHidden" in workbook.xml
    rows: dict[int, dict[int, object]] = field(default_factory=dict)  # row number -> {column number: value}
    hidden_rows: set[int] = field(default_factory=set)  # row numbers (at most 200,000 are noted)
    hidden_columns: set[int] = field(default_factory=set)  # column numbers, up to max_columns
    width: int = 0  # the rightmost column with a value
    last_row: int = 0  # the last <row> in the XML, with or without values
    last_value_row: int = 0  # the last row with a value


def sheets(source, limits: Limits = Limits()) -> Iterator[tuple[str, list[list]]]:
    """Each worksheet's title and its rows of values, in the workbook's order: a grid as wide as its
    widest row, as long as its last row, hidden rows and columns included. Raises on a file that is
    not a workbook (zipfile.BadZipFile, KeyError, lxml's XMLSyntaxError...) or is too large (TooLarge),
    a sheet's declared dimension included (before its rows are read)."""
    for sheet in read(source, limits, dense=True):
        if sheet.last_row * sheet.width > limits.max_cells:  # 8 bytes an empty slot: no table of ours is that
            raise TooLarge("cells", limits.max_cells)
        grid = [[None] * sheet.width for _ in range(sheet.last_row)]
        for number, values in sheet.rows.items():
            if 1 <= number <= sheet.last_row:
                row = grid[number - 1]
                for column, value in values.items():
                    row[column - 1] = value
        yield sheet.title, grid


def read(
    source,
    limits: Limits = Limits(),  # frozen: shared safely
    *,
    visible_only: bool = False,
    dense: bool = False,
) -> Iterator[SparseSheet]:
    """Each worksheet (only the visible ones if `visible_only`), sparse, merged cells filled and
    clipped to the rows with values (to the last <row> element if `dense`, as a grid of the sheet has)."""
    check_entries(source, limits)
    with zipfile.ZipFile(source) as archive:
        book = Book(archive, limits, visible_only=visible_only)
        for title, path, hidden in book.sheets:
            yield book.sheet(title, path, hidden, dense=dense)


END_OF_DIRECTORY = struct.Struct("<4s4xHHII")  # signature, entries here, entries, directory size, offset
SMALLEST_ENTRY = 46  # a central directory record with an empty name


def check_entries(source, limits: Limits) -> None:
    """Refuse a zip of too many entries from its end record, before zipfile reads its directory
    (100,000 entries are 100,000 objects); the directory's size is checked too, as zipfile reads
    records until that size whatever the count says. SOURCE: a path, bytes or a seekable binary file."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            return check_entries(file, limits)
    if isinstance(source, bytes | bytearray | memoryview):
        source = io.BytesIO(source)
    end = source.seek(0, io.SEEK_END)
    start = max(0, end - 65536 - END_OF_DIRECTORY.size)  # the end record and its comment (≤ 64 KB)
    source.seek(start)
    tail = source.read()
    source.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < END_OF_DIRECTORY.size:
        return  # no zip: zipfile says so
    _signature, _here, entries, size, _offset = END_OF_DIRECTORY.unpack_from(tail, at)
    # 0xFFFF / 0xFFFFFFFF: a zip64 record holds the real figures, so the limit is passed already.
    if entries > limits.max_entries or size > limits.max_entries * (SMALLEST_ENTRY + 255):  # names ≤ 255 bytes
        raise TooLarge("entries", limits.max_entries)


class Counts:
    """What a workbook has cost so far, against its limits (shared by its sheets)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.rows = 0  # rows with a value
        self.merged_cells = 0

    def add_row(self):
        self.rows += 1
        if self.limits.max_rows is not None and self.rows > self.limits.max_rows:
            raise TooLarge("rows", self.limits.max_rows)


def fill_merged(sheet: SparseSheet, bounds: tuple, counts: Counts, *, last_row: int):
    """Every cell of a merged range (min_col, min_row, max_col, max_row, 1-based, inclusive) given its
    top-left value, clipped to rows up to `last_row` and to the sheet's width."""
    min_col, min_row, max_col, max_row = bounds
    if None in bounds:  # a whole row or column: no range Excel writes
        return
    rows = sheet.rows
    max_row, max_col = min(max_row, last_row), min(max_col, sheet.width)
    if min_row > max_row or min_col > max_col:
        return
    top = rows.get(min_row, {}).get(min_col)
    span = range(min_col, max_col + 1)
    counts.merged_cells += (max_row - min_row + 1) * len(span)
    if counts.merged_cells > counts.limits.max_merged_cells:
        raise TooLarge("merged_cells", counts.limits.max_merged_cells)
    for number in range(min_row, max_row + 1):
        values = rows.get(number)
        if top is None:
            if values:
                for column in span:
                    values.pop(column, None)
                if not values:
                    del rows[number]
            continue
        if values is None:
            values = rows[number] = {}
            counts.add_row()
        for column in span:
            values[column] = top


class _Reader:
    """A zip member read in chunks, counted: past the member's or the workbook's limit, or a stretch
    of more than max_gap_bytes since `mark` was last set, it raises TooLarge (and reads no further)."""

    def __init__(self, book: "Book", path: str):
        self.raw = book.archive.open(path)
        self.book = book
        self.count = 0
        self.mark = 0

    def read(self, size: int = -1) -> bytes:
        limits = self.book.limits
        data = self.raw.read(min(size, 65536) if size and size > 0 else 65536)
        self.count += len(data)
        self.book.total += len(data)
        if self.count > limits.max_member_bytes:
            raise TooLarge("member_bytes", limits.max_member_bytes)
        if self.book.total > limits.max_total_bytes:
            raise TooLarge("total_bytes", limits.max_total_bytes)
        if self.count - self.mark > limits.max_gap_bytes + 65536:
            raise TooLarge("gap_bytes", limits.max_gap_bytes)
        return data

    def close(self):
        self.raw.close()


def _stream(book: "Book", path: str, tags: tuple[str, ...], events=("end",)) -> Iterator:
    """The elements of a part with one of these tags, each dropped (with what came before it) once handled."""
    reader = book.open(path)
    try:
        for _event, node in etree.iterparse(reader, events, tag=tags, resolve_entities=False, no_network=True):
            yield node
            reader.mark = reader.count
            node.clear()
            parent = node.getparent()
            if parent is not None:
                while node.getprevious() is not None:
                    del parent[0]
    finally:
        reader.close()


def _rich_text(node) -> str:
    """The text of a shared or inline string: its runs joined, the phonetic guide left out."""
    parts = []
    for child in node:
        if child.tag == MAIN + "t":
            parts.append(child.text or "")
        elif child.tag == MAIN + "r":
            parts.append(child.findtext(MAIN + "t") or "")
    return "".join(parts)


class Book:
    """An open workbook: `sheets` lists its worksheets (title, path, hidden), `sheet()` reads one."""

    def __init__(self, archive: zipfile.ZipFile, limits: Limits, *, visible_only: bool = False):
        self.archive = archive
        self.limits = limits
        if len(archive.filelist) > limits.max_entries:  # past what the end record said
            raise TooLarge("entries", limits.max_entries)
        self.total = 0  # bytes unpacked so far
        self.names = set(archive.namelist())
        self.counts = Counts(limits)
        self.row_elements = 0
        date1904 = False
        listed = []
        for node in _stream(self, "xl/workbook.xml", WORKBOOK_TAGS):
            if node.tag == MAIN + "workbookPr":
                date1904 = node.get("date1904") in HIDDEN
            elif node.tag == MAIN + "sheet":
                listed.append((node.get("name") or "", node.get(DOC_RELS + "id"), node.get("state") or "visible"))
                if len(listed) > limits.max_sheets:
                    raise TooLarge("sheets", limits.max_sheets)
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        targets = {}
        for rel in _stream(self, "xl/_rels/workbook.xml.rels", (RELS + "Relationship",)):
            target = rel.get("Target") or ""
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            targets[rel.get("Id")] = (rel.get("Type", "").rsplit("/", 1)[-1], path)
        worksheets = [
            (name, targets[rid][1], state != "visible")
            for name, rid, state in listed
            if targets.get(rid, ("",))[0] == "worksheet"
        ]
        self.sheets = [sheet for sheet in worksheets if not (visible_only and sheet[2])]
        self.hidden_skipped = len(worksheets) - len(self.sheets)
        paths = {kind: path for kind, path in targets.values()}
        shared, styles = paths.get("sharedStrings"), paths.get("styles")
        # Refused by their declared sizes before any is unpacked (the counting reader holds them to it).
        parts = {path for path in (shared, styles) if path in self.names} | {path for _, path, _ in self.sheets}
        own = {shared: ("shared_strings_bytes", limits.max_shared_strings_bytes)}
        own[styles] = ("styles_bytes", limits.max_styles_bytes)
        declared = 0
        for path in parts:
            size = archive.getinfo(path).file_size
            what, limit = own.get(path, ("member_bytes", limits.max_member_bytes))
            if limit > limits.max_member_bytes:
                what, limit = "member_bytes", limits.max_member_bytes
            if size > limit:
                raise TooLarge(what, limit)
            declared += size
        if self.total + declared > limits.max_total_bytes:
            raise TooLarge("total_bytes", limits.max_total_bytes)
        for path in parts:  # within the sizes, but built to unpack far (what deflate does to repeated bytes)
            info = archive.getinfo(path)
            if info.file_size > limits.min_ratio_bytes and info.file_size > limits.max_ratio * info.compress_size:
                raise TooLarge("ratio", limits.max_ratio)
        self.shared = self._shared_strings(shared)
        self.date_styles = self._date_styles(styles)

    def check_dimension(self, path: str) -> None:
        """Refuse a sheet whose <dimension ref="A1:XFD1048576"> declares more than max_cells: what a
        reader making a grid (openpyxl's, ours) would allocate. Read up to <sheetData>, where it ends."""
        for node in _stream(self, path, (MAIN + "dimension", MAIN + "sheetData"), events=("start",)):
            if node.tag != MAIN + "dimension":
                return
            try:
                min_col, min_row, max_col, max_row = range_boundaries(node.get("ref") or "A1")
            except ValueError:  # a dimension no one can use: readers work without one
                return
            if max_row is not None and max_col is not None:
                cells = (max_row - (min_row or 1) + 1) * (max_col - (min_col or 1) + 1)
                if cells > self.limits.max_cells:
                    raise TooLarge("declared_cells", self.limits.max_cells)
            return

    def open(self, path: str) -> _Reader:
        if self.archive.getinfo(path).file_size > self.limits.max_member_bytes:
            raise TooLarge("member_bytes", self.limits.max_member_bytes)
        return _Reader(self, path)

    def _shared_strings(self, path: str | None) -> list[str]:
        if not path or path not in self.names:
            return []
        strings = []
        for item in _stream(self, path, (MAIN + "si",)):
            strings.append(_rich_text(item))
            if len(strings) > self.limits.max_shared_strings:
                raise TooLarge("shared_strings", self.limits.max_shared_strings)
        return strings

    def _date_styles(self, path: str | None) -> set[int]:
        """The cell styles whose number format is a date: their numbers are dates."""
        if not path or path not in self.names:
            return set()
        formats = dict(BUILTIN_FORMATS)
        xfs = []  # the number format of each cell style (cellXfs), in order
        for node in _stream(self, path, STYLE_TAGS):
            if node.tag == MAIN + "numFmt":
                formats[int(node.get("numFmtId"))] = node.get("formatCode", "")
            elif node.tag == MAIN + "xf" and node.getparent().tag == MAIN + "cellXfs":
                xfs.append(int(node.get("numFmtId", 0)))
        date_formats = {}
        return {
            i
            for i, fmt in enumerate(xfs)
            if date_formats.setdefault(fmt, is_date_format(formats.get(fmt, "")))  # a few formats, many styles
        }

    def value(self, cell):
        kind = cell.get("t")
        if kind == "inlineStr":
            text = cell.find(MAIN + "is")
            return None if text is None else _rich_text(text)
        text = cell.findtext(MAIN + "v")
        if text is None:
            return None
        if kind == "s":
            return self.shared[int(text)]
        if kind == "b":
            return text.strip() == "1"
        if kind in ("str", "e"):
            return text
        if kind == "d":
            return from_ISO8601(text)
        number = float(text) if any(c in text for c in ".eE") else int(text)
        style = cell.get("s")
        if style is not None and int(style) in self.date_styles:
            try:
                return from_excel(number, self.epoch)
            except (ValueError, OverflowError):  # no date Excel could show (it shows ####): the number
                return number
        return number

    def sheet(self, title: str, path: str, hidden: bool, *, dense: bool = False) -> SparseSheet:
        """The sheet's values, merged cells filled; which rows and columns are hidden."""
        self.check_dimension(path)
        limits = self.limits
        max_columns, add_row = limits.max_columns, self.counts.add_row
        sheet = SparseSheet(title, hidden)
        rows = sheet.rows
        hidden_rows = sheet.hidden_rows
        hidden_columns = bytearray(max_columns + 2)
        row_number = width = 0
        columns: dict[str, int] = {}  # "AB" -> 28, worked out once per sheet
        for node in _stream(self, path, SHEET_TAGS):
            tag = node.tag
            if tag == ROW:
                number = node.get("r")
                row_number = int(number) if number else row_number + 1
                self.row_elements += 1
                if self.row_elements > limits.max_row_elements:
                    raise TooLarge("row_elements", limits.max_row_elements)
                values, column = {}, 0
                for cell in node.iter(CELL):
                    letters = (cell.get("r") or "").rstrip("0123456789")
                    if not letters:
                        column += 1
                    elif letters in columns:
                        column = columns[letters]
                    else:
                        column = columns[letters] = column_index_from_string(letters)
                    if column > max_columns:
                        continue
                    value = self.value(cell)
                    if value is not None:
                        values[column] = value
                if row_number > sheet.last_row:
                    sheet.last_row = row_number
                if node.get("hidden") in HIDDEN and len(hidden_rows) < 200_000:
                    hidden_rows.add(row_number)
                if values:
                    rows[row_number] = values
                    if row_number > sheet.last_value_row:
                        sheet.last_value_row = row_number
                    right = max(values)
                    if right > width:
                        width = right
                    add_row()
            elif tag == MERGE:
                sheet.width = width
                last = sheet.last_row if dense else sheet.last_value_row
                fill_merged(sheet, range_boundaries(node.get("ref") or ""), self.counts, last_row=last)
            elif tag == COL and node.get("hidden") in HIDDEN:
                first, last = int(node.get("min", 0)), min(int(node.get("max", 0)), max_columns)
                if 1 <= first <= last:
                    hidden_columns[first : last + 1] = b"\1" * (last - first + 1)
        sheet.width = width
        if hidden_columns.find(1) >= 0:
            sheet.hidden_columns = {i for i, flag in enumerate(hidden_columns) if flag}
        return sheet
