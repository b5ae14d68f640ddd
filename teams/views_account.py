"""A user's own security page (two-factor login, recovery codes, API keys) and the login's second step.

The rules live in teams/otp.py; these views read the form and call it.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from sanhe.lib.qr import qr_svg
from teams import otp
from teams.forms import OTPCodeForm, OTPCurrentForm, OTPSetupForm
from teams.models import ApiToken
from teams.roles import role_of


def _security_context(request: HttpRequest, form: OTPSetupForm, current_form: OTPCurrentForm | None = None) -> dict:
    user = request.user
    pending = otp.unconfirmed_device(user)
    ctx = {
        "device": otp.confirmed_device(user),
        "pending": pending,
        "required": otp.required_for(user),
        "must_set_up": bool(request.session.get(otp.SETUP_REQUIRED)),
        "codes_left": otp.recovery_codes_left(user),
        "form": form,
        "current_form": current_form or OTPCurrentForm(),
    }
    if pending is not None:
        ctx |= {"qr": qr_svg(pending.config_url, module_px=4), "secret": otp.secret_text(pending)}
    return ctx


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Whether two-factor login is on, setting it up (QR code and key), the recovery codes."""
    ctx = _security_context(request, OTPSetupForm())
    ctx["new_codes"] = request.session.pop(otp.NEW_CODES, None)  # shown once
    return render(request, "teams/account_security.html", ctx)


def _current_code_refused(request: HttpRequest, action: str) -> HttpResponse | None:
    """The security page again (400) unless the POST carries a current code or an unused
    recovery code (otp.check_current); None when it does, or there is no device to protect."""
    if not otp.has_second_factor(request.user):
        return None
    form = OTPCurrentForm(request.POST)
    if form.is_valid() and otp.check_current(request, form.cleaned_data["token"], action):
        return None
    if form.is_valid():
        form.add_error("token", _("动态口令或恢复码不对，未作更改。恢复码每个只能用一次；输错后请稍等几秒再试。"))
    return render(request, "teams/account_security.html", _security_context(request, OTPSetupForm(), form), status=400)


@login_required
@require_POST
def otp_start(request: HttpRequest) -> HttpResponse:
    refused = _current_code_refused(request, _("更换手机"))
    if refused is not None:
        return refused
    otp.start_setup(request.user)
    return redirect("account_security")


@login_required
@require_POST
def otp_confirm(request: HttpRequest) -> HttpResponse:
    device = otp.unconfirmed_device(request.user)
    if device is None:
        messages.error(request, _("请先点击“设置双重验证”，再输入动态口令。"))
        return redirect("account_security")
    form = OTPSetupForm(request.POST)
    if form.is_valid() and otp.confirm_setup(request, device, form.cleaned_data["token"]):
        messages.success(request, _("双重验证已启用。请把下面的恢复码抄下或打印，妥善保管。"))
        return redirect("account_security")
    if form.is_valid():
        form.add_error("token", _("动态口令不对。请核对手机时间是否准确，输入当前显示的6位数字。"))
    ctx = _security_context(request, form)
    return render(request, "teams/account_security.html", ctx, status=400)


@login_required
@require_POST
def otp_recovery(request: HttpRequest) -> HttpResponse:
    if otp.confirmed_device(request.user) is None:
        messages.error(request, _("尚未启用双重验证，无需恢复码。"))
        return redirect("account_security")
    refused = _current_code_refused(request, _("重新生成恢复码"))
    if refused is not None:
        return refused
    otp.renew_recovery_codes(request)
    messages.success(request, _("已生成新的恢复码，旧的恢复码作废。"))
    return redirect("account_security")


@login_required
@require_POST
def otp_disable(request: HttpRequest) -> HttpResponse:
    if otp.required_for(request.user):
        raise PermissionDenied(_("您的岗位必须使用双重验证，不能停用。"))
    refused = _current_code_refused(request, _("停用双重验证"))
    if refused is not None:
        return refused
    otp.disable(request)
    messages.success(request, _("双重验证已停用。"))
    return redirect("account_security")


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The login's second step: the code from the phone, or a recovery code."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    if not otp.is_pending(request):
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid() and otp.verify(request, form.cleaned_data["token"]):
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        if otp.too_many_failures(request):
            logout(request)
            messages.error(request, _("动态口令错误次数过多，请重新登录。"))
            return redirect("login")
        if form.is_valid():
            form.add_error("token", _("动态口令或恢复码不对（恢复码每个只能用一次）。"))
    status = 400 if form.errors else 200
    return render(request, "registration/otp_verify.html", {"form": form, "next": next_url}, status=status)


# -- API tokens: a user's own keys for the JSON API (teams.models.ApiToken, docs/api.md) ---------------

NEW_TOKEN = "sanhe_new_api_token"  # the session key holding a new token's raw key until it is shown once
TOKEN_LIFETIMES = [("90", _lazy("90天")), ("30", _lazy("30天")), ("365", _lazy("一年")), ("", _lazy("长期有效"))]
TOKENS_SHOWN = 50


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_lazy("名称"),
        max_length=100,
        help_text=_lazy("用在哪里，如“月报统计脚本”。"),
        error_messages={"required": _lazy("请填写密钥的名称。")},
    )
    lifetime = forms.ChoiceField(
        label=_lazy("有效期"),
        choices=TOKEN_LIFETIMES,
        required=False,
        error_messages={"invalid_choice": _lazy("请选择有效期。")},
    )

    def expires_at(self):
        days = self.cleaned_data.get("lifetime")
        return timezone.now() + datetime.timedelta(days=int(days)) if days else None


def _tokens_page(request: HttpRequest, form: ApiTokenForm, code, status: int = 200) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user)[:TOKENS_SHOWN]
    ctx = {"tokens": tokens, "form": form, "code": code, "new_key": request.session.pop(NEW_TOKEN, None)}
    return render(request, "teams/api_tokens.html", ctx, status=status)


def _code_form(request: HttpRequest) -> OTPCurrentForm | None:
    """With two-factor login on, a key is issued only against a current code (as changing the second
    factor is): a stolen session alone must not mint a lasting credential."""
    if not otp.has_second_factor(request.user):
        return None
    return OTPCurrentForm(request.POST) if request.method == "POST" else OTPCurrentForm()


def _code_checked(request: HttpRequest, code: OTPCurrentForm | None) -> bool:
    if code is None:
        return True
    if code.is_valid() and otp.check_current(request, code.cleaned_data["token"], _("生成API密钥")):
        return True
    if code.is_valid():
        code.add_error("token", _("动态口令或恢复码不对，未生成密钥。"))
    return False


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's API keys; POST issues one, its key shown on the next page once (as recovery codes)."""
    if role_of(request.user) is None:
        raise PermissionDenied
    code = _code_form(request)
    if request.method == "GET":
        return _tokens_page(request, ApiTokenForm(), code)
    form = ApiTokenForm(request.POST)
    if not (form.is_valid() & _code_checked(request, code)):  # both checked: every message at once
        return _tokens_page(request, form, code, status=400)
    _token, raw = ApiToken.issue(user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at())
    request.session[NEW_TOKEN] = raw
    messages.success(request, _("已生成API密钥。请立即复制保存：离开本页后不再显示。"))
    return redirect("account_api_tokens")


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    messages.success(request, _("API密钥“%(name)s”已停用。") % {"name": token.name})
    return redirect("account_api_tokens")
