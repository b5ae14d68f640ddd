"""An uploaded file waiting between its preview and its confirmation (the ledger import, the 12345
work orders: cases/views/ledger.py, cases/views/hotline.py).

It waits on the server, in a private folder (settings.LEDGER_UPLOAD_DIR if set, otherwise a folder in
the system's temporary directory), under a random token kept in the user's session. The browser never
sends the file again nor names it: the confirm form carries only the token, which must equal the
session's, so a stale tab cannot import another upload. The file is deleted after the import, on
cancel, on a new upload, and after a day.
"""

import functools
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy

from cases.models import Case
from teams.roles import is_county, town_of
from villages.models import Town

STALE_SECONDS = 24 * 3600


def upload_dir() -> Path:
    folder = Path(getattr(settings, "LEDGER_UPLOAD_DIR", "") or Path(tempfile.gettempdir()) / "sanhe-ledger")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


@dataclass(frozen=True)
class PendingUpload:
    """The waiting upload of one kind: its session key (the session holds {"token", "name", …}) and
    its files' suffix."""

    session_key: str
    suffix: str

    def path(self, token: str) -> Path:
        return upload_dir() / f"{token}.{self.suffix}"

    def stored(self, request: HttpRequest) -> dict | None:
        """The upload waiting in this session, if its file is still there."""
        stored = request.session.get(self.session_key)
        if stored and self.path(stored["token"]).is_file():
            return stored
        return None

    def posted_for(self, request: HttpRequest) -> dict | None:
        """The upload waiting in this session, if the form posted is the one of its preview (its
        token): a stale tab acts on nothing."""
        stored = self.stored(request)
        if stored is None or not secrets.compare_digest(request.POST.get("token", ""), stored["token"]):
            return None
        return stored

    def discard(self, request: HttpRequest) -> None:
        stored = request.session.pop(self.session_key, None)
        if stored:
            self.path(stored["token"]).unlink(missing_ok=True)

    def keep(self, request: HttpRequest, upload, **details) -> None:
        """Keep UPLOAD for this session, instead of the one waiting (and of any a day old)."""
        self.discard(request)
        cutoff = time.time() - STALE_SECONDS
        for old in upload_dir().glob(f"*.{self.suffix}"):
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
        token = secrets.token_urlsafe(24)
        with self.path(token).open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        request.session[self.session_key] = {"token": token, "name": Path(upload.name).name[:200], **details}


# -- Which town an import writes into ---------------------------------------------------------------


def add_town_field(form: forms.Form, user) -> None:
    """The county's staff say which town an upload is for (a select of the towns, by short code); a
    town's office imports into its own town, and an account of no town into none."""
    if is_county(user):
        form.fields["town"] = forms.ModelChoiceField(
            label=gettext_lazy("导入到哪个镇"),
            queryset=Town.objects.all(),
            to_field_name="code",
            error_messages={
                "required": gettext_lazy("请选择导入到哪个镇。"),
                "invalid_choice": gettext_lazy("请从列表中选择镇。"),
            },
        )
    elif town_of(user) is None:
        raise PermissionDenied


def town_details(form: forms.Form) -> dict:
    """What PendingUpload.keep stores of the chosen town (the county's staff only): its id, which a
    change of its short code meanwhile leaves valid."""
    town = form.cleaned_data.get("town")
    return {"town": town.pk} if town else {}


class ImportTownGone(Exception):
    """The town the county's staff chose for a waiting upload has been deleted since."""


def import_town(user, stored: dict) -> Town:
    """The town the waiting upload writes into: a town's office's own, whatever the session says; the
    one the county's staff chose at upload (ImportTownGone if deleted since)."""
    if not is_county(user):
        town = town_of(user)
        if town is None:
            raise PermissionDenied
        return town
    chosen = stored.get("town")
    # An id; an upload kept before ids were (a short code) is one to upload again, like a gone town's.
    town = Town.objects.filter(pk=chosen).first() if isinstance(chosen, int) else None
    if town is None:
        raise ImportTownGone
    return town


def upload_again_if_town_gone(upload: PendingUpload, upload_url: str):
    """For a view of UPLOAD's waiting file: when the town it was for is gone (ImportTownGone), the
    file is dropped and the user sent back to UPLOAD_URL to upload it again, told why."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except ImportTownGone:
                upload.discard(request)
                messages.error(request, gettext("这份文件要导入的镇已不存在，未导入任何内容：请重新上传并选择镇。"))
                return redirect(upload_url)

        return wrapped

    return decorator


# -- After the import: what it did, for its result page ---------------------------------------------


def remember_result(request: HttpRequest, session_key: str, filename: str, result) -> None:
    """What an import (cases/ledger.py ImportResult) did, kept for its result page."""
    request.session[session_key] = {
        "name": filename,
        "numbers": result.numbers,
        "skipped": result.skipped,
        "refused": result.refused,
    }


def result_page(request: HttpRequest, session_key: str, template: str, upload_url: str, *related: str) -> HttpResponse:
    """The last import's result, its new cases a page at a time; the upload page when there is none."""
    result = request.session.get(session_key)
    if not result:
        return redirect(upload_url)
    cases = Case.objects.filter(number__in=result["numbers"]).select_related(*related)
    page = Paginator(cases.order_by("number"), settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, template, {"result": result, "page": page})
