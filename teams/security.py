"""The security log (等保 2.0): who logged in, failed, was locked out, logged out, changed a
password, a second factor or a role, and who downloaded a file — one row each in SecurityEvent.

Also the login throttle's glue to django-axes (the backend, the lockout page; the address it
counts by is sanhe.lib.clientip.client_key) and the idle-session timer. Receivers are connected by TeamsConfig.ready().
"""

import contextvars
import time

from axes.backends import AxesStandaloneBackend
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sanhe.lib.clientip import client_ip
from teams.models import SecurityEvent

Kind = SecurityEvent.Kind

# The request being served, so that receivers of model signals (a role changed in the admin)
# can say from where and by whom.
_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("sanhe_request", default=None)

# Roles that a flag of the user gives (its groups give the others).
WATCHED_FLAGS = {
    "is_superuser": gettext_lazy("超级管理员"),
    "is_staff": gettext_lazy("可进入管理后台"),
    "is_active": gettext_lazy("账号启用"),
}


def _user_of(request: HttpRequest | None):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def log_event(kind: str, *, request=None, user=None, username: str = "", detail: str = "") -> SecurityEvent:
    """Write one row of the security log; the address and (unless given) the user come from REQUEST."""
    request = request if request is not None else _current_request.get()
    if user is None:
        user = _user_of(request)
    if not username and user is not None:
        username = user.get_username()
    return SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=(username or "")[:150],
        ip=client_ip(request)[:45] if request is not None else "",
        detail=str(detail)[:500],
    )


# Logins, failures, lockouts, logouts.


@receiver(user_logged_in, dispatch_uid="sanhe_security_login")
def _on_login(sender, request, user, **kwargs) -> None:
    log_event(Kind.LOGIN, request=request, user=user, detail=_("密码正确（%(path)s）") % {"path": request.path})


@receiver(user_logged_out, dispatch_uid="sanhe_security_logout")
def _on_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        log_event(Kind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="sanhe_security_login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # axes' own receiver ran first (its app comes first): it has flagged a locked-out attempt.
    detail = _("账号或地址已锁定，未核对密码") if getattr(request, "axes_locked_out", False) else _("用户名或密码错误")
    log_event(Kind.LOGIN_FAILED, request=request, username=str(credentials.get("username", "")), detail=detail)


@receiver(user_locked_out, dispatch_uid="sanhe_security_locked_out")
def _on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    detail = _("连续 %(n)s 次登录失败，锁定 %(minutes)s 分钟") % {
        "n": settings.AXES_FAILURE_LIMIT,
        "minutes": lockout_minutes(),
    }
    log_event(Kind.LOCKED_OUT, request=request, username=str(username or ""), detail=detail)


# Password and role changes of a user, whoever makes them (admin, shell, load_demo).


@receiver(pre_save, sender=User, dispatch_uid="sanhe_security_user_pre_save")
def _before_user_save(sender, instance: User, update_fields=None, **kwargs) -> None:
    # set_password() keeps the new raw password in _password until the save; a hash upgrade at
    # login clears it before saving, so it is not a change.
    instance._sanhe_password_changed = bool(instance.pk) and instance._password is not None
    instance._sanhe_flag_changes = []
    if not instance.pk or (update_fields is not None and not set(update_fields) & set(WATCHED_FLAGS)):
        return
    old = User.objects.filter(pk=instance.pk).values(*WATCHED_FLAGS).first()
    if old:
        instance._sanhe_flag_changes = [
            (name, old[name], getattr(instance, name)) for name in WATCHED_FLAGS if old[name] != getattr(instance, name)
        ]


@receiver(post_save, sender=User, dispatch_uid="sanhe_security_user_post_save")
def _after_user_save(sender, instance: User, created: bool, **kwargs) -> None:
    if created:
        flags = [str(label) for name, label in WATCHED_FLAGS.items() if name != "is_active" and getattr(instance, name)]
        if flags:
            _log_role(instance, _("新建账号：%(flags)s") % {"flags": "、".join(flags)})
        return
    if getattr(instance, "_sanhe_password_changed", False):
        log_event(Kind.PASSWORD_CHANGED, user=instance, detail=_actor_note())
    changes = getattr(instance, "_sanhe_flag_changes", [])
    if changes:
        yes, no = _("是"), _("否")
        text = "；".join(
            f"{WATCHED_FLAGS[name]}：{yes if before else no}→{yes if after else no}" for name, before, after in changes
        )
        _log_role(instance, text)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="sanhe_security_groups")
