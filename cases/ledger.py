"""Reading the Excel ledgers 台账 the town already keeps, and importing them as cases.

`read_ledger` turns an .xlsx into a `LedgerPlan`: one `RowPlan` per data row saying how the row will
be read and every problem it has, in Chinese. It writes nothing and makes a constant number of
queries. `import_ledger` writes a plan in one transaction through `cases.workflow`; it refuses a
plan with problems unless told to take only the clean rows. Each row carries a stable key (the
sha256 of its village, date, resident and content), stored in `Case.ledger_key`, so importing the
same file again adds nothing.
"""

import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from cases import numbering, workflow
from cases.batch import Batch
from cases.deadlines import due_date
from cases.models import Case, Category, SubCategory
from teams.models import Cadre, Team
from villages.models import Village

MAX_HEADER_SCAN = 30  # title rows above the header: how far down to look for it
TITLE_MAX = Case._meta.get_field("title").max_length


def _key(text: str) -> str:
    """How names are compared: full-width folded, case-blind, without spaces or punctuation."""
    text = unicodedata.normalize("NFKC", text).lower().replace("其他", "其它")
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZC")


# The columns we read, each with the headers offices write for it (compared through _key).
COLUMNS: dict[str, list[str]] = {
    "seq": "序号 编号 序".split(),
    "village": "村/社区 村(社区) 村居 所属村 村(居) 村委会 村居委会 村(居)委会 村名 村别 所在村 社区 村".split(),
    "team": "驻点团队 团队 驻点团 驻点组".split(),
    "raised_on": "反映时间 登记时间 日期 反映日期 登记日期 收集时间 收集日期 走访日期 驻点日期 时间".split(),
    "resident_name": "反映人 群众姓名 姓名 反映人姓名 反映群众 当事人".split(),
    "resident_phone": "联系电话 电话 手机 联系方式 手机号码 电话号码".split(),
    "resident_address": "住址 地址 家庭住址 住址(自然村) 自然村 所在自然村".split(),
    "channel": "收集渠道 渠道 反映渠道 收集方式 反映方式 来源".split(),
    "kind": "诉求类型 诉求性质".split(),
    "category": "问题类别 类别 大类 问题大类 问题分类 分类 问题类型 类型".split(),
    "subcategory": "小类 具体类别 问题小类 子类 具体问题类别".split(),
    "title": "公示摘要 公示内容 摘要".split(),
    "content": (
        "问题内容 反映问题 诉求内容 反映内容 反映的问题 群众反映问题 主要问题 具体问题 意见建议 群众意见 问题 内容"
    ).split(),
    "handling": "办理情况 处理情况 办理结果 处理结果 落实情况 解决情况 办理进度 进展情况".split(),
    "closed": "是否办结 办结情况 是否解决 办理状态 状态".split(),
    "closure": "办结方式".split(),
    "closed_on": "办结时间 办结日期 完成时间 解决时间".split(),
    "responsible": "责任人 经办人 跟进人 承办人 包案领导".split(),
    "policy_basis": "政策依据".split(),
    "explaining_department": "解释部门 负责解释部门".split(),
    "notes": "备注".split(),
}
HEADER_LOOKUP = {_key(name): column for column, names in COLUMNS.items() for name in names}
REQUIRED = ("village", "raised_on", "content")


def column_labels() -> dict[str, str]:
    """How each column is named in reports (translated at call time)."""
    return {
        "seq": _("序号"),
        "village": _("村（社区）"),
        "team": _("驻点团队"),
        "raised_on": _("反映日期"),
        "resident_name": _("反映人"),
        "resident_phone": _("联系电话"),
        "resident_address": _("住址"),
        "channel": _("收集渠道"),
        "kind": _("诉求类型"),
        "category": _("问题大类"),
        "subcategory": _("问题小类"),
        "title": _("公示摘要"),
        "content": _("问题内容"),
        "handling": _("办理情况"),
        "closed": _("是否办结"),
        "closure": _("办结方式"),
        "closed_on": _("办结日期"),
        "responsible": _("责任人"),
        "policy_basis": _("政策依据"),
        "explaining_department": _("解释部门"),
        "notes": _("备注"),
    }


