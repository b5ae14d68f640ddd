"""Messy ledgers 台账 with their truth, for testing the import (cases/ledger.py) against what a
township office really writes.

`make_ledger` draws rows from a seeded `random.Random`: the same arguments give the same ledger.
Every row has its **truth** (what the case is: village, category, dates, resident, status, what
the notice board must show, or the exact problem the preview must report) and its **cells** as an
office writes them (村委会/村/bare stem/code, 问题/类/方面/工作 suffixes, 关于… prefixes, 其他 for
其它, sub-categories in the category column, dates in every way, phones with spaces and dashes).
`write_xlsx` and `write_csv` put a ledger in a file the way offices save them.

The generator knows nothing of the code under test: its truth comes from the reference data
passed in (`demo_reference()` reads cases/demo/sanhe_2015.json) and the rules of issue 10.
"""

import csv
import datetime
import json
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

DEMO_JSON = Path(__file__).resolve().parents[1] / "demo" / "sanhe_2015.json"
# Issue 10: the sub-categories whose cases are private by default (they name a family's hardship).
DEMO_SENSITIVE = frozenset({"贫困户帮扶/低保保障", "就医难", "生活困难"})
PROGRAMME_START = datetime.date(2014, 9, 1)
# How a resident's name reads once taken out of a public summary ("上官伟明反映…" → "群众反映…").
# Issue 10 says "stripped of names"; the lead's cases/privacy.py puts 群众 in its place.
NAME_STANDS_FOR = "群众"
# A case whose words name hardship, illness or a dispute is private whatever its category: the lead's
# reading of issue 10 (cases/privacy.py SENSITIVE_WORDS), copied here, not imported. Of the demo's
# titles it makes 承包合同纠纷 (政务) private.
PRIVATE_WORDS = (
    "低保 五保 特困 困难户 贫困户 生活困难 家庭困难 救助 残疾 残障 患病 疾病 病重 重病 癌 精神病 就医 看病 住院 "
    "未成年 孤儿 留守儿童 纠纷 离婚 家暴 吸毒 戒毒 刑满"
).split()
# What the preview's board_text says of a row: its summary, and for a closed row the result; only
# the category of a private one (the lead's wording, cases/ledger_plan.py RowPlan.board_text).
BOARD_ONLY_CATEGORY = "只公示类别：{labels}"
BOARD_RESULT = "{title} — 办理结果：{result}"

# Residents get compound surnames: no cadre of the demo (single surnames) shares a resident's name,
# so a cadre's name on the board is never mistaken for a resident's.
SURNAMES = "上官 欧阳 司马 诸葛 尉迟 公孙 慕容 令狐 长孙 宇文 皇甫 端木 南宫 夏侯 闻人 司徒".split()
GIVEN = (
    "伟明 国强 少芳 志华 丽娟 家豪 秀英 建新 美玲 锦辉 惠珍 文杰 燕芬 汉生 月娥 永康 翠屏 振雄 桂兰 树林 "
    "德胜 玉珍 炳坤 雪梅 耀祖 淑贞 荣光 彩霞 启明 婉仪"
).split()
HAMLETS = "东坊 西坊 南塘 北围 上村 下村 新围 旧里".split()
DETAILS = ["", "，希望尽快解决", "，已多次反映", "，影响十多户村民", "，请村委会协调", "，望镇里帮助"]
HANDLINGS = {
    "open": ["已上报相关部门", "正在协调", "已列入计划", ""],
    "solved": ["已协调相关部门处理完毕", "已安排维修，群众确认完成", "已落实帮扶措施"],
    "on_the_spot": ["驻点干部现场答复并解决"],
    "explained": ["不符合政策条件，已由相关职能部门向群众解释", "暂不具备条件，已作政策解释"],
}
KIND_WORDS = {"help": ["求助", ""], "enquiry": ["咨询"], "suggestion": ["建议"], "complaint": ["投诉"]}

# Writings no resolver can place without the office's choice, each with what the office picks for
# it (an alias is one text meaning one thing, in every row and every later ledger): a village's
# code, a category's code, or a sub-category's (category code, sub-category code).
UNRESOLVABLE = {
    "category": {"乱七八糟类": "07", "杂七杂八": "07", "说不清楚的问题": "06"},
    "subcategory": {"水沟淤塞": ("03", "0301"), "路灯不亮": ("06", "0601"), "占道经营": ("07", "0703")},
    "village": {
        "东连村": "440781104201",
        "北连村": "440781104202",
        "西化村": "440781104204",
        "那今村": "440781104205",
        "温全村": "440781104207",
    },
}

