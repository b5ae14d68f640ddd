"""Hostile uploads, built small in the test (never committed): each one is built to make a careless
reader spend gigabytes. Every builder returns the file's bytes."""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

MEGABYTE = 1024 * 1024
GIGABYTE = 1024 * MEGABYTE
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
    '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{REL_NS}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId3" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
STYLES = f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN_NS}"></styleSheet>'
NO_STRINGS = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="0" uniqueCount="0"></sst>'
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>项目</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>条数</t></is></c><c r="C1" t="inlineStr"><is><t>占比</t></is></c></row>'
)


def sheet(dimension: str, rows: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def workbook(worksheet: str, *, styles=STYLES, strings=NO_STRINGS) -> bytes:
    """A workbook of one sheet; STYLES or STRINGS may be a function writing the part into an open member."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", worksheet)
        for path, part in (("xl/styles.xml", styles), ("xl/sharedStrings.xml", strings)):
            if callable(part):
                with archive.open(path, "w", force_zip64=True) as member:
                    part(member)
            else:
                archive.writestr(path, part)
    return out.getvalue()


def dimension_bomb() -> bytes:
    """One cell at XFD1048576, the sheet's last: a reader that builds the grid builds 17 billion cells."""
    cell = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(sheet("A1:XFD1048576", HEADER_ROW + cell))


def _repeated(head: bytes, unit: bytes, tail: bytes, size: int):
    def write(member):
        member.write(head)
        chunk = unit * (MEGABYTE // len(unit))
        written = len(head)
        while written < size:
            member.write(chunk)
            written += len(chunk)
        member.write(tail)

    return write


def styles_bomb(size: int = GIGABYTE) -> bytes:
    """A styles.xml of SIZE bytes (one cell style, repeated) deflated into about a thousandth of it."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN_NS}"><cellXfs>'.encode()
    styles = _repeated(head, b'<xf numFmtId="14"/>', b"</cellXfs></styleSheet>", size)
    return workbook(sheet("A1:C1", HEADER_ROW), styles=styles)


def shared_strings_bomb(size: int = GIGABYTE) -> bytes:
    """A sharedStrings.xml of SIZE bytes of tiny strings: one Python object each, if all were read."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'.encode()
    strings = _repeated(head, b"<si><t>ab</t></si>", b"</sst>", size)
    rows = '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return workbook(sheet("A1:C2", HEADER_ROW + rows), strings=strings)


def many_entries(count: int = 100_000) -> bytes:
    """A zip of COUNT empty members (a workbook's parts among them): its directory alone is megabytes of objects."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet("A1:C1", HEADER_ROW))
        for number in range(count):
            archive.writestr(f"x/{number}", b"")
    return out.getvalue()


def huge_csv_line(size: int = 19 * MEGABYTE) -> bytes:
    """One line of SIZE bytes: a field far past any cell."""
    return "项目,条数,占比\n".encode() + b"a" * size + b"\n"


def many_csv_rows(size: int = 19 * MEGABYTE) -> bytes:
    """SIZE bytes of two-byte lines: millions of rows, a list and a string each if all were kept."""
    return "项目,条数,占比\n".encode() + b"1\n" * (size // 2)


# Measuring a reader on a file: in a child process whose address space is capped, as a worker's is
# (gunicorn.conf.py, WORKER_MEMORY_LIMIT_MB), so that a reader that is not bounded fails the test
# with a MemoryError in seconds rather than take the machine's memory.

READ_IN_A_CHILD = """
import io, json, resource, sys
import django
django.setup()
from cases import ledger_files
from cases.formats import BoundedCSV, FastXLSX
from reports.reconcile import read_stated_file
from django.core.files.uploadedfile import SimpleUploadedFile
import tablib

def unbounded(data):  # what the reconcile import read with before: tablib, so openpyxl
    return tablib.Dataset().load(data, format="xlsx")

READERS = {
    "ledger": lambda data: ledger_files.read_sheets(io.BytesIO(data)),
    "admin_xlsx": lambda data: FastXLSX().create_dataset(data),
    "admin_csv": lambda data: BoundedCSV(encoding="utf-8-sig").create_dataset(data),
    "stated_xlsx": lambda data: read_stated_file(SimpleUploadedFile("x.xlsx", data)),
    "stated_csv": lambda data: read_stated_file(SimpleUploadedFile("x.csv", data)),
    "unbounded": unbounded,
}
path, cap_mb, names = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
data = open(path, "rb").read()
resource.setrlimit(resource.RLIMIT_AS, (cap_mb * 1024 * 1024, resource.RLIM_INFINITY))
results = {}
for name in names:
    try:
        READERS[name](data)
        results[name] = "read"
    except ledger_files.LedgerFileError as error:
        results[name] = str(error)
    except MemoryError:
        results[name] = "MemoryError"
# The peak of this process's own memory: ru_maxrss would keep the parent's, from before the exec.
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"results": results, "peak_mb": peak_kb // 1024}))
"""


def read_in_a_child(path, readers: list[str], *, cap_mb: int = 1024) -> tuple[dict[str, str], int]:
    """What each reader made of the file at PATH (its refusal's message, "read" or "MemoryError"),
    and the child's peak resident memory in MB (everything it loaded included)."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sanhe.settings"}
    done = subprocess.run(
        [sys.executable, "-c", READ_IN_A_CHILD, str(path), str(cap_mb), ",".join(readers)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["results"], answer["peak_mb"]
