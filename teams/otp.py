"""Two-factor login (TOTP via django-otp, with one-time recovery codes).

After a correct password, a user with a confirmed device holds a session that is *awaiting its
second factor*: SecondFactorMiddleware sends every request of that session to the code page
until a code is given. With settings.OTP_REQUIRED_FOR_STAFF, office staff and administrators
without a device are sent to set one up first. Both states are flags in the session, set once at
login, so that pages pay no query for them; a role given mid-session is caught on the next
request (SecondFactorMiddleware, _newly_required).
"""

from base64 import b32encode

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from teams.roles import is_office
from teams.security import Kind, log_event

PENDING = "sanhe_otp_pending"  # the password was right; the code is still to come
SETUP_REQUIRED = "sanhe_otp_setup_required"  # must set up a device before anything else
FAILURES = "sanhe_otp_failures"
NEW_CODES = "sanhe_otp_new_codes"  # recovery codes just made, shown once
RECOVERY_CODE_COUNT = 10
MAX_CODE_FAILURES = 5  # wrong codes in one session before it is ended


def required_for(user) -> bool:
    """Must USER log in with a second factor? Office staff and administrators, when the setting says so."""
    return settings.OTP_REQUIRED_FOR_STAFF and (is_office(user) or user.is_staff)


@receiver(user_logged_in, dispatch_uid="sanhe_otp_login")
def _on_login(sender, request, user, **kwargs) -> None:
    if getattr(user, "otp_device", None) is not None:
        return  # verified in the same step (django-otp's own forms): nothing pending
    if user_has_device(user):
        request.session[PENDING] = True
    elif required_for(user):
        request.session[SETUP_REQUIRED] = True


def is_pending(request: HttpRequest) -> bool:
    return bool(request.session.get(PENDING))


# Setting up.


def start_setup(user) -> TOTPDevice:
    """A new, unconfirmed TOTP device for USER (any earlier unconfirmed one is dropped)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=_("手机动态口令"), confirmed=False)


def unconfirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def confirm_setup(request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm DEVICE with a code from the phone: it replaces any earlier device, new recovery
    codes are made (kept in the session to be shown once) and this session counts as verified."""
    user = request.user
    if not device.verify_token(token):
        log_event(Kind.OTP_FAILED, request=request, detail=_("设置双重验证时动态口令错误"))
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        request.session[NEW_CODES] = make_recovery_codes(user)
    _verified(request, device)
    log_event(Kind.OTP_CHANGED, request=request, detail=_("启用双重验证（动态口令），生成恢复码"))
    return True


def make_recovery_codes(user) -> list[str]:
    """RECOVERY_CODE_COUNT new one-time codes for USER; the old ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def renew_recovery_codes(request: HttpRequest) -> None:
    request.session[NEW_CODES] = make_recovery_codes(request.user)
    log_event(Kind.OTP_CHANGED, request=request, detail=_("重新生成恢复码"))


def has_second_factor(user) -> bool:
    """Has USER a confirmed device (the phone app or recovery codes)?"""
    return user_has_device(user)


def check_current(request: HttpRequest, token: str, action: str) -> bool:
    """Before ACTION (disabling two-factor, replacing its phone, new recovery codes): a current
    code from the phone, or an unused recovery code (then spent). A verified session alone will
    not do: whoever steals one must not be able to remove, move or copy the second factor.
    A user without a confirmed device has nothing to protect. Wrong codes are logged; django-otp
    makes each next try on the device wait longer."""
    if not has_second_factor(request.user):
        return True
    if _matching_device(request.user, token) is not None:
        return True
    log_event(Kind.OTP_FAILED, request=request, detail=_("%(action)s时动态口令或恢复码错误") % {"action": action})
    return False


def disable(request: HttpRequest) -> None:
    user = request.user
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    log_event(Kind.OTP_CHANGED, request=request, detail=_("停用双重验证"))


def secret_text(device: TOTPDevice) -> str:
    """The key as the phone app asks it when typed by hand: base32, in groups of four."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


