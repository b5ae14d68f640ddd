"""The English catalogue is complete and current: every message of the source has an English
translation (not empty, not fuzzy), and the catalogue holds nothing the source no longer says.

The messages are extracted as `make messages` does, into a copy of the source tree, so the
project's own locale/ is never written; the copy's catalogue, merged by makemessages, is then
compared with the project's. Needs GNU gettext (xgettext, msgmerge).
"""

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOGUE = Path("locale/en/LC_MESSAGES/django.po")
# Nothing of these holds a message, and copying them is slow (or they are not ours).
NOT_SOURCE = shutil.ignore_patterns(
    ".venv", ".git", ".ruff_cache", "__pycache__", "node_modules", "media", "staticfiles", "*.sqlite3", "*.mo"
)


@dataclass
class Entry:
    context: str = ""
    msgid: str = ""
    plural: str = ""
    msgstr: list[str] = field(default_factory=list)
    fuzzy: bool = False
    obsolete: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return self.context, self.msgid

    @property
    def untranslated(self) -> bool:
        return not self.msgstr or any(not text for text in self.msgstr)

    def __str__(self) -> str:
        return f"[{self.context}] {self.msgid!r}" if self.context else repr(self.msgid)


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return (
        text[1:-1]
        .replace(r"\\", "\x00")
        .replace(r"\"", '"')
        .replace(r"\n", "\n")
        .replace(r"\t", "\t")
        .replace("\x00", "\\")
    )


def read_po(path: Path) -> list[Entry]:
    """The entries of the PO file at PATH (obsolete ones, "#~", marked so), without its header."""
    entries, entry, last = [], Entry(), None

    def finish():
        nonlocal entry, last
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry, last = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            finish()
            continue
        if line.startswith("#,"):
            if last is not None:
                finish()
            entry.fuzzy = "fuzzy" in line
            continue
        if line.startswith("#") and not obsolete:
            if last is not None:
                finish()
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = _unquote(line)
            if last == "msgstr":
                entry.msgstr[-1] += value
            else:
                setattr(entry, last, getattr(entry, last) + value)
            continue
        if keyword == "msgctxt" and last is not None:
            finish()
        if keyword == "msgid" and last not in (None, "context"):
            finish()
        entry.obsolete = entry.obsolete or obsolete
        if keyword == "msgctxt":
            entry.context, last = _unquote(rest), "context"
        elif keyword == "msgid":
            entry.msgid, last = _unquote(rest), "msgid"
        elif keyword == "msgid_plural":
            entry.plural, last = _unquote(rest), "plural"
        elif keyword.startswith("msgstr"):
            entry.msgstr.append(_unquote(rest))
            last = "msgstr"
    finish()
    return [e for e in entries if e.msgid]


def extracted_catalogue(tmp_path: Path) -> Path:
    """The project's catalogue merged with the messages of the current source (`make messages`
    without --no-obsolete), in a copy of the tree."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCE)
    done = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--ignore=.venv"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return copy / CATALOGUE


def problems(before: list[Entry], after: list[Entry]) -> dict[str, list[str]]:
    known = {e.key for e in before if not e.obsolete}
    found = {
        "in the source but missing from the catalogue": [],
        "untranslated (empty msgstr)": [],
        "fuzzy": [],
        "stale (in the catalogue, no longer in the source)": [],
    }
    for entry in after:
        if entry.obsolete:
            found["stale (in the catalogue, no longer in the source)"].append(str(entry))
        elif entry.key not in known:
            found["in the source but missing from the catalogue"].append(str(entry))
        elif entry.fuzzy:
            found["fuzzy"].append(str(entry))
        elif entry.untranslated:
            found["untranslated (empty msgstr)"].append(str(entry))
    return {kind: sorted(set(items)) for kind, items in found.items() if items}


@pytest.mark.skipif(shutil.which("msgmerge") is None, reason="needs GNU gettext (msgmerge, xgettext)")
def test_the_english_catalogue_translates_every_message_and_holds_no_stale_one(tmp_path):
    before = read_po(ROOT / CATALOGUE)
    after = read_po(extracted_catalogue(tmp_path))

    found = problems(before, after)

    report = "\n".join(
        f"{kind} ({len(items)}):\n" + "\n".join(f"  {item}" for item in items) for kind, items in found.items()
    )
    if found:
        pytest.fail("locale/en/LC_MESSAGES/django.po is not current — run `make messages`, then translate:\n" + report)


def test_the_check_finds_each_kind_of_problem(tmp_path):
    """The comparison itself: a catalogue with one entry of each problem is reported entry by entry."""
    old = tmp_path / "old.po"
    old.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "办结"\nmsgstr "Closure"\n\n'
        'msgctxt "action"\nmsgid "办结"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "反馈"\nmsgstr "Feedback"\n\n'
        'msgid "旧的"\nmsgstr "Old"\n',
        encoding="utf-8",
    )
    new = tmp_path / "new.po"
    new.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: a.py:1\nmsgid "办结"\nmsgstr "Closure"\n\n'
        '#: a.py:2\nmsgctxt "action"\nmsgid "办结"\nmsgstr ""\n\n'
        '#: a.py:3\n#, fuzzy\nmsgid "反馈"\nmsgstr "Feedback"\n\n'
        '#: a.py:4\nmsgid "新的"\nmsgid_plural "新的们"\nmsgstr[0] ""\nmsgstr[1] ""\n\n'
        '#~ msgid "旧的"\n#~ msgstr "Old"\n',
        encoding="utf-8",
    )

    assert problems(read_po(old), read_po(new)) == {
        "in the source but missing from the catalogue": ["'新的'"],
        "untranslated (empty msgstr)": ["[action] '办结'"],
        "fuzzy": ["'反馈'"],
        "stale (in the catalogue, no longer in the source)": ["'旧的'"],
    }
