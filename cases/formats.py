"""The admin's import formats, bounded as the office's ledger upload is (cases/ledger_files.py).

.xlsx is read with cases/xlsx.py: values only, two to three times faster than openpyxl's cell objects,
and within the upload limits (UPLOAD_MAX_* in settings). A workbook it cannot read is refused with the
error it raised, never handed on to openpyxl, which reads without limits (a 2 KB file declaring
A1:XFD1048576 makes it build 17 billion cells). .csv is counted row by row before tablib keeps it.
The admin offers these two only: .xls, .ods, json and yaml cannot be read cheaply within a bound,
and nobody needs them.

`BoundedImportMixin` puts the file's size check on the admin's import form and shows a refusal's
own message (django-import-export shows only the name of the exception)."""

import csv
import io

import tablib
from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from import_export.formats import base_formats
from import_export.forms import ImportForm

from cases import ledger_files, xlsx
from cases.ledger_files import LedgerFileError


class FastXLSX(base_formats.XLSX):
    def create_dataset(self, in_stream):
        """The first worksheet: its first row the headers, every row as wide as the widest."""
        ledger_files.check_size(len(in_stream))
        try:
            _title, rows = next(xlsx.sheets(io.BytesIO(in_stream), ledger_files.limits()))
        except xlsx.TooLarge as error:
            raise ledger_files.too_large(error) from error
        except StopIteration:
            raise LedgerFileError(_("工作簿中没有工作表。")) from None
        # Any other error (not a zip, no workbook.xml...) is raised as it is, as openpyxl would.
        dataset = tablib.Dataset()
        if not rows:
            return dataset
        width = max(len(row) for row in rows)
        padded = [list(row) + [None] * (width - len(row)) for row in rows]
        dataset.headers = padded[0]
        skip_blank = getattr(settings, "IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES", False)
        for row in padded[1:]:
            if not (skip_blank and all(value is None for value in row)):
                dataset.append(row)
        return dataset


class BoundedCSV(base_formats.CSV):
    def create_dataset(self, in_stream, **kwargs):
        """tablib's reading, once the text is known to hold at most MAX_ROWS rows of MAX_COLUMNS cells
        (counted without keeping them: 19 MB of short lines are millions of rows, a gigabyte as lists)."""
        ledger_files.check_size(len(in_stream))
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode(self.encoding or "utf-8-sig")
            except UnicodeDecodeError as error:
                raise LedgerFileError(_("无法识别文件的文字编码，请另存为“CSV UTF-8”后再上传。")) from error
        count_csv(in_stream, delimiter=kwargs.get("delimiter", ","))
        return super().create_dataset(in_stream, **kwargs)


def count_csv(text: str, *, delimiter: str = ",") -> None:
    """Refuse a csv text of more than MAX_ROWS rows with a value (after its header) or MAX_COLUMNS
    columns, or a field past csv's own limit (128 KB): read once, nothing kept."""
    reader = csv.reader(ledger_files.lines(text), delimiter=delimiter, skipinitialspace=True)
    rows = 0
    try:
        for index, record in enumerate(reader):
            if len(record) > ledger_files.MAX_COLUMNS:
                raise LedgerFileError(
                    _("CSV 文件第 %(line)d 行超过 %(max)d 列，请删去多余的列后再上传。")
                    % {"line": reader.line_num, "max": ledger_files.MAX_COLUMNS}
                )
            if record and index:  # the first record is the header
                rows += 1
                if rows > ledger_files.MAX_ROWS:
                    raise LedgerFileError(
                        _("文件中有数据的行超过 %(max)s 行，请分成几个文件导入。")
                        % {"max": f"{ledger_files.MAX_ROWS:,}"}
                    )
    except csv.Error as error:
        raise LedgerFileError(
            _("CSV 文件第 %(line)d 行格式有误，无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。")
            % {"line": reader.line_num}
        ) from error


class BoundedImportForm(ImportForm):
    def clean_import_file(self):
        """The size first, before django-import-export copies the file into memory."""
        upload = self.cleaned_data["import_file"]
        try:
            ledger_files.check_size(upload.size)
        except LedgerFileError as error:
            raise forms.ValidationError(str(error)) from None
        return upload


class BoundedImportMixin:
    """For a ModelAdmin with django-import-export's import (its formats FastXLSX and BoundedCSV):
    the size check on the form, a refusal's own message."""

    import_form_class = BoundedImportForm

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, LedgerFileError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)
