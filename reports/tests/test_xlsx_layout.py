"""The report tables' xlsx share the staff export's writer (cases/export.py write_xlsx): columns
sized for Chinese, the header row frozen under the caption, a filter over the table."""

import io

from django.urls import reverse
from openpyxl import load_workbook

JANUARY = {"month": "2015-01"}


def test_report_table_xlsx_is_sized_frozen_and_filtered(supervisor_client, ledger):
    response = supervisor_client.get(reverse("reports:export", args=["categories"]), JANUARY)
    sheet = load_workbook(io.BytesIO(response.content)).active

    assert sheet["A1"].value == "按问题类别（2015年1月）"  # the caption stays above the table
    assert sheet.freeze_panes == "A3"  # caption and header stay in view
    assert sheet.auto_filter.ref == f"A2:H{sheet.max_row}"
    width = {letter: sheet.column_dimensions[letter].width for letter in ("A", "B", "C")}
    # 本期收集: a four-character header (8) + the filter's arrow (2) + padding (2); 占比: its
    # two-character header (4) + arrow (2), as wide as "57.14%", + padding (2).
    assert (width["B"], width["C"]) == (12, 8)
    assert width["A"] > width["C"]  # the categories' Chinese names
