"""A case's history as the reader reads it: the lines the system writes are stored as a code and
its values (CaseEvent.data), and rendered here, at reading time, in the reader's language.

CaseEvent.text holds only what a person typed (a result, a reason, a note); the values of DATA are
codes (a choice's value, an ISO date) or names and words kept as they were given. A row written
before codes existed has no DATA and reads as its stored text.

Separators are translatable strings themselves: Chinese joins with full-width "；：，", English
with "; ", ": ", ", " — a line never mixes the two.
"""

from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from sanhe.prose import joined, listed

Renderer = Callable[[dict, str], str]
RENDERERS: dict[str, Renderer] = {}

NOTHING = "—"


def renders(code: str) -> Callable[[Renderer], Renderer]:
    def register(renderer: Renderer) -> Renderer:
        RENDERERS[code] = renderer
        return renderer

    return register


def render_event(event) -> str:
    """EVENT's line in the current language; a row without a code (or with one no longer known)
    reads as its stored text."""
    return render(event.data, event.text)


def render(data: dict | None, text: str = "") -> str:
    renderer = RENDERERS.get((data or {}).get("code"))
    if renderer is None:
        return text or ""
    return renderer(data, text or "")


# -- Pieces ------------------------------------------------------------------------------------


def shown(value) -> str:
    """A stored value as a line shows it: nothing is a dash, a yes/no in words."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    return str(value)


def choice(choices, value) -> str:
    """The label of VALUE among CHOICES (a TextChoices), in the current language; an unknown
    value (a choice since removed) as it is."""
    if value in (None, ""):
        return NOTHING
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _case():
    from cases.models import Case  # cases.models reads its history through this module

    return Case


def _feedback():
    from cases.models import Feedback

    return Feedback


# -- What the data of each code is (the workflow writes them) -----------------------------------


def raw(value):
    """A value as DATA keeps it: dates in ISO, related objects by their name, the rest as it is."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):  # a choice's value too, as plain text
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def helper_data(helper) -> dict:
    return {"helper": helper.name, "helper_kind": helper.kind}


def posting_reason(case) -> dict:
    """Why posting CASE's detail was a decision on purpose (cases/privacy.py sensitive_reason), as
    values: the sensitive category's name or the sensitive word."""
    from cases.privacy import SENSITIVE_WORD

    for named in (case.subcategory if case.subcategory_id else None, case.category if case.category_id else None):
        if named is not None and named.sensitive:
            return {"category": named.label}
    for text in (case.title, case.description):
        if text and (word := SENSITIVE_WORD.search(text)):
            return {"word": word.group()}
    return {}


# -- The renderers -------------------------------------------------------------------------------


@renders("progress")
def _progress(data: dict, text: str) -> str:
    return text


@renders("registered")
def _registered(data: dict, text: str) -> str:
    line = _("%(channel)s收集") % {"channel": choice(_case().Channel, data.get("channel"))}
    return joined([line, text])


@renders("registered_admin")
def _registered_admin(data: dict, text: str) -> str:
    return joined([_("在管理后台登记。"), text])


@renders("triaged")
def _triaged(data: dict, text: str) -> str:
    parts = [_("处理决定：%(decision)s") % {"decision": choice(_case().Decision, data.get("decision"))}]
    if data.get("responsible"):
        parts.append(_("责任人：%(name)s") % {"name": data["responsible"]})
    if data.get("due_on"):
        parts.append(_("办理期限：%(date)s") % {"date": data["due_on"]})
    if data.get("planned_on"):
        parts.append(_("计划完成日期：%(date)s") % {"date": data["planned_on"]})
    if data.get("department"):
        parts.append(_("解释部门：%(dept)s") % {"dept": data["department"]})
    return joined([*parts, text])


@renders("closed")
def _closed(data: dict, text: str) -> str:
    return _("%(closure)s：%(result)s") % {"closure": choice(_case().Closure, data.get("closure")), "result": text}


@renders("reopened")
def _reopened(data: dict, text: str) -> str:
    return _("重新办理：%(reason)s") % {"reason": text}


def _helper(data: dict) -> str:
    from teams.models import Helper

    kind = choice(Helper.Kind, data.get("helper_kind")) if data.get("helper_kind") else ""
    name = data.get("helper") or ""
    return pgettext("helper kind and name", "%(kind)s %(name)s") % {"kind": kind, "name": name} if kind else name


@renders("voided")
def _voided(data: dict, text: str) -> str:
    return _("作废：%(reason)s") % {"reason": text}


@renders("referred")
def _referred(data: dict, text: str) -> str:
    return _("请%(helper)s协助：%(request)s") % {"helper": _helper(data), "request": text}


@renders("replied")
def _replied(data: dict, text: str) -> str:
    return _("%(helper)s答复：%(reply)s") % {"helper": _helper(data), "reply": text}


@renders("feedback")
def _feedback_line(data: dict, text: str) -> str:
    Feedback = _feedback()
    line = _("%(channel)s反馈") % {"channel": choice(Feedback.Channel, data.get("channel"))}
    if data.get("given_by"):
        line += _("（%(name)s）") % {"name": data["given_by"]}
    if data.get("satisfaction"):
        line += _("，%(s)s") % {"s": choice(Feedback.Satisfaction, data["satisfaction"])}
    if text:
        line += _("：%(notes)s") % {"notes": text}
    return line