# The columns a generated ledger has, with the headers offices write for each (one is drawn).
HEADERS = {
    "seq": ["序号"],
    "number": ["台账编号", "问题编号", "编号"],
    "village": ["村（社区）", "村居", "所属村", "村委会"],
    "raised_on": ["反映时间", "登记日期", "走访日期"],
    "resident_name": ["反映人", "群众姓名"],
    "resident_phone": ["联系电话", "手机号码"],
    "resident_address": ["住址"],
    "kind": ["诉求类型"],
    "category": ["问题类别", "问题大类"],
    "subcategory": ["小类", "问题小类"],
    "content": ["问题内容", "反映问题", "群众反映问题"],
    "handling": ["办理情况", "处理结果"],
    "closed": ["是否办结", "办理状态"],
    "closure": ["办结方式"],
    "closed_on": ["办结日期", "办结时间"],
    "responsible": ["责任人", "承办人"],
}
COLUMNS = list(HEADERS)

# The problems a bad row is given, one per row, with the exact words cases/ledger_read.py uses.
DEFECTS = (
    "missing_village",
    "missing_date",
    "future_date",
    "before_programme",
    "impossible_date",
    "unreadable_date",
    "closed_without_date",
    "closed_before_raised",
    "unknown_closed_word",
    "open_with_closed_date",
    "closed_without_result",
    "bad_phone",
    "long_name",
    "missing_content",
    "unknown_cadre",
)


# -- Reference data ------------------------------------------------------------------------


@dataclass(frozen=True)
class RefVillage:
    code: str
    name: str
    short_name: str


@dataclass(frozen=True)
class RefSub:
    code: str
    label: str
    titles: tuple[str, ...] = ()
    sensitive: bool = False


@dataclass(frozen=True)
class RefCategory:
    code: str
    label: str
    subs: tuple[RefSub, ...] = ()
    sensitive: bool = False


@dataclass(frozen=True)
class Reference:
    villages: tuple[RefVillage, ...]
    categories: tuple[RefCategory, ...]
    unclassified_titles: tuple[str, ...]


def demo_reference(sensitive=DEMO_SENSITIVE) -> Reference:
    """The demo's villages and categories (cases/demo/sanhe_2015.json), sensitive as issue 10 says."""
    data = json.loads(DEMO_JSON.read_text(encoding="utf-8"))
    villages = tuple(RefVillage(v["code"], v["name"], v["short_name"]) for v in data["villages"])
    categories = tuple(
        RefCategory(
            c["code"],
            c["name"],
            tuple(
                RefSub(s["code"], s["name"], tuple(s["titles"]), s["name"] in sensitive or bool(s.get("sensitive")))
                for s in c["subcategories"]
            ),
            c["name"] in sensitive,
        )
        for c in data["categories"]
    )
    return Reference(villages, categories, tuple(data["unclassified"]["titles"]))


# -- The ledger ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """What a row is, whatever way it is written."""

    village: str | None  # village code
    category: str | None  # category code; None: 未分类
    subcategory: str | None
    raised_on: datetime.date | None
    resident_name: str
    phone: str  # digits (and the dash of a landline) as the office meant it; "" for none
    address: str
    content: str
    kind: str  # Case.Kind value
    closure: str  # "" open, else a Case.Closure value
    closed_on: datetime.date | None
    handling: str
    responsible: str | None  # cadre name
    number: str  # ledger number, "" when the row has none
    sensitive: bool
    title: str  # the public summary the import must make (Case.title)
    board_text: str  # what the preview's board_text must say (BOARD_ONLY_CATEGORY, BOARD_RESULT)
    private: tuple[str, ...] = ()  # private strings written into the content
    problem: str = ""  # the exact problem the preview must report ("" for a good row)
    unresolved: tuple[tuple[str, str], ...] = ()  # (kind, text) the preview must list as unresolved
    duplicate_of: int = 0  # seq of the earlier row this one repeats (0: not a repeat)
    near_duplicate_of: int = 0  # seq of a row that differs only in the phone or the ledger number

    @property
    def closed(self) -> bool:
        return bool(self.closure)

    @property
    def phone_digits(self) -> str:
        return "".join(ch for ch in self.phone if ch.isdigit())


@dataclass
class Row:
    seq: int  # written in the 序号 column; unique over the ledger
    cells: dict  # column -> value as the office wrote it (str, int, float, date, datetime or None)
    truth: Truth
    defect: str = ""  # one of DEFECTS for a bad row
    fixed_cells: dict | None = None  # the cells once the office corrects a bad row


