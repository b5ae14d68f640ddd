"""Forms of an account's two-factor login: a code from the phone app, or a recovery code."""

import re
import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _


class OTPCodeForm(forms.Form):
    """The second step of a login: a code from the phone app, or one of the recovery codes."""

    token = forms.CharField(
        label=_("动态口令或恢复码"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "size": "12"}),
    )
    pattern = re.compile(r"^(\d{6}|[a-z2-7]{8})$")
    message = _("请输入手机上显示的6位动态口令，或一个8位恢复码。")

    def clean_token(self) -> str:
        value = "".join(unicodedata.normalize("NFKC", self.cleaned_data["token"]).split()).lower()
        if not self.pattern.match(value):
            raise forms.ValidationError(self.message, code="format")
        return value


class OTPSetupForm(OTPCodeForm):
    """Confirming a new phone app: only its six-digit code will do."""

    pattern = re.compile(r"^\d{6}$")
    message = _("请输入手机应用上显示的6位数字动态口令。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].label = _("6位动态口令")
        self.fields["token"].widget.attrs.update(inputmode="numeric", autofocus=False)


class OTPCurrentForm(OTPCodeForm):
    """Before disabling two-factor login, replacing its phone or making new recovery codes: the
    code the phone shows now, or an unused recovery code (the phone lost)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].label = _("当前动态口令或恢复码")
        self.fields["token"].widget.attrs.update(autofocus=False)
