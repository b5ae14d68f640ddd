"""A report's stated figures imported from a spreadsheet are read within the upload limits
(reports/reconcile.py, read_stated_file): the hostile files of cases/tests/test_hostile_uploads.py
that fit under this form's own 1 MB are refused with their message and nothing is saved (the
memory each reader takes on them is measured there)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import ledger_files
from cases.tests import hostile_files
from cases.tests.test_hostile_uploads import CSV_ROWS, DIMENSION, ENTRIES, STRINGS, STYLES
from reports.models import StatedReport

FILES = {
    "dimension_bomb.xlsx": (hostile_files.dimension_bomb, DIMENSION),
    # Under 1 MB each: 256 MiB of styles, 128 MiB of tiny strings; 1,500 members.
    "styles_bomb.xlsx": (lambda: hostile_files.styles_bomb(256 * hostile_files.MEGABYTE), STYLES),
    "shared_strings_bomb.xlsx": (lambda: hostile_files.shared_strings_bomb(128 * hostile_files.MEGABYTE), STRINGS),
    "many_csv_rows.csv": (lambda: hostile_files.many_csv_rows(900_000), CSV_ROWS),
}


@pytest.mark.parametrize("name", FILES)
def test_stated_import_of_a_hostile_file_shows_why_and_saves_nothing(supervisor_client, name):
    build, message = FILES[name]
    data = build()
    assert len(data) < 1_000_000

    response = supervisor_client.post(
        reverse("reports:reconcile_import"),
        {"title": "一月情况", "as_of": "2015-01-31", "file": SimpleUploadedFile(name, data)},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"file": [message]}
    assert message in response.content.decode()
    assert StatedReport.objects.count() == 0


def test_stated_import_of_a_zip_of_many_entries_refused(supervisor_client, monkeypatch):
    monkeypatch.setattr(ledger_files, "MAX_ZIP_ENTRIES", 1000)  # 100,000 entries do not fit in 1 MB
    data = hostile_files.many_entries(1500)

    response = supervisor_client.post(
        reverse("reports:reconcile_import"),
        {"title": "一月情况", "as_of": "2015-01-31", "file": SimpleUploadedFile("x.xlsx", data)},
    )

    assert response.context["form"].errors == {"file": [ENTRIES.replace("10,000", "1,000")]}
    assert StatedReport.objects.count() == 0
