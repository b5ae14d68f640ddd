"""A very small browser for the load test: one session's cookies, and the forms of a page
submitted as a browser would submit them (CSRF token, hidden fields and defaults included).

Standard library only (http.client, html.parser): every staff client of `python -m bench.load`
is one Browser with its own session, like one person at one phone.
"""

import http.client
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie

TEXT_INPUTS = {"text", "hidden", "date", "number", "tel", "email", "password", "search", "url", ""}


@dataclass
class Response:
    method: str
    path: str
    status: int
    headers: http.client.HTTPMessage
    body: str
    seconds: float
    raw: bytes = b""  # the body as sent (a file download)

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Form:
    """One <form> of a page: where it goes, the fields a browser would send, its submit buttons."""

    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)  # every field name, sent or not (unchecked boxes)
    options: dict[str, list[str]] = field(default_factory=dict)  # each <select>'s option values

    def values(self, changes: dict | None = None, button: tuple[str, str] | None = None) -> list[tuple[str, str]]:
        """The pairs to send: the page's values, CHANGES replacing (or adding) fields by name,
        a list value sending the name once per item; BUTTON is the submit button pressed."""
        changes = changes or {}
        pairs = [(name, value) for name, value in self.fields if name not in changes]
        for name, value in changes.items():
            items = value if isinstance(value, list | tuple) else [value]
            pairs += [(name, str(item)) for item in items if item is not None]
        if button:
            pairs.append(button)
        return pairs

    def value(self, name: str) -> str:
        return next((value for key, value in self.fields if key == name), "")


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: dict | None = None  # name, multiple, options [(value, selected)]
        self._option: list | None = None  # [value or None, text, selected]
        self._textarea: list | None = None  # [name, text]

    def handle_starttag(self, tag, attrs):
        a = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form, name = self._form, a.get("name")
        if form is None:
            return
        if tag == "input" and name:
            self._input(form, name, a)
        elif tag == "button" and a.get("type", "submit") == "submit" and name:
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in a, "options": []}
            form.names.add(name)
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "", "selected" in a]
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
            form.names.add(name)

    def _input(self, form: Form, name: str, a: dict):
        kind = a.get("type", "text").lower()
        form.names.add(name)
        if kind in ("checkbox", "radio"):
            if "checked" in a:
                form.fields.append((name, a.get("value", "on")))
        elif kind == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif kind in TEXT_INPUTS:
            form.fields.append((name, a.get("value", "")))

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data
        elif self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            value, text, selected = self._option
            self._select["options"].append((text.strip() if value is None else value, selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            self._close_select()
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # Browsers drop the one newline that may follow <textarea>.
            self._form.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "form":
            self._form = None

    def _close_select(self):
        select, self._select = self._select, None
        options = select["options"]
        self._form.options[select["name"]] = [value for value, _selected in options]
        chosen = [value for value, selected in options if selected]
        if not chosen and options and not select["multiple"]:
            chosen = [options[0][0]]  # a single <select> sends its first option by default
        if not select["multiple"]:
            chosen = chosen[-1:]
        self._form.fields += [(select["name"], value) for value in chosen]


def parse_forms(html: str, url: str = "/") -> list[Form]:
    """The forms of the page at URL, their actions made absolute paths without the fragment."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    for form in parser.forms:
        form.action = urllib.parse.urldefrag(urllib.parse.urljoin(url, form.action))[0]
    return parser.forms


def find_form(page: "Response", action_ends: str) -> Form:
    """The form of PAGE whose action (without its query) ends with ACTION_ENDS."""
    for form in parse_forms(page.body, page.path):
        if urllib.parse.urlsplit(form.action).path.endswith(action_ends):
            return form
    raise LookupError(f"no form posting to …{action_ends} on {page.path} ({page.status})")


class _LinkParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def find_link(page: "Response", path_ends: str) -> str | None:
    """The path of PAGE's first link (<a href>) whose path ends with PATH_ENDS, query kept; None if none."""
    parser = _LinkParser()
    parser.feed(page.body)
    parser.close()
    for href in parser.hrefs:
        url = urllib.parse.urldefrag(urllib.parse.urljoin(page.path, href))[0]
        if urllib.parse.urlsplit(url).path.endswith(path_ends):
            return url
    return None


def find_form_or_follow(page: "Response", action_ends: str, get: Callable[[str], "Response"]) -> Form:
    """The form posting to …ACTION_ENDS on PAGE or, when PAGE only links to it (the case page's
    closed panels, whose forms are fetched when opened), on the page that link leads to, fetched
    with GET(path): what a browser without JavaScript does. LookupError when neither has it."""
    try:
        return find_form(page, action_ends)
    except LookupError:
        link = find_link(page, action_ends)
        if link is None:
            raise
        return find_form(get(link), action_ends)


class Browser:
    """One session against BASE (http://127.0.0.1:PORT): cookies kept, forms posted with the
    CSRF cookie and token. Every request is timed into RECORD(kind, response) when given."""

    def __init__(self, base: str, *, record=None, timeout: float = 30.0, language: str = "zh-CN"):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.record = record
        self.language = language
        # Sent with every request: e.g. the X-Real-IP that nginx would set, to play many addresses.
        self.extra_headers: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def request(self, method: str, path: str, data=None, *, kind: str = "", content_type: str = "") -> Response:
        """DATA is form pairs (urlencoded), or bytes sent as they are with CONTENT_TYPE (multipart)."""
        headers = {"Accept-Language": self.language, "Host": f"{self.host}:{self.port}", **self.extra_headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if isinstance(data, bytes):
            body, headers["Content-Type"] = data, content_type
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            content = raw.read()
        except Exception:
            self.close()
            raise
        seconds = time.perf_counter() - started
        if raw.will_close:
            self.close()  # gunicorn's sync workers answer one request per connection
        self._keep_cookies(raw.headers)
        response = Response(method, path, raw.status, raw.headers, content.decode("utf-8", "replace"), seconds, content)
        if self.record is not None:
            self.record(kind or method, response)
        return response

    def _keep_cookies(self, headers: http.client.HTTPMessage):
        for header in headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str, *, kind: str = "") -> Response:
        return self.request("GET", path, kind=kind or "GET")

    def submit(self, form: Form, changes: dict | None = None, *, button=None, kind: str = "") -> Response:
        return self.request(form.method.upper(), form.action, form.values(changes, button), kind=kind or "POST")

    def login(self, username: str, password: str) -> None:
        page = self.get("/accounts/login/", kind="login")
        form = find_form(page, "/accounts/login/")
        answer = self.submit(form, {"username": username, "password": password}, kind="login")
        if answer.status != 302:
            raise RuntimeError(f"login as {username} answered {answer.status}")
