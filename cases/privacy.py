"""The one checker of text that can reach a public page or file (notice board, /track/, public JSON).

A public summary, a public progress line, a result: none may carry what identifies a resident
(PIPL): a name (the resident's own, or any resident's the caller knows of), a household marker
(（上官家）, 陈某家, 陈伯家), a phone number in any spacing, an 18-digit ID number, a bank card
number, a house number (东坊8号). Forms refuse such text with a message saying what to take out
(`check_public_text`); an import strips it (`strip_private`) and the preview shows the result.

Where it runs on saving (issue 11): Case.clean (summary, result: the forms, the admin, edit_case,
registration and imports), CaseEvent.clean, and the workflow's steps that write a public line
(progress, closing, reopening, the explaining department); the names are the case's resident's and
its village's other residents' (`public_names`). The board strips again what older rows hold.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

KINDS = {
    "name": gettext_lazy("姓名"),
    "household": gettext_lazy("户名"),
    "id_number": gettext_lazy("身份证号"),
    "bank_card": gettext_lazy("银行卡号"),
    "phone": gettext_lazy("电话号码"),
    "house_number": gettext_lazy("门牌号"),
}
# What a name becomes in the text: the text is the case's record, in the language it was written in.
NAME_STANDS_FOR = "群众"

# Common surnames (Taishan's among them): the start of a household marker such as 陈伯家 or 陈某家.
SURNAMES = (
    "陈李黄伍雷甄邝关梅余谭刘马朱赵张王林吴何罗郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于蒋叶杜苏魏程吕丁沈"
    "任姚卢傅钟姜崔廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段黎史龙陶贺顾毛郝龚邵万钱严赖覃洪武莫孔"
    "汤向常温康施文牛樊葛邢安齐易乔庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包宁尚符舒阮柯纪童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆司卓古吉缪简车项连芦麦褚娄"
    "窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎丛仲虞敖巩佘池查麻苑"
    "迟官封谈匡鞠惠荆冀郁胡高周徐孙杨郭"
)
COMPOUND_SURNAMES = (
    "上官 欧阳 司马 诸葛 司徒 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 轩辕 令狐 钟离 端木 夏侯 澹台 南宫 闻人 西门".split()
)
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|[{SURNAMES}])"
_CJK = "\u4e00-\u9fff"

# What follows "3号" when it is not a house: a sluice, a pump, a well, a line, a document, a typhoon.
NOT_AN_ADDRESS = "水闸|闸|泵|机井|井|线|文|令|台风|车|桥"
# Dates look like numbers: they are kept out of the phone pattern's way.
DATE = re.compile(r"\d{4}\s*[年./\-]\s*\d{1,2}\s*[月./\-]\s*\d{1,2}\s*日?")
PATTERNS = (
    ("id_number", re.compile(r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?![0-9A-Za-z])")),
    ("bank_card", re.compile(r"(?<!\d)\d{4}(?:[\s\-]?\d{4}){3}(?:[\s\-]?\d{1,3})?(?!\d)")),
    ("phone", re.compile(r"(?<![\dA-Za-z])(?:\+?86[\s\-]?)?(?:[(（]0\d{2,3}[)）]\s*)?\d(?:[\s\-]?\d){6,11}(?!\d)")),
    (
        "house_number",
        # A place and a number: 东坊8号, 北围52号, 新村巷12号之3 — not 3号水闸, a document's 〔2015〕3号
        # or an ordinal (抽查记录第12号).
        re.compile(
            rf"(?:[{_CJK}]{{1,2}}|门牌)(?<!第)\s*\d{{1,4}}\s*号(?:之\d{{1,3}})?(?:\d{{1,4}}[房室])?(?!{NOT_AN_ADDRESS})"
        ),
    ),
    ("household", re.compile(rf"[（(][{_CJK}]{{1,3}}家[)）]")),
    ("household", re.compile(rf"{_SURNAME}(?:某某|某|[伯叔婶姨嫂婆公哥姐爷奶])家")),
    ("household", re.compile("(?:" + "|".join(COMPOUND_SURNAMES) + ")家")),
)
PLACES_AFTER_SURNAME = "村庄围坊巷里湾屯寨塘"  # 陈家村 is a place, not a household
# Every pattern above needs a digit (full-width ones too: \d is Unicode) or 家: a text with
# neither, and no name, is clean without running them (the board checks every text it shows).
MAYBE_PRIVATE = re.compile(r"[\d家]")


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str

    @property
    def label(self) -> str:
        return str(KINDS[self.kind])

    def __str__(self) -> str:
        return _("%(label)s“%(text)s”") % {"label": self.label, "text": self.text}


def _surname(name: str) -> str:
    return next((s for s in COMPOUND_SURNAMES if name.startswith(s) and len(name) > len(s)), name[:1])


class Either:
    """In either of two sets (`in` is all Names asks of its sets)."""

    __slots__ = ("first", "second")

    def __init__(self, first, second):
        self.first, self.second = first, second

    def __contains__(self, item) -> bool:
        return item in self.first or item in self.second


class Names:
    """Residents' names to keep off public text, and their households (陈大文 → 陈家, but not 陈家村).
    Looked up by slices of the text in sets, not by a pattern: a ledger brings thousands of names."""

    def __init__(self, names=()):
        # Two characters or more: one alone would cut words.
        self.names = {n.strip() for n in names if n and len(n.strip()) >= 2}
        self.households = {_surname(n) + "家" for n in self.names}
        self.lengths = sorted({len(n) for n in self.names | self.households}, reverse=True)
        self.starts = {n[0] for n in self.names | self.households}

    @classmethod
    def of(cls, names) -> "Names":
        return names if isinstance(names, Names) else cls(names)

    def plus(self, names) -> "Names":
        """These names and NAMES, the village's thousands neither rebuilt nor copied: a case's own
        resident is added to them on every check of its public text."""
        extra = Names(names)
        both = Names()
        both.names, both.households = Either(self.names, extra.names), Either(self.households, extra.households)
        both.lengths = sorted(set(self.lengths) | set(extra.lengths), reverse=True)
        both.starts = Either(self.starts, extra.starts)
        return both

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, kind) of every name and household in TEXT, longest first, not overlapping."""
        found, i = [], 0
        while i < len(text):
            if text[i] not in self.starts:
                i += 1
                continue
            for length in self.lengths:
                piece = text[i : i + length]
                if piece in self.names:
                    found.append((i, i + length, "name"))
                    break
                after = text[i + length : i + length + 1]
                if piece in self.households and (not after or after not in PLACES_AFTER_SURNAME):
                    found.append((i, i + length, "household"))
                    break
            else:
                i += 1
                continue
            i = found[-1][1]
        return found


