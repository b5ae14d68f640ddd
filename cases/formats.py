"""The admin's .xlsx import reads the workbook with cases/xlsx.py: values only, two to three times
faster than openpyxl's cell objects; openpyxl (django-import-export's own reader) when it fails."""

import io

import tablib
from django.conf import settings
from import_export.formats import base_formats

from cases import ledger_files, xlsx


class FastXLSX(base_formats.XLSX):
    def create_dataset(self, in_stream):
        """The first worksheet: its first row the headers, every row as wide as the widest."""
        try:
            _title, rows = next(xlsx.sheets(io.BytesIO(in_stream)))
        except xlsx.TooLarge as error:  # bounded: never handed on to openpyxl, which reads without limits
            raise ValueError(str(ledger_files.too_large(error))) from error
        except Exception:  # not a workbook our reader understands: let openpyxl try, and say why
            return super().create_dataset(in_stream)
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
