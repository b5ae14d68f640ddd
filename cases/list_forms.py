"""Forms of the case list: the page number, and the bulk actions on the ticked rows."""

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from cases.forms import cadres, limit_to_town
from cases.models import Case
from teams.roster import RosterSelect

MAX_PAGE = 100_000


class PageForm(forms.Form):
    page = forms.IntegerField(
        label=_("页码"),
        required=False,
        min_value=1,
        max_value=MAX_PAGE,
        error_messages={
            "invalid": _("页码应为正整数，已显示第一页。"),
            "min_value": _("页码应为正整数，已显示第一页。"),
            "max_value": _("页码应为正整数，已显示第一页。"),
        },
    )

    def number(self) -> int:
        return (self.cleaned_data.get("page") or 1) if self.is_valid() else 1


class SelectedCasesField(forms.Field):
    """The ticked rows: each "NUMBER:VERSION", the version the list showed (refused if it moved on)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> dict[str, int]:
        picked: dict[str, int] = {}
        for token in value or []:
            number, sep, version = str(token).rpartition(":")
            if not sep or not number or len(number) > 20 or not version.isascii() or not version.isdigit():
                raise forms.ValidationError(_("勾选的问题无效，请刷新列表后重试。"), code="invalid")
            picked[number] = int(version)
        return picked


class BulkForm(forms.Form):
    """Assign a responsible person or set a due date for every ticked case at once."""

    ASSIGN, DUE = "assign", "due"
    ACTIONS = ((ASSIGN, _("指定责任人")), (DUE, _("设定办理期限")))

    case = SelectedCasesField(
        label=_("勾选的问题"),
        error_messages={"required": _("请先勾选要处理的问题。")},
    )
    action = forms.ChoiceField(label=_("批量操作"), choices=ACTIONS)
    responsible = forms.ModelChoiceField(
        label=_("责任人"),
        queryset=cadres(),  # cadres and office staff: not the administrator nor the supervisor
        required=False,
        empty_label=_("请选择"),
        widget=RosterSelect("cases.bulk.responsible"),  # its options cached per roster version
    )
    due_on = forms.DateField(
        label=_("办理期限"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    # The list's query string, to come back to the same filtered page.
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, cases: QuerySet, town=None, **kwargs):
        kwargs.setdefault("auto_id", "bulk_%s")  # the filter form above has a "responsible" too
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.cases = cases
        if town is not None:  # a town's office names its own people only
            limit_to_town(self, town)
        self.fields["responsible"].label_from_instance = lambda c: f"{c.name}（{c.team.name}）" if c.team else c.name

    def clean_case(self) -> list[tuple[Case, int]]:
        picked = self.cleaned_data["case"]
        limit = settings.LIST_PAGE_SIZE
        if len(picked) > limit:
            raise forms.ValidationError(_("一次最多处理 %(limit)d 件问题。") % {"limit": limit})
        found = {c.number: c for c in self.cases.filter(number__in=list(picked)).order_by("number")}
        missing = [n for n in picked if n not in found]
        if missing:
            raise forms.ValidationError(
                _("这些编号不存在或无权处理：%(numbers)s。") % {"numbers": "、".join(missing[:10])}
            )
        return [(found[number], picked[number]) for number in sorted(picked)]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.ASSIGN and not data.get("responsible"):
            self.add_error("responsible", _("请选择责任人。"))
        if action == self.DUE and not data.get("due_on"):
            self.add_error("due_on", _("请填写办理期限。"))
        return data

    def list_query(self) -> QueryDict:
        """The list's filters the bulk form came from (re-encoded: nothing but a query string)."""
        raw = self.data.get("query", "")[:2000]
        return QueryDict(raw)

    def selected_numbers(self) -> set[str]:
        """What was ticked, to tick it again when the page comes back with an error."""
        return {str(token).rpartition(":")[0] for token in self.data.getlist("case")}
