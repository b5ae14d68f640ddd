"""How offices write a ledger 台账: the names of its columns, the words of its cells, and how a
cell is read (text, dates in every way offices write them, the row's stable key, a public summary)."""

import datetime
import functools
import hashlib
import re
import unicodedata

from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from cases.models import Case
from cases.names import fold as fold_name
from cases.privacy import Finding, strip_private
from villages.models import Village

MAX_HEADER_SCAN = 20  # title rows above the header: how far down to look for it
TITLE_MAX = Case._meta.get_field("title").max_length
LEDGER_NUMBER_MAX = Case._meta.get_field("ledger_number").max_length


# The columns we read, each with the headers offices write for it (compared through fold_name).
COLUMNS: dict[str, list[str]] = {
    "seq": "序号 序".split(),
    "ledger_number": "编号 台账编号 问题编号 登记编号 案件编号 工单编号 台账号".split(),
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
HEADER_LOOKUP = {fold_name(name): column for column, names in COLUMNS.items() for name in names}
REQUIRED = ("village", "raised_on", "content")


def column_labels() -> dict[str, str]:
    """How each column is named in reports (translated at call time)."""
    return {
        "seq": _("序号"),
        "ledger_number": _("台账编号"),
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
    Case.Channel.HOTLINE: "12345 12345热线 政务服务热线 热线工单".split(),
    Case.Channel.ONLINE: "网上 网上提交 网络 网站".split(),
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
    return {fold_name(word): value for value, words in table.items() for word in words}


CHANNEL_LOOKUP = _word_lookup(CHANNELS)
KIND_LOOKUP = _word_lookup(KINDS)
CLOSED_LOOKUP = _word_lookup(CLOSED_WORDS)

DATE_RE = re.compile(r"(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
PHONE_RE = re.compile(r"[\d\-\s()+/、,，转]{5,30}")
NO_PHONE = {"无", "没有", "不详", "/", "-", "—", "——"}


# Reading cells.


def cell_text(value) -> str:
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


def narrow(text: str) -> str:
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
        value = cell_text(value)
    return _parse_date_text(str(value))


@functools.lru_cache(maxsize=4096)  # a ledger writes the same few hundred days thousands of times
def _parse_date_text(value: str) -> datetime.date:
    text = narrow(value)
    match = DATE_RE.fullmatch(text) or COMPACT_DATE_RE.fullmatch(text)
    if not match:
        raise ValueError(_("日期“%(text)s”无法识别（可写作 2015年1月8日、2015.1.8 或 2015-01-08）") % {"text": value})
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(_("日期“%(text)s”不存在") % {"text": value}) from None


def row_keys(
    village: Village, raised_on: datetime.date, resident: str, content: str, phone: str = "", ledger_number: str = ""
) -> tuple[str, str]:
    """The stable identity of a ledger row, and the one rows had before the phone was part of it.

    With a ledger number, the number alone: a row whose number was imported is that case, whatever
    else was corrected since (and there is no key of old). Without one, the village, date, content,
    resident's name and phone together: two residents who raised the same thing on the same day are
    two cases. Cases imported under the key of old keep it: such a case is the row's only when its
    phone is the row's too (ledger_read._mark_repeats)."""
    if ledger_number:
        return _digest(["number", fold_name(ledger_number)]), ""
    same = [village.code, raised_on.isoformat(), fold_name(resident), fold_name(content)]
    return _digest([*same, phone_digits(phone)]), _digest(same)


def row_key(village, raised_on, resident, content, phone="", ledger_number="") -> str:
    return row_keys(village, raised_on, resident, content, phone, ledger_number)[0]


def legacy_row_key(village, raised_on, resident, content) -> str:
    return row_keys(village, raised_on, resident, content)[1]


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def phone_digits(phone: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", phone or "") if ch.isdigit())


def public_title(content: str, names) -> tuple[str, list[Finding]]:
    """A notice-board summary made from the content without anything that identifies a resident
    (cases/privacy.py), cut to the summary's length; and what was taken out."""
    title, removed = strip_private(content, names=names)
    title = re.sub(r"\s+", " ", title).strip(" ，,。")
    return (title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"), removed