# Full-width forms (１３７－０００) read as their ASCII twins, one character for one: spans stay in place.
HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _scan(text: str, names) -> list[tuple[int, int, str]]:
    """Every private span of TEXT as (start, end, kind), spans not overlapping, in order."""
    spans = Names.of(names).spans(text) if names else []
    masked = DATE.sub(lambda m: "\uf8ff" * len(m.group()), text.translate(HALF_WIDTH))
    for start, end, _kind in spans:
        masked = masked[:start] + "\uf8fe" * (end - start) + masked[end:]
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(masked):
            start, end = match.span()
            if start == end:
                continue
            spans.append((start, end, kind))
            masked = masked[:start] + "\uf8fe" * (end - start) + masked[end:]
    return sorted(spans)


def find_private(text: str, *, names=()) -> list[Finding]:
    """What in TEXT would identify a resident, in the order it appears."""
    if not text:
        return []
    spans = _scan(text, names)
    return [Finding(kind, text[start:end]) for start, end, kind in spans]


def strip_private(text: str, *, names=()) -> tuple[str, list[Finding]]:
    """TEXT without what would identify a resident (a name becomes 群众, the rest goes), tidied;
    and what was taken out."""
    if not text:
        return text or "", []
    spans = _scan(text, names)
    if not spans:
        return text, []
    parts, last = [], 0
    for start, end, kind in spans:
        parts.append(text[last:start])
        if kind == "name":
            parts.append(NAME_STANDS_FOR)
        last = end
    parts.append(text[last:])
    return _tidy("".join(parts)), [Finding(kind, text[start:end]) for start, end, kind in spans]


def _tidy(text: str) -> str:
    text = re.sub(r"[（(]\s*[)）]", "", text)
    text = re.sub(r"(?:联系)?(?:电话|手机|号码|身份证号?|银行卡号?)?[:：]?\s*(?=[，,。；;]|$)", "", text)
    text = re.sub(r"([，,。；;、])\s*(?:[，,。；;、]\s*)+", r"\1", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" ，,；;、：:")