@dataclass
class Ledger:
    seed: int
    headers: dict[str, str]  # column -> header as written
    rows: list[Row] = field(default_factory=list)
    resident_names: frozenset[str] = frozenset()

    # What a first import must find.
    @property
    def bad(self) -> list[Row]:
        return [r for r in self.rows if r.truth.problem]

    @property
    def unresolved(self) -> list[Row]:
        return [r for r in self.rows if r.truth.unresolved and not r.truth.problem]

    @property
    def repeats(self) -> list[Row]:
        return [r for r in self.rows if r.truth.duplicate_of]

    @property
    def new(self) -> list[Row]:
        """Rows that become cases on the first import (no problem, nothing unresolved, not a repeat)."""
        return [r for r in self.rows if not r.truth.problem and not r.truth.unresolved and not r.truth.duplicate_of]

    @property
    def new_after_aliases(self) -> list[Row]:
        """Rows that become cases once the office has chosen every unresolved name once."""
        return [r for r in self.rows if not r.truth.problem and not r.truth.duplicate_of]

    def by_seq(self) -> dict[int, Row]:
        return {r.seq: r for r in self.rows}

    def category_counts(self, rows: list[Row] | None = None) -> Counter:
        return Counter(r.truth.category for r in (self.new if rows is None else rows))

    def fixed(self) -> "Ledger":
        """The same ledger after the office corrected every bad row."""
        rows = [
            Row(r.seq, dict(r.fixed_cells), replace(r.truth, problem=""), "", None) if r.fixed_cells else r
            for r in self.rows
        ]
        return Ledger(self.seed, self.headers, rows, self.resident_names)

    def only(self, rows: list[Row]) -> "Ledger":
        return Ledger(self.seed, self.headers, rows, self.resident_names)


# -- Writing names as offices do ------------------------------------------------------------