CHANNELS = {
    Case.Channel.HOUSEHOLD: "入户走访 入户 走访 驻点走访 上门走访".split(),
    Case.Channel.BRIEFING: "碰头会 村两委碰头会 座谈会".split(),
    Case.Channel.PHONE: "电话 来电 电话反映".split(),
    Case.Channel.OVERSEAS: "华侨 侨刊 恳亲会 华侨回乡 侨胞".split(),
    Case.Channel.OTHER: "其它 其他".split(),
}
KINDS = {
    Case.Kind.ENQUIRY: ["咨询"],
    Case.Kind.HELP: ["求助"],
    Case.Kind.SUGGESTION: ["建议"],
    Case.Kind.COMPLAINT: ["投诉"],
}
OPEN = "open"
# 是否办结: what each way of writing it means (OPEN: not closed yet).
CLOSED_WORDS = {
    Case.Closure.SOLVED: "是 已办结 办结 已解决 解决 已完成 完成 已处理 y yes √ ✓ ✔".split(),
    Case.Closure.ON_THE_SPOT: "现场解决 当场解决 即时解决".split(),
    Case.Closure.EXPLAINED: "政策解释 已解释 已作解释 已做解释 解释".split(),
    OPEN: "否 未办结 未结 正在处理 处理中 办理中 正在办理 在办 未完成 未解决 跟进中 待处理 已登记 n no × x".split(),
}


def _word_lookup(table: dict) -> dict[str, str]:
    return {_key(word): value for value, words in table.items() for word in words}


CHANNEL_LOOKUP = _word_lookup(CHANNELS)
KIND_LOOKUP = _word_lookup(KINDS)
CLOSED_LOOKUP = _word_lookup(CLOSED_WORDS)

