"""Personas shared by every app's tests: a cadre of a team, a cadre of another team,
office staff, a supervisor, and nobody at all."""

import pytest

from teams.tests.factories import CadreFactory, TeamFactory, UserFactory
from villages.tests.factories import home_town


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing costs half a second per user; the tests are not about its strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test's rows are rolled back but caches are not: a select cached by an earlier test
    (teams/roster.py) must not show its cadres and villages in the next, nor a board rendered by an
    earlier test answer for this one (public/services.py keeps pages per process, and a last good
    copy for when the database is unreachable)."""
    from django.core.cache import cache

    from public import services
    from teams.roster import bump_roster

    cache.clear()
    services.pages.clear()
    services.last_good.clear()
    bump_roster()


@pytest.fixture
def team(db):
    return TeamFactory()


@pytest.fixture
def other_team(db):
    return TeamFactory()


def _client_for(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def cadre_user(team):
    user = UserFactory(role="cadre")
    CadreFactory(user=user, team=team)
    return user


@pytest.fixture
def office_user(db):
    user = UserFactory(role="office")
    CadreFactory(user=user, team=None, town=home_town(), position="党政办")
    return user


@pytest.fixture
def supervisor_user(db):
    user = UserFactory(role="supervisor")
    CadreFactory(user=user, team=None, town=home_town(), position="督查工作队")
    return user


@pytest.fixture
def county_supervisor_user(db):
    """The county's supervisor: every town, read only. No town of their own."""
    user = UserFactory(role="county_supervisor")
    CadreFactory(user=user, team=None, town=None, position="县督查室")
    return user


@pytest.fixture
def cadre_client(client_class, cadre_user):
    return _client_for(client_class, cadre_user)


@pytest.fixture
def office_client(client_class, office_user):
    return _client_for(client_class, office_user)


@pytest.fixture
def supervisor_client(client_class, supervisor_user):
    return _client_for(client_class, supervisor_user)


@pytest.fixture
def client_class():
    from django.test import Client

    return Client


# Browser tests: Playwright driving Debian's Chromium (never a downloaded browser).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium for the session; skips the browser tests where there is none."""
    import os
    import shutil

    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        pytest.skip("no Chromium at /usr/bin/chromium: apt-get install chromium fonts-noto-cjk (.ci/run does)")
    playwright_sync = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by tests
    # in the same thread are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(chromium, live_server):
    """A page at a cheap phone's size (360 × 740) against the live test server."""
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN", base_url=live_server.url)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop_page(chromium, live_server):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url)
    yield context.new_page()
    context.close()


def browser_login(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # The header holds buttons too (language, logout): submit the login form itself.
    page.click("main button[type=submit]")
