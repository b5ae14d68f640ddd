"""12345 hotline work orders 工单: read in from the platform's export, written out as its replies.

A city's platform writes its own column headers, words and dates: each is a mapping table of data,
a JSON file in cases/hotline_formats/ (docs/12345.md), loaded by `load_format`. `read_orders` turns an
upload (.xlsx/.xls/.csv through cases/ledger_files.py, or JSON) into a `HotlinePlan`: every row new,
already imported (the same 工单编号: skipped) or refused with its problems, in Chinese; it writes
nothing. `import_orders` writes the new rows as cases of the 12345 channel through the ledger
import's machinery (cases/batch.py: the workflow's registration, checked alike, written together)
in one transaction. `reply_rows` gives the platform its replies: number, result, closed date and
the latest satisfaction, in the format's words — and nothing of the resident.
"""

import datetime
import functools
import io
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from cases import numbering, workflow
from cases.batch import Batch, collector_paused
from cases.deadlines import due_date
from cases.inserts import build
from cases.ledger import ImportResult, LedgerImportError
from cases.ledger_cells import MAX_HEADER_SCAN, NO_PHONE, PHONE_RE, cell_text, narrow, parse_date, public_title
from cases.ledger_files import MAX_BYTES, MAX_ROWS, LedgerFileError, check_size, read_sheets
from cases.ledger_plan import row_place
from cases.ledger_read import Lookups, PublicNames
from cases.models import Case, Feedback
from cases.names import fold, village_stem
from cases.privacy import Names, sensitive_reason
from villages.models import Village

FORMATS_DIR = Path(__file__).resolve().parent / "hotline_formats"
DEFAULT_FORMAT = "guangdong-12345"

# What a format's columns may map to: the fields of a work order we read.
FIELDS = (
    "number",
    "received_at",
    "dispatched_at",
    "sign_by",
    "due_on",
    "title",
    "content",
    "kind",
    "category",
    "handler",
    "resident_name",
    "resident_phone",
    "resident_address",
    "village",
)
REQUIRED = ("number", "received_at", "content")  # every format must ask for these at least
# What a reply's columns may carry: the platform's shape, nothing of the resident.
REPLY_VALUES = ("number", "result", "closed_on", "satisfaction", "closure", "handler")
NUMBER_MAX = Case._meta.get_field("hotline_number").max_length


class FormatError(ValueError):
    """A mapping table that cannot be used: str(error) says what is wrong with it."""


class HotlineNotClean(Exception):
    """The plan has refused rows and the caller did not choose to import only the others."""


@dataclass(frozen=True)
class ReplyColumn:
    header: str
    value: str
    format: str = ""


@dataclass(frozen=True)
class HotlineFormat:
    """One platform's mapping table (cases/hotline_formats/<name>.json)."""

    name: str
    title: str
    headers: dict  # folded header -> field
    labels: dict  # field -> the first header the table names for it
    required: tuple
    kinds: dict  # folded word -> Case.Kind value
    default_kind: str
    datetime_formats: tuple
    json_rows: tuple
    reply_sheet: str
    reply_columns: tuple
    satisfaction: dict  # Feedback.Satisfaction value ("" for none) -> the platform's word

    def field_of(self, header) -> str | None:
        text = re.sub(r"\s+", "", cell_text(header))
        if not text:
            return None
        bare = re.sub(r"[(（][^)）]*[)）]$", "", unicodedata.normalize("NFKC", text))  # "来电时间（必填）"
        return self.headers.get(fold(text)) or self.headers.get(fold(bare))


def available_formats() -> list[tuple[str, str]]:
    """(name, title) of every mapping table in cases/hotline_formats/, the default first."""
    found = []
    for path in sorted(FORMATS_DIR.glob("*.json")):
        try:
            found.append((path.stem, load_format(path.stem).title))
        except FormatError:
            continue
    found.sort(key=lambda item: item[0] != DEFAULT_FORMAT)
    return found


