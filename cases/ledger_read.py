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

from cases.batch import collector_paused
from cases.ledger_cells import (
    CHANNEL_LOOKUP,
    CLOSED_LOOKUP,
    HEADER_LOOKUP,
    KIND_LOOKUP,
    LEDGER_NUMBER_MAX,
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
    phone_digits,
    public_title,
    row_keys,
)
from cases.ledger_files import LedgerFileError, read_sheets
from cases.ledger_plan import LedgerPlan, RowPlan, SheetPlan, Unresolved
from cases.models import Case
from cases.names import Resolver
from cases.privacy import Names, residents_of, sensitive_reason, strip_private
from teams.models import Cadre, Team
from villages.models import Village


class Lookups:
    """The reference data a ledger names, loaded once per file (a constant number of queries);
    villages, categories and sub-categories through the one resolver (cases/names.py). Given a TOWN,
    that town's only: a ledger is imported into one town, whose names it resolves."""

    def __init__(self, town=None):
        self.names = Resolver(town)
        self.teams_by_village: dict[int, list[Team]] = {}
        self.teams: dict[str, Team] = {}
        teams, cadres = Team.objects.select_related("leader"), Cadre.objects.all()
        if town is not None:
            teams, cadres = teams.filter(town=town), cadres.filter(town=town)
        for team in teams:
            self.teams_by_village.setdefault(team.village_id, []).append(team)
            self.teams[fold_name(team.name)] = self.teams[str(team.number)] = team
            self.teams[fold_name(f"第{team.number}团队")] = self.teams[fold_name(f"第{team.number}驻点团")] = team
        self.cadres: dict[str, list[Cadre]] = {}
        for cadre in cadres:
            self.cadres.setdefault(fold_name(cadre.name), []).append(cadre)


def _header_name(value) -> str:
    return re.sub(r"\s+", "", cell_text(value))


def _match_header(name: str) -> str | None:
    if not name:
        return None
    # "反映时间（年月日）", "联系电话*": the name without a trailing remark or mark.
    bare = re.sub(r"[(（][^)）]*[)）]$", "", unicodedata.normalize("NFKC", name))
    return HEADER_LOOKUP.get(fold_name(name)) or HEADER_LOOKUP.get(fold_name(bare))


def _find_header(rows: list[tuple[int, list]]) -> tuple[int, dict[int, str]] | None:
    """The row (index in ROWS) among the first rows that names the most known columns, with its columns."""
    best: tuple[int, dict[int, str]] | None = None
    for index, (number, row) in enumerate(rows):
        if number > MAX_HEADER_SCAN:
            break
        matched = {i: c for i, value in enumerate(row) if (c := _match_header(_header_name(value)))}
        if len(set(matched.values())) >= 3 and (
            best is None or len(set(matched.values())) > len(set(best[1].values()))
        ):
            best = (index, matched)
    return best


