"""Every spreadsheet a town office really has, read as a ledger's sheets, safely.

The format is told by the file's bytes, never its name: .xlsx (a zip holding xl/workbook.xml, read by
cases/xlsx.py), .xls (Excel 97-2003, an OLE2 compound file, read by xlrd), and .csv or tab-separated
text in UTF-8 (with or without BOM), GBK/GB18030 (what WPS and older Excel save) or UTF-16 with BOM
(Excel's "Unicode text"). Only what the user sees is kept: visible sheets, visible rows with a value,
visible columns; merged cells carry their top-left value.

An upload is bounded before it is read (size of the file, entries of the zip, unpacked size and ratio of
each part, styles and shared strings; then rows and columns as read), the limits in settings
(UPLOAD_MAX_*), and anything else (an .ods, a Word file, a PDF, a picture, a broken or password-protected workbook)
is refused with a `LedgerFileError` saying what to do, never another exception.
"""

import codecs
import csv
import io
import logging
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

import xlrd
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import xlsx

logger = logging.getLogger(__name__)

# The limits of every spreadsheet upload, from settings (UPLOAD_MAX_*; the defaults in brackets).
MAX_BYTES = settings.UPLOAD_MAX_BYTES  # the upload (20 MB)
# Rows with a value, over all sheets: what the office's confirm reads and imports well within GUNICORN_TIMEOUT.
MAX_ROWS = settings.UPLOAD_MAX_ROWS  # (20,000)
MAX_COLUMNS = settings.UPLOAD_MAX_COLUMNS  # cells further right are ignored (200)
MAX_CELLS = settings.UPLOAD_MAX_CELLS  # a grid (the admin's import, stated figures): rows × columns (4,000,000)
MAX_ZIP_ENTRIES = settings.UPLOAD_MAX_ZIP_ENTRIES  # (10,000)
MAX_MEMBER_BYTES = settings.UPLOAD_MAX_MEMBER_BYTES  # one part of an .xlsx, unpacked (100 MB)
MAX_UNPACKED_BYTES = settings.UPLOAD_MAX_UNPACKED_BYTES  # the parts of an .xlsx read, unpacked, together (200 MB)
MAX_COMPRESSION_RATIO = settings.UPLOAD_MAX_COMPRESSION_RATIO  # (200)
MAX_STYLES_BYTES = settings.UPLOAD_MAX_STYLES_BYTES  # (20 MB)
MAX_SHARED_STRINGS_BYTES = settings.UPLOAD_MAX_SHARED_STRINGS_BYTES  # (50 MB)
MAX_SHARED_STRINGS = settings.UPLOAD_MAX_SHARED_STRINGS  # (1,000,000)

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # an .xlsx with a password to open it
SNIFF_CHARS = 8192
NEWLINE = re.compile(r"\r\n|\r|\n")
SEE_OTHER = gettext_noop("请上传 Excel 或 WPS 表格（.xlsx、.xls）或 .csv 文件。")


class LedgerFileError(ValueError):
    """The file cannot be read as a ledger (or as any spreadsheet we take: it is past a limit, broken,
    of another kind); str(error) is a clear message in the user's language (gettext)."""


@dataclass
class Sheet:
    title: str  # the sheet's name (for CSV: the file's name without extension)
    rows: list[tuple[int, list]]  # (row number as the user sees it, the row's visible values), rows with a value


def read_sheets(source, *, filename: str = "") -> list[Sheet]:
    """source: a path (str/Path) or a binary file object. Detects the format from the bytes, not the name."""
    data, name = _load(source, filename)
    if not data:
        raise LedgerFileError(_("文件是空的。"))
    try:
        if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
            return _read_zip(data)
        if data.startswith(OLE2):
            return _read_ole2(data)
        _refuse_known_binary(data)
        return _read_text(data, name)
    except LedgerFileError:
        raise
    except xlsx.TooLarge as error:
        raise too_large(error) from error
    except Exception as error:  # an upload can be broken in any way: it is refused, never a server error
        logger.info("ledger file refused: %r", error)
        raise LedgerFileError(
            _("文件已损坏或不完整，无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。")
        ) from error


