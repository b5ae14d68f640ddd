"""The roster's long <select>s (cadres, teams, villages, categories, helpers), rendered once per
roster version and language and then read from the cache.

The case list's filter and bulk forms hold some 230 <option>s; rendering them through Django's
widget templates cost more than the page's rows. They change only when the roster does, so a
select's options are kept in the shared cache (the database cache in production, seen by every
gunicorn worker) together with the roster version they were rendered at. The version is a counter
in the same cache, bumped whenever a model that feeds a select is saved or deleted (the receivers
are connected by TeamsConfig.ready, so commands and the admin bump it too). An entry of another
version is stale: it is rendered again, from the database, and stored over the old one.

Use: give a field `widget=RosterSelect("app.form.field")`, a name unique to its list of choices,
and before rendering call `prepare(form, other_form, ...)` to read every such select of the page
in one cache round trip (without it, each select reads its own entry). Only for choices that are
the same for every user: a queryset narrowed per request would be served to the wrong user.
"""

import time
from collections.abc import Iterable

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DatabaseError, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

VERSION_KEY = "roster:version"
# Entries are overwritten in place at each new version; the timeout only lets unused ones go.
TIMEOUT = 7 * 24 * 3600
# Models whose rows are options somewhere (by label: teams sits below cases and does not import it).
MODELS = ("teams.Cadre", "teams.Team", "teams.Helper", "villages.Village", "cases.Category", "cases.SubCategory")
# Many-to-many links that change what a select may offer: a helper's villages, a user's role (groups).
LINKS = ("teams.Helper_villages",)


def _new_version() -> int:
    """A start for the counter when the cache has none (first use, cleared, culled or expired):
    nanoseconds since the epoch, later than any version an entry can carry, so no stale entry matches."""
    return time.time_ns()


def roster_version() -> int:
    """The current roster version, starting the counter if the cache has none."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = _new_version()
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def bump_roster() -> None:
    """A new roster version: every cached select is rendered again at its next use."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no counter: a new start is a new version
        cache.set(VERSION_KEY, _new_version(), timeout=None)
    else:
        cache.touch(VERSION_KEY, timeout=None)  # the database cache's incr sets the default timeout


def _roster_changed(sender, using=None, action="post_", **kwargs) -> None:
    """Bump now, so that the very next render sees the change, and again once the transaction
    commits: a render between the two may have read the rows before the change was committed and
    stored them under the new version. (Tests never commit: the first bump is the one they see.)"""
    if action.startswith("pre_"):  # m2m_changed also fires before the change
        return
    bump_roster()
    if connections[using or "default"].in_atomic_block:
        transaction.on_commit(bump_roster, using=using)


def connect_signals() -> None:
    """Called from TeamsConfig.ready: every save or delete of a roster model bumps the version."""
    for label in MODELS:
        post_save.connect(_roster_changed, sender=label, dispatch_uid=f"roster-save-{label}")
        post_delete.connect(_roster_changed, sender=label, dispatch_uid=f"roster-delete-{label}")
    for label in LINKS:
        m2m_changed.connect(_roster_changed, sender=label, dispatch_uid=f"roster-link-{label}")
    # A change of role (groups, superuser, active) is a roster change too; a login's save of last_login is not.
    user = get_user_model()
    m2m_changed.connect(_roster_changed, sender=user.groups.through, dispatch_uid="roster-groups")
    post_save.connect(_user_saved, sender=user, dispatch_uid="roster-user-save")
    post_delete.connect(_roster_changed, sender=user, dispatch_uid="roster-user-delete")
    # Data migrations save through historical models, which send no signal to the receivers above.
    post_migrate.connect(_roster_migrated, sender=apps.get_app_config("teams"), dispatch_uid="roster-migrate")


def _user_saved(sender, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    _roster_changed(sender, **kwargs)


def _roster_migrated(sender, **kwargs) -> None:
    """After migrate: a migration may have changed the roster. On a fresh database whose cache is a
    table there (CACHE_URL=db://…), `createcachetable` comes after `migrate`: nothing is cached yet,
    so there is nothing to make stale."""
    try:
        bump_roster()
    except DatabaseError:
        return


def _key(name: str) -> str:
    return f"roster:{get_language() or settings.LANGUAGE_CODE}:{name}"


def _read(names: Iterable[str]) -> tuple[int, dict[str, str]]:
    """The roster version and the options of NAMES cached at that version (stale ones left out)."""
    names = list(names)
    found = cache.get_many([VERSION_KEY, *(_key(name) for name in names)])
    version = found.get(VERSION_KEY)
    if version is None:
        return roster_version(), {}
    fresh = {}
    for name in names:
        entry = found.get(_key(name))
        if entry is not None and entry[0] == version:
            fresh[name] = entry[1]
    return version, fresh


def _attrs_html(attrs: dict) -> SafeString:
    """ATTRS as django/forms/widgets/attrs.html writes them: in order, True bare, False left out."""
    return mark_safe(
        "".join(
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{conditional_escape(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


def mark_selected(options: str, values: list[str]) -> SafeString:
    """OPTIONS (rendered with nothing selected) with the first option whose value is among VALUES
    selected, as Django marks it; an unknown value selects nothing, as in Django."""
    for value in values:
        tag = f'<option value="{escape(value)}">'
        if tag in options:
            return mark_safe(options.replace(tag, f'<option value="{escape(value)}" selected>', 1))
    return mark_safe(options)


class RosterSelect(forms.Select):
    """A <select> whose options come from the cache (see the module's docstring); the <select>
    tag itself (name, id, required, aria-*) and the selected option are made for each render."""

    def __init__(self, name: str, attrs=None, choices=()):
        super().__init__(attrs, choices)
        self.roster_name = name
        self.cached: tuple[int, str | None] | None = None  # (version, options) once prepared

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        version, options = self.cached or self._read()
        if options is None:
            options = self._render_options(name, renderer)
            cache.set(_key(self.roster_name), (version, options), TIMEOUT)
            self.cached = (version, options)
        opening = format_html('<select name="{}"{}>', name, _attrs_html(self.build_attrs(self.attrs, attrs)))
        return opening + mark_selected(options, self.format_value(value)) + mark_safe("</select>")

    def _read(self) -> tuple[int, str | None]:
        version, fresh = _read([self.roster_name])
        return version, fresh.get(self.roster_name)

    def _render_options(self, name: str, renderer) -> str:
        """Django's own rendering of the select with nothing selected, less the <select> tag."""
        html = super().render(name, [], None, renderer)
        return html[html.index(">") + 1 : html.rindex("</select>")]


def prepare(*forms_: forms.Form | None) -> None:
    """Read the options of every RosterSelect in FORMS (None skipped) in one cache round trip."""
    widgets = [
        field.widget
        for form in forms_
        if form is not None
        for field in form.fields.values()
        if isinstance(field.widget, RosterSelect)
    ]
    if not widgets:
        return
    version, fresh = _read(widget.roster_name for widget in widgets)
    for widget in widgets:
        widget.cached = (version, fresh.get(widget.roster_name))
