"""What the public may see of the ledger, and how the public pages stay fast and fresh.

Privacy by construction: public templates never receive a Case. They receive a PublicCase,
built here from a whitelist of fields; a resident appears at most as a masked surname (陈**),
and a case that is not for public posting keeps only its category, status and dates. Every text
it does show passes the public-text checker once more (`checked`), for rows older than the rule.

Freshness: a village's board is cached under a key that holds its version (villages.models.BoardVersion),
which database triggers advance with every write the board shows, in the write's own transaction
(villages/board_sql.py), so a change shows at once, whatever time the rows say they were written;
the same key gives the ETag that lets a phone re-fetch nothing unchanged.
"""

import datetime
import functools
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.db import DatabaseError
from django.db.models import Count, F, Max, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, CaseTally
from cases.privacy import MAYBE_PRIVATE, strip_private
from sanhe.lib.dbdown import is_unreachable
from villages.models import BoardVersion, Town, Village

logger = logging.getLogger("sanhe.dbdown")  # with the 503s: what was answered during an outage

# Bump when the public templates change, so no cached page or ETag outlives a deploy.
BOARD_REVISION = "8"
# Every write the board shows changes the key; this only bounds what no write makes: a new rule
# of the public-text checker (`checked`) reaching a page cached before the deploy.
CACHE_SECONDS = 10 * 60
# Events whose text was written for the public; other public events show their kind only
# (registration notes may name the resident; a closing's text is the result, shown apart).
EVENT_TEXT_SHOWN = {CaseEvent.Kind.PROGRESS, CaseEvent.Kind.TRIAGED, CaseEvent.Kind.REOPENED}
TEXT_SIZE_COOKIE = "notice_text"


def mask_surname(name: str) -> str:
    """The most the public ever sees of a resident: the first character and two stars (陈**)."""
    name = (name or "").strip()
    return f"{name[0]}**" if name else ""


@dataclass(frozen=True)
class PublicEntry:
    """One public line of a case's history."""

    on: datetime.date
    kind: str
    text: str = ""


@dataclass(frozen=True)
class PublicFeedback:
    on: datetime.date
    channel: str
    satisfaction: str


@dataclass(frozen=True)
class PublicCase:
    """A case as the public may see it. Built only by public_case(); holds nothing private."""

    number: str
    raised_on: datetime.date
    category: str
    subcategory: str
    status: str
    status_label: str
    closure_label: str
    posted: bool
    title: str = ""
    entries: tuple[PublicEntry, ...] = ()
    result: str = ""
    closed_on: datetime.date | None = None
    fed_back_on: datetime.date | None = None
    resident: str = ""
    feedback: tuple[PublicFeedback, ...] = field(default=())

    @property
    def is_closed(self) -> bool:
        return self.status == Case.Status.CLOSED

    @property
    def latest_step(self) -> PublicEntry | None:
        """The newest public entry with words (the paper board has room for one)."""
        return next((entry for entry in reversed(self.entries) if entry.text), None)


def checked(text: str, name: str) -> str:
    """TEXT as the board may show it. Every save path refuses private text (cases/privacy.py);
    rows written before that rule, by SQL or by an old import still pass through here: a phone, an
    ID or house number, a household marker or the resident's NAME is taken out, never shown."""
    if not text or not (MAYBE_PRIVATE.search(text) or (name and name in text)):
        return text or ""
    return strip_private(text, names=[name] if name else ())[0]


def _entry(event: CaseEvent, *, with_text: bool, name: str) -> PublicEntry:
    text = checked(event.shown_text, name) if with_text and event.kind in EVENT_TEXT_SHOWN else ""
    return PublicEntry(on=timezone.localdate(event.at), kind=label(CaseEvent.Kind, event.kind), text=text)


@functools.lru_cache(maxsize=64)
def _labels(choices: type, language: str) -> dict[str, str]:
    return {value: str(text) for value, text in choices.choices}


def label(choices: type, value: str) -> str:
    """VALUE's label among CHOICES in the reader's language. get_FOO_display() builds the choices'
    mapping and translates every label on each call: on a board page, once per case and per line
    of history (a third of the page's Python time)."""
    return _labels(choices, get_language() or "")[value] if value else ""