def check_public_text(text: str, *, names=()) -> None:
    """Refuse TEXT for a public page when it carries something private, saying what to take out."""
    findings = find_private(text, names=names)
    if findings:
        raise ValidationError(
            _("这段文字会在村公开栏公开，请删去其中的%(what)s。") % {"what": "、".join(str(f) for f in findings)},
            code="private",
        )


# -- The names a case's public text must not carry -----------------------------------------------

# A check reads at most this many names of one village's residents: one bounded query per save.
VILLAGE_NAMES_LIMIT = 5000
# Another resident's name counts when it reads as a person's name (a surname and one to three
# characters): ledgers write "村民", "群众" or "多户" in the resident's column, words no summary could avoid.
PERSONAL_NAME = re.compile(rf"{_SURNAME}[{_CJK}]{{1,3}}")
# Where the village's names are kept for the rest of a request or an import (on the Village object
# when the case holds it, shared by every case of that village; otherwise on the case).
_MEMO = "_privacy_residents"


def residents_of(village_id: int) -> frozenset[str]:
    """The names of the residents of village VILLAGE_ID who raised a case: one bounded query.
    Other villages' residents are not looked for: nobody reading this village's board knows them by
    name, and the whole town's names would refuse ordinary words far more often."""
    from cases.models import Case  # cases.models imports this module

    rows = (
        Case.objects.filter(village_id=village_id)
        .exclude(resident_name="")
        .order_by()
        .values_list("resident_name", flat=True)
        .distinct()[:VILLAGE_NAMES_LIMIT]
    )
    return frozenset(name.strip() for name in rows if PERSONAL_NAME.fullmatch(name.strip()))


def public_names(case, *extra: str) -> Names:
    """The names CASE's public text must not carry: its resident's (and EXTRA, e.g. the name being
    typed on a form), and every other resident of its village. Run on saving only (a query the first
    time per village and request); a case without a village has only its own."""
    own = {n.strip() for n in (case.resident_name, *extra) if n and n.strip()}
    if not case.village_id:
        return Names(own)
    holder = case.village if type(case).village.is_cached(case) else case
    memo = holder.__dict__.get(_MEMO)
    if memo is None or memo[0] != case.village_id:
        residents = residents_of(case.village_id)
        memo = (case.village_id, residents, Names(residents), {})
        holder.__dict__[_MEMO] = memo
    _village, residents, names, latest = memo
    if own <= residents:
        return names
    # A new resident: their case's texts are checked one after another (registering, closing…).
    own = frozenset(own)
    if own not in latest:
        latest.clear()
        latest[own] = names.plus(own)
    return latest[own]


def private_text_errors(texts: dict[str, str], names) -> dict[str, ValidationError]:
    """{field: the refusal} for each of TEXTS (field → text bound for a public page) that carries
    something private; {} when all may be posted. The message lists what was found; nothing is logged."""
    errors = {}
    for field, text in texts.items():
        try:
            check_public_text(text, names=names)
        except ValidationError as error:
            errors[field] = error
    return errors


def check_case_text(case, field: str, text: str) -> None:
    """Refuse TEXT, bound for a public page as CASE's FIELD, when it carries something private."""
    if text and (errors := private_text_errors({field: text}, public_names(case))):
        raise ValidationError(errors)


# Words that make a case's detail sensitive whatever its category (PIPL: financial hardship, health,
# minimum-living allowance, disability, minors, disputes).
SENSITIVE_WORDS = (
    "低保 五保 特困 困难户 贫困户 生活困难 家庭困难 救助 残疾 残障 患病 疾病 病重 重病 癌 精神病 就医 看病 住院 "
    "未成年 孤儿 留守儿童 纠纷 离婚 家暴 吸毒 戒毒 刑满"
).split()


SENSITIVE_WORD = re.compile("|".join(SENSITIVE_WORDS))


def sensitive_reason(category, subcategory, *texts: str) -> str:
    """Why a case's detail must not be posted by default, or "" when it may: a category flagged
    sensitive, or a sensitive word in its text."""
    for named in (subcategory, category):
        if named is not None and named.sensitive:
            return _("“%(name)s”属于敏感类别") % {"name": named.label}
    for text in texts:
        if text and (word := SENSITIVE_WORD.search(text)):
            return _("内容涉及“%(word)s”") % {"word": word.group()}
    return ""