def _on_groups_changed(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs) -> None:
    if action == "pre_clear":
        # Who is in the groups about to be cleared, read before they go.
        instance._sanhe_cleared = list(
            instance.user_set.all() if reverse else [(instance, list(instance.groups.values_list("name", flat=True)))]
        )
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action == "post_clear":
        if reverse:
            for user in getattr(instance, "_sanhe_cleared", []):
                _log_role(user, _("移出角色组：%(groups)s") % {"groups": instance.name})
        else:
            for user, names in getattr(instance, "_sanhe_cleared", []):
                if names:
                    _log_role(user, _("移出角色组：%(groups)s") % {"groups": "、".join(names)})
        return
    template = _("加入角色组：%(groups)s") if action == "post_add" else _("移出角色组：%(groups)s")
    if reverse:  # group.user_set.add(...): one event per user
        for user in User.objects.filter(pk__in=pk_set or []):
            _log_role(user, template % {"groups": instance.name})
    elif pk_set:
        names = sorted(model.objects.filter(pk__in=pk_set).values_list("name", flat=True))
        _log_role(instance, template % {"groups": "、".join(names)})


def _actor_note() -> str:
    actor = _user_of(_current_request.get())
    return _("操作人：%(name)s") % {"name": actor.get_username()} if actor else ""


def _log_role(user: User, text: str) -> None:
    note = _actor_note()
    log_event(Kind.ROLE_CHANGED, user=user, detail=f"{text}（{note}）" if note else text)


# django-axes: the backend, the lockout page.


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a login for a locked-out account or address before the password is checked.

    A call to authenticate() without a request (a shell, the test client's login()) is no web
    login and has no address to count by: it is left to the next backend, unthrottled. Every
    login page (ours and the admin's) passes the request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page a locked-out login gets (our page, not axes' bare text), with 429 Too Many Requests."""
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": lockout_minutes()}
    return render(request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


# Middleware.

IDLE_KEY = "sanhe_seen"
IDLE_REFRESH_SECONDS = 60


def mark_seen(session) -> None:
    session[IDLE_KEY] = int(time.time())


@receiver(user_logged_in, dispatch_uid="sanhe_security_seen")
def _seen_at_login(sender, request, user, **kwargs) -> None:
    mark_seen(request.session)


class SessionIdleMiddleware:
    """Sessions end after SESSION_COOKIE_AGE seconds of inactivity.

    The session's expiry moves on each time it is saved. Saving it on every request
    (SESSION_SAVE_EVERY_REQUEST) would cost a write per page; this saves it at most once a
    minute, so a session ends between SESSION_COOKIE_AGE − 60 s and SESSION_COOKIE_AGE after the
    last request. Only requests that read the session (a staff page) count as activity, so the
    check adds no query to pages that do not.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.accessed and SESSION_KEY in session:
            if int(time.time()) - session.get(IDLE_KEY, 0) >= IDLE_REFRESH_SECONDS:
                mark_seen(session)
        return response


class SecurityLogMiddleware:
    """Remembers the request for the log's receivers, and logs every download: any response sent
    as an attachment (the staff's exports, the reports, the admin's) is an export."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
            disposition = response.get("Content-Disposition", "")
            if response.status_code == 200 and disposition.lower().startswith("attachment"):
                log_event(Kind.EXPORT, request=request, detail=request.get_full_path())
            return response
        finally:
            _current_request.reset(token)