def public_case(case: Case, *, own: bool = False) -> PublicCase:
    """What CASE shows on the board; with OWN, what its resident sees on /track/ (the masked
    surname, the dates and kinds of its public steps and the feedback recorded — no text of a
    case that is not for public posting, never who gave the feedback or its notes).
    CASE needs category, subcategory and `public_events` (Case.objects.public()); with OWN also
    `feedback` prefetched."""
    posted = case.public_posting
    name = case.resident_name.strip()
    if posted or own:
        entries = tuple(_entry(e, with_text=posted, name=name) for e in case.public_events)
    else:
        entries = ()
    feedback = ()
    if own:
        feedback = tuple(
            PublicFeedback(row.given_on, row.get_channel_display(), row.get_satisfaction_display())
            for row in case.feedback.all()
        )
    return PublicCase(
        number=case.number,
        raised_on=case.raised_on,
        category=case.category.label if case.category else "",
        subcategory=case.subcategory.label if case.subcategory else "",
        status="voided" if case.voided_at else case.status,
        status_label=_("已作废（登记有误，不再办理）") if case.voided_at else label(Case.Status, case.status),
        closure_label=label(Case.Closure, case.closure),
        posted=posted,
        title=checked(case.title, name) if posted else "",
        entries=entries,
        result=checked(case.result, name) if posted and case.is_closed else "",
        closed_on=case.closed_on,
        fed_back_on=case.fed_back_on,
        resident=mask_surname(case.resident_name) if own else "",
        feedback=feedback,
    )