def read_ledger(
    source: str | Path | IO[bytes], *, filename: str = "", today: datetime.date | None = None, town=None
) -> LedgerPlan:
    """Read a ledger (.xlsx, .xls or .csv; every sheet with a header) into a plan. Writes nothing.
    Given a TOWN, its names are that town's villages, teams, cadres and categories only."""
    filename = filename or (Path(source).name if isinstance(source, str | Path) else "")
    plan = LedgerPlan(filename=filename)
    try:
        sheets = read_sheets(source, filename=filename)
    except LedgerFileError as error:
        plan.problems.append(str(error))
        return plan
    lookups = Lookups(town)
    found = []
    for sheet in sheets:
        header = _find_header(sheet.rows)
        if header is None:
            plan.skipped_sheets.append(sheet.title)
            continue
        found.append((sheet, *header))
    if not found:
        plan.problems.append(
            _("找不到表头：前 %(n)d 行中没有一行同时写有“村（社区）”“反映时间”“问题内容”等列名。")
            % {"n": MAX_HEADER_SCAN}
        )
        return plan
    several = len(sheets) > 1
    read = []
    for sheet, header_index, matched in found:
        sheet_plan, positions = _read_header(sheet, header_index, matched, lookups)
        missing = [c for c in REQUIRED if c not in positions and not (c == "village" and sheet_plan.village)]
        if missing:
            labels = column_labels()
            where = _("工作表“%(sheet)s”") % {"sheet": sheet.title} if several else ""
            plan.problems.append(
                _("%(where)s缺少必需的列：%(columns)s。")
                % {"where": where, "columns": "、".join(labels[c] for c in missing)}
            )
            continue
        plan.sheets.append(sheet_plan)
        read.append((sheet_plan, header_index, positions, sheet))
    if plan.problems:
        return plan
    today = today or timezone.localdate()
    rows = []
    for sheet_plan, header_index, positions, sheet in read:
        for number, values in sheet.rows[header_index + 1 :]:
            cells = {c: values[i] if i < len(values) else None for c, i in positions.items()}
            if sheet_plan.village is not None and not cell_text(cells.get("village")):
                cells["village"] = sheet_plan.village
            if not any(cell_text(cells.get(c)) for c in ("village", "raised_on", "resident_name", "content")):
                plan.blank_rows += any(cell_text(v) for v in cells.values())
                continue
            rows.append((number, sheet_plan.title if several else "", cells))
    names = PublicNames(Names(cell_text(cells.get("resident_name")) for _n, _s, cells in rows))
    with collector_paused():
        plan.rows = [read_row(number, cells, lookups, today, sheet=title, names=names) for number, title, cells in rows]
    _mark_repeats(plan.rows)
    return plan


class PublicNames:
    """The names kept off a row's public text: every resident the ledger names, and every resident of
    the row's village the database knows (cases/privacy.py; one query per village, not per row) — so a
    neighbour's name is stripped in the preview, never found only when the row is saved."""

    def __init__(self, in_file: Names):
        self.in_file = in_file
        self.by_village: dict[int, Names] = {}

    def of(self, village) -> Names:
        if village is None:
            return self.in_file
        if village.pk not in self.by_village:
            self.by_village[village.pk] = self.in_file.plus(residents_of(village.pk))
        return self.by_village[village.pk]


def _read_header(sheet, header_index: int, matched: dict[int, str], lookups: Lookups) -> tuple[SheetPlan, dict]:
    """What a sheet's header row says: the position of every column we read."""
    number, header = sheet.rows[header_index]
    sheet_plan = SheetPlan(title=sheet.title, header_row=number)
    positions: dict[str, int] = {}
    for i, value in enumerate(header):
        name = _header_name(value)
        column = matched.get(i)
        if column and column not in positions:
            positions[column] = i
            sheet_plan.columns[column] = name
        elif name:
            sheet_plan.ignored.append(name)
    if "village" not in positions:
        # A workbook of one sheet per village may name the village only in the sheet's name.
        sheet_plan.village = lookups.names.village(sheet.title).obj
    return sheet_plan, positions


def _mark_repeats(rows: list[RowPlan]):
    """Rows already in the database, and rows the file repeats, are left out (one query). A case
    imported under the key of old (without the phone) is the row's when its phone is the row's."""
    keys = {r.key for r in rows if r.key} | {r.legacy_key for r in rows if r.key and r.legacy_key}
    existing = {
        # An anonymised case has no phone left to compare (cases/pipl.py): its key of old decides.
        key: (number, None if anonymised else phone_digits(phone))
        for key, number, phone, anonymised in Case.objects.filter(ledger_key__in=keys).values_list(
            "ledger_key", "number", "resident_phone", "anonymised_on"
        )
    }
    first: dict[str, RowPlan] = {}
    for row in rows:
        if not row.key:
            continue
        legacy = existing.get(row.legacy_key)
        if legacy and legacy[1] is not None and legacy[1] != phone_digits(row.values["resident_phone"]):
            legacy = None
        if row.key in existing or legacy:
            number = existing[row.key][0] if row.key in existing else legacy[0]
            row.skip = _("已导入，跳过（%(number)s）") % {"number": number}
        elif row.key in first:
            row.skip = _("与%(row)s重复，跳过") % {"row": first[row.key].where}
        else:
            first[row.key] = row


