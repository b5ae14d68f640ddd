"""Uploads built to sink a server (issue 11, the audit: a 29 KB xlsx with one cell at XFD1048576
drove a worker to 9.2 GB; a 4.2 MB file whose styles.xml unpacks to 4 GiB reached 3 GB) are refused
with a message, before they are read, on every path that reads a spreadsheet: the office's ledger
upload, the import_ledger command, the admin's case import (.xlsx and .csv, the only formats it
offers), and (reports/tests/test_hostile_reconcile.py) a report's stated figures. Each reading
function is measured on each file in a child process capped at 1 GiB of address space: it must
refuse the file with peak memory under PEAK_MB."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from cases.ledger_files import LedgerFileError, read_sheets
from cases.models import Case
from cases.tests import hostile_files

PEAK_MB = 300  # the child's peak resident memory, Python and Django included (about 60 MB of it)

COPY = "请在 WPS 或 Excel 中把表格复制到新文件，另存为 .xlsx 后再上传。"
DIMENSION = (
    "工作表的范围超过 4,000,000 个单元格（行数乘列数），"
    "可能有内容或格式远在表格之外（如第 1048576 行或 XFD 列）。" + COPY
)
STYLES = "文件的格式（styles.xml）解压后超过 20 MB，格式多得异常。" + COPY
STRINGS = "文件中的文字（sharedStrings.xml）多得异常（超过 50 MB 或 1,000,000 条）。" + COPY
ENTRIES = "文件是含有 10,000 个以上部件的压缩包，不像是一份表格。" + COPY
CSV_LINE = "CSV 文件第 2 行格式有误，无法读取。请在 WPS 或 Excel 中打开，另存为 .xlsx 后再上传。"
CSV_ROWS = "文件中有数据的行超过 20,000 行，请分成几个文件导入。"

# name: (builder, what each path says, the readers measured)
HOSTILE = {
    "dimension_bomb": (hostile_files.dimension_bomb, DIMENSION, ["ledger", "admin_xlsx", "stated_xlsx"]),
    "styles_bomb": (hostile_files.styles_bomb, STYLES, ["ledger", "admin_xlsx", "stated_xlsx"]),
    "shared_strings_bomb": (
        lambda: hostile_files.shared_strings_bomb(256 * hostile_files.MEGABYTE),
        STRINGS,
        ["ledger", "admin_xlsx", "stated_xlsx"],
    ),
    "many_entries": (hostile_files.many_entries, ENTRIES, ["ledger", "admin_xlsx", "stated_xlsx"]),
    "huge_csv_line": (hostile_files.huge_csv_line, CSV_LINE, ["ledger", "admin_csv", "stated_csv"]),
    "many_csv_rows": (hostile_files.many_csv_rows, CSV_ROWS, ["ledger", "admin_csv", "stated_csv"]),
}
XLSX_FILES = [name for name in HOSTILE if "csv" not in name]


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    """Each hostile file, built once (the styles bomb, 1 GiB deflated, takes seconds), on disk."""
    folder = tmp_path_factory.mktemp("hostile")
    paths = {}
    for name, (build, _message, _readers) in HOSTILE.items():
        paths[name] = folder / f"{name}.{'csv' if 'csv' in name else 'xlsx'}"
        paths[name].write_bytes(build())
    return paths


def test_hostile_files_are_small_uploads(hostile):
    sizes = {name: path.stat().st_size for name, path in hostile.items()}

    assert sizes["dimension_bomb"] < 30 * 1024  # as the audit's, 29 KB
    assert sizes["styles_bomb"] < 5 * hostile_files.MEGABYTE  # 1 GiB unpacked, as the audit's 4.2 MB
    assert all(size < 20 * hostile_files.MEGABYTE for size in sizes.values())  # every one under the upload limit


# Memory, measured: every reading function, in a child capped at 1 GiB


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_refused_by_every_reader_within_the_memory_cap(hostile, name):
    _build, message, readers = HOSTILE[name]

    results, peak_mb = hostile_files.read_in_a_child(hostile[name], readers, cap_mb=1024)

    assert results == dict.fromkeys(readers, message)
    assert peak_mb < PEAK_MB


def test_the_measure_catches_a_reader_that_is_not_bounded(hostile):
    # What the reconcile import read with before (tablib, so openpyxl): the dimension bomb's grid
    # of 17 billion cells passes any cap; with 512 MB it fails in seconds.
    results, peak_mb = hostile_files.read_in_a_child(hostile["dimension_bomb"], ["unbounded"], cap_mb=512)

    assert results == {"unbounded": "MemoryError"}
    assert peak_mb > PEAK_MB


# The office's ledger upload: the file is kept, its preview says why it cannot be imported


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.LEDGER_UPLOAD_DIR = tmp_path / "uploads"
    return settings.LEDGER_UPLOAD_DIR


@pytest.mark.parametrize("name", HOSTILE)
def test_ledger_upload_of_a_hostile_file_shows_why_and_imports_nothing(office_client, upload_dir, hostile, name):
    upload = SimpleUploadedFile(hostile[name].name, hostile[name].read_bytes())
    assert office_client.post(reverse("cases:ledger_upload"), {"file": upload}).status_code == 302

    response = office_client.get(reverse("cases:ledger_preview"))

    assert response.status_code == 200
    assert response.context["plan"].problems == [HOSTILE[name][1]]
    assert HOSTILE[name][1] in response.content.decode()
    assert "确认导入" not in response.content.decode()
    assert Case.objects.count() == 0


def test_ledger_upload_past_the_size_limit_refused_before_it_is_read(office_client, upload_dir, settings):
    big = SimpleUploadedFile("台账.csv", b"a" * (20 * hostile_files.MEGABYTE + 1))

    response = office_client.post(reverse("cases:ledger_upload"), {"file": big})

    assert response.status_code == 200
    assert "文件有 20.0 MB，超过 20 MB，请分成几个文件导入。" in response.content.decode()
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


# The import_ledger command


@pytest.mark.parametrize("name", ["dimension_bomb", "many_entries", "many_csv_rows"])
def test_import_ledger_command_refuses_a_hostile_file(db, hostile, name, capsys):
    with pytest.raises(CommandError):
        call_command("import_ledger", str(hostile[name]))

    assert f"文件问题：{HOSTILE[name][1]}" in capsys.readouterr().out
    assert Case.objects.count() == 0


# The admin's case import: .xlsx and .csv are all it offers

IMPORT_URL = "/admin/cases/case/import/"
FORMAT = {"xlsx": "0", "csv": "1"}  # CaseAdmin.formats


def test_admin_import_offers_only_the_bounded_formats(admin_client):
    response = admin_client.get(IMPORT_URL)

    assert [label for _value, label in response.context["form"].fields["format"].choices] == ["---", "xlsx", "csv"]


@pytest.mark.parametrize("name", HOSTILE)
def test_admin_import_of_a_hostile_file_shows_why_and_writes_nothing(admin_client, hostile, name):
    kind = hostile[name].suffix[1:]
    upload = SimpleUploadedFile(hostile[name].name, hostile[name].read_bytes())

    response = admin_client.post(IMPORT_URL, {"format": FORMAT[kind], "import_file": upload})

    assert response.status_code == 200
    assert response.context["form"].errors == {"import_file": [HOSTILE[name][1]]}
    assert HOSTILE[name][1] in response.content.decode()
    assert Case.objects.count() == 0


def test_admin_import_past_the_size_limit_refused_before_it_is_read(admin_client):
    big = SimpleUploadedFile("台账.csv", b"a" * (20 * hostile_files.MEGABYTE + 1))

    response = admin_client.post(IMPORT_URL, {"format": FORMAT["csv"], "import_file": big})

    assert response.context["form"].errors == {
        "import_file": ["文件太大（20.0 MB），最大 20 MB。请删去无关的工作表、图片后另存，或分成几个文件导入。"]
    }
    assert Case.objects.count() == 0


def test_a_zip_whose_end_record_understates_its_entries_is_refused_all_the_same():
    data = bytearray(hostile_files.many_entries(20_000))
    end = data.rindex(b"PK\x05\x06")
    data[end + 8 : end + 12] = b"\x01\x00\x01\x00"  # "1 entry", while its directory lists 20,005

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(bytes(data)))

    assert str(error.value) == ENTRIES


def test_a_part_within_the_sizes_that_unpacks_past_the_ratio_is_refused_before_it_is_read():
    # 5 MB of empty cells deflated into a few KB: under every size limit, not a sheet anyone typed.
    empty = '<row r="1">' + '<c r="A1"/>' * 500_000 + "</row>"
    data = hostile_files.workbook(hostile_files.sheet("A1:A1", empty))

    with pytest.raises(LedgerFileError) as error:
        read_sheets(io.BytesIO(data))

    assert len(data) < 50_000
    assert str(error.value) == "文件中有一部分解压后是压缩时的 200 倍以上，不像是一份表格。" + COPY