# -- Freshness: the cache key and the validators -------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """The version of a village's board (or the town's) and when it last changed; COUNT, a village's
    number of cases."""

    version: str
    latest: datetime.datetime | None
    count: int = 0


def _version(number: int | None, changed_at: datetime.datetime | None) -> str:
    # With the time: a version number of a restored or recreated database names another page.
    return f"{number or 0}/{changed_at.isoformat() if changed_at else '-'}"


def village_for_board(code: str, *, with_count: bool = False) -> tuple[Village, Freshness]:
    """The village CODE (404 if none) and its freshness in one query that reads no case: its board's
    version and, WITH_COUNT (the paper board's "more"), its number of cases from the tally of months
    (cases.models.CaseTally). Without it the query reads two rows by key, whatever the ledger's
    size: summing a village's tally rows cost ~2 ms a request at 1M cases, on every cached hit."""
    villages = Village.objects.select_related("town").annotate(
        board_version=F("board__version"), board_changed=F("board__changed_at")
    )
    if with_count:
        villages = villages.annotate(case_count=_tallied("raised", village_id=OuterRef("pk")))
    village = get_object_or_404(villages, code=code)
    version = _version(village.board_version, village.board_changed)
    return village, Freshness(version, village.board_changed, getattr(village, "case_count", 0))


def town_freshness(town: Town | None = None) -> Freshness:
    """TOWN's freshness (the county's without one) in one query over its villages' versions: their
    sum grows with every write to any board, and the number of villages changes it when a village goes."""
    versions = BoardVersion.objects.all() if town is None else BoardVersion.objects.filter(village__town=town)
    row = versions.aggregate(total=Sum("version"), villages=Count("pk"), latest=Max("changed_at"))
    return Freshness(f"{row['villages']}/{_version(row['total'], row['latest'])}", row["latest"])


def _tallied(column: str, **where) -> Coalesce:
    """The sum of a column of the tally over the rows WHERE (OuterRef allowed), 0 when none."""
    rows = CaseTally.objects.filter(**where).order_by().values("village_id").annotate(n=Sum(column)).values("n")
    return Coalesce(Subquery(rows), 0)


def villages_with_counts(town: Town):
    """TOWN's villages with their number of cases and of closed ones (from the tally), in one query
    that reads the town's tally rows once (its index by town and month): a sum per village in a
    subquery read them twice per village, ~35 ms at 1M cases."""
    sql = (
        "SELECT v.*, COALESCE(t.total, 0) AS total, COALESCE(t.closed, 0) AS closed FROM {village} v "
        "LEFT JOIN (SELECT village_id, SUM(raised) AS total, SUM(raised_closed) AS closed FROM {tally} "
        "WHERE town_id = %s GROUP BY village_id) t ON t.village_id = v.id WHERE v.town_id = %s ORDER BY v.code"
    )
    tables = {"village": Village._meta.db_table, "tally": CaseTally._meta.db_table}
    return list(Village.objects.raw(sql.format(**tables), [town.pk, town.pk]))


def towns_with_counts() -> list[Town]:
    """Every town with its number of cases and of closed ones, from the tally: one query whatever
    the number of towns (the county's board)."""
    totals = CaseTally.objects.order_by().values("town_id").annotate(total=Sum("raised"), closed=Sum("raised_closed"))
    towns = Town.objects.annotate(
        total=Coalesce(Subquery(totals.filter(town_id=OuterRef("pk")).values("total")), 0),
        closed=Coalesce(Subquery(totals.filter(town_id=OuterRef("pk")).values("closed")), 0),
        village_count=Count("villages", distinct=True),
    )
    return list(towns.order_by("division_code"))


def board_count(village: Village, status: str, category: str) -> int | None:
    """How many cases the board lists for a STATUS ("", "open" or a status) and CATEGORY (a pk,
    "none" for the unclassified, or ""), from the tally: the pages' count without counting a
    village's every case. None where the tally cannot tell (registered apart from in progress)."""
    from public.forms import OPEN, UNCLASSIFIED

    if status not in ("", OPEN, Case.Status.CLOSED):
        return None
    rows = CaseTally.objects.filter(village_id=village.pk)
    if category == UNCLASSIFIED:
        rows = rows.filter(category_id=0)
    elif category:
        rows = rows.filter(category_id=int(category))
    sums = rows.aggregate(raised=Sum("raised"), closed=Sum("raised_closed"))
    raised, closed = sums["raised"] or 0, sums["closed"] or 0
    return {"": raised, OPEN: raised - closed, Case.Status.CLOSED: closed}[status]


def page_key(*parts) -> str:
    """A cache key for a public page's content: its parts, the language and the template revision."""
    raw = "|".join(str(p) for p in (BOARD_REVISION, get_language(), *parts))
    return "board:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def cached_html(key: str, build: Callable[[], str]) -> SafeString:
    html = cache.get(key)
    if html is None:
        html = str(build())
        cache.set(key, html, CACHE_SECONDS)
    return mark_safe(html)  # our own rendered template output


def large_text(request: HttpRequest) -> bool:
    return request.COOKIES.get(TEXT_SIZE_COOKIE) == "large"


def conditional_page(
    request: HttpRequest, key: str, freshness: Freshness, render_page: Callable[..., HttpResponse]
) -> HttpResponse:
    """A 304 when the client holds this very page, otherwise the page (from this process's memo of
    pages where the reader is anonymous, see `page_for`); both carry the validators. The ETag adds to
    KEY what the page shell depends on: text size and who is logged in."""
    user = request.user.pk if request.user.is_authenticated else 0
    shell = f"{key}|{large_text(request)}|{user}"
    # Weak: the page's bytes differ by the CSRF token of the language form, not its meaning.
    etag = 'W/"' + hashlib.sha256(shell.encode()).hexdigest()[:32] + '"'
    last_modified = int(freshness.latest.timestamp()) if freshness.latest else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = page_for(request, shell, render_page)
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    # Stored by the phone, revalidated on every view: a change shows at once, nothing unchanged re-sent.
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


# -- This process's memo of whole pages ------------------------------------------------------------
#
# A cached board still cost a cache read (a SELECT with the database cache) and a render of the page
# around it (base.html: navigation, language form) on every hit: ~6 ms of a worker per request under
# load. For a reader with no session and no messages (a villager: no login on these pages) the whole
# page is the same bytes for everyone but the CSRF token of the language form, so each process keeps
# those bytes, keyed by the board's key, which holds its version: a write advances the version, the
# next request asks for another key, and the page is built afresh. Nothing here can go stale.

# Never in a rendered page: the template's CSRF token is rendered as this, and each answer puts its
# own reader's token in its place.
CSRF_SLOT = "csrfslot" + "0" * 56
# The memo's size in bytes of pages (a board is ~25 KB): a few hundred pages per process.
MEMO_BYTES = 8 * 1024 * 1024
SHARED_PARAMETERS = {"status", "category", "page", "size"}


@dataclass(frozen=True)
class Page:
    """A rendered public page: its bytes around the CSRF token's places, and when it was built."""

    content_type: str
    parts: list[bytes]
    built: float

    @property
    def size(self) -> int:
        return sum(len(part) for part in self.parts)


class PageMemo:
    """A least-recently-used map of page keys to pages, bounded in bytes, safe across threads. A page
    is kept no longer than the shared cache keeps it (MAX_AGE seconds from when it was built)."""

    def __init__(self, max_bytes: int, max_age: float = CACHE_SECONDS):
        self.max_bytes = max_bytes
        self.max_age = max_age
        self.pages: OrderedDict[tuple, Page] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Page | None:
        with self.lock:
            page = self.pages.get(key)
            if page is None:
                return None
            if page.built + self.max_age < time.time():
                del self.pages[key]
                self.size -= page.size
                return None
            self.pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: Page) -> None:
        size = page.size
        if size > self.max_bytes:
            return
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= old.size
            self.pages[key] = page
            self.size += size
            while self.size > self.max_bytes:
                _key, evicted = self.pages.popitem(last=False)
                self.size -= evicted.size

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()
            self.size = 0


pages = PageMemo(MEMO_BYTES)


def anonymous_reader(request: HttpRequest) -> bool:
    """No session and no messages: the page shell shows no one's name, role or message. (Without a
    session cookie nobody is logged in; messages live in a cookie or in the session.)"""
    return settings.SESSION_COOKIE_NAME not in request.COOKIES and CookieStorage.cookie_name not in request.COOKIES