def read_row(number: int, cells: dict, lookups: Lookups, today: datetime.date, *, sheet: str = "", names=()) -> RowPlan:
    """Read one data row: every value converted, every problem listed, every name still to be matched."""
    plan = RowPlan(row=number, seq=narrow(cell_text(cells.get("seq"))), sheet=sheet)
    values, problems = plan.values, plan.problems
    text = {column: cell_text(value) for column, value in cells.items() if column != "village"}

    values["village"] = village = _read_village(cells.get("village"), lookups, plan)
    values["team"] = _read_team(text.get("team", ""), village, lookups, problems)
    values["raised_on"] = _read_date(cells["raised_on"], gettext_lazy("反映日期"), today, problems, required=True)

    values["ledger_number"] = narrow(text.get("ledger_number", ""))
    if len(values["ledger_number"]) > LEDGER_NUMBER_MAX:
        problems.append(_("台账编号超过 %(n)d 个字") % {"n": LEDGER_NUMBER_MAX})
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

    _read_categories(text.get("category", ""), text.get("subcategory", ""), lookups, plan)

    values["content"] = text["content"]
    if not values["content"]:
        problems.append(_("缺少问题内容"))
    values["notes"] = text.get("notes", "")
    values["handling"] = text.get("handling", "")
    _read_closure(cells, text, values, today, problems)
    _read_handling(text, values, lookups, problems)
    if isinstance(names, PublicNames):
        names = names.of(village)
    _read_public_text(text, plan, names or Names([values["resident_name"]]))

    if village and isinstance(values["raised_on"], datetime.date) and values["content"]:
        plan.key, plan.legacy_key = row_keys(
            village,
            values["raised_on"],
            values["resident_name"],
            values["content"],
            phone=values["resident_phone"],
            ledger_number=values["ledger_number"],
        )
    if not problems:
        problems.extend(_model_problems(values))
    if problems or plan.unresolved:
        plan.key = ""
    return plan


def _read_village(value, lookups: Lookups, plan: RowPlan) -> Village | None:
    if isinstance(value, Village):  # named by the sheet's name
        return value
    text = cell_text(value)
    if not text:
        plan.problems.append(_("缺少村（社区）"))
        return None
    found = lookups.names.village(text)
    if not found:
        plan.unresolved.append(Unresolved("village", text, found.candidates))
    return found.obj


def _read_public_text(text: dict, plan: RowPlan, names) -> None:
    """The row's summary and result as the board will show them: nothing that identifies a resident
    (taken out, and listed for the preview), and no detail at all for a sensitive case."""
    values = plan.values
    values["title"], removed = public_title(text.get("title", "") or values["content"], names)
    values["result"], removed_from_result = strip_private(values["handling"], names=names)
    plan.removed = list(dict.fromkeys(removed + removed_from_result))
    plan.private_reason = sensitive_reason(
        values.get("category"), values.get("subcategory"), values["content"], text.get("title", "")
    )
    values["public_posting"] = not plan.private_reason


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


def _read_categories(category_text: str, sub_text: str, lookups: Lookups, plan: RowPlan):
    """Category and sub-category through the resolver; a category cell may name a sub-category
    alone, and a sub-category alone implies its category. A name that matches nothing is left for
    the office to match (never read as 未分类: that is only for an empty category cell)."""
    names, values = lookups.names, plan.values
    category = sub = None
    if category_text:
        found = names.category(category_text)
        as_sub = names.subcategory(category_text) if not sub_text else None
        if as_sub and (not found or (as_sub.exact and not found.exact)):
            # A sub-category alone, or its own name ("政务") rather than a part of a category's.
            sub, category = as_sub.obj, as_sub.obj.category
        elif found:
            category = found.obj
        else:
            plan.unresolved.append(Unresolved("category", category_text, found.candidates))
    if sub_text and not (category_text and category is None):
        found = names.subcategory(sub_text, category)
        if found:
            sub, category = found.obj, category or found.obj.category
        elif category and (anywhere := names.subcategory(sub_text)):
            plan.problems.append(
                _("问题小类“%(sub)s”不属于大类“%(category)s”（它属于“%(other)s”）")
                % {"sub": sub_text, "category": category.label, "other": anywhere.obj.category.label}
            )
        else:
            plan.unresolved.append(Unresolved("subcategory", sub_text, found.candidates))
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
