"""等保 2.0 login basics: throttling (django-axes), password rules, two-factor login (django-otp),
idle sessions and the security log."""

import datetime
import time

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from teams import otp
from teams.models import SecurityEvent
from teams.roles import OFFICE
from teams.security import IDLE_KEY
from teams.tests.factories import PASSWORD, CadreFactory, UserFactory

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
VERIFY = "/account/verify/"
SECURITY = "/account/security/"
LOCKED = "密码连续输错 5 次"
Kind = SecurityEvent.Kind


@pytest.fixture
def office(db):
    user = UserFactory(username="office", role="office")
    CadreFactory(user=user, team=None, position="党政办")
    return user


def login(client, username, password=PASSWORD, ip="10.0.0.1", url=LOGIN, **extra):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def kinds() -> list[str]:
    return list(SecurityEvent.objects.order_by("id").values_list("kind", flat=True))


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the phone shows now (or STEPS_AHEAD periods later: a code is accepted once)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


# Throttling.


def test_login_five_wrong_passwords_then_the_right_one_is_refused(client, office):
    statuses = [login(client, "office", "wrong-password", ip="10.0.0.1").status_code for _ in range(5)]
    response = login(client, "office", ip="10.0.0.1")

    assert statuses == [200, 200, 200, 200, 429]
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "<main" in response.content.decode()  # the site's page, not a bare text
    assert not logged_in(client)


def test_login_lock_holds_for_the_account_across_addresses(client, office):
    for n in range(5):
        login(client, "office", "wrong-password", ip=f"10.0.1.{n}")

    response = login(client, "office", ip="10.0.2.1")

    assert response.status_code == 429
    assert not logged_in(client)


def test_login_lock_holds_for_the_address_across_accounts(client, office):
    for n in range(5):
        login(client, f"someone{n}", "wrong-password", ip="10.0.3.1")

    response = login(client, "office", ip="10.0.3.1")

    assert (response.status_code, logged_in(client)) == (429, False)


def test_login_of_another_user_from_another_address_is_unaffected(client, office):
    other = UserFactory(username="cadre", role="cadre")
    for _ in range(6):
        login(client, "office", "wrong-password", ip="10.0.4.1")

    response = login(client, "cadre", ip="10.0.4.2")

    assert (response.status_code, client.session["_auth_user_id"]) == (302, str(other.pk))


