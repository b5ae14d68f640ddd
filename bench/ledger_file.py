"""An office's Excel ledger 台账 of many rows, written the way the town's offices write theirs:
for the benchmark of the office's import path (`cases.ledger.read_ledger`, then `import_ledger`).

A title row and a date line above the header; the header in the offices' words (序号, 村/社区,
反映时间, 反映人, 联系电话, 问题类别, 问题内容, 是否办结, 办结日期, 处理情况, 责任人); dates as Excel
dates mostly, some typed as text (2015年1月8日, 2015.1.8); villages by short or official name;
the category column naming a category (some written with a 问题 suffix, "民生保障问题") or a
sub-category alone ("村道硬底化"); open and closed rows (closed as solved, on the spot, explained
under policy); the cadres' names as the database has them; a distinct resident on every row, so
that no row repeats another. A few rows (BAD_SHARE) carry the slips real ledgers have (a closed
row without its date, a cadre not on the list): the import takes the clean rows only.

Needs the demo's reference data (load_demo): villages, categories, sub-categories and cadres are
read from the database. The same seed, database and day give the same file.
"""

import datetime
import random
from pathlib import Path

from django.utils import timezone
from openpyxl import Workbook

from cases.models import Category, SubCategory
from teams.models import Cadre
from villages.models import Village

HEADERS = [
    "序号",
    "村/社区",
    "反映时间",
    "反映人",
    "联系电话",
    "问题类别",
    "问题内容",
    "是否办结",
    "办结日期",
    "处理情况",
    "责任人",
]
SURNAMES = "陈黄李伍梅刘甄余谭关邝曹朱林吴张马何郑冯"
GIVEN = "伟明国强少芳志华丽娟家豪秀英建新美玲锦辉汉生桂兰文杰月娥翠屏树林德荣惠珍永康"
HAMLETS = "里村坊塘围"
DETAILS = [
    "，已多次反映",
    "，希望尽快解决",
    "，影响日常生活",
    "，请求村委协调",
    "，涉及十多户村民",
    "",
]
OPEN_WORDS = ["否", "正在处理", "跟进中", "未办结"]
SOLVED_WORDS = ["是", "已办结", "已解决"]
OPEN_HANDLING = ["已联系相关部门", "驻点干部已到现场查看", "已上报镇党政办", ""]
SOLVED_HANDLING = ["已协调相关部门处理完毕", "已安排维修，群众确认完成", "已落实帮扶措施"]
EXPLAINED_HANDLING = ["不符合政策条件，已向群众解释", "暂不具备条件，已作政策解释"]
ON_THE_SPOT_HANDLING = ["驻点干部现场答复并解决"]
BAD_SHARE = 0.003  # rows with a slip: a closed row without its date, or a cadre not on the list


def _names(rng: random.Random, count: int) -> list[str]:
    """COUNT distinct three-character names (a surname and two given characters)."""
    names = [s + a + b for s in SURNAMES for a in GIVEN for b in GIVEN if a != b]
    if count > len(names):  # more residents than three characters give: a fourth, from the hamlets
        names += [name + h for name in names for h in HAMLETS]
    return rng.sample(names, count)


def _unique_cadres() -> list[str]:
    """The cadres whose name is theirs alone (a ledger names its responsible person by name)."""
    seen: dict[str, int] = {}
    for name in Cadre.objects.values_list("name", flat=True):
        seen[name] = seen.get(name, 0) + 1
    return sorted(name for name, n in seen.items() if n == 1)


def _subjects(suffixed: bool) -> list[tuple[str, list[str]]]:
    """(what the 问题类别 cell says, contents to write) for each sub-category of the demo data."""
    subjects = []
    for sub in SubCategory.objects.select_related("category").order_by("code"):
        parts = [part for part in sub.label.split("/") if part]
        contents = [f"{part}问题" for part in parts]
        category = sub.category.label
        # The category as written (half of them with the 问题 suffix offices add), or the sub-category alone.
        subjects.append((category, contents))
        if suffixed:
            subjects.append((f"{category}问题", contents))
        subjects.append((sub.label, contents))
    if not subjects:  # no sub-categories: the categories alone
        subjects = [(c.label, [c.label]) for c in Category.objects.order_by("code")]
    return subjects


def _as_written(rng: random.Random, day: datetime.date):
    """A date as offices write it: mostly an Excel date, sometimes typed as text."""
    roll = rng.random()
    if roll < 0.8:
        return day
    if roll < 0.9:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.year}.{day.month}.{day.day}"


def write_ledger(
    path: str | Path, rows: int, *, seed: int = 1, today: datetime.date | None = None, suffixed: bool = True
) -> Path:
    """Write a ledger of ROWS data rows to PATH (.xlsx) and return the path. SUFFIXED: some
    category cells end in 问题 as offices write them ("民生保障问题")."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    villages = [(v.short_name, v.name) for v in Village.objects.order_by("code")]
    subjects = _subjects(suffixed)
    cadres = _unique_cadres()
    if not villages or not subjects or not cadres:
        raise RuntimeError("the ledger needs villages, categories and cadres: run load_demo first")
    residents = _names(rng, rows)
    start = today - datetime.timedelta(days=365)  # a year's ledger

    book = Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append([f"三合镇驻点直联群众反映问题台账（{start.year}—{today.year}年）"])
    sheet.append([f"填报单位：镇党政办    填报日期：{today.year}年{today.month}月{today.day}日"])
    sheet.append(HEADERS)
    for i in range(rows):
        short, official = rng.choice(villages)
        village = official if rng.random() < 0.2 else short
        raised = start + datetime.timedelta(days=rng.randrange(365))
        name = residents[i]
        phone = "无" if rng.random() < 0.05 else f"13{rng.randrange(10**9):09d}"
        category, contents = rng.choice(subjects)
        content = f"{rng.choice(HAMLETS)}{rng.randrange(1, 40)}号{name}反映{rng.choice(contents)}{rng.choice(DETAILS)}"
        closed_on, responsible = None, rng.choice(cadres) if rng.random() < 0.6 else ""
        roll = rng.random()
        if roll < 0.35:  # still open
            closed, handling = rng.choice(OPEN_WORDS), rng.choice(OPEN_HANDLING)
        else:
            closed_on = min(today, raised + datetime.timedelta(days=rng.randrange(1, 30)))
            if roll < 0.8:
                closed, handling = rng.choice(SOLVED_WORDS), rng.choice(SOLVED_HANDLING)
            elif roll < 0.9:
                closed, handling = "政策解释", rng.choice(EXPLAINED_HANDLING)
            else:
                closed, handling, closed_on = "现场解决", rng.choice(ON_THE_SPOT_HANDLING), raised
        if rng.random() < BAD_SHARE:  # the slips of a real ledger
            if closed_on:
                closed_on = None
            else:
                responsible = "王不在"
        sheet.append(
            [
                i + 1,
                village,
                _as_written(rng, raised),
                name,
                phone,
                category,
                content,
                closed,
                _as_written(rng, closed_on) if closed_on else None,
                handling,
                responsible,
            ]
        )
    path = Path(path)
    book.save(path)
    return path