@renders("assigned")
def _assigned(data: dict, text: str) -> str:
    return _("责任人：%(old)s → %(new)s") % {"old": shown(data.get("old")), "new": shown(data.get("new"))}


@renders("due_date")
def _due_date(data: dict, text: str) -> str:
    return _("办理期限：%(old)s → %(new)s") % {"old": shown(data.get("old")), "new": shown(data.get("new"))}


def _field_value(name: str, value) -> str:
    Case = _case()
    labels = {"kind": Case.Kind, "channel": Case.Channel}
    if name in labels:
        return choice(labels[name], value)
    return shown(value)


def _change(change: dict) -> str:
    name = change.get("field", "")
    try:
        label = _case()._meta.get_field(name).verbose_name
    except FieldDoesNotExist:  # a field since removed: its name
        label = name
    if "old" not in change and "new" not in change:
        return _("%(field)s已修改") % {"field": label}
    return _("%(field)s：%(old)s → %(new)s") % {
        "field": label,
        "old": _field_value(name, change.get("old")),
        "new": _field_value(name, change.get("new")),
    }


def _posting(reason: dict) -> str:
    if "category" in reason:
        why = _("“%(name)s”属于敏感类别") % {"name": reason["category"]}
    elif "word" in reason:
        why = _("内容涉及“%(word)s”") % {"word": reason["word"]}
    else:
        why = NOTHING
    return _("决定公示涉及敏感个人信息的问题内容（%(reason)s）") % {"reason": why}


@renders("edited")
def _edited(data: dict, text: str) -> str:
    parts = [_change(change) for change in data.get("changes", [])]
    if "posting" in data:
        parts.append(_posting(data["posting"]))
    return joined([*parts, text])


# -- Lines of imports and of the admin site -------------------------------------------------------


def _where(data: dict) -> str:
    if data.get("sheet"):
        return _("工作表“%(sheet)s”第 %(row)d 行") % {"sheet": data["sheet"], "row": data.get("row", 0)}
    return _("第 %(row)d 行") % {"row": data.get("row", 0)}


@renders("ledger_import")
def _ledger_import(data: dict, text: str) -> str:
    line = _("台账记载的反映日期：%(raised)s。从“%(file)s”%(where)s导入，导入人：%(user)s，导入日期：%(today)s。") % {
        "raised": shown(data.get("raised")),
        "file": data.get("file") or _("Excel台账"),
        "where": _where(data),
        "user": data.get("user") or _("系统"),
        "today": shown(data.get("today")),
    }
    return joined([line, text])


@renders("ledger_progress")
def _ledger_progress(data: dict, text: str) -> str:
    return joined([_("台账导入：处理决定按台账的办结方式补记。"), text])


@renders("file_import")
def _file_import(data: dict, text: str) -> str:
    file = data.get("file")
    if data.get("updated"):
        line = _("从台账文件“%(file)s”导入更新。") % {"file": file} if file else _("从台账文件导入更新。")
    else:
        line = _("从台账文件“%(file)s”导入。") % {"file": file} if file else _("从台账文件导入。")
    return joined([line, text])


@renders("admin_edit")
def _admin_edit(data: dict, text: str) -> str:
    labels = []
    for name in data.get("fields", []):
        try:
            labels.append(_case()._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            labels.append(name)
    return joined([_("在管理后台修改：%(fields)s。") % {"fields": listed(labels)}, text])


# -- Photos (cases/photos.py) ------------------------------------------------------------------------


@renders("photo_added")
def _photo_added(data: dict, text: str) -> str:
    count = data.get("count") or len(data.get("keys", []))
    return joined([ngettext("上传照片 %(n)s 张", "上传照片 %(n)s 张", count) % {"n": count}, text])


@renders("photo_public")
def _photo_public(data: dict, text: str) -> str:
    return joined([_("照片设为公示"), text])


@renders("photo_private")
def _photo_private(data: dict, text: str) -> str:
    return joined([_("照片取消公示"), text])


@renders("photo_deleted")
def _photo_deleted(data: dict, text: str) -> str:
    return joined([_("删除照片"), text])


# -- 12345 hotline work orders (cases/hotline.py) ---------------------------------------------------


def _minutes(value) -> str:
    """A stored time (ISO, local) as a line shows it: 2026-11-30 09:15."""
    return shown(value).replace("T", " ")[:16] if value else NOTHING


@renders("hotline_imported")
def _hotline_imported(data: dict, text: str) -> str:
    line = _("12345热线工单 %(number)s，来电时间 %(received)s，签收时限 %(sign_by)s。") % {
        "number": shown(data.get("number")),
        "received": _minutes(data.get("received_at")),
        "sign_by": _minutes(data.get("sign_by")),
    }
    if data.get("handler"):
        line += _("承办单位：%(handler)s。") % {"handler": data["handler"]}
    line += _("从“%(file)s”%(where)s导入，导入人：%(user)s，导入日期：%(today)s。") % {
        "file": data.get("file") or _("工单文件"),
        "where": _where(data),
        "user": data.get("user") or _("系统"),
        "today": shown(data.get("today")),
    }
    return joined([line, text])


@renders("hotline_signed")
def _hotline_signed(data: dict, text: str) -> str:
    line = _("签收12345热线工单 %(number)s") % {"number": shown(data.get("number"))}
    if data.get("late_since"):
        line += _("（已超过签收时限 %(at)s）") % {"at": _minutes(data["late_since"])}
    return joined([line, text])
