"""The forms of one case's page: each validates and converts one action's input; the rules
themselves live in cases/workflow.py.

Every form carries the hidden `version` of the case it was loaded with. The actions that change
the record (triage, close, reopen, responsible, due date, edit) refuse a stale version; the ones
that only add a line (progress, referral, reply, feedback) overwrite nothing and accept it.
"""

import datetime
import re

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.deadlines import due_date
from cases.models import Case, Category, Feedback, Referral, SubCategory
from cases.privacy import check_public_text, public_names
from teams.models import Cadre, Helper
from teams.roles import CADRE, OFFICE, SUPERVISOR
from teams.roster import RosterSelect

TEXT_MAX = 2000
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{4,28}[0-9]$")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def date_field(label, *, required: bool = True, future: bool = False) -> forms.DateField:
    """A date: not before the programme started and, unless FUTURE, not after today."""
    validators = [not_before_programme] if future else [not_before_programme, not_in_future]
    return forms.DateField(label=label, required=required, widget=DateInput(), validators=validators)


def not_before_programme(value: datetime.date) -> None:
    if value < settings.PROGRAMME_START:
        raise ValidationError(
            _("日期早于直联活动开始（%(start)s），请检查是否写错。"), params={"start": settings.PROGRAMME_START}
        )
    if value.year > 2100:
        raise ValidationError(_("日期不正确。"))


def not_in_future(value: datetime.date) -> None:
    if value > timezone.localdate():
        raise ValidationError(_("日期不能晚于今天。"))


def text_field(label, *, required: bool = True, max_length: int = TEXT_MAX, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": max_length}),
        error_messages={"required": _("请填写%(label)s。") % {"label": label}},
    )


class CadreChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Cadre) -> str:
        return f"{obj.name}（{obj.team.name}）" if obj.team_id else f"{obj.name}（{obj.position or _('镇干部')}）"


def cadres() -> QuerySet[Cadre]:
    """The people who can carry a case or tell a resident: team cadres and town staff without a
    login, and those whose login is a cadre's or office's (teams/roles.py, role_of: office outranks
    supervisor, supervisor outranks cadre). The administrator's and the supervisor's rows are left
    out: they oversee the work, they do not do it. The selects showing this are cached per roster
    version, which a change of role (groups) bumps (teams/roster.py)."""
    in_group = get_user_model().groups.through.objects.filter(user_id=OuterRef("user_id"))
    office = Exists(in_group.filter(group__name=OFFICE))
    cadre = Exists(in_group.filter(group__name=CADRE)) & ~Exists(in_group.filter(group__name=SUPERVISOR))
    staff = Q(user__is_superuser=False) & (Q(office) | Q(cadre))
    return Cadre.objects.filter(Q(user__isnull=True) | staff).select_related("team")


class CaseForm(forms.Form):
    """Base: the case the form acts on, and the hidden version it was loaded with."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        max_value=2**31 - 1,
        error_messages={
            "required": _("页面缺少版本信息，请刷新页面后重试。"),
            "invalid": _("页面版本信息有误，请刷新页面后重试。"),
            "min_value": _("页面版本信息有误，请刷新页面后重试。"),
            "max_value": _("页面版本信息有误，请刷新页面后重试。"),
        },
    )

    def __init__(self, *args, case: Case, **kwargs):
        self.case = case
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", case.version)
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if case.town_id is not None:
            limit_to_town(self, case.town)

    def check_after_raised(self, name: str, label) -> None:
        value = self.cleaned_data.get(name)
        if value and value < self.case.raised_on:
            self.add_error(
                name, _("%(label)s不能早于反映日期（%(date)s）。") % {"label": label, "date": self.case.raised_on}
            )

    def arguments(self) -> dict:
        """The keyword arguments of the workflow function (without case, by, version)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}

    def refuse_private(self, name: str, *names: str) -> None:
        """FIELD is shown on the public notice board: refuse what identifies a resident — the case's
        own, NAMES, and the other residents of its village (cases/privacy.py)."""
        text = self.cleaned_data.get(name)
        if not text:
            return
        try:
            check_public_text(text, names=public_names(self.case, *names))
        except ValidationError as error:
            self.add_error(name, error)


# What each kind of choice narrows to in one town: a case's people and categories are its town's.
TOWN_CHOICES = {
    Cadre: lambda queryset, town: queryset.filter(town=town),
    Category: lambda queryset, town: queryset.filter(Q(town__isnull=True) | Q(town=town)),
}


