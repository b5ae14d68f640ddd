"""While the database cannot be reached, an anonymous reader of a board gets the last page rendered
for that address, under a note saying when it was built (public/services.py, "The last good page");
a board never rendered, or a logged-in reader, still gets the 503 (sanhe/lib/dbdown.py).

The database is made unreachable for real, as in sanhe/tests/test_db_down.py: every connection goes
to a database that is not there (PostgreSQL at a closed port, a SQLite file in a missing folder).
"""

import datetime
import re
import time

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from cases.tests.factories import CaseFactory
from public import services
from public.tests.helpers import add_event
from sanhe.tests.test_db_down import CLOSED_PORT, database_unreachable, settings_dict_changed
from teams.tests.factories import TeamFactory

NOTE = re.compile(
    r'<p class="outage-note" role="status">'
    r"系统正在维护，以下是 (\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d) 时的公开栏，可能不是最新</p>"
)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def board(db):
    team = TeamFactory()
    case = CaseFactory(team=team, title="鸡狗被盗", raised_on=datetime.date(2015, 1, 9))
    add_event(case, "已联系派出所加强巡逻", day=12)
    return team.village


@pytest.fixture
def staff_client(cadre_user):
    client = Client(raise_request_exception=False)  # the session's lookup fails in a middleware
    client.force_login(cadre_user)
    return client


def board_urls(village) -> list[str]:
    return [
        reverse("board:index"),
        reverse("board:village", args=[village.code]) + "?status=open",
        reverse("board:print", args=[village.code]) + "?size=a3",
    ]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["index", "village", "print"])
def test_outage_board_is_the_last_rendered_page_under_a_note(client, board, which):
    url = board_urls(board)[which]
    before = client.get(url)

    with database_unreachable():
        response = client.get(url)

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert ("ETag" in response, "Last-Modified" in response, "Retry-After" in response) == (False, False, False)
    assert len(NOTE.findall(body)) == 1
    assert body.index('<main id="main">') < body.index('class="outage-note"') < body.index("<h1")
    assert NOTE.sub("", TOKEN.sub("", body)) == TOKEN.sub("", before.content.decode())
    assert "鸡狗被盗" in body or which == 0  # the town's board lists villages, not cases


def test_outage_note_gives_the_local_time_the_page_was_rendered(client, board):
    url = reverse("board:village", args=[board.code])
    client.get(url)
    shown = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))  # Asia/Shanghai

    with database_unreachable():
        body = client.get(url).content.decode()

    (time,) = NOTE.findall(body)
    assert time in {f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}" for t in (shown - datetime.timedelta(minutes=1), shown)}


def test_outage_page_carries_a_fresh_csrf_token(client, board):
    url = reverse("board:village", args=[board.code])
    client.get(url)

    with database_unreachable():
        body = Client().get(url).content.decode()  # another reader, without a token yet

    (token,) = set(TOKEN.findall(body))
    assert token != services.CSRF_SLOT
    assert len(token) == 64


def test_outage_head_is_answered_too(client, board):
    url = reverse("board:village", args=[board.code])
    client.get(url)

    with database_unreachable():
        response = client.head(url)

    assert (response.status_code, "ETag" in response) == (200, False)


def test_outage_board_never_rendered_answers_503(client, board):
    other = TeamFactory().village
    client.get(reverse("board:village", args=[board.code]))

    with database_unreachable():
        response = client.get(reverse("board:village", args=[other.code]))
        filtered = client.get(reverse("board:village", args=[board.code]) + "?status=closed")

    assert (response.status_code, filtered.status_code) == (503, 503)
    assert "系统暂时无法使用" in response.content.decode()


def test_outage_page_of_another_language_or_text_size_is_not_served(client, board):
    url = reverse("board:village", args=[board.code])
    client.get(url)

    with database_unreachable():
        english = client.get(url, headers={"accept-language": "en"})
        client.cookies[services.TEXT_SIZE_COOKIE] = "large"
        large = client.get(url)

    assert (english.status_code, large.status_code) == (503, 503)


def test_outage_logged_in_reader_answers_503(client, staff_client, board):
    url = reverse("board:village", args=[board.code])
    client.get(url)
    staff_client.get(url)

    with database_unreachable():
        response = staff_client.get(url)

    assert response.status_code == 503
    assert "鸡狗被盗" not in response.content.decode()


def test_outage_reader_with_a_message_waiting_answers_503(client_class, board):
    """The kept page is the anonymous shell: it has no room for their message (as in page_for)."""
    url = reverse("board:village", args=[board.code])
    client_class().get(url)
    told = client_class()
    storage = CookieStorage(RequestFactory().get("/"))
    told.cookies[CookieStorage.cookie_name] = storage._encode([Message(constants.INFO, "您已退出登录")])

    with database_unreachable():
        response = told.get(url)

    assert response.status_code == 503


def test_outage_page_rendered_by_another_worker_comes_from_the_shared_cache(client, board):
    url = reverse("board:village", args=[board.code])
    client.get(url)
    services.last_good.clear()  # this process never saw it

    with database_unreachable():
        response = client.get(url)

    assert response.status_code == 200
    assert "鸡狗被盗" in response.content.decode()


@pytest.fixture
def database_cache(db):
    """The production cache (db://sanhe_cache), which is down with the database."""
    caches = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "sanhe_test_cache"}}
    with override_settings(CACHES=caches):
        call_command("createcachetable", verbosity=0)
        yield


def test_outage_with_a_database_cache_serves_this_process_copy_only(client, board, database_cache):
    url = reverse("board:village", args=[board.code])
    client.get(url)

    with database_unreachable():
        kept = client.get(url)
        services.last_good.clear()  # another worker: the database cache is down with the database
        lost = client.get(url)

    assert (kept.status_code, lost.status_code) == (200, 503)


def test_last_good_page_is_kept_an_hour_not_longer():
    memo = services.last_good
    now = time.time()
    memo.put("hour", services.Page("text/html", [b"x"], now - services.LAST_GOOD_SECONDS + 60))
    memo.put("older", services.Page("text/html", [b"x"], now - services.LAST_GOOD_SECONDS - 1))

    assert (memo.get("hour") is not None, memo.get("older")) == (True, None)


def test_outage_over_the_normal_page_comes_back(client, board):
    url = reverse("board:village", args=[board.code])
    client.get(url)
    with database_unreachable():
        assert client.get(url).status_code == 200

    response = client.get(url)

    body = response.content.decode()
    assert (response.status_code, "ETag" in response, "outage-note" in body) == (200, True, False)
    assert "鸡狗被盗" in body


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only (DATABASE_URL=postgres://…)"
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_outage_postgresql_on_a_closed_port_serves_the_last_good_board(client):
    team = TeamFactory()
    CaseFactory(team=team, title="水渠堵塞")
    url = reverse("board:village", args=[team.village.code])
    client.get(url)

    with settings_dict_changed(connection, HOST="127.0.0.1", PORT=CLOSED_PORT):
        response = client.get(url)
        staff = Client(raise_request_exception=False)
        staff.cookies["sessionid"] = "someone"
        refused = staff.get(url)

    assert (response.status_code, refused.status_code) == (200, 503)
    assert "水渠堵塞" in response.content.decode()
    assert len(NOTE.findall(response.content.decode())) == 1