DATE_RE = re.compile(r"(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
PHONE_RE = re.compile(r"[\d\-\s()+/、,，转]{5,30}")
LONG_DIGITS_RE = re.compile(r"\d{7,}")
NO_PHONE = {"无", "没有", "不详", "/", "-", "—", "——"}


@dataclass
class RowPlan:
    """One data row of the ledger: how it will be read, and what is wrong with it."""

    row: int  # the row number in Excel
    seq: str = ""
    values: dict = field(default_factory=dict)  # column -> value as read (model objects, dates, text)
    problems: list[str] = field(default_factory=list)
    skip: str = ""  # why the row is left out though it has no problem (already imported, repeated)
    key: str = ""

    @property
    def is_clean(self) -> bool:
        return not self.problems

    @property
    def will_import(self) -> bool:
        return not self.problems and not self.skip

    @property
    def is_closed(self) -> bool:
        return self.values.get("closure", OPEN) != OPEN

    def reading(self) -> list[tuple[str, str]]:
        """(label, text) pairs saying how the row will be read, for the preview and the command."""
        labels, v = column_labels(), self.values
        pairs = [
            (labels["village"], v.get("village")),
            (labels["team"], v.get("team")),
            (labels["raised_on"], v.get("raised_on")),
            (labels["resident_name"], v.get("resident_name")),
            (labels["resident_phone"], v.get("resident_phone")),
            (labels["resident_address"], v.get("resident_address")),
            (labels["channel"], Case.Channel(v["channel"]).label if v.get("channel") else ""),
            (labels["kind"], Case.Kind(v["kind"]).label if v.get("kind") else ""),
            (labels["category"], v.get("category") or (_("未分类") if "category" in v else "")),
            (labels["subcategory"], v.get("subcategory")),
            (labels["title"], v.get("title")),
            (labels["content"], v.get("content")),
            (_("状态"), self.status_text()),
            (labels["responsible"], _responsible_text(v)),
            (labels["policy_basis"], v.get("policy_basis") if v.get("closure") == Case.Closure.EXPLAINED else ""),
            (labels["explaining_department"], v.get("explaining_department")),
            (labels["closed_on"], v.get("closed_on")),
            (_("办理结果") if self.is_closed else labels["handling"], v.get("handling")),
        ]
        return [(label, _text(value)) for label, value in pairs if _text(value)]

    def status_text(self) -> str:
        closure = self.values.get("closure")
        if closure is None:
            return ""
        if closure == OPEN:
            return str(Case.Status.REGISTERED.label)
        return f"{Case.Status.CLOSED.label}（{Case.Closure(closure).label}）"

    def outcome(self) -> str:
        """One word for the row: will be imported, left out, or has problems."""
        if self.problems:
            return _("有问题")
        return self.skip or _("将导入")


@dataclass
class LedgerPlan:
    """The whole file: where its header is, what its columns mean, and every row's plan."""

    filename: str = ""
    sheet: str = ""
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # column -> the header as written
    ignored: list[str] = field(default_factory=list)  # headers we do not read
    problems: list[str] = field(default_factory=list)  # problems of the file itself
    rows: list[RowPlan] = field(default_factory=list)
    blank_rows: int = 0  # rows without village, date, resident or content: titles, totals, signatures

    @property
    def is_clean(self) -> bool:
        return not self.problems and not any(r.problems for r in self.rows)

    @property
    def to_import(self) -> list[RowPlan]:
        return [r for r in self.rows if r.will_import]

    @property
    def with_problems(self) -> list[RowPlan]:
        return [r for r in self.rows if r.problems]

    @property
    def skipped(self) -> list[RowPlan]:
        return [r for r in self.rows if r.skip and not r.problems]

    def column_meanings(self) -> list[tuple[str, str]]:
        """(header as written, what we read it as), in the file's order."""
        labels = column_labels()
        return [(header, labels[column]) for column, header in self.columns.items()]

    def summary(self) -> str:
        return _("共 %(total)d 行：%(ok)d 行可导入，%(bad)d 行有问题，%(skipped)d 行跳过。") % {
            "total": len(self.rows),
            "ok": len(self.to_import),
            "bad": len(self.with_problems),
            "skipped": len(self.skipped),
        }


@dataclass
class ImportResult:
    created: list[Case] = field(default_factory=list)
    skipped: int = 0  # already imported or repeated in the file
    refused: int = 0  # rows left out for their problems

    @property
    def numbers(self) -> list[str]:
        return [case.number for case in self.created]


class LedgerNotClean(Exception):
    """The plan has problems and the caller did not choose to import only the clean rows."""


class LedgerImportError(Exception):
    """A row the plan found clean was refused while writing; nothing was written."""

    def __init__(self, row: int, message: str):
        self.row = row
        super().__init__(_("第 %(row)d 行未能写入：%(message)s") % {"row": row, "message": message})


def _responsible_text(values: dict) -> str:
    person = values.get("responsible")
    if person is None:
        return ""
    if values.get("responsible_is_leader"):
        return _("%(name)s（台账未写责任人，按驻点团队团长补记）") % {"name": person.name}
    return person.name


# Reading cells.


def _text(value) -> str:
    """A cell as text: integers without '.0', dates as YYYY-MM-DD, whitespace trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _narrow(text: str) -> str:
    """Full-width digits, letters and signs folded to ASCII (２０１５ → 2015), spaces collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def parse_date(value) -> datetime.date:
    """A date as ledgers write it: an Excel date, a serial number, 2015年1月8日, 2015.1.8, 2015/1/8,
    2015-01-08, 20150108, with full-width digits too. Raises ValueError with a Chinese message."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 < value < 80000:  # an Excel serial day number in a cell not formatted as a date
            return from_excel(value).date()
        value = _text(value)
    text = _narrow(str(value))
    match = DATE_RE.fullmatch(text) or COMPACT_DATE_RE.fullmatch(text)
    if not match:
        raise ValueError(_("日期“%(text)s”无法识别（可写作 2015年1月8日、2015.1.8 或 2015-01-08）") % {"text": value})
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(_("日期“%(text)s”不存在") % {"text": value}) from None


def row_key(village: Village, raised_on: datetime.date, resident: str, content: str) -> str:
    """The stable identity of a ledger row: the same village, date, resident and content, the same key."""
    parts = [village.code, raised_on.isoformat(), _key(resident), _key(content)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def public_title(content: str, name: str, phone: str, address: str) -> str:
    """A notice-board summary made from the content, without the resident's name, phone or address."""
    title = content
    for private in (phone, address):
        if private:
            title = title.replace(private, "")
    if name:
        title = title.replace(name, _("群众"))
    title = LONG_DIGITS_RE.sub("", title)
    title = re.sub(r"\s+", " ", title).strip(" ，,。")
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


# Reading the file.


class Lookups:
    """The reference data a ledger names, loaded once per file (a constant number of queries)."""

    def __init__(self):
        self.villages: dict[str, list[Village]] = {}
        for village in Village.objects.all():
            for name in {village.code, village.name, village.short_name, *_village_stems(village)}:
                self.villages.setdefault(_key(name), []).append(village)
        self.teams_by_village: dict[int, list[Team]] = {}
        self.teams: dict[str, Team] = {}
        for team in Team.objects.select_related("leader"):
            self.teams_by_village.setdefault(team.village_id, []).append(team)
            self.teams[_key(team.name)] = self.teams[str(team.number)] = team
            self.teams[_key(f"第{team.number}团队")] = self.teams[_key(f"第{team.number}驻点团")] = team
        self.categories: dict[str, Category] = {}
        for category in Category.objects.all():
            self.categories[_key(category.label)] = category
            self.categories[_key(category.code)] = self.categories[category.code.lstrip("0")] = category
        self.cadres: dict[str, list[Cadre]] = {}
        for cadre in Cadre.objects.all():
            self.cadres.setdefault(_key(cadre.name), []).append(cadre)
        self.subcategories: dict[str, list[SubCategory]] = {}
        for sub in SubCategory.objects.select_related("category"):
            for name in {_key(sub.label), _key(sub.code), sub.code.lstrip("0")}:
                self.subcategories.setdefault(name, []).append(sub)

    def village(self, text: str) -> Village | None:
        found = self.villages.get(_key(text)) or self.villages.get(_key(_strip_village_suffix(text))) or []
        return found[0] if len({v.pk for v in found}) == 1 else None


VILLAGE_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "村委", "居委", "社区", "村", "居")