def test_login_counts_by_the_proxys_client_address(client, office, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    UserFactory(username="cadre", role="cadre")
    for n in range(5):
        login(client, f"someone{n}", "wrong-password", ip="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9")

    refused = login(client, "office", ip="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9")
    allowed = login(client, "cadre", ip="127.0.0.1", HTTP_X_REAL_IP="203.0.113.10")

    assert (refused.status_code, allowed.status_code) == (429, 302)


def test_login_lock_holds_for_the_ipv6_64_across_its_addresses(client, office):
    """A subscriber holds a whole /64: rotating through it gives no fresh tries."""
    for n in range(5):
        login(client, f"someone{n}", "wrong-password", ip=f"2001:db8:1:2::{n + 1:x}")

    refused = login(client, "office", ip="2001:db8:1:2:ffff::9")
    allowed = login(client, "office", ip="2001:db8:1:3::1")

    assert (refused.status_code, allowed.status_code) == (429, 302)
    # The security log keeps the full address: it records, it does not limit.
    assert SecurityEvent.objects.filter(ip="2001:db8:1:2:ffff::9", kind=Kind.LOGIN_FAILED).exists()


def test_admin_login_is_throttled_too(client, db):
    User.objects.create_superuser("root", password=PASSWORD)
    for _ in range(5):
        login(client, "root", "wrong-password", url=ADMIN_LOGIN)

    response = login(client, "root", url=ADMIN_LOGIN)

    assert (response.status_code, logged_in(client)) == (429, False)
    assert LOCKED in response.content.decode()


def test_login_right_password_before_the_limit_logs_in(client, office):
    for _ in range(4):
        login(client, "office", "wrong-password")

    response = login(client, "office")

    assert (response.status_code, logged_in(client)) == (302, True)


# Password rules.


@pytest.mark.parametrize("password", ["sanhe-15", "password123", "1234567890123", "office2015"])
def test_password_rules_refuse_short_common_numeric_and_username_like_passwords(db, password):
    with pytest.raises(ValidationError):
        validate_password(password, User(username="office"))


def test_password_rules_accept_the_demo_password(db):
    assert validate_password("sanhe-2015", User(username="office")) is None


def test_admin_user_creation_applies_the_password_rules(admin_client):
    data = {"username": "newcomer", "password1": "short-1", "password2": "short-1", "usable_password": "true"}

    response = admin_client.post("/admin/auth/user/add/", data)

    assert response.status_code == 200
    assert 'id="id_password2_error"' in response.content.decode()  # at least 10 characters
    assert not User.objects.filter(username="newcomer").exists()


# Two-factor login.


def test_security_page_sets_up_totp_with_a_qr_code_and_the_key(office, client):
    client.force_login(office)

    client.post(reverse("account_otp_start"))
    page = client.get(SECURITY).content.decode()

    device = TOTPDevice.objects.get(user=office)
    assert device.confirmed is False
    assert "<svg" in page
    assert otp.secret_text(device) in page


def test_security_page_confirm_with_a_wrong_code_is_refused(office, client):
    client.force_login(office)
    client.post(reverse("account_otp_start"))
    device = TOTPDevice.objects.get(user=office)
    wrong = f"{(int(code_for(device)) + 1) % 1000000:06d}"

    response = client.post(reverse("account_otp_confirm"), {"token": wrong})

    assert response.status_code == 400
    assert "动态口令不对" in response.content.decode()
    assert TOTPDevice.objects.get(user=office).confirmed is False
    assert kinds()[-1] == Kind.OTP_FAILED


def test_security_page_confirm_shows_ten_recovery_codes_once(office, client):
    client.force_login(office)
    client.post(reverse("account_otp_start"))
    device = TOTPDevice.objects.get(user=office)

    response = client.post(reverse("account_otp_confirm"), {"token": code_for(device)})
    first = client.get(SECURITY).content.decode()
    second = client.get(SECURITY).content.decode()

    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=office).confirmed is True
    codes = list(StaticToken.objects.filter(device__user=office).values_list("token", flat=True))
    assert len(codes) == 10
    assert all(code in first for code in codes)
    assert not any(code in second for code in codes)
    assert kinds()[-1] == Kind.OTP_CHANGED


@pytest.fixture
def office_with_phone(office):
    # Two steps of tolerance: a test that crosses a 30-second boundary between making a code and
    # posting it must not fail (CI did, once, on a busy machine).
    device = TOTPDevice.objects.create(user=office, name="phone", confirmed=True, tolerance=2)
    codes = otp.make_recovery_codes(office)
    return office, device, codes


def test_login_with_a_device_asks_the_code_before_anything_else(client, office_with_phone):
    login(client, "office")

    response = client.get("/cases/")

    assert (response.status_code, response["Location"]) == (302, f"{VERIFY}?next=%2Fcases%2F")
    assert client.get("/admin/")["Location"] == f"{VERIFY}?next=%2Fadmin%2F"


def test_login_second_step_with_the_right_code_opens_the_site(client, office_with_phone):
    _office, device, _codes = office_with_phone
    login(client, "office")

    response = client.post(VERIFY, {"token": code_for(device), "next": "/triage/"})

    assert (response.status_code, response["Location"]) == (302, "/triage/")
    assert client.get("/triage/").status_code == 200
    assert kinds()[-1] == Kind.LOGIN


def test_login_second_step_with_a_wrong_code_is_refused_and_logged(client, office_with_phone):
    _office, device, _codes = office_with_phone
    login(client, "office")
    wrong = f"{(int(code_for(device)) + 1) % 1000000:06d}"

    response = client.post(VERIFY, {"token": wrong})

    assert response.status_code == 400
    assert "动态口令或恢复码不对" in response.content.decode()
    assert client.get("/triage/").status_code == 302
    assert kinds()[-1] == Kind.OTP_FAILED


def test_login_second_step_ends_the_session_after_five_wrong_codes(client, office_with_phone):
    login(client, "office")
    for _ in range(5):
        response = client.post(VERIFY, {"token": "abcdefgh"})

    assert (response.status_code, response["Location"]) == (302, reverse("login"))
    assert not logged_in(client)