def load_format(name: str | os.PathLike = DEFAULT_FORMAT) -> HotlineFormat:
    """The mapping table NAME (a file of cases/hotline_formats/) or at a path (a .json file)."""
    text = str(name)
    if text.endswith(".json") or os.sep in text or "/" in text:
        path = Path(text)
    elif re.fullmatch(r"[A-Za-z0-9_-]{1,60}", text):
        path = FORMATS_DIR / f"{text}.json"
    else:
        raise FormatError(_("工单格式“%(name)s”不存在。") % {"name": text})
    try:
        stat = path.stat()
    except OSError:
        raise FormatError(_("工单格式“%(name)s”不存在。") % {"name": text}) from None
    return _load_format(str(path), stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _load_format(path: str, _mtime: int) -> HotlineFormat:
    name = Path(path).stem
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return _parse_format(name, data)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise FormatError(_("工单格式“%(name)s”写法有误：%(error)s") % {"name": name, "error": error}) from error


def _parse_format(name: str, data: dict) -> HotlineFormat:
    headers, labels = {}, {}
    for column, names in data["columns"].items():
        if column not in FIELDS:
            raise ValueError(
                _("未知的列 %(column)s（可用：%(known)s）") % {"column": column, "known": "、".join(FIELDS)}
            )
        if not names or not all(isinstance(n, str) and fold(n) for n in names):
            raise ValueError(_("列 %(column)s 需要一组表头") % {"column": column})
        labels[column] = names[0]
        for header in names:
            if headers.setdefault(fold(header), column) != column:
                raise ValueError(_("表头“%(header)s”对应了两列") % {"header": header})
    required = tuple(data.get("required", REQUIRED))
    missing = [c for c in (*REQUIRED, *required) if c not in labels]
    if missing:
        raise ValueError(_("必需的列没有表头：%(columns)s") % {"columns": "、".join(missing)})
    kinds = {}
    for kind, words in data.get("kinds", {}).items():
        if kind not in Case.Kind.values:
            raise ValueError(
                _("未知的诉求类型 %(kind)s（可用：%(known)s）") % {"kind": kind, "known": "、".join(Case.Kind.values)}
            )
        kinds |= {fold(word): kind for word in words}
    default_kind = data.get("default_kind", Case.Kind.HELP)
    if default_kind not in Case.Kind.values:
        raise ValueError(_("未知的 default_kind：%(kind)s") % {"kind": default_kind})
    reply = data["reply"]
    columns = tuple(ReplyColumn(c["header"], c["value"], c.get("format", "")) for c in reply["columns"])
    unknown = [c.value for c in columns if c.value not in REPLY_VALUES]
    if unknown or not columns:
        raise ValueError(
            _("回复列的 value 只能是 %(known)s：%(unknown)s")
            % {"known": "、".join(REPLY_VALUES), "unknown": "、".join(map(str, unknown)) or "—"}
        )
    satisfaction = {str(k): str(v) for k, v in reply.get("satisfaction", {}).items()}
    if set(satisfaction) - {"", *Feedback.Satisfaction.values}:
        raise ValueError(_("回复的 satisfaction 键只能是 satisfied、basically、unsatisfied 或空"))
    return HotlineFormat(
        name=name,
        title=str(data.get("title") or name),
        headers=headers,
        labels=labels,
        required=tuple(dict.fromkeys((*REQUIRED, *required))),
        kinds=kinds,
        default_kind=default_kind,
        datetime_formats=tuple(data.get("datetime_formats", ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"))),
        json_rows=tuple(data.get("json_rows", ("data", "rows"))),
        reply_sheet=str(reply.get("sheet") or _("工单办理结果")),
        reply_columns=columns,
        satisfaction=satisfaction,
    )


# -- Reading a batch ---------------------------------------------------------------------------


@dataclass
class OrderRow:
    """One work order of the upload: how it will be read, and what is wrong with it."""

    row: int  # the row in the sheet (or the record's place in a JSON list)
    sheet: str = ""
    values: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # read, with a remark (no category, a derived due date)
    skip: str = ""  # already imported, repeated in the file
    removed: list = field(default_factory=list)  # what was taken out of its public summary
    private_reason: str = ""

    @property
    def where(self) -> str:
        return row_place(self.sheet, self.row)

    @property
    def number(self) -> str:
        return self.values.get("number", "")

    @property
    def outcome(self) -> str:
        if self.problems:
            return _("有问题，不导入")
        return self.skip or _("新工单，将登记")


@dataclass
class HotlinePlan:
    filename: str
    format: HotlineFormat
    rows: list[OrderRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the file's own: nothing can be imported
    columns: list[tuple[str, str]] = field(default_factory=list)  # (header as written, field's label)
    ignored: list[str] = field(default_factory=list)

    @property
    def new(self) -> list[OrderRow]:
        return [r for r in self.rows if not r.problems and not r.skip]

    @property
    def skipped(self) -> list[OrderRow]:
        return [r for r in self.rows if not r.problems and r.skip]

    @property
    def refused(self) -> list[OrderRow]:
        return [r for r in self.rows if r.problems]

    def summary(self) -> str:
        if self.problems:
            return "；".join(self.problems)
        return _(
            "共 %(total)d 条工单：新工单 %(new)d 条，已导入过或重复 %(skipped)d 条（跳过），有问题 %(refused)d 条。"
        ) % {
            "total": len(self.rows),
            "new": len(self.new),
            "skipped": len(self.skipped),
            "refused": len(self.refused),
        }


def _field_labels() -> dict[str, str]:
    return {
        "number": _("工单编号"),
        "received_at": _("来电时间"),
        "dispatched_at": _("派单时间"),
        "sign_by": _("签收时限"),
        "due_on": _("办理时限"),
        "title": _("公示摘要"),
        "content": _("诉求内容"),
        "kind": _("诉求类型"),
        "category": _("问题大类"),
        "handler": _("承办单位"),
        "resident_name": _("诉求人"),
        "resident_phone": _("联系电话"),
        "resident_address": _("诉求地址"),
        "village": _("村（社区）"),
    }


def _load(source, filename: str) -> tuple[bytes, str]:
    """The upload's bytes, refused past MAX_BYTES before they are read (cases/ledger_files.py's rule)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        check_size(path.stat().st_size)
        return path.read_bytes(), filename or path.name
    if getattr(source, "size", None) is not None:
        check_size(source.size)  # an upload: by its size, before a byte is read
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read(MAX_BYTES + 1)
    check_size(getattr(source, "size", None) or len(data))
    return data, filename or str(getattr(source, "name", "") or "")


def _is_json(data: bytes) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"[", b"{")


def _json_records(data: bytes, fmt: HotlineFormat) -> list[tuple[int, dict]]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise LedgerFileError(_("JSON 文件格式有误，无法读取（%(error)s）。") % {"error": str(error)[:120]}) from error
    if isinstance(document, dict):
        document = next((document[k] for k in fmt.json_rows if isinstance(document.get(k), list)), None)
    if not isinstance(document, list):
        raise LedgerFileError(
            _("JSON 文件中找不到工单列表：应是一个列表，或在“%(keys)s”之一下的列表。")
            % {"keys": "、".join(fmt.json_rows)}
        )
    if len(document) > MAX_ROWS:
        raise LedgerFileError(_("文件中的工单超过 %(max)s 条，请分成几个文件导入。") % {"max": f"{MAX_ROWS:,}"})
    records = []
    for index, record in enumerate(document, 1):
        if not isinstance(record, dict):
            raise LedgerFileError(_("JSON 文件第 %(n)d 条不是一条工单（应是以列名为键的对象）。") % {"n": index})
        records.append((index, record))
    return records


def _tables(data: bytes, name: str, fmt: HotlineFormat, plan: HotlinePlan) -> list[tuple[str, int, list[dict]]]:
    """(sheet, row number, {field: cell}) of every data row of the upload; the columns read go in PLAN."""
    if _is_json(data):
        rows, seen = [], {}
        for index, record in _json_records(data, fmt):
            cells = {}
            for key, value in record.items():
                column = fmt.field_of(key)
                if column:
                    cells.setdefault(column, value if not isinstance(value, dict | list) else json.dumps(value))
                    seen.setdefault(str(key), column)
                elif str(key) not in plan.ignored:
                    plan.ignored.append(str(key))
            rows.append(("", index, cells))
        plan.columns = [(key, column) for key, column in seen.items()]
        _require(set(seen.values()), fmt, plan, "")
        return [] if plan.problems else rows
    sheets = read_sheets(io.BytesIO(data), filename=name)
    rows, several = [], len(sheets) > 1
    for sheet in sheets:
        header = _find_header(sheet.rows, fmt)
        if header is None:
            continue
        index, positions = header
        _require(set(positions), fmt, plan, sheet.title if several else "")
        plan.columns += [(cell_text(sheet.rows[index][1][i]), c) for c, i in positions.items()]
        for number, values in sheet.rows[index + 1 :]:
            cells = {c: values[i] if i < len(values) else None for c, i in positions.items()}
            if any(cell_text(v) for v in cells.values()):
                rows.append((sheet.title if several else "", number, cells))
    if not plan.columns and not plan.problems:
        plan.problems.append(
            _("找不到表头：前 %(n)d 行中没有一行写有“%(columns)s”等列名。")
            % {"n": MAX_HEADER_SCAN, "columns": "”“".join(fmt.labels[c] for c in fmt.required)}
        )
    return [] if plan.problems else rows


def _find_header(rows, fmt: HotlineFormat) -> tuple[int, dict[str, int]] | None:
    """The row among the first ones naming the most known columns (at least two), with their places."""
    best = None
    for index, (number, values) in enumerate(rows):
        if number > MAX_HEADER_SCAN:
            break
        positions: dict[str, int] = {}
        for i, value in enumerate(values):
            column = fmt.field_of(value)
            if column and column not in positions:
                positions[column] = i
        if len(positions) >= 2 and (best is None or len(positions) > len(best[1])):
            best = (index, positions)
    return best


def _require(found: set, fmt: HotlineFormat, plan: HotlinePlan, sheet: str) -> None:
    missing = [c for c in fmt.required if c not in found]
    if missing:
        where = _("工作表“%(sheet)s”") % {"sheet": sheet} if sheet else ""
        plan.problems.append(
            _("%(where)s缺少必需的列：%(columns)s。")
            % {"where": where, "columns": "、".join(fmt.labels[c] for c in missing)}
        )


def read_orders(
    source, *, filename: str = "", fmt: HotlineFormat | None = None, now: datetime.datetime | None = None, town=None
) -> HotlinePlan:
    """Read a batch of work orders (a path or a binary file) into a plan. Writes nothing. Given a TOWN,
    the orders are that town's: villages, teams and categories are looked for in it only."""
    fmt = fmt or load_format()
    plan = HotlinePlan(filename=filename, format=fmt)
    try:
        data, plan.filename = _load(source, filename)
        tables = _tables(data, plan.filename, fmt, plan)
    except LedgerFileError as error:
        plan.problems.append(str(error))
        return plan
    labels = _field_labels()
    plan.columns = [(header, labels[column]) for header, column in plan.columns]
    if plan.problems:
        return plan
    reader = _Reader(fmt, now or timezone.now(), tables, town)
    with collector_paused():
        plan.rows = [reader.row(number, cells, sheet) for sheet, number, cells in tables]
    _mark_repeats(plan.rows)
    return plan


class _Reader:
    """What every row of one batch reads alike: villages, teams, categories and the names kept off the
    board, loaded once (a constant number of queries, as the ledger import: cases/ledger_read.Lookups)."""

    def __init__(self, fmt: HotlineFormat, now: datetime.datetime, tables, town=None):
        self.fmt, self.now, self.today = fmt, now, timezone.localdate(now)
        self.lookups = Lookups(town)
        villages = Village.objects.select_related("town")
        self.villages = list(villages.filter(town=town) if town is not None else villages)
        names = (cell_text(cells.get("resident_name")) for _s, _n, cells in tables)
        self.names = PublicNames(Names(names))
        self.sign_within = datetime.timedelta(hours=settings.HOTLINE_SIGN_WITHIN_HOURS)

    def row(self, number: int, cells: dict, sheet: str) -> OrderRow:
        plan = OrderRow(row=number, sheet=sheet)
        v, problems, labels = plan.values, plan.problems, _field_labels()
        text = {column: cell_text(value) for column, value in cells.items()}
        v["number"] = narrow(text.get("number", ""))
        if not v["number"]:
            problems.append(_("缺少工单编号"))
        elif len(v["number"]) > NUMBER_MAX:
            problems.append(_("工单编号超过 %(n)d 个字") % {"n": NUMBER_MAX})
        v["received_at"] = self.moment(cells.get("received_at"), labels["received_at"], problems, required=True)
        if v["received_at"] is not None:
            day = timezone.localdate(v["received_at"])
            if v["received_at"] > self.now:
                problems.append(_("来电时间 %(at)s 晚于现在") % {"at": _shown(v["received_at"])})
            elif day < settings.PROGRAMME_START:
                problems.append(
                    _("来电时间 %(day)s 早于直联活动开始（%(start)s）")
                    % {"day": day.isoformat(), "start": settings.PROGRAMME_START.isoformat()}
                )
        v["content"] = text.get("content", "")
        if not v["content"]:
            problems.append(_("缺少诉求内容"))
        v["kind"] = self.fmt.default_kind
        if text.get("kind"):
            v["kind"] = self.fmt.kinds.get(fold(text["kind"]))
            if v["kind"] is None:
                words = "、".join(sorted({w for w, _k in self.fmt.kinds.items()}))
                problems.append(
                    _("诉求类型“%(value)s”无法识别（可填：%(words)s）") % {"value": text["kind"], "words": words}
                )
        self.deadlines(cells, v, plan)
        v["handler"] = text.get("handler", "")
        v["resident_name"] = text.get("resident_name", "")
        v["resident_address"] = text.get("resident_address", "")
        v["resident_phone"] = narrow(text.get("resident_phone", ""))
        if v["resident_phone"] in NO_PHONE:
            v["resident_phone"] = ""
        if v["resident_phone"] and not PHONE_RE.fullmatch(v["resident_phone"]):
            problems.append(_("联系电话“%(phone)s”不像电话号码") % {"phone": v["resident_phone"]})
        v["village"] = self.village(text.get("village", ""), v["resident_address"])
        if v["village"] is None:
            named = text.get("village") or v["resident_address"]
            problems.append(
                _("找不到所属村（社区）“%(text)s”：请在文件中写明所属村（如“东联村”）") % {"text": named}
                if named
                else _("缺少所属村（社区）：文件没有写所属村，也没有诉求地址")
            )
        stationed = self.lookups.teams_by_village.get(v["village"].pk, []) if v["village"] else []
        v["team"] = stationed[0] if len(stationed) == 1 else None
        v["category"] = self.lookups.names.category(text["category"]).obj if text.get("category") else None
        if v["category"] is None:
            plan.notes.append(_("问题类别留待分办时确定"))
        names = self.names.of(v["village"])
        v["title"], plan.removed = public_title(text.get("title") or v["content"], names)
        plan.private_reason = sensitive_reason(v["category"], None, v["content"], text.get("title", ""))
        v["public_posting"] = not plan.private_reason
        if not problems:
            problems.extend(_model_problems(v))
        return plan

    def moment(self, value, label: str, problems: list, *, required: bool = False) -> datetime.datetime | None:
        """A cell as a time (local, aware): an Excel date, a serial number, or text in a format's way."""
        if not cell_text(value):
            if required:
                problems.append(_("缺少%(label)s") % {"label": label})
            return None
        try:
            moment = _moment(value, self.fmt)
        except ValueError:
            problems.append(_("%(label)s“%(value)s”无法识别") % {"label": label, "value": cell_text(value)})
            return None
        return moment

    def deadlines(self, cells: dict, v: dict, plan: OrderRow) -> None:
        """办理时限 is the case's due date (when the platform gives none, the working-day limit of its
        kind, marked as derived); 签收时限 as given, or the dispatch (or call) time plus
        settings.HOTLINE_SIGN_WITHIN_HOURS."""
        labels, problems = _field_labels(), plan.problems
        due = self.moment(cells.get("due_on"), labels["due_on"], problems)
        received = v["received_at"]
        v["due_on"], v["due_derived"] = (timezone.localdate(due) if due else None), False
        if received is not None and v["due_on"] is None and not cell_text(cells.get("due_on")) and v["kind"]:
            v["due_on"], v["due_derived"] = due_date(timezone.localdate(received), v["kind"])[0], True
            plan.notes.append(
                _("平台未写办理时限：按诉求类型的工作日推算为 %(day)s") % {"day": v["due_on"].isoformat()}
            )
        if received is not None and v["due_on"] is not None and v["due_on"] < timezone.localdate(received):
            problems.append(_("办理时限 %(due)s 早于来电时间") % {"due": v["due_on"].isoformat()})
        sign_by = self.moment(cells.get("sign_by"), labels["sign_by"], problems)
        dispatched = self.moment(cells.get("dispatched_at"), labels["dispatched_at"], problems)
        start = dispatched or received
        v["sign_by"] = sign_by or (start + self.sign_within if start else None)
        if received is not None and sign_by is not None and sign_by < received:
            problems.append(_("签收时限 %(sign_by)s 早于来电时间") % {"sign_by": _shown(sign_by)})

    def village(self, named: str, address: str) -> Village | None:
        """The village the work order names (as the ledger import reads names, aliases included), or
        else the one whose name its address contains (the longest name found; none when two tie)."""
        for text in (named, address):
            if text and (found := self.lookups.names.village(text)):
                return found.obj
        for text in (named, address):
            if text and (found := self._within(fold(text))):
                return found
        return None

    def _within(self, folded: str) -> Village | None:
        best, length = [], 0
        for village in self.villages:
            keys = {fold(village.name), fold(village.short_name), village_stem(village.short_name, village.town.name)}
            longest = max((len(k) for k in keys if len(k) >= 2 and k in folded), default=0)
            if longest > length:
                best, length = [village], longest
            elif longest and longest == length:
                best.append(village)
        return best[0] if len(best) == 1 else None


DATE_ONLY = re.compile(r"^\d{4}\D\d{1,2}\D\d{1,2}\D?$")
HAS_TIME = re.compile(r"\d[:：时]\d|T\d")
EARLIEST_YEAR = 2000  # the 12345 platforms are younger


def _moment(value, fmt: HotlineFormat) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time())
    elif isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        moment = from_excel(value)  # an Excel serial time in a cell not formatted as a date
    else:
        text = narrow(str(value))
        moment = None
        for pattern in fmt.datetime_formats:
            try:
                moment = datetime.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if moment is None:
            moment = parse_datetime(text.replace("/", "-"))  # ISO 8601, the JSON exports' way
        if moment is None:
            if HAS_TIME.search(text):  # a time none of the ways read: refused, never silently midnight
                raise ValueError(text)
            moment = datetime.datetime.combine(parse_date(text), datetime.time())  # 2015.1.8, 20150108...
    if not EARLIEST_YEAR <= moment.year <= timezone.localdate().year + 5:
        raise ValueError(moment)  # 9999-12-31 and its like: a slip, and past Python's dates once a deadline is added
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _shown(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


MODEL_CHECKED = {
    "resident_name": "resident_name",
    "resident_phone": "resident_phone",
    "resident_address": "resident_address",
    "title": "title",
    "handler": "hotline_handler",
}


def _model_problems(values: dict) -> list[str]:
    """What the model itself refuses in the row's text (lengths, blanks), before anything is written."""
    problems = []
    for key, name in MODEL_CHECKED.items():
        model_field = Case._meta.get_field(name)
        try:
            model_field.clean(values[key], None)
        except ValidationError as error:
            problems.extend(f"{model_field.verbose_name}：{message}" for message in error.messages)
    return problems


def _mark_repeats(rows: list[OrderRow]) -> None:
    """A work order already imported (its number on a case, voided or not) or repeated in the file is
    skipped (one query)."""
    numbers = {r.number for r in rows if r.number and not r.problems}
    existing = dict(Case.with_voided.filter(hotline_number__in=numbers).values_list("hotline_number", "number"))
    first: dict[str, OrderRow] = {}
    for row in rows:
        if row.problems or not row.number:
            continue
        if row.number in existing:
            row.skip = _("已导入，跳过（%(number)s）") % {"number": existing[row.number]}
        elif row.number in first:
            row.skip = _("与%(row)s重复，跳过") % {"row": first[row.number].where}
        else:
            first[row.number] = row


# -- Writing a batch ---------------------------------------------------------------------------


def import_orders(plan: HotlinePlan, *, by=None, only_clean: bool = False) -> ImportResult:
    """Register the plan's new work orders as cases of the 12345 channel, all or nothing. A plan with
    refused rows raises HotlineNotClean unless ONLY_CLEAN (then those rows are left out). Orders
    imported meanwhile are skipped; a row the workflow refuses raises LedgerImportError, nothing written."""
    if plan.problems or (plan.refused and not only_clean):
        raise HotlineNotClean(plan.summary())
    result = ImportResult(skipped=len(plan.skipped), refused=len(plan.refused))
    with collector_paused():
        batch = Batch(by=by)
        user = (by.get_full_name() or by.get_username()) if by else ""
        today = timezone.localdate().isoformat()
        written = []
        for row in plan.new:
            try:
                written.append((row.number, _register(row, plan, batch, user, today)))
            except (ValidationError, workflow.TransitionNotAllowed) as error:
                text = "；".join(error.messages) if isinstance(error, ValidationError) else str(error)
                raise LedgerImportError(row.row, text) from error
        with transaction.atomic():
            # A concurrent import of the same orders waits here until we commit, then sees ours.
            numbering.lock_years_of(case for _n, case in written)
            taken = set(
                Case.with_voided.filter(hotline_number__in=[n for n, _c in written]).values_list(
                    "hotline_number", flat=True
                )
            )
            batch.discard(case for number, case in written if number in taken)
            result.skipped += len(taken)
            result.created = batch.save()
    return result


def _register(row: OrderRow, plan: HotlinePlan, batch: Batch, user: str, today: str) -> Case:
    v = row.values
    case = build(
        Case,
        village=v["village"],
        team=v["team"],
        raised_on=timezone.localdate(v["received_at"]),
        channel=Case.Channel.HOTLINE,
        kind=v["kind"],
        resident_name=v["resident_name"],
        resident_phone=v["resident_phone"],
        resident_address=v["resident_address"],
        category=v["category"],
        title=v["title"],
        description=v["content"],
        public_posting=v["public_posting"],
        due_on=v["due_on"],
        due_derived=v["due_derived"],
        hotline_number=v["number"],
        hotline_received_at=v["received_at"],
        hotline_sign_by=v["sign_by"],
        hotline_handler=v["handler"],
    )
    data = {
        "code": "hotline_imported",
        "number": v["number"],
        "received_at": timezone.localtime(v["received_at"]).isoformat(timespec="minutes"),
        "sign_by": timezone.localtime(v["sign_by"]).isoformat(timespec="minutes") if v["sign_by"] else None,
        "handler": v["handler"],
        "file": plan.filename,
        "format": plan.format.name,
        "row": row.row,
        "sheet": row.sheet,
        "user": user,
        "today": today,
    }
    batch.register(case, data=data, at=v["received_at"])
    return case


# -- Replies to the platform -------------------------------------------------------------------


def reply_cases(
    start: datetime.date | None = None, end: datetime.date | None = None, cases: QuerySet | None = None
) -> QuerySet:
    """The closed work orders among CASES (all when not given; a page gives the user's town's), closed
    between START and END when given, each with the satisfaction of its latest feedback that records
    one, in the order they were closed."""
    latest = Feedback.objects.filter(case=OuterRef("pk")).exclude(satisfaction="").order_by("-given_on", "-id")
    cases = Case.objects.all() if cases is None else cases
    cases = cases.filter(channel=Case.Channel.HOTLINE, status=Case.Status.CLOSED).exclude(hotline_number="")
    if start:
        cases = cases.filter(closed_on__gte=start)
    if end:
        cases = cases.filter(closed_on__lte=end)
    return cases.annotate(latest_satisfaction=Subquery(latest.values("satisfaction")[:1])).order_by(
        "closed_on", "hotline_number"
    )


def reply_rows(cases, fmt: HotlineFormat) -> tuple[list[str], list[list]]:
    """The header and rows of the platform's reply for CASES (from reply_cases), in FMT's words."""
    header = [c.header for c in fmt.reply_columns]
    rows = [[_reply_value(case, column, fmt) for column in fmt.reply_columns] for case in cases]
    return header, rows


def _reply_value(case: Case, column: ReplyColumn, fmt: HotlineFormat) -> str:
    if column.value == "number":
        return case.hotline_number
    if column.value == "result":
        return case.result
    if column.value == "closed_on":
        return case.closed_on.strftime(column.format or "%Y-%m-%d") if case.closed_on else ""
    if column.value == "satisfaction":
        value = getattr(case, "latest_satisfaction", None) or ""
        return fmt.satisfaction.get(value, str(Feedback.Satisfaction(value).label) if value else "")
    if column.value == "closure":
        return case.get_closure_display()
    return case.hotline_handler


def reply_json(cases, fmt: HotlineFormat) -> str:
    """The reply as a JSON list of objects keyed by the format's headers."""
    header, rows = reply_rows(cases, fmt)
    return json.dumps([dict(zip(header, row, strict=True)) for row in rows], ensure_ascii=False, indent=1)
