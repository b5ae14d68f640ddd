"""Refuse a request whose path or query carries a control character or an over-long value, before
any view runs.

PostgreSQL text cannot hold a NUL byte: a lookup with one raises ValueError deep in the driver, so
every view taking a code or number from the URL would answer 500. Nothing legitimate in this site's
URLs needs a control character or thousands of characters, so the request is refused here, once,
with a 400 and a message, instead of in every view. Form bodies are left to the forms: Django's
CharField already refuses NUL (ProhibitNullCharactersValidator), and reading the body here would
fix the upload handlers before the ledger import can choose its own.

The cookies too: a session cookie sent as "abcdefgh\\000" (Python's cookie parser unquotes octal
escapes) would reach the sessions table on every page; it is refused and deleted, so a reload works.

One more rule guards the admin: its date hierarchy (?raised_on__year=9999&raised_on__month=12)
adds a month to the date it builds and crashes past year 9999, so a *__year parameter must lie in
the years every form accepts (sanhe/lib/years.py).
"""

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from sanhe.lib.years import FIRST_YEAR, LAST_YEAR, in_years

# The longest path and query value any page builds (a case number is at most 20 characters, an
# admin object id a number); far above that is a probe.
MAX_PATH = 1000
MAX_QUERY_VALUE = 1000
MAX_QUERY = 8000
# C0 controls and DEL. In the path none is legitimate; a query value (a pasted search) may
# carry a tab or a line break, which a form trims or refuses on its own.
PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
QUERY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refusal(request: HttpRequest) -> str | None:
    """Why the request's path or query cannot be served, or None."""
    if len(request.path_info) > MAX_PATH or len(request.META.get("QUERY_STRING", "")) > MAX_QUERY:
        return _("请求的地址太长。")
    if PATH_CONTROL.search(request.path_info):
        return _("请求的地址含有不可用的字符。")
    for key, values in request.GET.lists():
        for text in (key, *values):
            if len(text) > MAX_QUERY_VALUE:
                return _("查询参数太长。")
            if QUERY_CONTROL.search(text):
                return _("查询参数含有不可用的字符。")
        if key.endswith("__year") and not all(_in_years(value) for value in values):
            return _("日期应在%(first)d年至%(last)d年之间。") % {"first": FIRST_YEAR, "last": LAST_YEAR}
    return None


def _in_years(text: str) -> bool:
    return text.isascii() and text.isdigit() and in_years(int(text))


def bad_cookies(request: HttpRequest) -> list[str]:
    return [name for name, value in request.COOKIES.items() if PATH_CONTROL.search(name + value)]


def answer(request: HttpRequest, reason: str) -> HttpResponse:
    """The refusal as text, or, under a machine interface's root, in that interface's error shape
    (settings.BAD_REQUEST_ANSWERS: root → the function writing it), for a client that reads only that."""
    for root, dotted in settings.BAD_REQUEST_ANSWERS.items():
        if request.path_info.startswith(root):
            return import_string(dotted)(request, reason)
    return HttpResponseBadRequest(reason, content_type="text/plain; charset=utf-8")


class BadRequestMiddleware:
    """Answers 400 with the reason to a request that refusal() turns away (after LocaleMiddleware,
    so the reason is in the reader's language)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = refusal(request)
        if reason is not None:
            return answer(request, reason)
        cookies = bad_cookies(request)
        if cookies:
            response = HttpResponseBadRequest(
                _("Cookie 含有不可用的字符，已清除，请刷新页面。"), content_type="text/plain; charset=utf-8"
            )
            for name in cookies:
                if name.isprintable():  # a name with a control character cannot even be deleted
                    response.delete_cookie(name)
            return response
        return self.get_response(request)