def page_for(request: HttpRequest, shell: str, render_page: Callable[..., HttpResponse]) -> HttpResponse:
    """The page SHELL names, with the reader's own CSRF token: for an anonymous reader from this
    process's memo, else from the shared cache (rendered once for all the workers), else rendered.
    A page this process did not hold is also kept as its address's last good page (see below)."""
    if not anonymous_reader(request):
        return render_page()
    # The full path: the page links to itself (text size, language) with its query string.
    memo_key = (shell, request.get_full_path())
    # Kept (here, in the shared cache, as the last good page) only for the board's own parameters,
    # so that made-up ones can neither fill the caches nor push real boards out of them.
    if not set(request.GET) <= SHARED_PARAMETERS:
        return render_page()
    page = pages.get(memo_key)
    if page is None:
        cache_key = "board-page:" + hashlib.sha256("|".join(memo_key).encode()).hexdigest()[:40]
        page = cache.get(cache_key)
        if page is None:
            rendered = render_page(csrf_token=CSRF_SLOT)
            if rendered.status_code != 200:
                return render_page()  # never a page carrying the token's placeholder
            page = Page(rendered["Content-Type"], rendered.content.split(CSRF_SLOT.encode()), time.time())
            cache.set(cache_key, page, CACHE_SECONDS)
            _share_last_good(request, page)
        pages.put(memo_key, page)
        last_good.put(_last_good_key(request), page)
    return HttpResponse(get_token(request).encode().join(page.parts), content_type=page.content_type)


# -- The last good page, for an outage -------------------------------------------------------------
#
# While the database cannot be reached, no board's version can be read, so no page above can be named.
# An anonymous reader of a board then gets the last page this address showed (same language, text
# size and URL), with a note saying when it was built, rather than the 503: a villager reading the
# board loses nothing by reading it as of this morning, and is told so. Kept in this process (a copy
# in a database cache is down with the database) and in the shared cache where that is not the
# database (another worker may have rendered it); a logged-in reader's page is never kept, and they
# get the 503 (their pages need the database anyway).

# Longer than CACHE_SECONDS, to cover a database restart or a short outage with boards a while old
# (their note gives the time); not a day: a case withdrawn from the board must not come back from a
# copy older than that.
LAST_GOOD_SECONDS = 60 * 60
last_good = PageMemo(4 * 1024 * 1024, max_age=LAST_GOOD_SECONDS)
MAIN_TAG = re.compile(rb"<main\b[^>]*>")


def _last_good_key(request: HttpRequest) -> tuple:
    # The absolute address: the paper board prints its own online address as its QR code.
    return ("last-good", BOARD_REVISION, get_language(), large_text(request), request.build_absolute_uri())


def _shared_cache_outlives_database() -> bool:
    return not isinstance(caches[DEFAULT_CACHE_ALIAS], BaseDatabaseCache)


def _shared_key(key: tuple) -> str:
    return "board-last-good:" + hashlib.sha256("|".join(map(str, key)).encode()).hexdigest()[:40]


def _share_last_good(request: HttpRequest, page: Page) -> None:
    """Keep PAGE, just rendered, for the other workers too (once per render, not per hit)."""
    if _shared_cache_outlives_database():
        cache.set(_shared_key(_last_good_key(request)), page, LAST_GOOD_SECONDS)


def _find_last_good(request: HttpRequest) -> Page | None:
    key = _last_good_key(request)
    page = last_good.get(key)
    if page is None and _shared_cache_outlives_database():
        try:
            page = cache.get(_shared_key(key))
        except Exception:  # the cache may be down too (Redis on the same host): no page, the 503
            logger.warning("shared cache unreachable while looking for the last good board", exc_info=True)
    return page


def last_good_response(request: HttpRequest) -> HttpResponse | None:
    """The last good page of this address for an anonymous GET or HEAD, with the reader's own CSRF
    token and a note of when it was built; no validators (it is not the page its ETag would name)."""
    if request.method not in ("GET", "HEAD") or not anonymous_reader(request):
        return None
    page = _find_last_good(request)
    if page is None:
        return None
    built = datetime.datetime.fromtimestamp(page.built, tz=datetime.UTC)
    note = render_to_string("public/_outage_note.html", {"built": built}).strip().encode()
    html = MAIN_TAG.sub(lambda tag: tag[0] + note, get_token(request).encode().join(page.parts), count=1)
    response = HttpResponse(html, content_type=page.content_type)
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


def last_good_when_unreachable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A board's view that answers with the address's last good page when the database cannot be
    reached (its version cannot be read); any other error, or no such page, goes on as before (the
    503 of sanhe/lib/dbdown.py, or a 500)."""

    @functools.wraps(view)
    def board_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DatabaseError as exc:
            response = last_good_response(request) if is_unreachable(exc) else None
            if response is None:
                raise
            logger.warning("database unreachable, serving the last good board: %s: %s", request.path, exc)
            return response

    return board_view
