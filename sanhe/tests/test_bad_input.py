"""Bad input never crashes: every URL pattern of the site, its path converters filled with hostile
values and its query (and form body) with hostile dates, months, ranges, pages and codes, asked for
by every persona. Anything may be refused (400, 403, 404, a redirect); nothing may be a 500.

The URL list is walked from the resolver, so a view added later is covered without a test edit.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cases.tests.factories import CaseFactory
from reports.exports import TABLES
from teams.tests.factories import CadreFactory, UserFactory

LONG = "x" * 3000
# Path values, by converter: what each converter lets through to the view.
PATH_VALUES = {
    "int": ["0", "99999999999999999999"],  # past a 64-bit integer
    "slug": [LONG[:600], "9999-12", "0001"],
    "str": ["%00", "a%00b", "SH-2015-0001%01", "%7f", LONG, "0001-01-01", "9999-12-31"],
}
PATH_VALUES["path"] = PATH_VALUES["str"]
# Regex patterns (the admin's) get the str values.
REGEX_VALUES = PATH_VALUES["str"]

DATES = {"start", "end", "as_of", "raised_from", "raised_to", "date", "published_on"}


def period(start: str, end: str) -> str:
    return f"start={start}&end={end}&raised_from={start}&raised_to={end}&figure=closed"


# Query strings (also posted as form bodies): one family of bad values each, so one bad value
# does not hide another behind a form error.
QUERIES = [
    period("0001-01-01", "0001-01-31"),
    period("9999-12-01", "9999-12-31"),
    period("0001-01-01", "9999-12-31"),
    period("2015-02-01", "2015-01-01"),  # start after end
    period("1999-12-31", "2101-01-01"),
    "start=0001-01-01",
    "end=9999-12-31",
    "end=0001-01-01",
    "month=0001-01",
    "month=9999-12",
    "month=2015-13",
    "month=2015-00",
    "as_of=0001-01-01",
    "as_of=9999-12-31",
    "month=2015-01&as_of=9999-12-31",
    "page=-1",
    "page=0",
    "page=99999999999999999999",
    "page=abc",
    "q=%00&page=%00&month=%00&start=%00&code=%00&number=%00",
    "q=a%00b",
    "q=%01%02%1b",
    "q=" + LONG,
    "month=" + LONG,
    "next=%00&size=%00&show=%00&verify=%00",
    "sort=%00&status=%00&category=%00&village=%00&team=%00",
    "w_closure=99999999999999999999&best=-1",
]
# The admin's changelists: its date hierarchies, search, page and order.
ADMIN_QUERIES = [
    "q=%00",
    "q=" + LONG,
    "date__year=9999&date__month=12&date__day=31",
    "raised_on__year=9999&raised_on__month=12",
    "given_on__year=0001&given_on__month=1&given_on__day=1",
    "at__year=9999&at__month=12",
    "as_of__year=9999",
    "asked_on__year=9999&asked_on__month=12&asked_on__day=31",
    "p=-1&o=%00&e=%00",
]

NOT_POSTED = {"logout"}  # it would end the persona's session


CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")
GROUP = re.compile(r"\(\?P<\w+>[^()]*\)")


def _route(pattern) -> tuple[list[str], bool]:
    """The URL texts a pattern is asked with (hostile values in its parameters), and whether it has any."""
    if hasattr(pattern, "_route"):  # path("<int:pk>/", …)
        route = str(pattern._route)
        converters = CONVERTER.findall(route)
        if not converters:
            return [route], False
        values = [v for converter in converters for v in PATH_VALUES.get(converter or "str", PATH_VALUES["str"])]
        return [CONVERTER.sub(value, route) for value in values], True
    text = pattern.regex.pattern.lstrip("^").removesuffix("\\Z").removesuffix("$")  # the admin's re_path
    if not GROUP.search(text):
        return [text], False
    return [GROUP.sub(value, text) for value in REGEX_VALUES], True


def all_urls(patterns=None, prefix: str = "", hostile: bool = False) -> list[tuple[str, str, bool]]:
    """(url, name, has hostile path values) for every pattern of the site, walked recursively."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        texts, has_values = _route(entry.pattern)
        for text in texts:
            if isinstance(entry, URLResolver):
                found += all_urls(entry.url_patterns, prefix + text, hostile or has_values)
            elif isinstance(entry, URLPattern):
                found.append(("/" + prefix + text, entry.name or "", hostile or has_values))
    return sorted(set(found))


@pytest.fixture
def personas(db, team):
    """A client per persona, with a case and its village to look at."""
    CaseFactory(team=team)
    clients = {"anonymous": Client()}
    cadre = UserFactory(role="cadre")
    CadreFactory(user=cadre, team=team)
    office = UserFactory(role="office")
    CadreFactory(user=office, team=None, town=team.town, position="党政办")
    supervisor = UserFactory(role="supervisor")
    CadreFactory(user=supervisor, team=None, town=team.town, position="督查工作队")
    county = UserFactory(role="county_supervisor")
    CadreFactory(user=county, team=None, town=None, position="县督查室")
    users = {
        "cadre": cadre,
        "office": office,
        "supervisor": supervisor,
        "county_supervisor": county,
        "admin": UserFactory(is_staff=True, is_superuser=True),
    }
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def ask(client: Client, method: str, url: str, data: str = "") -> str | None:
    """None if the answer is below 500, otherwise what went wrong."""
    try:
        if method == "GET":
            response = client.get(f"{url}?{data}" if data else url)
        else:
            response = client.post(url, data, content_type="application/x-www-form-urlencoded")
    except Exception as error:  # the test client re-raises the view's exception
        return f"{method} {url[:80]}?{data[:80]}: {error!r}"[:300]
    if response.status_code >= 500:
        return f"{method} {url[:80]}?{data[:80]}: {response.status_code}"
    return None


