from django import forms
from django.utils.translation import gettext_lazy as _


class PeriodForm(forms.Form):
    """An optional date range: cases raised from START to END, both inclusive."""

    start = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data

    def period(self) -> dict:
        return {"start": self.cleaned_data.get("start"), "end": self.cleaned_data.get("end")}

    def period_json(self) -> dict:
        return {k: v.isoformat() if v else None for k, v in self.period().items()}
