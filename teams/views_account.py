"""A user's own security page (two-factor login, recovery codes) and the login's second step.

The rules live in teams/otp.py; these views read the form and call it.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from teams import otp
from teams.forms import OTPCodeForm, OTPCurrentForm, OTPSetupForm


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
        ctx |= {"qr": otp.qr_svg(pending.config_url), "secret": otp.secret_text(pending)}
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
