"""Reading an Excel ledger 台账 into a plan: `read_ledger` turns an .xlsx into a `LedgerPlan`,
one `RowPlan` per data row saying how the row will be read and every problem it has, in
Chinese. It writes nothing and makes a constant number of queries (the reference data is
loaded once, `Lookups`)."""

import datetime
import re
import unicodedata
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from cases import xlsx
from cases.ledger_cells import (
    CHANNEL_LOOKUP,
    CLOSED_LOOKUP,
    HEADER_LOOKUP,
    KIND_LOOKUP,
    MAX_HEADER_SCAN,
    NO_PHONE,
    OPEN,
    PHONE_RE,
    REQUIRED,
    cell_text,
    column_labels,
    fold_name,
    narrow,
    parse_date,
    public_title,
    row_key,
    strip_village_suffix,
    village_stems,
)
from cases.ledger_plan import LedgerPlan, RowPlan
from cases.models import Case, Category, SubCategory
from teams.models import Cadre, Team
from villages.models import Village


class Lookups:
    """The reference data a ledger names, loaded once per file (a constant number of queries)."""

    def __init__(self):
        self.villages: dict[str, list[Village]] = {}
        for village in Village.objects.all():
            for name in {village.code, village.name, village.short_name, *village_stems(village)}:
                self.villages.setdefault(fold_name(name), []).append(village)
        self.teams_by_village: dict[int, list[Team]] = {}
        self.teams: dict[str, Team] = {}
        for team in Team.objects.select_related("leader"):
            self.teams_by_village.setdefault(team.village_id, []).append(team)
            self.teams[fold_name(team.name)] = self.teams[str(team.number)] = team
            self.teams[fold_name(f"第{team.number}团队")] = self.teams[fold_name(f"第{team.number}驻点团")] = team
        self.categories: dict[str, Category] = {}
        for category in Category.objects.all():
            self.categories[fold_name(category.label)] = category
            self.categories[fold_name(category.code)] = self.categories[category.code.lstrip("0")] = category
        self.cadres: dict[str, list[Cadre]] = {}
        for cadre in Cadre.objects.all():
            self.cadres.setdefault(fold_name(cadre.name), []).append(cadre)
        self.subcategories: dict[str, list[SubCategory]] = {}
        for sub in SubCategory.objects.select_related("category"):
            for name in {fold_name(sub.label), fold_name(sub.code), sub.code.lstrip("0")}:
                self.subcategories.setdefault(name, []).append(sub)

    def village(self, text: str) -> Village | None:
        found = self.villages.get(fold_name(text)) or self.villages.get(fold_name(strip_village_suffix(text))) or []
        return found[0] if len({v.pk for v in found}) == 1 else None


def _read_sheets(source) -> list[tuple[str, list[list]]] | None:
    """Every sheet's title and rows of values: read straight from the XML (cases/xlsx.py, several
    times faster), or by openpyxl if that fails on a file openpyxl still reads; None when neither
    can: not a zip, not a workbook, broken XML (an upload can fail in any way; it is refused)."""
    try:
        return list(xlsx.sheets(source))
    except Exception:
        if hasattr(source, "seek"):
            source.seek(0)
    try:
        workbook = load_workbook(source, data_only=True)
    except Exception:
        return None
    return [(sheet.title, _sheet_rows(sheet)) for sheet in workbook.worksheets]


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
    return re.sub(r"\s+", "", cell_text(value))


def _match_header(name: str) -> str | None:
    if not name:
        return None
    # "反映时间（年月日）", "联系电话*": the name without a trailing remark or mark.
    bare = re.sub(r"[(（][^)）]*[)）]$", "", unicodedata.normalize("NFKC", name))
    return HEADER_LOOKUP.get(fold_name(name)) or HEADER_LOOKUP.get(fold_name(bare))


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
    sheets = _read_sheets(source)
    if sheets is None:
        plan.problems.append(_("无法读取文件：请上传 Excel 2007 及以上版本保存的 .xlsx 文件。"))
        return plan
    # The first sheet with a header.
    found = next(((title, rows, header) for title, rows in sheets if (header := _find_header(rows))), None)
    if found is None:
        plan.problems.append(
            _("找不到表头：前 %(n)d 行中没有一行同时写有“村（社区）”“反映时间”“问题内容”等列名。")
            % {"n": MAX_HEADER_SCAN}
        )
        return plan
    plan.sheet, rows, (header_index, matched) = found
    plan.header_row = header_index + 1
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
        if not any(cell_text(cells.get(c)) for c in ("village", "raised_on", "resident_name", "content")):
            plan.blank_rows += any(cell_text(v) for v in cells.values())
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
    plan = RowPlan(row=number, seq=narrow(cell_text(cells.get("seq"))))
    values, problems = plan.values, plan.problems
    text = {column: cell_text(value) for column, value in cells.items()}

    village = lookups.village(text["village"]) if text["village"] else None
    if not text["village"]:
        problems.append(_("缺少村（社区）"))
    elif village is None:
        problems.append(_("村（社区）“%(name)s”不是本镇的村（社区）") % {"name": text["village"]})
    values["village"] = village

    values["team"] = _read_team(text.get("team", ""), village, lookups, problems)
    values["raised_on"] = _read_date(cells["raised_on"], gettext_lazy("反映日期"), today, problems, required=True)

    values["resident_name"] = text.get("resident_name", "")
    values["resident_phone"] = narrow(text.get("resident_phone", ""))
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
    return lookup.get(fold_name(text))


def _read_team(text: str, village: Village | None, lookups: Lookups, problems: list) -> Team | None:
    if text:
        team = lookups.teams.get(fold_name(text)) or lookups.teams.get(narrow(text))
        if team is None:
            problems.append(_("驻点团队“%(name)s”不存在") % {"name": text})
        return team
    stationed = lookups.teams_by_village.get(village.pk, []) if village else []
    return stationed[0] if len(stationed) == 1 else None


def _read_date(value, label: str, today: datetime.date, problems: list, *, required: bool):
    if not cell_text(value):
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
    category = lookups.categories.get(fold_name(category_text)) if category_text else None
    sub = None
    if category_text and category is None:
        as_sub = lookups.subcategories.get(fold_name(category_text), [])
        if len(as_sub) == 1 and not sub_text:
            sub, category = as_sub[0], as_sub[0].category
        else:
            problems.append(_("问题大类“%(name)s”不存在") % {"name": category_text})
    if sub_text:
        candidates = lookups.subcategories.get(fold_name(sub_text), [])
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
        closure = CLOSED_LOOKUP.get(fold_name(text["closed"]), None) if text["closed"] else OPEN
        if closure is None:
            problems.append(
                _("是否办结“%(value)s”无法识别（可填：是、否、已办结、正在处理等）") % {"value": text["closed"]}
            )
            closure = OPEN
    elif text.get("closed_on"):
        closure = Case.Closure.SOLVED  # no 是否办结 column: a closed date says it is closed
    if text.get("closure") and closure != OPEN:
        way = CLOSED_LOOKUP.get(fold_name(text["closure"]))
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
    if not cell_text(cells.get("closed_on")):
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
        found = lookups.cadres.get(fold_name(name), [])
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
