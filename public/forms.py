from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from public import tracking

OPEN = "open"
UNCLASSIFIED = "none"


class BoardFilterForm(forms.Form):
    """The notice board's filters (a GET form): status, category, page. Validated without the
    database, so the cleaned values can key the page's cache; an unknown category shows nothing."""

    status = forms.ChoiceField(
        label=_("办理状态"), required=False, choices=[("", _("全部")), (OPEN, _("未办结")), *Case.Status.choices]
    )
    category = forms.RegexField(label=_("问题类别"), required=False, regex=r"^(\d{1,9}|none)$")
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)

    def filters(self) -> dict:
        """The valid filters, each bad one replaced by its default (the page says so)."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in ("status", "category", "page")}
        return {"status": data["status"] or "", "category": data["category"] or "", "page": data["page"] or 1}


class TrackForm(forms.Form):
    number = forms.CharField(
        label=_("问题编号"),
        max_length=40,
        help_text=_("登记回执上的编号，如 SH-2015-0001。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    # Named last4 from before track codes existed (bookmarks and the browser tests use it); it
    # takes either the phone's last four digits or the slip's track code.
    last4 = forms.CharField(
        label=_("手机号后四位或查询码"),
        max_length=20,
        help_text=_("登记时所留电话号码的最后四位数字；没有留电话的，填登记回执上的8位查询码（不分大小写）。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "size": "10"}
        ),
    )

    def clean_number(self) -> str:
        number = tracking.normalize_number(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(_("编号的写法应像 SH-2015-0001，请对照回执填写。"))
        return number

    def clean_last4(self) -> tracking.Answer:
        answer = tracking.normalize_answer(self.cleaned_data["last4"])
        if answer is None:
            raise forms.ValidationError(_("请填写电话号码的最后4位数字，或登记回执上的8位查询码。"))
        return answer