def _load(source, filename: str) -> tuple[bytes, str]:
    """The file's bytes (refused past MAX_BYTES before they are read) and its name."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        check_size(path.stat().st_size)
        return path.read_bytes(), filename or path.name
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        size = getattr(source, "size", None)
        if size is None and hasattr(source, "seek"):
            size = source.seek(0, io.SEEK_END)
        check_size(size or len(data))
    return data, filename or str(getattr(source, "name", "") or "")


def check_size(size: int):
    """Refuse a file past MAX_BYTES, by its size, before it is read."""
    if size > MAX_BYTES:
        raise LedgerFileError(
            _("文件太大（%(size).1f MB），最大 %(max)d MB。请删去无关的工作表、图片后另存，或分成几个文件导入。")
            % {"size": size / 1024 / 1024, "max": MAX_BYTES // 1024 // 1024}
        )


def _too_many_rows() -> LedgerFileError:
    return LedgerFileError(_("文件中有数据的行超过 %(max)s 行，请分成几个文件导入。") % {"max": f"{MAX_ROWS:,}"})


def too_large(error: xlsx.TooLarge) -> LedgerFileError:
    """What to tell the user of a workbook past one of its limits."""
    copy = _("请在 WPS 或 Excel 中把表格复制到新文件，另存为 .xlsx 后再上传。")
    if error.what == "rows":
        return _too_many_rows()
    if error.what == "entries":
        return LedgerFileError(
            _("文件是含有 %(max)s 个以上部件的压缩包，不像是一份表格。") % {"max": f"{error.limit:,}"} + copy
        )
    if error.what == "ratio":
        return LedgerFileError(
            _("文件中有一部分解压后是压缩时的 %(max)d 倍以上，不像是一份表格。") % {"max": error.limit} + copy
        )
    if error.what == "styles_bytes":
        return LedgerFileError(
            _("文件的格式（styles.xml）解压后超过 %(max)d MB，格式多得异常。") % {"max": error.limit // 1024 // 1024}
            + copy
        )
    if error.what in ("shared_strings_bytes", "shared_strings"):
        return LedgerFileError(
            _("文件中的文字（sharedStrings.xml）多得异常（超过 %(mb)d MB 或 %(n)s 条）。")
            % {"mb": MAX_SHARED_STRINGS_BYTES // 1024 // 1024, "n": f"{MAX_SHARED_STRINGS:,}"}
            + copy
        )
    if error.what in ("cells", "declared_cells"):
        return LedgerFileError(
            _(
                "工作表的范围超过 %(max)s 个单元格（行数乘列数），"
                "可能有内容或格式远在表格之外（如第 1048576 行或 XFD 列）。"
            )
            % {"max": f"{error.limit:,}"}
            + copy
        )
    if error.what in ("member_bytes", "total_bytes"):
        return LedgerFileError(
            _(
                "文件解压后超过 %(max)d MB，不像是一份台账（可能含有大量格式或图片）。"
                "请在 WPS 或 Excel 中把台账复制到新文件，另存为 .xlsx 后再上传。"
            )
            % {"max": error.limit // 1024 // 1024}
        )
    return LedgerFileError(
        _(
            "文件中的单元格、格式、合并区域或工作表多得异常，无法读取。"
            "请在 WPS 或 Excel 中把台账复制到新文件，另存为 .xlsx 后再上传。"
        )
    )


def _no_sheets(hidden: int) -> LedgerFileError:
    if hidden:
        return LedgerFileError(_("工作簿中的工作表都被隐藏了。请在 WPS 或 Excel 中取消隐藏后再上传。"))
    return LedgerFileError(_("工作簿中没有工作表。"))


def limits() -> xlsx.Limits:
    """The workbook limits of every upload (read at each call, so that a test may lower one)."""
    return xlsx.Limits(
        max_member_bytes=MAX_MEMBER_BYTES,
        max_total_bytes=MAX_UNPACKED_BYTES,
        max_columns=MAX_COLUMNS,
        max_rows=MAX_ROWS,
        max_cells=MAX_CELLS,
        max_entries=MAX_ZIP_ENTRIES,
        max_ratio=MAX_COMPRESSION_RATIO,
        max_styles_bytes=MAX_STYLES_BYTES,
        max_shared_strings_bytes=MAX_SHARED_STRINGS_BYTES,
        max_shared_strings=MAX_SHARED_STRINGS,
    )


def _is_blank(value) -> bool:
    return value is None or (value.__class__ is str and not value.strip())


def _visible(sheet: xlsx.SparseSheet) -> Sheet:
    """The rows the user sees: not hidden, with a value in a column not hidden, by their number."""
    width = min(sheet.width, MAX_COLUMNS)
    columns = [c for c in range(1, width + 1) if c not in sheet.hidden_columns]
    rows = []
    for number in sorted(sheet.rows):
        if number in sheet.hidden_rows:
            continue
        values = list(map(sheet.rows[number].get, columns))
        if not all(map(_is_blank, values)):
            rows.append((number, values))
    return Sheet(sheet.title, rows)


# .xlsx, and the zips that are not one


def _read_zip(data: bytes) -> list[Sheet]:
    bounds = limits()
    xlsx.check_entries(data, bounds)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise LedgerFileError(
            _("文件已损坏或不完整（压缩包无法打开），无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。")
        ) from error
    with archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" in names:
            book = xlsx.Book(archive, bounds, visible_only=True)
            sheets = [_visible(book.sheet(title, path, hidden)) for title, path, hidden in book.sheets]
            if not sheets:
                raise _no_sheets(book.hidden_skipped)
            return sheets
        raise LedgerFileError(_not_a_workbook(archive, names))


def _not_a_workbook(archive: zipfile.ZipFile, names: set[str]) -> str:
    """What a zip that is no .xlsx is, and what to do."""
    mimetype = ""
    if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
        mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
    if mimetype == "application/vnd.oasis.opendocument.spreadsheet":
        return _("这是 OpenDocument 表格（.ods），无法直接读取。请在 WPS 或 Excel 中另存为 .xlsx 后再上传。")
    if "Index/Document.iwa" in names or "Index.zip" in names or any(n.startswith("Index/") for n in names):
        return _(
            "这是苹果 Numbers 表格，无法直接读取。请在 Numbers 中导出为 Excel，"
            "或在 WPS 或 Excel 中另存为 .xlsx 后再上传。"
        )
    if "xl/workbook.bin" in names:
        return _("这是 Excel 二进制工作簿（.xlsb），无法直接读取。请在 WPS 或 Excel 中另存为 .xlsx 后再上传。")
    if "word/document.xml" in names or mimetype == "application/vnd.oasis.opendocument.text":
        return _("这是 Word 文档，不是表格。") + _(SEE_OTHER)
    if "ppt/presentation.xml" in names:
        return _("这是 PowerPoint 演示文稿，不是表格。") + _(SEE_OTHER)
    return _("这是一个压缩包，不是表格文件。请解压后上传其中的 .xlsx、.xls 或 .csv 文件。")


# .xls (Excel 97-2003) and the other OLE2 files


def _read_ole2(data: bytes) -> list[Sheet]:
    if ENCRYPTED_PACKAGE in data:
        raise _password()
    try:
        book = xlrd.open_workbook(
            file_contents=data, formatting_info=True, on_demand=True, ragged_rows=True, logfile=io.StringIO()
        )
    except Exception as error:  # xlrd.XLRDError, its CompDocError, struct.error, IndexError...
        message = str(error)
        if "encrypted" in message.lower():
            raise _password() from error
        if "Can't find workbook" in message:
            raise LedgerFileError(_("这不是 Excel 表格（可能是 Word 或 PowerPoint 文件）。") + _(SEE_OTHER)) from error
        raise LedgerFileError(
            _("文件已损坏或不完整（.xls 无法打开），无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。")
        ) from error
    try:
        counts = xlsx.Counts(limits())
        sheets, hidden = [], 0
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.visibility:
                hidden += 1
            else:
                sheets.append(_visible(_xls_sheet(book, sheet, counts)))
            book.unload_sheet(index)
        if not sheets:
            raise _no_sheets(hidden)
        return sheets
    finally:
        book.release_resources()


def _password() -> LedgerFileError:
    return LedgerFileError(
        _("文件设置了打开密码，无法读取。请在 WPS 或 Excel 中打开，取消密码后另存为 .xlsx，再上传。")
    )


def _xls_value(kind: int, value, datemode: int):
    if kind == xlrd.XL_CELL_TEXT:
        return value
    if kind == xlrd.XL_CELL_NUMBER:
        return int(value) if value.is_integer() else value
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return int(value) if value.is_integer() else value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    return None  # empty, blank, error


def _xls_sheet(book, sheet, counts: xlsx.Counts) -> xlsx.SparseSheet:
    """An .xls sheet as cases/xlsx.py gives an .xlsx one: sparse, 1-based, merged cells filled."""
    sparse = xlsx.SparseSheet(sheet.name, hidden=False)
    rows, width = sparse.rows, 0
    for r in range(sheet.nrows):
        end = min(sheet.row_len(r), MAX_COLUMNS)
        values = {}
        for c, (kind, value) in enumerate(zip(sheet.row_types(r, 0, end), sheet.row_values(r, 0, end), strict=True)):
            value = _xls_value(kind, value, book.datemode)
            if value is not None:
                values[c + 1] = value
        if values:
            rows[r + 1] = values
            width = max(width, *values)
            sparse.last_value_row = r + 1
            counts.add_row()
    sparse.width = width
    sparse.last_row = sheet.nrows
    sparse.hidden_rows = {r + 1 for r, info in sheet.rowinfo_map.items() if info.hidden}
    sparse.hidden_columns = {c + 1 for c, info in sheet.colinfo_map.items() if info.hidden and c < MAX_COLUMNS}
    for first_row, end_row, first_col, end_col in sheet.merged_cells:  # half-open, 0-based
        xlsx.fill_merged(
            sparse, (first_col + 1, first_row + 1, end_col, end_row), counts, last_row=sparse.last_value_row
        )
    return sparse


# Text: .csv, tab-separated


def _refuse_known_binary(data: bytes):
    """A PDF, a picture, an archive, or bytes that are no text: said so."""
    head = data[:16]
    if head.startswith(b"%PDF"):
        raise LedgerFileError(_("这是 PDF 文件，不是表格。") + _(SEE_OTHER))
    pictures = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
    if (
        head.startswith(pictures)
        or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
        or (head.startswith(b"BM") and head[6:10] == b"\0\0\0\0")
        or (head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"heif", b"mif1", b"avif"))  # phone photos
    ):
        raise LedgerFileError(_("这是图片，不是表格。") + _(SEE_OTHER))
    if head.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")):
        raise LedgerFileError(_("这是一个压缩包，不是表格文件。请解压后上传其中的 .xlsx、.xls 或 .csv 文件。"))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    sample = data[:4096]
    controls = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if controls > len(sample) // 100:  # text has none; anything else has many
        raise LedgerFileError(_("无法识别的文件格式。") + _(SEE_OTHER))


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LedgerFileError(
        _(
            "无法识别文件的文字编码（不是 UTF-8，也不是 GBK）。"
            "请在 WPS 或 Excel 中另存为 .xlsx，或另存为“CSV UTF-8”后再上传。"
        )
    )


def lines(text: str) -> Iterator[str]:
    """TEXT's lines with their endings, one at a time, for csv.reader: io.StringIO would hold a copy
    of the whole text at four bytes a character (80 MB for a 20 MB file)."""
    start = 0
    for newline in NEWLINE.finditer(text):  # as io.StringIO(newline="") splits: \r\n, \r or \n
        yield text[start : newline.end()]
        start = newline.end()
    if start < len(text):
        yield text[start:]


def _read_text(data: bytes, name: str) -> list[Sheet]:
    try:
        text = _decode(data)
    except UnicodeDecodeError as error:  # UTF-16 cut in the middle of a character
        raise LedgerFileError(_("文件已损坏或不完整，无法读取。") + _(SEE_OTHER)) from error
    head = text[:SNIFF_CHARS].lstrip().lower()
    if head.startswith("<") and any(mark in head for mark in ("<html", "<table", "urn:schemas-microsoft-com:office")):
        raise LedgerFileError(
            _(
                "这是网页或 XML 格式的表格（其他系统导出的 .xls 常是这样），无法直接读取。"
                "请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。"
            )
        )
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole lines only
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:  # one column, or nothing to tell by
        delimiter = ","
    reader = csv.reader(lines(text), delimiter=delimiter)
    rows, width, count = [], 0, 0
    try:
        for number, record in enumerate(reader, 1):
            values = [value.strip() or None for value in record[:MAX_COLUMNS]]
            while values and values[-1] is None:
                values.pop()
            if values:
                count += 1
                if count > MAX_ROWS:
                    raise _too_many_rows()
                rows.append((number, values))
                width = max(width, len(values))
    except csv.Error as error:
        raise LedgerFileError(
            _("CSV 文件第 %(line)d 行格式有误，无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。")
            % {"line": reader.line_num}
        ) from error
    for _number, values in rows:
        values.extend([None] * (width - len(values)))
    return [Sheet(PurePath(name.replace("\\", "/")).stem if name else "", rows)]