def test_login_recovery_code_works_once(client, office_with_phone):
    _office, _device, codes = office_with_phone
    login(client, "office")
    first = client.post(VERIFY, {"token": codes[0].upper()})
    client.post(reverse("logout"))
    login(client, "office")

    again = client.post(VERIFY, {"token": codes[0]})

    assert first.status_code == 302
    assert again.status_code == 400
    assert StaticToken.objects.filter(device__user=_office).count() == 9


def test_otp_required_sends_office_staff_without_a_device_to_set_one_up(client, office, settings):
    settings.OTP_REQUIRED_FOR_STAFF = True
    login(client, "office")

    response = client.get("/triage/")
    page = client.get(SECURITY)

    assert (response.status_code, response["Location"]) == (302, SECURITY)
    assert "必须使用双重验证" in page.content.decode()


def test_otp_required_leaves_cadres_alone(client, settings, team):
    settings.OTP_REQUIRED_FOR_STAFF = True
    user = UserFactory(username="cadre", role="cadre")
    CadreFactory(user=user, team=team)
    login(client, "cadre")

    assert client.get("/my-team/").status_code == 200


def test_otp_required_cannot_be_turned_off(client, office_with_phone, settings):
    settings.OTP_REQUIRED_FOR_STAFF = True
    office, device, _codes = office_with_phone
    login(client, "office")
    client.post(VERIFY, {"token": code_for(device)})

    response = client.post(reverse("account_otp_disable"))

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=office).exists()


# Changing the second factor needs a current code: a stolen session must not remove, move or copy it.

CHANGE_REFUSED = "动态口令或恢复码不对，未作更改。"


def sign_in(client, device: TOTPDevice) -> None:
    """Log in with the password and the code of a step ago, so that the code shown now is unused."""
    login(client, device.user.username)
    assert client.post(VERIFY, {"token": code_for(device, steps_ahead=-1)}).status_code == 302


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 1) % 1000000:06d}"


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_disabling_two_factor_needs_a_current_code(client, office_with_phone, token):
    office, device, _codes = office_with_phone
    sign_in(client, device)
    data = {} if token is None else {"token": wrong_code(device) if token == "wrong" else token}

    response = client.post(reverse("account_otp_disable"), data)

    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=office, confirmed=True).count() == 1
    assert StaticToken.objects.filter(device__user=office).count() == 10
    if token == "wrong":
        assert CHANGE_REFUSED in response.content.decode()
        assert kinds()[-1] == Kind.OTP_FAILED
    else:
        assert 'class="errorlist' in response.content.decode()


def test_disabling_two_factor_with_the_current_code_works(client, office_with_phone):
    office, device, _codes = office_with_phone
    sign_in(client, device)

    response = client.post(reverse("account_otp_disable"), {"token": code_for(device)})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=office).exists()
    assert kinds()[-1] == Kind.OTP_CHANGED


def test_replacing_the_phone_needs_a_current_code(client, office_with_phone):
    office, device, _codes = office_with_phone
    sign_in(client, device)

    refused = client.post(reverse("account_otp_start"), {"token": wrong_code(device)})

    assert refused.status_code == 400
    assert CHANGE_REFUSED in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=office, confirmed=False).exists()
    assert kinds()[-1] == Kind.OTP_FAILED


def test_replacing_a_lost_phone_works_with_an_unused_recovery_code_once(client, office_with_phone):
    office, device, codes = office_with_phone
    sign_in(client, device)

    first = client.post(reverse("account_otp_start"), {"token": codes[0]})
    again = client.post(reverse("account_otp_start"), {"token": codes[0]})

    assert (first.status_code, again.status_code) == (302, 400)
    assert TOTPDevice.objects.filter(user=office, confirmed=False).count() == 1
    assert StaticToken.objects.filter(device__user=office).count() == 9


def test_new_recovery_codes_need_a_current_code(client, office_with_phone, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp would make the try after a wrong one wait
    office, device, codes = office_with_phone
    sign_in(client, device)

    refused = client.post(reverse("account_otp_recovery"), {"token": wrong_code(device)})
    kept = set(StaticToken.objects.filter(device__user=office).values_list("token", flat=True))
    done = client.post(reverse("account_otp_recovery"), {"token": code_for(device)})

    assert (refused.status_code, done.status_code) == (400, 302)
    assert kept == set(codes)
    assert not set(codes) & set(StaticToken.objects.filter(device__user=office).values_list("token", flat=True))


def test_first_setup_needs_no_code(client, office):
    client.force_login(office)

    response = client.post(reverse("account_otp_start"))

    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=office, confirmed=False).exists()


