"""The public pages' memo (public/services.py, `page_for`): an anonymous reader's page is kept whole,
in this process and in the shared cache, under a key that holds the board's version; each answer
carries its reader's own CSRF token. A write shows on the next request; a logged-in reader's page is
never kept or served from it."""

import datetime
import re
import time

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django.urls import reverse

from cases import workflow
from cases.models import Case
from cases.tests.factories import CaseFactory, SubCategoryFactory
from public import services
from public.tests.helpers import add_event
from teams.tests.factories import TeamFactory

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def board(db):
    team = TeamFactory()
    case = CaseFactory(team=team, title="鸡狗被盗", raised_on=datetime.date(2015, 1, 9))
    add_event(case, "已联系派出所加强巡逻", day=12)
    return team.village


@pytest.fixture
def database_cache(db):
    """The production cache (db://sanhe_cache): every read of it is a query. Put back before the
    database goes, for the cache-clearing fixture's sake."""
    caches = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "sanhe_test_cache"}}
    with override_settings(CACHES=caches):
        call_command("createcachetable", verbosity=0)
        yield


def url(village, **query) -> str:
    path = reverse("board:village", args=[village.code])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def without_token(content: bytes) -> str:
    return TOKEN.sub("", content.decode())


def test_cached_board_is_one_query_with_the_database_cache(client, board, database_cache, django_assert_num_queries):
    client.get(url(board))
    with django_assert_num_queries(1):  # the board's version; the page from this process's memo
        again = client.get(url(board))
    assert "鸡狗被盗" in again.content.decode()


@pytest.mark.parametrize("count", [1, 30])
def test_cold_board_query_count_is_constant_with_the_database_cache(
    client, db, database_cache, count, django_assert_num_queries
):
    team = TeamFactory()
    SubCategoryFactory()
    for case in CaseFactory.create_batch(count, team=team):
        add_event(case, "进展")
    # the board's 9 (with its public photos); the page and the board missed in the cache (2), each
    # stored (a count, a read, a write and the savepoint around them: 5 each)
    with django_assert_num_queries(21):
        client.get(url(team.village))


def test_another_process_finds_the_page_in_the_shared_cache(client, board, django_assert_num_queries):
    first = client.get(url(board, status="open"))
    services.pages.clear()  # another worker: its memo is empty, the shared cache is not
    with django_assert_num_queries(1):
        again = client.get(url(board, status="open"))
    assert without_token(again.content) == without_token(first.content)


def test_a_write_shows_on_the_next_request_through_the_memo(client, board):
    case = Case.objects.get(title="鸡狗被盗")
    before = client.get(url(board)).content.decode()
    client.get(url(board))  # from the memo

    workflow.add_progress(case=case, text="村里增设了监控", public=True, by=None)

    after = client.get(url(board)).content.decode()
    assert ("村里增设了监控" in before, "村里增设了监控" in after) == (False, True)


def test_a_write_shows_on_a_filtered_page_and_the_town_board(client, board):
    case = Case.objects.get(title="鸡狗被盗")
    open_before = client.get(url(board, status="open")).content.decode()
    town_before = client.get(reverse("board:index")).content.decode()

    workflow.close(case=case, closure="on_the_spot", result="当场答复", closed_on=datetime.date(2015, 1, 20), by=None)

    open_after = client.get(url(board, status="open")).content.decode()
    town_after = client.get(reverse("board:index")).content.decode()
    assert ("鸡狗被盗" in open_before, "鸡狗被盗" in open_after) == (True, False)
    assert ("已办结 0 条" in town_before, "已办结 1 条" in town_after) == (True, True)


def test_a_write_shows_in_a_process_whose_memo_holds_the_old_page(client, board):
    """The memo is per process: another worker's write reaches it through the version alone."""
    client.get(url(board))
    Case.objects.filter(village=board).update(title="水渠已列入维修计划")  # no cache touched

    after = client.get(url(board)).content.decode()
    assert ("水渠已列入维修计划" in after, "鸡狗被盗" in after) == (True, False)


def test_each_reader_gets_a_token_of_their_own_that_the_language_form_accepts(board, client_class):
    first, second = client_class(enforce_csrf_checks=True), client_class(enforce_csrf_checks=True)
    first.get(url(board))  # fills the memo
    page = second.get(url(board))  # served from it
    token = TOKEN.search(page.content.decode())[1]

    assert token != services.CSRF_SLOT
    assert token != TOKEN.search(first.get(url(board)).content.decode())[1]
    answer = second.post(reverse("set_language"), {"language": "en", "next": "/notice/", "csrfmiddlewaretoken": token})
    assert (answer.status_code, answer["Location"]) == (302, "/notice/")


def test_page_links_to_itself_with_its_own_query_string(client, board):
    client.get(url(board, status="open"))
    page = client.get(url(board, status="open", ref="qr")).content.decode()
    assert f"next=/notice/{board.code}/%3Fstatus%3Dopen%26ref%3Dqr" in page


def test_logged_in_reader_is_never_served_nor_kept_in_the_memo(client, office_client, office_user, board):
    name = office_user.cadre.name
    anonymous_first = client.get(url(board)).content.decode()
    staff = office_client.get(url(board)).content.decode()
    anonymous_after = client.get(url(board)).content.decode()

    assert (name in anonymous_first, name in staff, name in anonymous_after) == (False, True, False)
    assert ("工作人员登录" in staff, "工作人员登录" in anonymous_after) == (False, True)


def page(size: int, built: float = 0.0) -> services.Page:
    return services.Page("text/html", [b"x" * size], built or time.time())


def test_memo_keeps_the_recently_used_pages_within_its_bytes():
    memo = services.PageMemo(max_bytes=10)
    memo.put("a", page(4))
    memo.put("b", services.Page("text/html", [b"12", b"34"], time.time()))
    memo.get("a")  # a is now the most recently used
    memo.put("c", page(4))
    memo.put("huge", page(11))  # bigger than the memo: not kept

    assert [key for key in ("a", "b", "c", "huge") if memo.get(key)] == ["a", "c"]
    assert memo.size == 8


def test_memo_forgets_a_page_as_the_shared_cache_would():
    """The memo is no way round the bound on what no write changes (a new rule of the text checker)."""
    memo = services.PageMemo(max_bytes=100)
    memo.put("old", page(4, built=time.time() - services.CACHE_SECONDS - 1))
    memo.put("new", page(4))

    assert (memo.get("old"), memo.get("new") is not None, memo.size) == (None, True, 4)


def test_shared_cache_keeps_no_page_for_made_up_parameters(client, board, database_cache):
    from django.db import connection

    def rows() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sanhe_test_cache")
            return cursor.fetchone()[0]

    client.get(url(board, utm="x"))
    made_up = rows()  # the board's content only
    client.get(url(board, status="open"))
    assert (made_up, rows()) == (1, 3)  # and the filtered page's content and whole page


def test_reader_with_a_message_sees_it_and_only_they_do(client_class, board):
    """A message waiting in a cookie (e.g. after logging out) is shown once, to its reader only."""
    plain, told = client_class(), client_class()
    storage = CookieStorage(RequestFactory().get("/"))
    told.cookies[CookieStorage.cookie_name] = storage._encode([Message(constants.INFO, "您已退出登录")])

    plain.get(url(board))  # fills the memo
    theirs = told.get(url(board)).content.decode()
    others = client_class().get(url(board)).content.decode()

    assert ("您已退出登录" in theirs, "您已退出登录" in others) == (True, False)