def wide(text: str) -> str:
    """ASCII digits and letters in their full-width forms (２０１５)."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def village_writings(v: RefVillage) -> list:
    stem = v.short_name.removesuffix("社区").removesuffix("村")
    return [
        v.name,
        v.short_name,
        stem,
        v.code,
        v.short_name + " ",
        "\u3000" + v.short_name,
        " " + v.name + " ",
        wide(v.code),
        int(v.code),  # a code typed into a number cell (xlsx only; CSV writes it as text)
    ]


def category_writings(c: RefCategory) -> list[str]:
    label = c.label
    out = [
        label,
        label + "问题",
        label + "类",
        label + "方面",
        "关于" + label,
        c.code,
        c.code.lstrip("0"),
        wide(c.code),
        " " + label + " ",
    ]
    if not label.endswith("工作"):
        out.append(label + "工作")
    if "、" in label:
        out += [label.replace("、", ","), label.replace("、", "，"), label.replace("、", "")]
    if "其它" in label:
        out += [label.replace("其它", "其他"), "其他问题", "其他类", "其它方面"]
    return out


def unique_parts(categories) -> dict[str, RefSub]:
    """Parts of slash-joined sub-category labels that name one sub-category only (低保保障, 偷盗)."""
    seen: dict[str, list[RefSub]] = {}
    labels = {s.label for c in categories for s in c.subs} | {c.label for c in categories}
    for c in categories:
        for s in c.subs:
            if "/" in s.label:
                for part in s.label.split("/"):
                    seen.setdefault(part, []).append(s)
    return {part: subs[0] for part, subs in seen.items() if len(subs) == 1 and part not in labels}


def sub_writings(s: RefSub, parts: dict[str, RefSub]) -> list[str]:
    out = [s.label, s.code]
    if "/" in s.label:
        out += [s.label.replace("/", "、"), s.label.replace("/", "／")]
    out += [p for p, sub in parts.items() if sub == s]
    return out


def date_writings(day: datetime.date) -> list:
    return [
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}/{day.month}/{day.day}",
        f"{day:%Y%m%d}",
        int(f"{day:%Y%m%d}"),
        day.isoformat(),
        f"{day.year}年{day.month:02d}月{day.day:02d}日",
        wide(f"{day.year}.{day.month}.{day.day}"),
        datetime.datetime(day.year, day.month, day.day),  # a real Excel date
        (day - datetime.date(1899, 12, 30)).days,  # an Excel serial day in a cell not formatted as a date
    ]


def phone_writings(phone: str) -> list:
    if "-" in phone:  # a landline 0750-5524538
        area, local = phone.split("-")
        return [phone, f"{area} {local}", f"({area}){local}", f"（{area}）{local}", wide(phone)]
    return [
        phone,
        f"{phone[:3]} {phone[3:7]} {phone[7:]}",
        f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
        f"{phone[:3]} {phone[3:]}",
        wide(phone),
        int(phone),  # a number cell (xlsx only)
    ]


CLOSED_WRITINGS = {
    "": [("否", ""), ("正在处理", ""), ("处理中", ""), ("", "")],
    "solved": [("是", ""), ("已办结", ""), ("已解决", ""), ("是", "已解决")],
    "on_the_spot": [("现场解决", ""), ("是", "现场解决"), ("已办结", "现场解决")],
    "explained": [("政策解释", ""), ("已办结", "政策解释"), ("是", "政策解释")],
}


# -- The public summary ----------------------------------------------------------------------


def _id_number(rng: random.Random) -> str:
    birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(0, 25000))
    return f"440781{birth:%Y%m%d}{rng.randrange(0, 1000):03d}{rng.choice('0123456789X')}"


def _with_private(rng: random.Random, core: str, truth: dict, others: list[str]) -> tuple[str, str, tuple[str, ...]]:
    """CORE with one private thing written into it as ledgers do: (content, the public summary the
    import must make of it, the private strings). The summary is the content with the private thing
    removed (and a comma left dangling at the end dropped); a name stands as 群众 (群众反映…)."""
    name, phone, address = truth["resident_name"], truth["phone"], truth["address"]
    choices = ["name", "household", "household_prefix", "id", "address"]
    if others:
        choices.append("other_name")
    if phone:
        choices.append("phone")
    how = rng.choice(choices)
    if how == "name":
        return f"{name}反映{core}", f"{NAME_STANDS_FOR}反映{core}", (name,)
    if how == "other_name":
        other = rng.choice(others)
        return f"{other}反映{core}", f"{NAME_STANDS_FOR}反映{core}", (other,)
    if how == "household":  # 申请低保，家中老人长期患病（上官家）
        return f"{core}（{name[:2]}家）", core, (f"{name[:2]}家",)
    if how == "household_prefix":
        return f"{name[:2]}家{core}", core, (f"{name[:2]}家",)
    if how == "id":
        number = _id_number(rng)
        return f"{core}，{number}", core, (number,)
    if how == "address":
        return f"{core}，{address}", core, (address,)
    written = rng.choice([w for w in phone_writings(phone) if isinstance(w, str)])
    return f"{core}，{written}", core, (written,)


# -- Drawing rows ---------------------------------------------------------------------------


class _Drawer:
    def __init__(self, rng, ref: Reference, cadres, today, start, end, formats):
        self.rng, self.ref, self.cadres, self.today = rng, ref, list(cadres), today
        self.start, self.end = start, end
        self.formats = formats  # "xlsx" or "csv": which cell types the file can hold
        self.phones: set[str] = set()
        self.numbers = 0
        self.parts = unique_parts(ref.categories)
        self.names = [s + g for s in SURNAMES for g in GIVEN]
        self.used: list[str] = []  # resident names of the rows drawn so far

    def pick(self, options: list):
        if self.formats == "csv":
            options = [o for o in options if isinstance(o, str)] or [str(o) for o in options]
        return self.rng.choice(options)

    def phone(self) -> str:
        while True:
            if self.rng.random() < 0.15:
                phone = f"0750-{self.rng.randrange(2000000, 9999999)}"
            else:
                phone = f"1{self.rng.choice('3578')}{self.rng.randrange(10**8, 10**9)}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def day(self) -> datetime.date:
        return self.start + datetime.timedelta(days=self.rng.randrange((self.end - self.start).days + 1))

    def ledger_number(self) -> str:
        self.numbers += 1
        return f"SH{self.rng.choice(['', 'TZ-'])}2015-{self.numbers:04d}"

    def truth(self, numbered: float, private: float, resident_names: list[str]) -> dict:
        """A good row's truth, as a dict (the row writer and the defects change it before freezing)."""
        rng = self.rng
        village = rng.choice(self.ref.villages)
        category = sub = None
        if rng.random() < 0.05:
            core = rng.choice(self.ref.unclassified_titles)
        else:
            category = rng.choice(self.ref.categories)
            sub = rng.choice(category.subs) if category.subs else None
            core = rng.choice(sub.titles or (sub.label,)) if sub else category.label
        core += rng.choice(DETAILS)
        raised = self.day()
        closure = rng.choice(["", "", "", "solved", "solved", "on_the_spot", "explained"])
        closed_on = None
        if closure == "on_the_spot":
            closed_on = raised
        elif closure:
            closed_on = min(self.end, raised + datetime.timedelta(days=rng.randrange(0, 40)))
        handling = rng.choice(HANDLINGS[closure or "open"])
        responsible = None
        if closure == "solved" or (self.cadres and rng.random() < 0.4):
            responsible = rng.choice(self.cadres) if self.cadres else None
        kind = rng.choice(["help", "help", "help", "enquiry", "suggestion", "complaint"])
        phone = "" if rng.random() < 0.05 else self.phone()
        address = f"{rng.choice(HAMLETS)}{rng.randrange(1, 60)}号"
        name = rng.choice(resident_names)
        truth = {
            "village": village.code,
            "category": category.code if category else None,
            "subcategory": sub.code if sub else None,
            "raised_on": raised,
            "resident_name": name,
            "phone": phone,
            "address": address,
            "kind": kind,
            "closure": closure,
            "closed_on": closed_on,
            "handling": handling,
            "responsible": responsible,
            "number": self.ledger_number() if rng.random() < numbered else "",
            "sensitive": bool((sub and sub.sensitive) or (category and category.sensitive)),
        }
        content, title, secrets = core, core, ()
        if rng.random() < private:
            content, title, secrets = _with_private(rng, core, truth, [n for n in self.used if n != name])
        self.used.append(name)
        truth.update(content=content, title=title, private=secrets)
        return truth

    def cells(self, t: dict) -> dict:
        """The truth T written as an office writes it."""
        rng = self.rng
        village = next(v for v in self.ref.villages if v.code == t["village"])
        category = next((c for c in self.ref.categories if c.code == t["category"]), None)
        sub = next((s for s in category.subs if s.code == t["subcategory"]), None) if category else None
        cat_cell = sub_cell = ""
        if category:
            way = rng.random()
            if sub and way < 0.2:  # the sub-category alone, in the category column
                cat_cell = self.pick(sub_writings(sub, self.parts))
            elif sub and way < 0.3:  # the sub-category alone, in its own column
                sub_cell = self.pick(sub_writings(sub, self.parts))
            else:
                cat_cell = self.pick(category_writings(category))
                if sub and (way < 0.85 or any(s.sensitive for s in category.subs)):
                    sub_cell = self.pick(sub_writings(sub, self.parts))
                elif sub:
                    # The ledger names the category only: the truth has no sub-category then.
                    # (Not for a category holding private sub-categories: whether 民生保障 alone is
                    # private is not said by issue 10.)
                    t["subcategory"] = None
                    t["sensitive"] = bool(category.sensitive)
        closed_word, closure_word = rng.choice(CLOSED_WRITINGS[t["closure"]])
        phone = self.pick(phone_writings(t["phone"])) if t["phone"] else rng.choice(["", "无"])
        return {
            "number": t["number"],
            "village": self.pick(village_writings(village)),
            "raised_on": self.pick(date_writings(t["raised_on"])),
            "resident_name": t["resident_name"],
            "resident_phone": phone,
            "resident_address": t["address"],
            "kind": rng.choice(KIND_WORDS[t["kind"]]),
            "category": cat_cell,
            "subcategory": sub_cell,
            "content": t["content"],
            "handling": t["handling"],
            "closed": closed_word,
            "closure": closure_word,
            "closed_on": self.pick(date_writings(t["closed_on"])) if t["closed_on"] else "",
            "responsible": t["responsible"] or "",
        }