def test_the_security_page_asks_the_current_code_before_changes(client, office_with_phone):
    _office, device, _codes = office_with_phone
    sign_in(client, device)

    page = client.get(SECURITY).content.decode()

    assert "当前动态口令或恢复码" in page
    assert page.count('name="token"') == 1  # one field for the three buttons (formaction: no script)


def test_otp_required_catches_the_office_role_given_mid_session(client, settings, team):
    settings.OTP_REQUIRED_FOR_STAFF = True
    user = UserFactory(username="cadre", role="cadre")
    CadreFactory(user=user, team=team)
    login(client, "cadre")
    assert client.get("/my-team/").status_code == 200

    user.groups.set([Group.objects.get_or_create(name=OFFICE)[0]])
    response = client.get("/my-team/")

    assert (response.status_code, response["Location"]) == (302, SECURITY)


def test_otp_required_asks_the_code_of_a_device_given_mid_session(client, office, settings):
    settings.OTP_REQUIRED_FOR_STAFF = False
    login(client, "office")
    TOTPDevice.objects.create(user=office, name="phone", confirmed=True)
    settings.OTP_REQUIRED_FOR_STAFF = True

    response = client.get("/triage/")

    assert response["Location"] == f"{VERIFY}?next=%2Ftriage%2F"


@pytest.mark.parametrize("username", ["cadre", "office"])
def test_otp_required_costs_no_query_on_ordinary_pages(client, settings, team, office, username):
    """The role check per request reads only what the page reads anyway (the user, its role)."""
    cadre = UserFactory(username="cadre", role="cadre")
    CadreFactory(user=cadre, team=team)
    url = "/my-team/" if username == "cadre" else "/triage/"
    if username == "office":
        device = TOTPDevice.objects.create(user=office, name="phone", confirmed=True)
    login(client, username)
    if username == "office":
        client.post(VERIFY, {"token": code_for(device)})
    counts = []
    for required in (False, True, True):
        settings.OTP_REQUIRED_FOR_STAFF = required
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1] == counts[2]