# The second step of a login.


def normalise_token(raw: str) -> str:
    return "".join((raw or "").split()).lower()


def verify(request: HttpRequest, token: str) -> bool:
    """Check a TOTP code or a recovery code (each works once) for the pending session."""
    device = _matching_device(request.user, token)
    if device is None:
        request.session[FAILURES] = request.session.get(FAILURES, 0) + 1
        log_event(Kind.OTP_FAILED, request=request, detail=_("登录时动态口令或恢复码错误"))
        return False
    _verified(request, device)
    how = _("恢复码") if isinstance(device, StaticDevice) else _("动态口令")
    log_event(Kind.LOGIN, request=request, detail=_("双重验证通过（%(how)s）") % {"how": how})
    return True


def _matching_device(user, token: str):
    """USER's confirmed device that TOKEN (a TOTP code or a recovery code) verifies, or None."""
    token = normalise_token(token)
    if not token:
        return None
    with transaction.atomic():
        # The TOTP device for six digits, the recovery codes otherwise; each counts its own
        # failures and makes the next try wait longer (django-otp's throttling).
        for candidate in devices_for_user(user, for_verify=True):
            if isinstance(candidate, TOTPDevice) != token.isdigit():
                continue
            if candidate.verify_token(token):
                return candidate
    return None


def too_many_failures(request: HttpRequest) -> bool:
    return request.session.get(FAILURES, 0) >= MAX_CODE_FAILURES


def _verified(request: HttpRequest, device) -> None:
    # A new session key for the session that now has more rights.
    request.session.cycle_key()
    otp_login(request, device)
    for key in (PENDING, SETUP_REQUIRED, FAILURES):
        request.session.pop(key, None)


# Enforcement.


def _allowed_paths(*names: str) -> set[str]:
    return {reverse(name) for name in names}


class SecondFactorMiddleware:
    """A session awaiting its code may only reach the code page (and log out); one that must set
    up a device, only the security page. Everything else redirects there, the admin included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.COOKIES.get(settings.SESSION_COOKIE_NAME) and not _exempt(request.path):
            session = request.session
            flag = _newly_required(request)
            if flag:
                session[flag] = True
            if session.get(PENDING) and request.path not in _allowed_paths("account_verify", "logout"):
                return redirect(f"{reverse('account_verify')}?{urlencode({'next': request.get_full_path()})}")
            if session.get(SETUP_REQUIRED) and request.path not in _allowed_paths(
                "account_security", "account_otp_start", "account_otp_confirm", "logout"
            ):
                return redirect("account_security")
        return self.get_response(request)


def _newly_required(request: HttpRequest) -> str | None:
    """The flag (SETUP_REQUIRED, or PENDING for a device added by someone else) a session needs
    though it was not required at login: the office role or the staff flag given since. Asked
    only while the setting is on, of a logged-in session that has neither given a code nor been
    flagged; it reads the user's row and role (teams.roles caches it on the user), which the page
    itself reads next, so ordinary pages pay no extra query. Only a session that is then found to
    need a device pays one, once: the flag set ends the asking."""
    session = request.session
    if not settings.OTP_REQUIRED_FOR_STAFF or SESSION_KEY not in session or DEVICE_ID_SESSION_KEY in session:
        return None
    if session.get(PENDING) or session.get(SETUP_REQUIRED) or not required_for(request.user):
        return None
    return PENDING if has_second_factor(request.user) else SETUP_REQUIRED


def _exempt(path: str) -> bool:
    # Static files, the language switch and the health check carry nothing of a user's.
    return path.startswith(("/static/", "/i18n/", "/health/"))


class SanheAdminSite(admin.AdminSite):
    """The admin, refused to a session still awaiting its second factor (or its setup), even if
    a request got past SecondFactorMiddleware."""

    def has_permission(self, request: HttpRequest) -> bool:
        session = getattr(request, "session", {})
        if session.get(PENDING) or session.get(SETUP_REQUIRED):
            return False
        return super().has_permission(request)