def _defect(drawer: _Drawer, defect: str, t: dict, cells: dict, long_name_message) -> str:
    """Break CELLS (a good row written from truth T) in the way DEFECT says; the problem's exact words."""
    rng = drawer.rng
    raised = t["raised_on"]
    if defect in ("missing_date", "future_date", "before_programme", "impossible_date", "unreadable_date"):
        # An open row, so the closed date's own checks stay quiet.
        t.update(closure="", closed_on=None, handling="")
        cells.update(closed="否", closure="", closed_on="", handling="")
    if defect == "missing_village":
        cells["village"] = ""
        return "缺少村（社区）"
    if defect == "missing_date":
        cells["raised_on"] = ""
        return "缺少反映日期"
    if defect == "future_date":
        cells["raised_on"] = "2099年1月8日"
        return "反映日期 2099-01-08 晚于今天"
    if defect == "before_programme":
        cells["raised_on"] = "2014.3.6"
        return f"反映日期 2014-03-06 早于直联活动开始（{PROGRAMME_START.isoformat()}）"
    if defect == "impossible_date":
        cells["raised_on"] = "2015年2月30日"
        return "反映日期：日期“2015年2月30日”不存在"
    if defect == "unreadable_date":
        cells["raised_on"] = "去年冬天"
        return "反映日期：日期“去年冬天”无法识别（可写作 2015年1月8日、2015.1.8 或 2015-01-08）"
    if defect in ("closed_without_date", "closed_before_raised", "closed_without_result"):
        if not t["closure"] or t["closure"] == "on_the_spot":
            closed_on = min(drawer.end, raised + datetime.timedelta(days=5))
            t.update(closure="explained", closed_on=closed_on, handling=HANDLINGS["explained"][0])
            cells.update(closed="政策解释", closure="", closed_on=f"{closed_on:%Y/%m/%d}", handling=t["handling"])
    if defect == "closed_without_date":
        cells["closed_on"] = ""
        return "已办结但没有办结日期"
    if defect == "closed_before_raised":
        early = raised - datetime.timedelta(days=rng.randrange(1, 20))
        cells["closed_on"] = f"{early.year}年{early.month}月{early.day}日"
        return f"办结日期 {early.isoformat()} 早于反映日期 {raised.isoformat()}"
    if defect == "closed_without_result":
        cells["handling"] = ""
        return "已办结但没有办理结果（办理情况）"
    if defect == "unknown_closed_word":
        t.update(closure="", closed_on=None)
        cells.update(closed="差不多", closure="", closed_on="")
        return "是否办结“差不多”无法识别（可填：是、否、已办结、正在处理等）"
    if defect == "open_with_closed_date":
        if t["closure"]:
            t.update(closure="", closed_on=None, handling="")
            cells.update(closed="否", closure="", handling="")
        cells["closed_on"] = f"{raised:%Y.%m.%d}"
        return "未办结却填了办结日期"
    if defect == "bad_phone":
        cells["resident_phone"] = "问村长"
        return "联系电话“问村长”不像电话号码"
    if defect == "long_name":
        cells["resident_name"] = t["resident_name"] * 15
        return long_name_message(cells["resident_name"])
    if defect == "missing_content":
        cells["content"] = ""
        return "缺少问题内容"
    if defect == "unknown_cadre":
        cells["responsible"] = "查无此人"
        return "责任人“查无此人”不在干部名单中"
    raise ValueError(defect)


