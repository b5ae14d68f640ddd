"""The values of an .xlsx workbook, read straight from its XML with lxml.

openpyxl builds an object for every cell (and a rich-text object for every inline string), about
forty microseconds a cell: most of the time of reading a ledger of ten thousand rows. Here each
sheet is streamed once and only the values are kept, as openpyxl's `load_workbook(data_only=True)`
gives them: the cached result of a formula, numbers as int or float, dates (by their number
format) as datetimes, shared and inline strings as text; merged cells are filled with their
top-left value, as a ledger that writes a village once for several rows means them.
"""

import posixpath
import zipfile
from collections.abc import Iterator

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def sheets(source) -> Iterator[tuple[str, list[list]]]:
    """Each worksheet's title and its rows of values, in the workbook's order. Raises on a file
    that is not a workbook (zipfile.BadZipFile, KeyError, lxml's XMLSyntaxError...)."""
    with zipfile.ZipFile(source) as archive:
        book = _Book(archive)
        for title, path in book.sheets:
            yield title, book.rows(path)


def _parse(archive: zipfile.ZipFile, path: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(archive.read(path), parser)


def _rich_text(node) -> str:
    """The text of a shared or inline string: its runs joined, the phonetic guide left out."""
    parts = []
    for child in node:
        if child.tag == MAIN + "t":
            parts.append(child.text or "")
        elif child.tag == MAIN + "r":
            parts.append(child.findtext(MAIN + "t") or "")
    return "".join(parts)


class _Book:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        workbook = _parse(archive, "xl/workbook.xml")
        properties = workbook.find(MAIN + "workbookPr")
        date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        targets = {}
        for rel in _parse(archive, "xl/_rels/workbook.xml.rels").iter(RELS + "Relationship"):
            target = rel.get("Target")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            targets[rel.get("Id")] = (rel.get("Type", "").rsplit("/", 1)[-1], path)
        self.sheets = [
            (sheet.get("name"), targets[sheet.get(DOC_RELS + "id")][1])
            for sheet in workbook.iter(MAIN + "sheet")
            if targets.get(sheet.get(DOC_RELS + "id"), ("",))[0] == "worksheet"
        ]
        paths = {kind: path for kind, path in targets.values()}
        self.shared = self._shared_strings(paths.get("sharedStrings"))
        self.date_styles = self._date_styles(paths.get("styles"))

    def _shared_strings(self, path: str | None) -> list[str]:
        if not path or path not in self.archive.namelist():
            return []
        return [_rich_text(item) for item in _parse(self.archive, path).iter(MAIN + "si")]

    def _date_styles(self, path: str | None) -> set[int]:
        """The cell styles whose number format is a date: their numbers are dates."""
        if not path or path not in self.archive.namelist():
            return set()
        styles = _parse(self.archive, path)
        formats = dict(BUILTIN_FORMATS)
        for fmt in styles.iter(MAIN + "numFmt"):
            formats[int(fmt.get("numFmtId"))] = fmt.get("formatCode", "")
        cell_xfs = styles.find(MAIN + "cellXfs")
        xfs = cell_xfs.findall(MAIN + "xf") if cell_xfs is not None else []
        return {i for i, xf in enumerate(xfs) if is_date_format(formats.get(int(xf.get("numFmtId", 0)), ""))}

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
            return from_excel(number, self.epoch)
        return number

    def rows(self, path: str) -> list[list]:
        """The sheet as a grid of values, as wide as its widest row, merged cells filled."""
        found: dict[int, dict[int, object]] = {}
        merged = []
        row_number = 0
        columns: dict[str, int] = {}  # "AB" -> 28, worked out once per sheet
        with self.archive.open(path) as xml:
            for _event, node in etree.iterparse(xml, tag=(MAIN + "row", MAIN + "mergeCell"), resolve_entities=False):
                if node.tag == MAIN + "mergeCell":
                    merged.append(range_boundaries(node.get("ref")))
                    continue
                row_number = int(node.get("r") or row_number + 1)
                values, column = {}, 0
                for cell in node.iter(MAIN + "c"):
                    letters = (cell.get("r") or "").rstrip("0123456789")
                    if not letters:
                        column += 1
                    elif letters in columns:
                        column = columns[letters]
                    else:
                        column = columns[letters] = column_index_from_string(letters)
                    value = self.value(cell)
                    if value is not None:
                        values[column] = value
                found[row_number] = values
                node.clear()
        width = max((max(values) for values in found.values() if values), default=0)
        grid = [[None] * width for _ in range(max(found, default=0))]
        for number, values in found.items():
            for column, value in values.items():
                grid[number - 1][column - 1] = value
        for min_col, min_row, max_col, max_row in merged:
            if min_row > len(grid):
                continue
            top = grid[min_row - 1][min_col - 1] if min_col <= width else None
            for r in range(min_row, min(max_row, len(grid)) + 1):
                for c in range(min_col, min(max_col, width) + 1):
                    grid[r - 1][c - 1] = top
        return grid
