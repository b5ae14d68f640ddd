"""Importing an Excel ledger 台账: upload → preview → confirm → result. Office staff only.

Between preview and confirm the uploaded file waits on the server, in a private folder
(settings.LEDGER_UPLOAD_DIR if set, otherwise a folder in the system's temporary directory),
under a random token kept in the user's session. The browser never sends the file again nor
names it: the confirm form carries only the token, which must equal the session's, so a stale
tab cannot import another upload. The file is read again at confirm (the preview is never
trusted), and deleted after the import, on cancel, on a new upload, and after a day.
"""

import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases.ledger import LedgerImportError, LedgerNotClean, import_ledger, read_ledger
from cases.models import Case
from teams.roles import OFFICE, require_role

MAX_BYTES = 5 * 1024 * 1024
UPLOAD_KEY = "ledger_upload"  # session: {"token": ..., "name": the file's name as uploaded}
RESULT_KEY = "ledger_result"  # session: what the last import did, for the result page
STALE_SECONDS = 24 * 3600


def upload_dir() -> Path:
    folder = Path(getattr(settings, "LEDGER_UPLOAD_DIR", "") or Path(tempfile.gettempdir()) / "sanhe-ledger")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


class LedgerUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("台账文件（.xlsx，不超过 5 MB）"),
        error_messages={
            "required": gettext_lazy("请选择要导入的台账文件。"),
            "empty": gettext_lazy("文件是空的。"),
            "invalid": gettext_lazy("没有收到文件，请重新选择。"),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("只接受 Excel 的 .xlsx 文件（旧版 .xls 请先在 Excel 中“另存为” .xlsx）。"))
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("文件超过 5 MB，请分成几个文件导入。"))
        head = upload.read(4)
        upload.seek(0)
        if head != b"PK\x03\x04":  # every .xlsx is a zip archive
            raise forms.ValidationError(_("这不是有效的 .xlsx 文件。"))
        return upload


def _path(token: str) -> Path:
    return upload_dir() / f"{token}.xlsx"


def _stored(request: HttpRequest) -> dict | None:
    """The upload waiting in this session, if its file is still there."""
    stored = request.session.get(UPLOAD_KEY)
    if stored and _path(stored["token"]).is_file():
        return stored
    return None


def _discard(request: HttpRequest) -> None:
    stored = request.session.pop(UPLOAD_KEY, None)
    if stored:
        _path(stored["token"]).unlink(missing_ok=True)


def _keep(request: HttpRequest, upload) -> None:
    _discard(request)
    cutoff = time.time() - STALE_SECONDS
    for old in upload_dir().glob("*.xlsx"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    with _path(token).open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    request.session[UPLOAD_KEY] = {"token": token, "name": Path(upload.name).name[:200]}


@login_required
def ledger_upload(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    form = LedgerUploadForm(request.POST, request.FILES) if request.method == "POST" else LedgerUploadForm()
    if form.is_bound and form.is_valid():
        _keep(request, form.cleaned_data["file"])
        return redirect("cases:ledger_preview")
    return render(request, "cases/ledger_upload.html", {"form": form, "waiting": _stored(request)})


@login_required
def ledger_preview(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    stored = _stored(request)
    if stored is None:
        messages.error(request, _("没有待导入的文件，请先上传台账。"))
        return redirect("cases:ledger_upload")
    plan = read_ledger(_path(stored["token"]), filename=stored["name"])
    only_problems = request.GET.get("show") == "problems"
    rows = plan.with_problems if only_problems else plan.rows
    page = Paginator(rows, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "plan": plan,
        "columns": plan.column_meanings(),
        "page": page,
        "token": stored["token"],
        "only_problems": only_problems,
        "querystring": "show=problems" if only_problems else "",
    }
    return render(request, "cases/ledger_preview.html", ctx)


@require_POST
@login_required
def ledger_confirm(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    stored = _stored(request)
    if stored is None or not secrets.compare_digest(request.POST.get("token", ""), stored["token"]):
        messages.error(request, _("这份预览已失效（文件已导入、已取消或已上传了新文件），请重新上传。"))
        return redirect("cases:ledger_upload")
    plan = read_ledger(_path(stored["token"]), filename=stored["name"])
    try:
        result = import_ledger(plan, by=request.user, only_clean=request.POST.get("mode") == "clean")
    except LedgerNotClean:
        messages.error(request, _("台账还有问题，未导入任何内容：请改正后重新上传，或选择“只导入没有问题的行”。"))
        return redirect("cases:ledger_preview")
    except LedgerImportError as error:
        messages.error(request, _("未导入任何内容。%(error)s") % {"error": error})
        return redirect("cases:ledger_preview")
    _discard(request)
    request.session[RESULT_KEY] = {
        "name": plan.filename,
        "numbers": result.numbers,
        "skipped": result.skipped,
        "refused": result.refused,
    }
    messages.success(request, _("已导入 %(n)d 件问题。") % {"n": len(result.created)})
    return redirect("cases:ledger_result")


@require_POST
@login_required
def ledger_cancel(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    _discard(request)
    messages.success(request, _("已取消导入，上传的文件已删除。"))
    return redirect("cases:ledger_upload")


@login_required
def ledger_result(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    result = request.session.get(RESULT_KEY)
    if not result:
        return redirect("cases:ledger_upload")
    cases = Case.objects.filter(number__in=result["numbers"]).select_related("village", "category", "subcategory")
    page = Paginator(cases.order_by("number"), settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"result": result, "page": page}
    return render(request, "cases/ledger_result.html", ctx)