PERSONAS = ["anonymous", "cadre", "office", "supervisor", "admin"]


def test_the_walk_finds_every_app_and_the_admin():
    urls = [url for url, _name, _hostile in all_urls()]
    prefixes = ("/cases/", "/reports/", "/notice/", "/track/", "/admin/")
    assert [any(url.startswith(p) for url in urls) for p in prefixes] == [True] * 5
    assert "/cases/%00/" in urls
    assert "/reports/export/9999-12.xlsx" in urls


@pytest.mark.parametrize("persona", PERSONAS)
def test_hostile_path_values_never_crash(personas, persona):
    client = personas[persona]
    crashes = [ask(client, "GET", url) for url, name, hostile in all_urls() if hostile]
    crashes = [c for c in crashes if c]
    assert not crashes, "\n".join(crashes)


@pytest.mark.parametrize("persona", PERSONAS)
def test_hostile_queries_never_crash(personas, persona):
    client = personas[persona]
    crashes = []
    for url, name, hostile in all_urls():
        admin = url.startswith("/admin/")
        if hostile or (admin and not name.endswith("_changelist")):
            continue
        for query in ADMIN_QUERIES if admin else QUERIES:
            crashes.append(ask(client, "GET", url, query))
            if not admin and name not in NOT_POSTED:
                crashes.append(ask(client, "POST", url, query))
    crashes = [c for c in crashes if c]
    assert not crashes, "\n".join(crashes)


@pytest.mark.parametrize("persona", PERSONAS)
def test_hostile_periods_on_every_report_file_never_crash(personas, persona):
    """The xlsx tables sit behind a path parameter, so the walk above asks them with no query."""
    periods = [query for query in QUERIES if query.startswith(("start", "end", "month", "as_of"))]
    crashes = [ask(personas[persona], "GET", f"/reports/export/{table}.xlsx", q) for table in TABLES for q in periods]
    crashes = [c for c in crashes if c]
    assert not crashes, "\n".join(crashes)


# The middleware's own answers (sanhe/lib/badrequest.py)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/cases/SH-2015-0001%00/", "请求的地址含有不可用的字符。"),
        ("/notice/440781104201%00/print/", "请求的地址含有不可用的字符。"),
        ("/notice/%0a/", "请求的地址含有不可用的字符。"),
        ("/cases/" + "x" * 1001 + "/", "请求的地址太长。"),
        ("/cases/?q=a%00b", "查询参数含有不可用的字符。"),
        ("/cases/?q=" + "x" * 1001, "查询参数太长。"),
        ("/cases/?" + "&".join(f"k{n}=v" for n in range(2000)), "请求的地址太长。"),
        ("/admin/cases/case/?raised_on__year=9999&raised_on__month=12", "日期应在2000年至2100年之间。"),
        ("/admin/teams/visit/?date__year=0001", "日期应在2000年至2100年之间。"),
        ("/admin/teams/visit/?date__year=%D9%A2", "日期应在2000年至2100年之间。"),  # an Arabic-Indic 2
    ],
)
def test_a_hostile_path_or_query_is_refused_before_any_view_with_its_reason(personas, url, reason):
    response = personas["admin"].get(url)
    assert (response.status_code, response["Content-Type"], response.content.decode()) == (
        400,
        "text/plain; charset=utf-8",
        reason,
    )


@pytest.mark.parametrize(
    "url",
    [
        "/cases/?q=%E6%B0%B4%E6%B8%A0%09%E5%A4%B1%E4%BF%AE",  # a pasted search with a tab
        "/admin/",
        "/admin/cases/case/?q=%E6%B0%B4%E6%B8%A0",
        "/admin/cases/case/?raised_on__year=2015&raised_on__month=1",
        "/admin/teams/visit/?date__year=2100&date__month=12&date__day=31",
    ],
)
def test_ordinary_queries_and_the_admin_still_work(personas, url):
    assert personas["admin"].get(url).status_code == 200


def test_the_case_list_says_a_far_year_is_wrong(personas):
    page = personas["office"].get("/cases/", {"raised_from": "0001-01-01", "raised_to": "9999-12-31"}).content.decode()
    assert "日期应在2000年至2100年之间。" in page


def test_a_session_cookie_with_a_nul_byte_is_refused_and_deleted(db):
    browser = Client()
    browser.cookies["sessionid"] = "abcdefghij\x00"  # sent as "abcdefghij\000", unquoted to a NUL
    refused = browser.get("/cases/")
    again = browser.get("/notice/")
    assert (refused.status_code, refused.content.decode()) == (400, "Cookie 含有不可用的字符，已清除，请刷新页面。")
    assert (refused.cookies["sessionid"].value, refused.cookies["sessionid"]["max-age"]) == ("", 0)
    assert again.status_code == 200
