"""The office's look-up of one resident (cases/views/residents.py): by phone, or by name and village."""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.pipl import phone_digits
from villages.models import Village


class ResidentLookupForm(forms.Form):
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    village = forms.ModelChoiceField(
        label=_("村（社区）"),
        queryset=Village.objects.by_code(),
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": _("请从列表中选择村（社区）。")},
    )

    def __init__(self, *args, towns=None, **kwargs):
        """TOWNS: the towns whose villages may be chosen (the user's; all when not given)."""
        super().__init__(*args, **kwargs)
        self.fields["phone"].widget.input_type = "tel"
        if towns is not None:
            self.fields["village"].queryset = Village.objects.by_code().filter(town__in=towns)

    def clean_phone(self) -> str:
        phone = unicodedata.normalize("NFKC", self.cleaned_data["phone"]).strip()
        if phone and not (7 <= len(phone_digits(phone)) <= 15 and set(phone) <= set("0123456789 -+")):
            raise ValidationError(_("请填写完整的电话号码（7至15位数字，可带空格和“-”），如 13912345678。"))
        return phone

    def clean_name(self) -> str:
        return unicodedata.normalize("NFKC", self.cleaned_data["name"]).strip()

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("phone") and not (data.get("name") and data.get("village")):
            raise ValidationError(_("请填写电话号码，或者同时填写姓名和村（社区）。"))
        return data

    def lookup(self) -> dict:
        """The arguments of cases.pipl.resident_cases: the phone when given, else name and village."""
        data = self.cleaned_data
        if data["phone"]:
            return {"phone": data["phone"]}
        return {"name": data["name"], "village": data["village"]}
