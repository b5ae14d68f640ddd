"""While the database cannot be reached, pages answer 503 with Retry-After and a short page in the
reader's language (sanhe/lib/dbdown.py); any other failure stays a 500.

The database is made unreachable for real: every connection attempt goes to a database that is not
there (PostgreSQL at 127.0.0.1:1, or a SQLite file in a folder that does not exist), so the error
is the driver's own, raised where Django would raise it. On PostgreSQL, one more test moves the
live connection itself to the closed port, and one kills it under a persistent connection.
"""

import contextlib
import sqlite3
from types import SimpleNamespace

import psycopg2
import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections, transaction
from django.db.utils import DatabaseErrorWrapper
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from sanhe.lib.dbdown import RETRY_AFTER_SECONDS, is_unreachable
from villages.models import Village

CLOSED_PORT = "1"
MISSING_SQLITE_FILE = "/nonexistent-sanhe-folder/db.sqlite3"


# -- A urlconf of our own: the site's pages, and three that fail in known ways -------------------


def plain_view(request: HttpRequest) -> HttpResponse:
    """Queries nothing: a failure on this page comes from a middleware."""
    return HttpResponse("plain")


def bug_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(1 / 0))


def bad_query_view(request: HttpRequest) -> HttpResponse:
    """An OperationalError from a query the database answered: not a connection failure."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(5)")  # cancelled at once by the statement timeout
        else:
            cursor.execute("SELECT * FROM no_such_table")
    return HttpResponse("unreachable")


urlpatterns = [
    path("test-plain/", plain_view),
    path("test-bug/", bug_view),
    path("test-bad-query/", bad_query_view),
    path("", include("sanhe.urls")),
]


# -- Helpers -------------------------------------------------------------------------------------


def _unreachable_params(conn) -> dict:
    params = conn.get_connection_params()
    if conn.vendor == "postgresql":
        params.update(host="127.0.0.1", port=int(CLOSED_PORT))
    else:
        params["database"] = MISSING_SQLITE_FILE
    return params


@contextlib.contextmanager
def database_unreachable():
    """Every query of the default connection tries to connect to a database that is not there,
    and fails with the driver's own error wrapped as Django wraps it."""
    conn = connections["default"]
    params = _unreachable_params(conn)

    def connect_to_nothing():
        with conn.wrap_database_errors:
            conn.get_new_connection(params)

    conn.ensure_connection = connect_to_nothing
    try:
        yield
    finally:
        del conn.ensure_connection


def _driver_error(driver, call) -> OperationalError:
    """The Django error a failing call to DRIVER raises, with the driver's error as its cause."""
    try:
        with DatabaseErrorWrapper(SimpleNamespace(Database=driver, errors_occurred=False)):
            call()
    except OperationalError as exc:
        return exc
    raise AssertionError("the driver call did not fail")


def assert_unavailable_page(response, *, lang: str) -> str:
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Language"] == lang
    assert f'<html lang="{lang}">' in body
    assert 'href="tel:0750-5524538"' in body
    assert "/static/css/app.css" in body
    assert "default-src 'self'" in response["Content-Security-Policy"]  # still inside the CSP middleware
    assert "Traceback" not in body
    assert "OperationalError" not in body
    return body


# -- Which errors count --------------------------------------------------------------------------


def test_is_unreachable_postgresql_connection_refused():
    error = _driver_error(
        psycopg2, lambda: psycopg2.connect(host="127.0.0.1", port=int(CLOSED_PORT), dbname="x", user="x")
    )

    assert is_unreachable(error) is True


def test_is_unreachable_sqlite_file_that_cannot_be_opened():
    error = _driver_error(sqlite3, lambda: sqlite3.connect(MISSING_SQLITE_FILE))

    assert is_unreachable(error) is True


def test_is_unreachable_not_for_a_failed_query():
    error = _driver_error(sqlite3, lambda: sqlite3.connect(":memory:").execute("SELECT * FROM no_such_table"))

    assert is_unreachable(error) is False


def test_is_unreachable_not_for_other_errors():
    assert is_unreachable(ZeroDivisionError()) is False
    assert is_unreachable(OperationalError("raised by hand, no driver behind it")) is False


# -- Through the middleware ----------------------------------------------------------------------


