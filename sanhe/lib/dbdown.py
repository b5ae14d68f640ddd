"""503 with Retry-After, in the reader's language, while the database cannot be reached.

A PostgreSQL restart (or a database server that is down) used to give every page Django's bare
"Server Error (500)". This middleware answers such a request with a short page (templates/503.html):
the system is briefly unavailable, go back and resend in a minute, the town's phone.

Only connection-level failures count (`is_unreachable`); any other database error still ends as a
500 and is logged as a bug. A lock or statement timeout, a deadlock, a serialization failure or a
full disk are OperationalErrors too, but resending in a minute is not the answer to them and a 503
would hide them from whoever reads the logs.

Where the failure can happen, and how each is caught:
- in a view: `process_exception`, which sees the exception itself;
- in a middleware, before or after the view (the session's or the user's lookup, the session's
  save): Django turns it into a 500 response right there, inside the middleware stack, and never
  lets it reach an outer middleware. But it first sends `got_request_exception`, while the exception
  is being handled: `_note_unreachable` marks the request, and this middleware, placed outside
  every middleware that touches the database, replaces the 500 with the 503. Django has logged the
  error with its traceback by then, which is as it should be in an outage.

The page is rendered without the request, so no context processor runs (the session and the user
would be looked up again), and without the database: the language comes from the cookie or
Accept-Language, the phone from the settings.
"""

import logging
import sqlite3
import sys
from collections.abc import Callable

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

logger = logging.getLogger("sanhe.dbdown")

# A PostgreSQL restart takes seconds; the page asks the reader to resend "in a minute".
RETRY_AFTER_SECONDS = 60
# SQLSTATEs (PostgreSQL, errcodes-appendix) of a server that is going or not yet there; the rest of
# class 57 stays a 500 (57014: a statement timeout), and so do 55P03 (lock timeout) and class 40
# (deadlock, serialization failure). Class 08 (connection exception) counts whole. An error raised
# by the driver itself carries no SQLSTATE: connection refused, server closed the connection
# unexpectedly, SSL EOF, connect timeout, "connection already closed" (InterfaceError) — no server
# answered. (psycopg2's other InterfaceError, "cursor already closed", counts too: it follows a lost
# connection far more often than a bug in code that lets Django manage its cursors.)
SERVER_GONE = {"57P01", "57P02", "57P03", "53300"}  # admin shutdown, crash, starting up, too many clients
# SQLite is a file: the one connection-level failure is a file that cannot be opened ("database is
# locked" is a busy timeout, "no such table" a missing migration; both stay 500s).
SQLITE_UNREACHABLE = {"SQLITE_CANTOPEN"}
MARK = "_sanhe_database_unreachable"


def is_unreachable(exc: BaseException | None) -> bool:
    """Whether EXC (as Django raises it, the driver's error as its __cause__) says the database
    could not be reached or the connection to it was lost, not that a query went wrong."""
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    cause = exc.__cause__
    if cause is None:  # not from a driver: nothing says which it is
        return False
    if isinstance(cause, sqlite3.Error):
        return getattr(cause, "sqlite_errorname", "") in SQLITE_UNREACHABLE
    # psycopg2 names it pgcode, psycopg 3 sqlstate.
    state = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    return state is None or state.startswith("08") or state in SERVER_GONE


def _note_unreachable(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Sent by Django while it handles an exception a middleware or view let through."""
    if request is not None and is_unreachable(sys.exc_info()[1]):
        setattr(request, MARK, True)


got_request_exception.connect(_note_unreachable, dispatch_uid="sanhe.lib.dbdown")


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 page, in the reader's language (the cookie, else Accept-Language), from nothing
    but the template, the settings and the static files."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        html = render_to_string(
            "503.html",
            {"town_name": settings.COUNTY_NAME, "town_phone": settings.COUNTY_PHONE, "LANGUAGE_CODE": language},
        )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Content-Language"] = language
    # Nothing may keep this page in place of the real one once the database is back.
    add_never_cache_headers(response)  # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


class DatabaseUnavailableMiddleware:
    """Place it before SessionMiddleware (and every other middleware that may query), after the
    ones that only add headers (security, CSP) so that the 503 carries them too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, MARK, False) and response.status_code == 500:
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_unreachable(exception):
            return None
        logger.warning("database unreachable, answering 503: %s %s: %s", request.method, request.path, exception)
        return unavailable_response(request)