def _strip_village_suffix(name: str) -> str:
    name = _narrow(name).replace(" ", "")
    for suffix in VILLAGE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _village_stems(village: Village) -> set[str]:
    return {_strip_village_suffix(village.name), _strip_village_suffix(village.short_name)}


def _open_workbook(source):
    try:
        return load_workbook(source, data_only=True)
    except Exception:  # not a zip, not a workbook, broken XML: an upload can fail in any way; refuse it
        return None


def _sheet_rows(sheet) -> list[list]:
    """The sheet's values, with merged cells filled (a village written once for several rows)."""
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    for merged in sheet.merged_cells.ranges:
        top = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
        for r in range(merged.min_row, min(merged.max_row, len(rows)) + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                if c <= len(rows[r - 1]):
                    rows[r - 1][c - 1] = top
    return rows


def _header_name(value) -> str:
    return re.sub(r"\s+", "", _text(value))


def _match_header(name: str) -> str | None:
    if not name:
        return None
    # "反映时间（年月日）", "联系电话*": the name without a trailing remark or mark.
    bare = re.sub(r"[(（][^)）]*[)）]$", "", unicodedata.normalize("NFKC", name))
    return HEADER_LOOKUP.get(_key(name)) or HEADER_LOOKUP.get(_key(bare))


def _find_header(rows: list[list]) -> tuple[int, dict[int, str]] | None:
    """The row (0-based) among the first rows that names the most known columns, with its columns."""
    best: tuple[int, dict[int, str]] | None = None
    for index, row in enumerate(rows[:MAX_HEADER_SCAN]):
        matched = {i: c for i, value in enumerate(row) if (c := _match_header(_header_name(value)))}
        if len(set(matched.values())) >= 3 and (
            best is None or len(set(matched.values())) > len(set(best[1].values()))
        ):
            best = (index, matched)
    return best


def read_ledger(
    source: str | Path | IO[bytes], *, filename: str = "", today: datetime.date | None = None
) -> LedgerPlan:
    """Read an .xlsx ledger into a plan. Writes nothing."""
    filename = filename or (Path(source).name if isinstance(source, str | Path) else "")
    plan = LedgerPlan(filename=filename)
    workbook = _open_workbook(source)
    if workbook is None:
        plan.problems.append(_("无法读取文件：请上传 Excel 2007 及以上版本保存的 .xlsx 文件。"))
        return plan
    for sheet in workbook.worksheets:
        rows = _sheet_rows(sheet)
        found = _find_header(rows)
        if found:
            break
    else:
        plan.problems.append(
            _("找不到表头：前 %(n)d 行中没有一行同时写有“村（社区）”“反映时间”“问题内容”等列名。")
            % {"n": MAX_HEADER_SCAN}
        )
        return plan
    header_index, matched = found
    plan.sheet, plan.header_row = sheet.title, header_index + 1
    header = rows[header_index]
    positions: dict[str, int] = {}
    for i, value in enumerate(header):
        name = _header_name(value)
        column = matched.get(i)
        if column and column not in positions:
            positions[column] = i
            plan.columns[column] = name
        elif name:
            plan.ignored.append(name)
    labels = column_labels()
    missing = [labels[c] for c in REQUIRED if c not in positions]
    if missing:
        plan.problems.append(_("缺少必需的列：%(columns)s。") % {"columns": "、".join(missing)})
        return plan
    lookups = Lookups()
    today = today or timezone.localdate()
    for index in range(header_index + 1, len(rows)):
        cells = {c: rows[index][i] if i < len(rows[index]) else None for c, i in positions.items()}
        if not any(_text(cells.get(c)) for c in ("village", "raised_on", "resident_name", "content")):
            plan.blank_rows += any(_text(v) for v in cells.values())
            continue
        plan.rows.append(read_row(index + 1, cells, lookups, today))
    _mark_repeats(plan.rows)
    return plan


def _mark_repeats(rows: list[RowPlan]):
    """Rows already in the database, and rows the file repeats, are left out (one query)."""
    keys = {r.key for r in rows if r.key}
    existing = dict(Case.objects.filter(ledger_key__in=keys).values_list("ledger_key", "number"))
    first: dict[str, int] = {}
    for row in rows:
        if not row.key:
            continue
        if row.key in existing:
            row.skip = _("已导入，跳过（%(number)s）") % {"number": existing[row.key]}
        elif row.key in first:
            row.skip = _("与第 %(row)d 行重复，跳过") % {"row": first[row.key]}
        else:
            first[row.key] = row.row


def read_row(number: int, cells: dict, lookups: Lookups, today: datetime.date) -> RowPlan:
    """Read one data row: every value converted, every problem listed."""
    plan = RowPlan(row=number, seq=_narrow(_text(cells.get("seq"))))
    values, problems = plan.values, plan.problems
    text = {column: _text(value) for column, value in cells.items()}

    village = lookups.village(text["village"]) if text["village"] else None
    if not text["village"]:
        problems.append(_("缺少村（社区）"))
    elif village is None:
        problems.append(_("村（社区）“%(name)s”不是本镇的村（社区）") % {"name": text["village"]})
    values["village"] = village

    values["team"] = _read_team(text.get("team", ""), village, lookups, problems)
    values["raised_on"] = _read_date(cells["raised_on"], gettext_lazy("反映日期"), today, problems, required=True)

    values["resident_name"] = text.get("resident_name", "")
    values["resident_phone"] = _narrow(text.get("resident_phone", ""))
    if values["resident_phone"] in NO_PHONE:
        values["resident_phone"] = ""
    if values["resident_phone"] and not PHONE_RE.fullmatch(values["resident_phone"]):
        problems.append(_("联系电话“%(phone)s”不像电话号码") % {"phone": values["resident_phone"]})
    values["resident_address"] = text.get("resident_address", "")
    values["channel"] = _read_choice(text.get("channel", ""), CHANNEL_LOOKUP, Case.Channel.HOUSEHOLD)
    if values["channel"] is None:
        problems.append(_unknown(_("收集渠道"), text["channel"], Case.Channel.labels))
    values["kind"] = _read_choice(text.get("kind", ""), KIND_LOOKUP, Case.Kind.HELP)
    if values["kind"] is None:
        problems.append(_unknown(_("诉求类型"), text["kind"], Case.Kind.labels))

    _read_categories(text.get("category", ""), text.get("subcategory", ""), lookups, values, problems)

    values["content"] = text["content"]
    if not values["content"]:
        problems.append(_("缺少问题内容"))
    values["title"] = text.get("title", "") or public_title(
        values["content"], values["resident_name"], values["resident_phone"], values["resident_address"]
    )
    values["notes"] = text.get("notes", "")
    values["handling"] = text.get("handling", "")
    _read_closure(cells, text, values, today, problems)
    _read_handling(text, values, lookups, problems)

    if village and isinstance(values["raised_on"], datetime.date) and values["content"]:
        plan.key = row_key(village, values["raised_on"], values["resident_name"], values["content"])
    if not problems:
        problems.extend(_model_problems(values))
    if problems:
        plan.key = ""
    return plan


def _unknown(what: str, value: str, labels) -> str:
    return _("%(what)s“%(value)s”无法识别（可填：%(choices)s）") % {
        "what": what,
        "value": value,
        "choices": "、".join(str(label) for label in labels),
    }


def _read_choice(text: str, lookup: dict, default: str) -> str | None:
    if not text:
        return default
    return lookup.get(_key(text))


def _read_team(text: str, village: Village | None, lookups: Lookups, problems: list) -> Team | None:
    if text:
        team = lookups.teams.get(_key(text)) or lookups.teams.get(_narrow(text))
        if team is None:
            problems.append(_("驻点团队“%(name)s”不存在") % {"name": text})
        return team
    stationed = lookups.teams_by_village.get(village.pk, []) if village else []
    return stationed[0] if len(stationed) == 1 else None


def _read_date(value, label: str, today: datetime.date, problems: list, *, required: bool):
    if not _text(value):
        if required:
            problems.append(_("缺少%(label)s") % {"label": label})
        return None
    try:
        day = parse_date(value)
    except ValueError as error:
        problems.append(f"{label}：{error}")
        return None
    if day > today:
        problems.append(_("%(label)s %(day)s 晚于今天") % {"label": label, "day": day.isoformat()})
    elif day < settings.PROGRAMME_START:
        problems.append(
            _("%(label)s %(day)s 早于直联活动开始（%(start)s）")
            % {"label": label, "day": day.isoformat(), "start": settings.PROGRAMME_START.isoformat()}
        )
    return day


def _read_categories(category_text: str, sub_text: str, lookups: Lookups, values: dict, problems: list):
    """Category and sub-category by name or code; a category cell may name a sub-category alone."""
    category = lookups.categories.get(_key(category_text)) if category_text else None
    sub = None
    if category_text and category is None:
        as_sub = lookups.subcategories.get(_key(category_text), [])
        if len(as_sub) == 1 and not sub_text:
            sub, category = as_sub[0], as_sub[0].category
        else:
            problems.append(_("问题大类“%(name)s”不存在") % {"name": category_text})
    if sub_text:
        candidates = lookups.subcategories.get(_key(sub_text), [])
        if category:
            in_category = [s for s in candidates if s.category_id == category.pk]
            if in_category:
                sub = in_category[0]
            elif candidates:
                problems.append(
                    _("问题小类“%(sub)s”不属于大类“%(category)s”（它属于“%(other)s”）")
                    % {"sub": sub_text, "category": category.label, "other": candidates[0].category.label}
                )
            else:
                problems.append(_("问题小类“%(name)s”不存在") % {"name": sub_text})
        elif len(candidates) == 1 and not category_text:
            sub, category = candidates[0], candidates[0].category
        elif not category_text:
            problems.append(_("问题小类“%(name)s”不存在") % {"name": sub_text})
    values["category"], values["subcategory"] = category, sub


def _read_closure(cells: dict, text: dict, values: dict, today: datetime.date, problems: list):
    """是否办结, 办结方式, 办结日期 and 办理情况: closed rows need a result and a closed date."""
    closure = OPEN
    if "closed" in text:
        closure = CLOSED_LOOKUP.get(_key(text["closed"]), None) if text["closed"] else OPEN
        if closure is None:
            problems.append(
                _("是否办结“%(value)s”无法识别（可填：是、否、已办结、正在处理等）") % {"value": text["closed"]}
            )
            closure = OPEN
    elif text.get("closed_on"):
        closure = Case.Closure.SOLVED  # no 是否办结 column: a closed date says it is closed
    if text.get("closure") and closure != OPEN:
        way = CLOSED_LOOKUP.get(_key(text["closure"]))
        if way in (None, OPEN):
            problems.append(
                _("办结方式“%(value)s”无法识别（可填：已解决、现场解决、政策解释）") % {"value": text["closure"]}
            )
        else:
            closure = way
    values["closure"] = closure
    closed_on = _read_date(cells.get("closed_on"), gettext_lazy("办结日期"), today, problems, required=False)
    values["closed_on"] = closed_on
    if closure == OPEN:
        if closed_on:
            problems.append(_("未办结却填了办结日期"))
        return
    if not values["handling"]:
        problems.append(_("已办结但没有办理结果（办理情况）"))
    if not _text(cells.get("closed_on")):
        problems.append(_("已办结但没有办结日期"))
    raised_on = values.get("raised_on")
    if closed_on and isinstance(raised_on, datetime.date) and closed_on < raised_on:
        problems.append(_("办结日期 %(closed)s 早于反映日期 %(raised)s") % {"closed": closed_on, "raised": raised_on})


def _read_handling(text: dict, values: dict, lookups: Lookups, problems: list):
    """Who followed the case up, and for closed rows the decision the workflow needs before closing:
    solved → handle now with a responsible person (the team leader when the ledger names nobody);
    explained → explain under policy, with its basis and department."""
    values["responsible"], values["responsible_is_leader"] = None, False
    name = text.get("responsible", "")
    if name:
        found = lookups.cadres.get(_key(name), [])
        if len(found) == 1:
            values["responsible"] = found[0]
        elif found:
            problems.append(_("干部名单中有 %(n)d 人叫“%(name)s”，无法确定责任人") % {"n": len(found), "name": name})
        else:
            problems.append(_("责任人“%(name)s”不在干部名单中") % {"name": name})
    closure = values["closure"]
    if closure == Case.Closure.SOLVED and values["responsible"] is None and not name:
        leader = values["team"].leader if values["team"] else None
        if leader is None and values["village"]:
            problems.append(_("已解决的问题须有责任人：台账未写责任人，也找不到驻点团队的团长"))
        values["responsible"], values["responsible_is_leader"] = leader, leader is not None
    values["policy_basis"] = values["explaining_department"] = ""
    if closure == Case.Closure.EXPLAINED:
        values["policy_basis"] = text.get("policy_basis") or values["handling"]
        values["explaining_department"] = text.get("explaining_department") or _("台账未载明")


# The model's fields a ledger row fills from its own text: what the model refuses in them (too
# long, blank) is the row's problem, checked field by field before anything is written.
MODEL_CHECKED = ("resident_name", "resident_phone", "resident_address", "title", "explaining_department")


def _model_problems(values: dict) -> list[str]:
    """What the model itself refuses (lengths, blanks), checked before anything is written."""
    problems = []
    for name in MODEL_CHECKED:
        field = Case._meta.get_field(name)
        try:
            field.clean(values[name], None)
        except ValidationError as error:
            problems.extend(f"{field.verbose_name}：{message}" for message in error.messages)
    return problems


def _build_case(values: dict, *, key: str, filename: str, row: int) -> Case:
    description = values["content"]
    if values["handling"] and values["closure"] == OPEN:
        description += "\n\n" + _("办理情况（台账）：%(text)s") % {"text": values["handling"]}
    if values["notes"]:
        description += "\n\n" + _("备注（台账）：%(text)s") % {"text": values["notes"]}
    if filename:
        description += "\n\n" + _("（从Excel台账“%(file)s”第 %(row)d 行导入）") % {"file": filename, "row": row}
    return Case(
        village=values["village"],
        team=values["team"],
        raised_on=values["raised_on"],
        channel=values["channel"],
        kind=values["kind"],
        resident_name=values["resident_name"],
        resident_phone=values["resident_phone"],
        resident_address=values["resident_address"],
        category=values["category"],
        subcategory=values["subcategory"],
        title=values["title"],
        description=description,
        ledger_key=key,
    )


# Writing.


def import_ledger(plan: LedgerPlan, *, by=None, only_clean: bool = False) -> ImportResult:
    """Write the plan's rows as cases, all or nothing. Without ONLY_CLEAN a plan with any problem
    raises LedgerNotClean; with it, the rows with problems are left out. Rows imported meanwhile
    are skipped. A row the workflow refuses raises LedgerImportError and nothing is written.

    Every row goes through the workflow's steps in memory (cases.batch), then all are written
    together: a constant number of queries per thousand rows."""
    if plan.problems or (not plan.is_clean and not only_clean):
        raise LedgerNotClean(plan.summary())
    result = ImportResult(skipped=len(plan.skipped), refused=len(plan.with_problems))
    rows = plan.to_import
    batch = Batch(by=by)
    written: list[tuple[str, Case]] = []
    due_dates: dict[tuple, datetime.date] = {}
    for row in rows:
        try:
            written.append((row.key, _write_row(row, plan.filename, batch, due_dates)))
        except (ValidationError, workflow.TransitionNotAllowed) as error:
            raise LedgerImportError(row.row, _error_text(error)) from error
    with transaction.atomic():
        # A concurrent import of the same rows has the same dates, hence the same years: it waits
        # on these locks until we commit, and we see its rows below (and it ours).
        numbering.lock_years(case.raised_on.year for _key, case in written)
        taken = set(
            Case.objects.filter(ledger_key__in=[key for key, _case in written]).values_list("ledger_key", flat=True)
        )
        batch.discard(case for key, case in written if key in taken)
        result.skipped += sum(1 for key, _case in written if key in taken)
        result.created = batch.save()
    return result


def _write_row(row: RowPlan, filename: str, batch: Batch, due_dates: dict) -> Case:
    """One case through the workflow: registered; then assigned, or triaged and closed, as the ledger says."""
    v = row.values
    case = _build_case(v, key=row.key, filename=filename, row=row.row)
    batch.register(case, text=_("从Excel台账导入（第 %(row)d 行）") % {"row": row.row})
    closure = v["closure"]
    if closure == OPEN:
        if v["responsible"]:
            batch.assign_responsible(case, responsible=v["responsible"])
        return case
    if closure == Case.Closure.SOLVED:
        # Counted once per day and kind: a ledger has many rows of a day, and counting is slow.
        if (case.raised_on, case.kind) not in due_dates:
            due_dates[case.raised_on, case.kind] = due_date(case.raised_on, case.kind)[0]
        due_on = due_dates[case.raised_on, case.kind]
        batch.triage(case, decision=Case.Decision.HANDLE_NOW, responsible=v["responsible"], due_on=due_on)
    elif closure == Case.Closure.EXPLAINED:
        batch.triage(
            case,
            decision=Case.Decision.EXPLAIN,
            responsible=v["responsible"],
            policy_basis=v["policy_basis"],
            explaining_department=v["explaining_department"],
        )
    if closure != Case.Closure.ON_THE_SPOT:
        batch.add_progress(case, text=_("台账导入：处理决定按台账的办结方式补记。"), public=False)
    batch.close(case, closure=closure, result=v["handling"], closed_on=v["closed_on"])
    return case


def _error_text(error: Exception) -> str:
    return "；".join(error.messages) if isinstance(error, ValidationError) else str(error)