@pytest.mark.django_db
def test_db_down_public_board_answers_503_in_chinese(client):
    # The default client re-raises an exception that reached Django's 500 handler: this page's
    # failure is in the view and is answered by process_exception.
    with database_unreachable():
        response = client.get("/notice/")

    body = assert_unavailable_page(response, lang="zh-hans")
    assert "<h1>系统暂时无法使用</h1>" in body
    assert "刚才提交的内容没有保存。请一分钟后返回上一页" in body
    assert "台山市驻点直联工作台账" in body


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_db_down_session_lookup_in_middleware_answers_503(cadre_user):
    # Logged in: the session and the user are looked up by the middleware before any view, on a
    # page that itself queries nothing. Django turns that failure into a 500 inside the middleware
    # stack (and the test client would re-raise it: a real server does not).
    client = Client(raise_request_exception=False)
    client.force_login(cadre_user)

    with database_unreachable():
        response = client.get("/test-plain/")

    body = assert_unavailable_page(response, lang="zh-hans")
    assert "<h1>系统暂时无法使用</h1>" in body


@pytest.mark.django_db
def test_db_down_staff_page_answers_503(cadre_user):
    client = Client(raise_request_exception=False)
    client.force_login(cadre_user)

    with database_unreachable():
        response = client.get("/my-team/")

    assert_unavailable_page(response, lang="zh-hans")


@pytest.mark.django_db
def test_db_down_page_in_english_by_accept_language(client):
    with database_unreachable():
        response = client.get("/notice/", headers={"accept-language": "en"})

    body = assert_unavailable_page(response, lang="en")
    assert "台山市 liaison case tracker" in body
    assert "Phone 0750-5524538" in body
    assert "Vary" in response and "Accept-Language" in response["Vary"]


@pytest.mark.django_db
def test_db_down_page_in_english_by_language_cookie(client):
    client.cookies["django_language"] = "en"

    with database_unreachable():
        response = client.get("/notice/", headers={"accept-language": "zh-CN"})

    body = assert_unavailable_page(response, lang="en")
    assert "台山市 liaison case tracker" in body


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_db_down_an_ordinary_bug_stays_500():
    client = Client(raise_request_exception=False)

    response = client.get("/test-bug/")

    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_db_down_a_failed_query_stays_500():
    # SQLite: no such table; PostgreSQL: a statement timeout. Both are OperationalErrors from a
    # database that answered.
    client = Client(raise_request_exception=False)

    response = client.get("/test-bad-query/")

    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.mark.django_db
def test_db_down_pages_work_again_once_it_is_back(client):
    with database_unreachable():
        assert client.get("/notice/").status_code == 503

    response = client.get("/notice/")

    assert response.status_code == 200
    assert "Retry-After" not in response


# -- PostgreSQL, for real ------------------------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only (DATABASE_URL=postgres://…)"
)


@contextlib.contextmanager
def settings_dict_changed(conn, **changes):
    saved = {key: conn.settings_dict[key] for key in changes}
    conn.close()
    conn.settings_dict.update(changes)
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.update(saved)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_db_down_postgresql_on_a_closed_port_answers_503(client):
    # Django itself connects, to a port where nothing listens.
    with settings_dict_changed(connection, HOST="127.0.0.1", PORT=CLOSED_PORT):
        response = client.get("/notice/")

    assert_unavailable_page(response, lang="zh-hans")


def _plain_params(conn) -> dict:
    """CONN's parameters for a psycopg2 connection of our own."""
    params = conn.get_connection_params()
    params.pop("cursor_factory", None)
    return params


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_is_unreachable_not_for_a_lock_timeout():
    table = Village._meta.db_table
    with contextlib.closing(psycopg2.connect(**_plain_params(connection))) as holder:
        with holder.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")  # held until the rollback
        with pytest.raises(OperationalError) as caught, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = 1")
            cursor.execute(f"SELECT count(*) FROM {table}")
        holder.rollback()

    assert caught.value.__cause__.pgcode == "55P03"  # lock_not_available
    assert is_unreachable(caught.value) is False


def _kill_backend_of(conn) -> None:
    """Terminate CONN's server process from another connection, as a restart would."""
    pid = conn.connection.get_backend_pid()
    with contextlib.closing(psycopg2.connect(**_plain_params(conn))) as killer:
        killer.autocommit = True
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def _request_after_restart(client, conn, *, health_checks: bool):
    with settings_dict_changed(conn, CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=health_checks):
        conn.ensure_connection()  # a persistent connection from an earlier request
        _kill_backend_of(conn)
        connection.close_if_unusable_or_obsolete()  # what Django does when a request starts
        return client.get("/notice/")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_db_down_persistent_connection_killed_is_replaced_with_health_checks(client):
    response = _request_after_restart(Client(raise_request_exception=False), connection, health_checks=True)

    assert response.status_code == 200


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_db_down_persistent_connection_killed_without_health_checks_answers_503():
    response = _request_after_restart(Client(raise_request_exception=False), connection, health_checks=False)

    assert_unavailable_page(response, lang="zh-hans")


def test_db_down_settings_check_connections_health():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