def test_admin_asks_the_code_of_a_superuser_with_a_device(client, db):
    root = User.objects.create_superuser("root", password=PASSWORD)
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    login(client, "root", url=ADMIN_LOGIN)

    before = client.get("/admin/")
    client.post(VERIFY, {"token": code_for(device), "next": "/admin/"})
    after = client.get("/admin/")

    assert before["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    assert after.status_code == 200


def test_otp_views_refuse_get_on_post_only_urls(office, client):
    client.force_login(office)
    for name in ("account_otp_start", "account_otp_confirm", "account_otp_recovery", "account_otp_disable"):
        assert client.get(reverse(name)).status_code == 405


# Sessions.


def test_session_ends_when_the_browser_closes_and_after_idling(client, office, settings):
    response = login(client, "office")

    assert response.cookies["sessionid"]["max-age"] == ""  # a browser-session cookie
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_session_idle_timer_moves_on_with_activity(client, office):
    login(client, "office")
    session = client.session
    session[IDLE_KEY] = int(time.time()) - 120
    session.save()
    Session.objects.filter(pk=session.session_key).update(expire_date=timezone.now() + datetime.timedelta(minutes=2))

    client.get("/triage/")

    expires = Session.objects.get(pk=client.session.session_key).expire_date
    assert expires > timezone.now() + datetime.timedelta(minutes=29)


def test_session_idle_past_its_age_is_logged_out(client, office):
    login(client, "office")
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = client.get("/triage/")

    assert response["Location"].startswith(reverse("login"))


# The security log.


def test_security_log_records_login_failure_lockout_and_logout(client, office):
    SecurityEvent.objects.all().delete()  # the fixture's own (a new user, their role)
    login(client, "office", "wrong-password")
    login(client, "office")
    client.post(reverse("logout"), REMOTE_ADDR="10.0.0.1")
    for _ in range(5):
        login(client, "office", "wrong-password", ip="10.9.9.9")

    events = list(SecurityEvent.objects.order_by("id").values_list("kind", "username", "ip"))
    assert events[:3] == [
        (Kind.LOGIN_FAILED, "office", "10.0.0.1"),
        (Kind.LOGIN, "office", "10.0.0.1"),
        (Kind.LOGOUT, "office", "10.0.0.1"),
    ]
    assert [kind for kind, _u, _ip in events[3:]].count(Kind.LOGIN_FAILED) == 5
    assert (Kind.LOCKED_OUT, "office", "10.9.9.9") in events


def test_security_log_records_role_changes(office):
    SecurityEvent.objects.all().delete()

    office.groups.add(Group.objects.get_or_create(name="supervisor")[0])
    office.groups.remove(Group.objects.get(name="office"))
    office.is_superuser = True
    office.save()
    office.save(update_fields=["last_login"])

    details = list(SecurityEvent.objects.order_by("id").values_list("kind", "detail"))
    assert details == [
        (Kind.ROLE_CHANGED, "加入角色组：supervisor"),
        (Kind.ROLE_CHANGED, "移出角色组：office"),
        (Kind.ROLE_CHANGED, "超级管理员：否→是"),
    ]


def test_security_log_records_password_changes_with_who(client, office):
    client.force_login(office)
    SecurityEvent.objects.all().delete()
    data = {"old_password": PASSWORD, "new_password1": "liaison-2026!", "new_password2": "liaison-2026!"}

    response = client.post(reverse("password_change"), data)

    assert response.status_code == 302
    event = SecurityEvent.objects.filter(kind=Kind.PASSWORD_CHANGED).get()
    assert (event.username, event.detail) == ("office", "操作人：office")


def test_security_log_records_every_download(office_client, office_user):
    response = office_client.get(reverse("cases:export"), {"status": "open"})

    assert response["Content-Disposition"].startswith("attachment")
    event = SecurityEvent.objects.filter(kind=Kind.EXPORT).get()
    assert (event.user, event.detail) == (office_user, "/cases/export.xlsx?status=open")


# The log in the admin.


def test_security_log_admin_is_read_only_for_the_superuser(admin_client, office_client):
    SecurityEvent.objects.create(kind=Kind.LOGIN_FAILED, username="=HYPERLINK(1)", ip="10.0.0.1")
    url = "/admin/teams/securityevent/"

    listing = admin_client.get(url, {"kind__exact": "login_failed"})

    assert "=HYPERLINK(1)" in listing.content.decode()
    assert admin_client.get(url + "add/").status_code == 403
    assert office_client.get(url).status_code in (302, 403)


def test_security_log_admin_exports_csv_with_formulas_neutralised(admin_client):
    event = SecurityEvent.objects.create(kind=Kind.LOGIN_FAILED, username="=HYPERLINK(1)", ip="10.0.0.1")
    data = {"action": "export_csv", "_selected_action": [event.pk]}

    response = admin_client.post("/admin/teams/securityevent/", data)

    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "'=HYPERLINK(1)" in text
    assert SecurityEvent.objects.filter(kind=Kind.EXPORT).count() == 1


# Retention.


def test_prune_security_log_keeps_six_months(db):
    now = timezone.now()
    kept = SecurityEvent.objects.create(kind=Kind.LOGIN, at=now - datetime.timedelta(days=200))
    SecurityEvent.objects.create(kind=Kind.LOGIN, at=now - datetime.timedelta(days=401))

    call_command("prune_security_log", "--dry-run")
    assert SecurityEvent.objects.count() == 2
    call_command("prune_security_log")

    assert list(SecurityEvent.objects.all()) == [kept]


def test_prune_security_log_refuses_less_than_six_months(db):
    with pytest.raises(CommandError):
        call_command("prune_security_log", "--days", "182")


def test_an_api_key_is_issued_only_against_a_current_code_when_two_factor_is_on(client, office_with_phone):
    from teams.models import ApiToken

    office, device, codes = office_with_phone
    login(client, "office")
    client.post(VERIFY, {"token": code_for(device), "next": "/triage/"})

    without = client.post("/account/api-tokens/", {"name": "脚本"})
    assert without.status_code == 400
    assert not ApiToken.objects.filter(user=office).exists()

    issued = client.post("/account/api-tokens/", {"name": "脚本", "token": codes[0]})
    spent = client.post("/account/api-tokens/", {"name": "脚本", "token": codes[0]})  # a recovery code is used once
    assert (issued.status_code, spent.status_code) == (302, 400)
    assert ApiToken.objects.filter(user=office).count() == 1