def limit_to_town(form: forms.Form, town) -> None:
    """FORM's choices of people and categories, TOWN's only (a forged choice of another town's is
    a form error like any unknown one); the cached selects keep the town's options apart."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        narrow = TOWN_CHOICES.get(getattr(queryset, "model", None))
        if narrow is None:
            continue
        field.queryset = narrow(queryset, town)
        if isinstance(field.widget, RosterSelect) and "@" not in field.widget.roster_name:
            field.widget.roster_name = f"{field.widget.roster_name}@{town.code}"


def default_due(case: Case) -> tuple[datetime.date, bool]:
    return due_date(timezone.localdate(), case.kind)


class TriageForm(CaseForm):
    decision = forms.ChoiceField(
        label=_("处理决定"),
        choices=Case.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择处理决定。"), "invalid_choice": _("请选择处理决定。")},
    )
    responsible = CadreChoiceField(
        label=_("责任人"),
        queryset=cadres(),
        required=False,
        widget=RosterSelect("cases.triage.responsible"),  # 76 cadres: rendered once per roster version
        error_messages={"invalid_choice": _("请从名单中选择责任人。")},
    )
    due_on = date_field(_("办理期限"), required=False, future=True)
    plan = text_field(_("实施方案"), required=False)
    planned_on = date_field(_("计划完成日期"), required=False, future=True)
    policy_basis = text_field(_("政策依据"), required=False)
    explaining_department = forms.CharField(label=_("解释部门"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        due, fallback = default_due(self.case)
        self.fields["due_on"].initial = due
        self.default_due, self.due_fallback = due, fallback
        limit = settings.CASE_WORKING_DAY_LIMITS.get(self.case.kind)
        self.fields["due_on"].help_text = _(
            "默认按“%(kind)s”类诉求%(days)s个工作日计算（法定节假日和调休已计入）。"
        ) % {
            "kind": self.case.get_kind_display(),
            "days": limit,
        }
        if fallback:
            self.fields["due_on"].help_text += str(
                _("%(year)s年的节假日安排尚未公布，暂按周一至周五计算，请核对。") % {"year": due.year}
            )
        # Changing an earlier decision starts from it.
        case = self.case
        for name in ("decision", "plan", "planned_on", "policy_basis", "explaining_department", "due_on"):
            if getattr(case, name):
                self.fields[name].initial = getattr(case, name)
        if case.responsible_id:
            self.fields["responsible"].initial = case.responsible_id

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        D = Case.Decision
        if decision == D.HANDLE_NOW and not data.get("responsible") and "responsible" not in self.errors:
            self.add_error("responsible", _("即时办理须指定责任人。"))
        if decision == D.PLAN:
            if not data.get("plan", "").strip() and "plan" not in self.errors:
                self.add_error("plan", _("请填写实施方案。"))
            if not data.get("planned_on") and "planned_on" not in self.errors:
                self.add_error("planned_on", _("请填写计划完成日期。"))
        if decision == D.EXPLAIN:
            if not data.get("policy_basis", "").strip() and "policy_basis" not in self.errors:
                self.add_error("policy_basis", _("请填写政策依据。"))
            if not data.get("explaining_department", "").strip() and "explaining_department" not in self.errors:
                self.add_error("explaining_department", _("请填写负责解释的部门。"))
        self.check_after_raised("due_on", _("办理期限"))
        self.check_after_raised("planned_on", _("计划完成日期"))
        if decision == D.EXPLAIN:
            self.refuse_private("explaining_department")  # named in the history line the board shows
        return data


class ProgressForm(CaseForm):
    text = text_field(_("进展内容"))
    public = forms.TypedChoiceField(
        label=_("是否公示"),
        choices=[("0", _("内部记录（不公示）")), ("1", _("在村公开栏公示"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="0",
        error_messages={"required": _("请选择是否公示。"), "invalid_choice": _("请选择是否公示。")},
    )

    def clean(self):
        data = super().clean()
        if data.get("public"):
            self.refuse_private("text")
        return data


class HelperChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Helper) -> str:
        return f"{obj.get_kind_display()} {obj.name}" + (f"（{obj.organisation}）" if obj.organisation else "")


class ReferForm(CaseForm):
    helper = HelperChoiceField(
        label=_("辅助团队成员"),
        queryset=Helper.objects.filter(active=True),
        error_messages={"required": _("请选择辅助团队成员。"), "invalid_choice": _("请从名册中选择辅助团队成员。")},
    )
    request = text_field(_("请求协助的内容"))
    asked_on = date_field(_("请求日期"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asked_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        self.check_after_raised("asked_on", _("请求日期"))
        return data


class ReplyForm(CaseForm):
    referral = forms.ModelChoiceField(
        queryset=Referral.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"required": _("请选择协助请求。"), "invalid_choice": _("这项协助请求不存在或已答复。")},
    )
    reply = text_field(_("答复内容"))
    replied_on = date_field(_("答复日期"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = Referral.objects.filter(case=self.case, replied_on__isnull=True)
        self.fields["replied_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        referral, replied_on = data.get("referral"), data.get("replied_on")
        if referral and replied_on and replied_on < referral.asked_on:
            self.add_error("replied_on", _("答复日期不能早于请求日期（%(date)s）。") % {"date": referral.asked_on})
        return data


class CloseForm(CaseForm):
    closure = forms.ChoiceField(
        label=_("办结方式"),
        choices=[],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择办结方式。"), "invalid_choice": _("请选择办结方式。")},
    )
    result = text_field(_("办理结果"), rows=4)
    closed_on = date_field(_("办结日期"))
    # Closing is shown on the board at once and only reopening undoes it: a tick, not a script.
    confirm = forms.BooleanField(
        label=_("我已核对办理结果，确认办结"),
        error_messages={"required": _("请核对办理结果，勾选“我已核对办理结果，确认办结”后再提交。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        C = Case.Closure
        if self.case.status == Case.Status.REGISTERED:
            # Only a cadre's "solved on the spot" closes a case that was never triaged.
            self.fields["closure"].choices = [(C.ON_THE_SPOT, C.ON_THE_SPOT.label)]
            self.fields["closure"].initial = C.ON_THE_SPOT
        else:
            self.fields["closure"].choices = [(C.SOLVED, C.SOLVED.label), (C.EXPLAINED, C.EXPLAINED.label)]
            explained = self.case.decision == Case.Decision.EXPLAIN
            self.fields["closure"].initial = C.EXPLAINED if explained else C.SOLVED
        self.fields["result"].help_text = _("公示在村公开栏，不写姓名、电话、住址。")
        self.fields["result"].error_messages["required"] = _("办结须填写办理结果。")
        self.fields["closed_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        self.check_after_raised("closed_on", _("办结日期"))
        self.refuse_private("result")
        return data

    def arguments(self) -> dict:
        arguments = super().arguments()
        del arguments["confirm"]
        return arguments


class FeedbackForm(CaseForm):
    given_on = date_field(_("反馈日期"))
    channel = forms.ChoiceField(
        label=_("反馈方式"),
        choices=Feedback.Channel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择反馈方式。"), "invalid_choice": _("请选择反馈方式。")},
    )
    given_by = CadreChoiceField(
        label=_("反馈人"),
        queryset=cadres(),
        widget=RosterSelect("cases.feedback.given_by"),
        error_messages={"required": _("请选择反馈人。"), "invalid_choice": _("请从名单中选择反馈人。")},
    )
    satisfaction = forms.ChoiceField(
        label=_("满意度"),
        choices=[("", _("未了解")), *Feedback.Satisfaction.choices],
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("请选择满意度。")},
    )
    notes = text_field(_("备注"), required=False, rows=2)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = timezone.localdate()
        cadre = getattr(user, "cadre", None) if user is not None and user.is_authenticated else None
        if cadre is not None:
            self.fields["given_by"].initial = cadre.pk

    def clean(self):
        data = super().clean()
        given_on, closed_on = data.get("given_on"), self.case.closed_on
        if given_on and closed_on and given_on < closed_on:
            self.add_error("given_on", _("反馈日期不能早于办结日期（%(date)s）。") % {"date": closed_on})
        return data


class ReopenForm(CaseForm):
    reason = text_field(_("重新办理的原因"), max_length=500, rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = _("公示在村公开栏，不写姓名、电话、住址。")

    def clean(self):
        data = super().clean()
        self.refuse_private("reason")  # the board shows why a case was taken up again
        return data


class VoidForm(CaseForm):
    reason = text_field(_("作废原因"), max_length=500, rows=2)
    # Voiding takes the case out of every figure and board: a tick, as for closing.
    confirm = forms.BooleanField(
        label=_("我确认这个问题是误录的，作废后不再计入任何统计和公开栏"),
        error_messages={"required": _("请勾选确认后再作废。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = _("例如：重复登记（与某编号相同）、登记错了村。只在内部记录，不公示。")

    def arguments(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class AssignForm(CaseForm):
    responsible = CadreChoiceField(
        label=_("责任人"),
        queryset=cadres(),
        widget=RosterSelect("cases.assign.responsible"),
        error_messages={"required": _("请选择责任人。"), "invalid_choice": _("请从名单中选择责任人。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].initial = self.case.responsible_id


class DueDateForm(CaseForm):
    due_on = date_field(_("办理期限"), future=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        due, fallback = self.case.due_on, False
        if due is None:
            due, fallback = default_due(self.case)
        self.fields["due_on"].initial = due
        self.fields["due_on"].error_messages["required"] = _("请填写办理期限。")
        if fallback:
            self.fields["due_on"].help_text = _("%(year)s年的节假日安排尚未公布，暂按周一至周五计算，请核对。") % {
                "year": due.year
            }

    def clean(self):
        data = super().clean()
        self.check_after_raised("due_on", _("办理期限"))
        return data


class SubCategoryField(forms.ModelChoiceField):
    """Sub-categories grouped under their category (an <optgroup> each), so the pair can be picked
    without JavaScript; the form checks that the two agree."""

    def __init__(self, **kwargs):
        super().__init__(queryset=SubCategory.objects.select_related("category"), **kwargs)

    def grouped_choices(self):
        groups: dict[str, list] = {}
        for sub in self.queryset:
            groups.setdefault(sub.category.label, []).append((sub.pk, sub.label))
        return [("", "---------"), *groups.items()]


class EditForm(CaseForm):
    title = forms.CharField(
        label=_("公示摘要"),
        max_length=120,
        help_text=_("在村公开栏公示的简短说明，不写姓名、电话、住址。"),
        error_messages={"required": _("请填写公示摘要。")},
    )
    description = text_field(_("问题内容"), required=False, max_length=4000, rows=4)
    category = forms.ModelChoiceField(
        label=_("问题大类"),
        queryset=Category.objects.all(),
        required=False,
        error_messages={"invalid_choice": _("请从列表中选择问题大类。")},
    )
    subcategory = SubCategoryField(
        label=_("问题小类"), required=False, error_messages={"invalid_choice": _("请从列表中选择问题小类。")}
    )
    kind = forms.ChoiceField(
        label=_("诉求类型"), choices=Case.Kind.choices, error_messages={"invalid_choice": _("请选择诉求类型。")}
    )
    channel = forms.ChoiceField(
        label=_("收集渠道"), choices=Case.Channel.choices, error_messages={"invalid_choice": _("请选择收集渠道。")}
    )
    raised_on = date_field(_("反映日期"))
    resident_name = forms.CharField(label=_("反映人"), max_length=50, required=False)
    resident_phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    resident_address = forms.CharField(label=_("住址（自然村）"), max_length=200, required=False)
    public_posting = forms.BooleanField(
        label=_("可公示内容"),
        required=False,
        help_text=_("不勾选时公开栏只显示类别、状态和日期（如涉及家庭困难的低保申请）。"),
    )
    confirm_sensitive_posting = forms.BooleanField(
        label=_("确认公示"),
        required=False,
        help_text=_(
            "低保、困难、疾病、残疾、未成年人、纠纷等涉及敏感个人信息的问题默认不公示内容；确需公示时由党政办勾选。"
        ),
    )

    FIELDS = (
        "title",
        "description",
        "category",
        "subcategory",
        "kind",
        "channel",
        "raised_on",
        "resident_name",
        "resident_phone",
        "resident_address",
        "public_posting",
    )

    CONTACT_FIELDS = ("resident_phone", "resident_address")

    def __init__(self, *args, contact: bool = False, **kwargs):
        """CONTACT: the form carries the resident's phone and address — only once they are shown
        (each look is logged, cases/pipl.py); without them the record is edited and they stay."""
        case = kwargs["case"]
        initial = kwargs.setdefault("initial", {})
        for name in self.FIELDS:
            value = getattr(case, f"{name}_id" if name in ("category", "subcategory") else name)
            initial.setdefault(name, value)
        super().__init__(*args, **kwargs)
        self.fields["raised_on"].error_messages["required"] = _("请填写反映日期。")
        self.fields["subcategory"].choices = self.fields["subcategory"].grouped_choices()
        if contact:
            self.fields["resident_phone"].widget.input_type = "tel"
        else:
            for name in self.CONTACT_FIELDS:
                del self.fields[name]

    def clean_resident_phone(self) -> str:
        phone = self.cleaned_data["resident_phone"].strip()
        if phone and not PHONE_RE.match(phone):
            raise ValidationError(_("电话号码只能包含数字、空格和“-”，如 13912345678 或 0750-5524538。"))
        return phone

    def clean(self):
        data = super().clean()
        category, subcategory = data.get("category"), data.get("subcategory")
        if subcategory is not None and "category" not in self.errors:
            if category is None:
                data["category"] = category = subcategory.category
            elif subcategory.category_id != category.pk:
                self.add_error(
                    "subcategory",
                    _("“%(sub)s”不属于“%(cat)s”，请重新选择小类。") % {"sub": subcategory.label, "cat": category.label},
                )
        raised_on, closed_on = data.get("raised_on"), self.case.closed_on
        if raised_on and closed_on and raised_on > closed_on:
            self.add_error("raised_on", _("反映日期不能晚于办结日期（%(date)s）。") % {"date": closed_on})
        self.refuse_private("title", data.get("resident_name") or "")
        return data

    def arguments(self) -> dict:
        return {
            "changes": {name: self.cleaned_data[name] for name in self.FIELDS if name in self.fields},
            "confirm_sensitive_posting": self.cleaned_data.get("confirm_sensitive_posting", False),
        }