def _long_name_message(name: str) -> str:
    """The model's own refusal of a resident name past its length (Django's words, translated)."""
    from django.core.exceptions import ValidationError

    from cases.models import Case

    field_ = Case._meta.get_field("resident_name")
    try:
        field_.clean(name, None)
    except ValidationError as error:
        return f"{field_.verbose_name}：{error.messages[0]}"
    raise AssertionError("the name is not too long")


def make_ledger(
    n_rows: int,
    seed: int,
    *,
    villages=None,
    categories=None,
    cadres=(),
    reference: Reference | None = None,
    bad: float = 0.08,
    unresolved: float = 0.04,
    repeats: float = 0.05,
    near_repeats: float = 0.03,
    private: float = 0.3,
    numbered: float = 0.5,
    formats: str = "xlsx",
    today: datetime.date | None = None,
    start: datetime.date = datetime.date(2014, 10, 9),
    end: datetime.date = datetime.date(2015, 2, 1),
    headers: dict[str, str] | None = None,
    long_name_message=_long_name_message,
) -> Ledger:
    """N_ROWS rows (repeats included) drawn from random.Random(SEED): the same arguments, the same
    ledger. VILLAGES and CATEGORIES default to the demo's (demo_reference()); CADRES are the names
    a row's 责任人 may take (each must name one cadre). BAD, UNRESOLVED, REPEATS and NEAR_REPEATS
    are the shares of bad rows (one DEFECTS problem each, every kind in turn), rows with a name
    to choose once, true repeats and near-repeats; PRIVATE the share of good rows whose content
    holds something the board must not show; NUMBERED the share with a ledger number. FORMATS
    "csv" keeps every cell text (no number or date cells)."""
    rng = random.Random(seed)
    ref = reference or demo_reference()
    if villages is not None or categories is not None:
        ref = Reference(tuple(villages or ref.villages), tuple(categories or ref.categories), ref.unclassified_titles)
    drawer = _Drawer(rng, ref, cadres, today or datetime.date.today(), start, end, formats)
    headers = headers or {column: rng.choice(names) for column, names in HEADERS.items()}
    resident_names = rng.sample(drawer.names, min(len(drawer.names), max(8, n_rows // 3)))

    n_bad, n_unresolved = round(n_rows * bad), round(n_rows * unresolved)
    n_repeats, n_near = round(n_rows * repeats), round(n_rows * near_repeats)
    n_good = n_rows - n_bad - n_unresolved - n_repeats - n_near
    if n_good < max(1, n_repeats, n_near):
        raise ValueError("too few good rows for the repeats asked")

    drafts: list[tuple[dict, dict, str, dict | None]] = []  # (truth, cells, defect, fixed cells)
    for _ in range(n_good):
        t = drawer.truth(numbered, private, resident_names)
        drafts.append((t, drawer.cells(t), "", None))
    good = list(drafts)

    for i in range(n_bad):
        defect = DEFECTS[i % len(DEFECTS)]
        t = drawer.truth(numbered, 0, resident_names)
        if defect == "unknown_cadre" and not t["responsible"]:
            t["responsible"] = rng.choice(drawer.cadres) if drawer.cadres else None
        if defect == "bad_phone" and not t["phone"]:
            t["phone"] = drawer.phone()
        cells = drawer.cells(t)
        fixed = dict(cells)
        t["problem"] = _defect(drawer, defect, t, cells, long_name_message)
        if defect in ("missing_date", "future_date", "before_programme", "impossible_date", "unreadable_date"):
            fixed.update(closed="否", closure="", closed_on="", handling="")
        if defect in ("closed_without_date", "closed_before_raised", "closed_without_result"):
            fixed = {**cells, "closed_on": f"{t['closed_on']:%Y/%m/%d}", "handling": t["handling"]}
        if defect == "open_with_closed_date":
            fixed = {**cells, "closed_on": ""}
        if defect == "unknown_closed_word":
            fixed = {**cells, "closed": "否"}
        if defect == "unknown_cadre" and not t["responsible"]:
            fixed["responsible"] = ""
        drafts.append((t, cells, defect, fixed))

    kinds = ["category", "village", "subcategory"]
    for i in range(n_unresolved):
        kind = kinds[i % len(kinds)]
        t = drawer.truth(numbered, 0, resident_names)
        text = rng.choice(sorted(UNRESOLVABLE[kind]))
        meant = UNRESOLVABLE[kind][text]
        if kind == "village":
            t["village"] = meant
        elif kind == "category":
            # A category written the office's own way, no sub-category: the office picks the category.
            category = next(c for c in ref.categories if c.code == meant)
            t.update(category=category.code, subcategory=None, sensitive=bool(category.sensitive))
        else:
            category = next(c for c in ref.categories if c.code == meant[0])
            sub = next(s for s in category.subs if s.code == meant[1])
            t.update(category=category.code, subcategory=sub.code, sensitive=bool(sub.sensitive or category.sensitive))
        cells = drawer.cells(t if kind == "village" else dict(t))
        if kind == "village":
            cells["village"] = text
        elif kind == "category":
            cells.update(category=text, subcategory="")
        else:
            cells.update(category=category.label, subcategory=text)
        t["unresolved"] = ((kind, text),)
        drafts.append((t, cells, "", None))

    # True repeats: the same ledger number, or (without one) the same village, date, content,
    # resident and phone, written another way. Near-repeats differ in the phone or the number only.
    for _ in range(n_repeats):
        t, cells, _d, _f = rng.choice(good)
        again = drawer.cells(dict(t))
        again.update(content=t["content"], resident_name=t["resident_name"], category=cells["category"])
        again.update(subcategory=cells["subcategory"], closed=cells["closed"], closure=cells["closure"])
        if not t["number"]:
            again["resident_phone"] = cells["resident_phone"]
        drafts.append(({**t, "repeat_of": id(t)}, again, "", None))
    for _ in range(n_near):
        t, cells, _d, _f = rng.choice(good)
        other = dict(t)
        if t["number"]:
            other["number"] = drawer.ledger_number()
        else:
            other["phone"] = drawer.phone()
        again = dict(cells)
        again["number"] = other["number"]
        if not t["number"]:
            again["resident_phone"] = drawer.pick(phone_writings(other["phone"]))
        # A phone in the content stays the first row's: any phone is stripped, so the summary is the same.
        drafts.append(({**other, "near_of": id(t)}, again, "", None))

    order = list(range(len(drafts)))
    rng.shuffle(order)
    ledger = Ledger(seed, headers, resident_names=frozenset(resident_names))
    seq_of: dict[int, int] = {}  # id(truth) of a first occurrence -> its seq
    first_seen: dict[int, int] = {}
    for seq, index in enumerate(order, start=1):
        t, cells, defect, fixed = drafts[index]
        key = t.get("repeat_of", id(t)) if "repeat_of" in t else id(t)
        seq_of.setdefault(id(t), seq)
        extra = {}
        if "repeat_of" in t:
            if key in first_seen:
                extra["duplicate_of"] = first_seen[key]
            else:
                first_seen[key] = seq
        elif "near_of" not in t:
            if id(t) in first_seen:  # its repeat came first: this one is the repeat
                extra["duplicate_of"] = first_seen[id(t)]
            else:
                first_seen[id(t)] = seq
        ledger.rows.append(
            Row(seq, {"seq": seq, **cells}, _freeze(t, ref, **extra), defect, {"seq": seq, **fixed} if fixed else None)
        )
    # Near-repeats name the row they resemble by its seq.
    for row, index in zip(ledger.rows, order, strict=True):
        t = drafts[index][0]
        if "near_of" in t:
            row.truth = replace(row.truth, near_duplicate_of=first_seen.get(t["near_of"], 0))
    return ledger


TRUTH_FIELDS = {f for f in Truth.__dataclass_fields__}


def _board_text(t: dict, ref: Reference) -> str:
    """What the notice board shows of a row's words (see BOARD_ONLY_CATEGORY)."""
    if t["sensitive"]:
        category = next((c for c in ref.categories if c.code == t["category"]), None)
        sub = next((s for s in category.subs if s.code == t["subcategory"]), None) if category else None
        labels = " · ".join(o.label for o in (category, sub) if o) or "未分类"
        return BOARD_ONLY_CATEGORY.format(labels=labels)
    if t["closure"] and t["handling"]:
        return BOARD_RESULT.format(title=t["title"], result=t["handling"])
    return t["title"]


def _freeze(t: dict, ref: Reference, **extra) -> Truth:
    t = dict(t)
    t["sensitive"] = bool(t["sensitive"] or any(word in t["content"] for word in PRIVATE_WORDS))
    t["board_text"] = _board_text(t, ref)
    values = {k: v for k, v in t.items() if k in TRUTH_FIELDS}
    values.setdefault("private", ())
    values["private"] = tuple(values["private"])
    return Truth(**{**values, **extra})


# -- Files ----------------------------------------------------------------------------------

TITLE = "三合镇驻点普遍直接联系群众问题台账"


def _groups(ledger: Ledger, sheets_by: str | None, ref: Reference) -> list[tuple[str, list[Row]]]:
    if sheets_by is None:
        return [("问题台账", ledger.rows)]
    groups: dict[str, list[Row]] = {}
    names = {v.code: v.short_name for v in ref.villages}
    for row in ledger.rows:
        if sheets_by == "village":
            key = names.get(row.truth.village, "其它") if row.truth.village else "其它"
        elif sheets_by == "month":
            key = f"{row.truth.raised_on:%Y年%m月}" if row.truth.raised_on else "未填日期"
        else:
            raise ValueError(sheets_by)
        groups.setdefault(key, []).append(row)
    return list(groups.items())


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime | datetime.date):
        return f"{value.year}/{value.month}/{value.day}"
    return str(value)


DECOY_SEQ = 9000  # hidden rows written by write_xlsx are numbered from here: no truth, never imported


def write_xlsx(
    ledger: Ledger,
    path,
    *,
    sheets_by: str | None = None,
    title_row: bool = True,
    hidden_rows: int = 0,
    hidden_column: bool = False,
    blank_sheet_first: bool = False,
    reference: Reference | None = None,
):
    """The ledger as an .xlsx: one sheet, or one per village or month (SHEETS_BY); each with a merged
    title row, a line of who filled it in and a blank row above the header (TITLE_ROW).

    What the office hid is not part of the ledger (cases/ledger_files.py reads "only what the user
    sees"): HIDDEN_ROWS adds that many hidden rows to each sheet, struck-out records (序号 from
    DECOY_SEQ) that look like data and must not be imported; HIDDEN_COLUMN adds a hidden column
    headed 反映时间, before the real one, holding words that are not dates (read, it would spoil
    every row). BLANK_SHEET_FIRST puts an instructions sheet without a header first."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    ref = reference or demo_reference()
    book = Workbook()
    book.remove(book.active)
    if blank_sheet_first:
        notes = book.create_sheet("填表说明")
        notes.append(["填表说明：每个问题填一行，日期写作 2015年1月8日。"])
    columns = list(ledger.headers)
    decoys = 0
    for title, rows in _groups(ledger, sheets_by, ref):
        sheet = book.create_sheet(title[:31])
        width = len(columns) + (1 if hidden_column else 0)
        if title_row:
            sheet.append([f"{TITLE}（{title}）" if sheets_by else TITLE])
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
            sheet.append(["填报单位：三合镇党政办", *[None] * (width - 3), "填报日期：2015年2月1日"])
            sheet.append(["（空行）"])
            sheet.row_dimensions[3].hidden = True
        header = [ledger.headers[c] for c in columns]
        if hidden_column:
            header.insert(2, "反映时间")
        sheet.append(header)
        for i, row in enumerate(rows):
            cells = row.cells
            if i < hidden_rows:  # a struck-out record before this row, hidden
                decoys += 1
                struck = {**cells, "seq": DECOY_SEQ + decoys, "number": "", "resident_name": "作废记录"}
                struck.update(resident_phone="", content=f"（作废）{cells['content'] or '重复登记'}")
                _append(sheet, columns, struck, hidden_column)
                sheet.row_dimensions[sheet.max_row].hidden = True
            _append(sheet, columns, cells, hidden_column)
        if hidden_column:
            sheet.column_dimensions[get_column_letter(3)].hidden = True
        sheet.append([])
        sheet.append([f"合计：{len(rows)} 件"])
        sheet.append(["填表人：党政办　审核人：镇党委"])
    book.save(path)
    return path


def _append(sheet, columns: list[str], cells: dict, hidden_column: bool) -> None:
    values = [cells.get(c) for c in columns]
    if hidden_column:
        values.insert(2, "旧表日期待核")
    sheet.append([None if v == "" else v for v in values])
    for j, value in enumerate(values, start=1):
        if isinstance(value, datetime.datetime):
            sheet.cell(row=sheet.max_row, column=j).number_format = "yyyy/m/d"


def write_csv(ledger: Ledger, path, encoding: str = "utf-8", *, title_row: bool = False):
    """The ledger as a CSV file in ENCODING ("utf-8", "utf-8-sig", "gbk", "gb18030"), as Excel saves one."""
    columns = list(ledger.headers)
    with open(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        if title_row:
            writer.writerow([TITLE] + [""] * (len(columns) - 1))
        writer.writerow([ledger.headers[c] for c in columns])
        for row in ledger.rows:
            writer.writerow([_csv_value(row.cells.get(c)) for c in columns])
        writer.writerow([f"合计：{len(ledger.rows)} 件"] + [""] * (len(columns) - 1))
    return path
