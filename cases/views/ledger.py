"""Importing an Excel ledger 台账: upload → preview → confirm → result. Office staff only.

Between preview and confirm the uploaded file waits on the server for this session alone
(cases/uploads.py); it is read again at confirm (the preview is never trusted).
"""

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cases import ledger_files
from cases.ledger import LedgerImportError, LedgerNotClean, import_ledger, read_ledger
from cases.models import Case, Category, NameAlias, SubCategory
from cases.names import fold, save_alias
from cases.uploads import (
    PendingUpload,
    add_town_field,
    import_town,
    remember_result,
    result_page,
    town_details,
    upload_again_if_town_gone,
)
from teams.roles import OFFICE, require_role
from villages.models import Village

MAX_BYTES = ledger_files.MAX_BYTES
ACCEPTED = (".xlsx", ".xls", ".csv", ".txt")
# session: {"token", "name": the file's name as uploaded, "town": the id of the county staff's choice}
UPLOAD = PendingUpload("ledger_upload", "ledger")
upload_again_if_its_town_is_gone = upload_again_if_town_gone(UPLOAD, "cases:ledger_upload")
RESULT_KEY = "ledger_result"  # session: what the last import did, for the result page


class LedgerUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("台账文件（.xlsx、.xls 或 .csv，不超过 20 MB）"),
        error_messages={
            "required": gettext_lazy("请选择要导入的台账文件。"),
            "empty": gettext_lazy("文件是空的。"),
            "invalid": gettext_lazy("没有收到文件，请重新选择。"),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED)}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        add_town_field(self, user)  # the county's staff choose the town the ledger is for

    def clean_file(self):
        """Bounded before anything is read: the size first; what the bytes are is read_ledger's to say."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("文件有 %(size).1f MB，超过 %(max)d MB，请分成几个文件导入。")
                % {"size": upload.size / 1024 / 1024, "max": MAX_BYTES // 1024 // 1024}
            )
        if not upload.name.lower().endswith(ACCEPTED):
            raise forms.ValidationError(
                _("只接受 Excel 表格（.xlsx、.xls）或 CSV 文件；其他格式请在 WPS 或 Excel 中“另存为” .xlsx。")
            )
        return upload


@login_required
def ledger_upload(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    form = LedgerUploadForm(*data, user=request.user)
    if form.is_bound and form.is_valid():
        UPLOAD.keep(request, form.cleaned_data["file"], **town_details(form))
        return redirect("cases:ledger_preview")
    return render(request, "cases/ledger_upload.html", {"form": form, "waiting": UPLOAD.stored(request)})


@login_required
@upload_again_if_its_town_is_gone
def ledger_preview(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    stored = UPLOAD.stored(request)
    if stored is None:
        messages.error(request, _("没有待导入的文件，请先上传台账。"))
        return redirect("cases:ledger_upload")
    town = import_town(request.user, stored)
    plan = _previewed(stored, town)
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
        "names": _name_choices(plan, town),
        "town": town,
    }
    return render(request, "cases/ledger_preview.html", ctx)


# The plans this worker read last, by what they depend on: turning the preview's pages and
# filtering its rows reads the file once, not on every click (10,000 rows: seconds). The confirm
# reads the file again whatever is here: a preview is never trusted.
_PREVIEWS: dict[tuple, object] = {}
PREVIEWS_KEPT = 2


def _previewed(stored: dict, town):
    """The plan of the upload waiting in this session for TOWN, read again only when anything it
    depends on changed: the file, the name matches, the cases (a row imported meanwhile is a row to skip)."""
    path = UPLOAD.path(stored["token"])
    aliases = NameAlias.objects.aggregate(n=Count("pk"), last=Max("pk"))
    key = (stored["token"], town.pk, path.stat().st_mtime_ns, aliases["n"], aliases["last"], _latest_case())
    if key not in _PREVIEWS:
        while len(_PREVIEWS) >= PREVIEWS_KEPT:
            _PREVIEWS.pop(next(iter(_PREVIEWS)))
        _PREVIEWS[key] = read_ledger(path, filename=stored["name"], town=town)
    return _PREVIEWS[key]


def _latest_case():
    return Case.objects.order_by("-pk").values_list("pk", flat=True).first()


def _targets(town) -> dict:
    """What a name may be matched with in TOWN, by kind: its villages, the county's and its categories."""
    categories = Category.objects.for_town(town)
    return {
        "village": Village.objects.filter(town=town).order_by("code"),
        "category": categories,
        "subcategory": SubCategory.objects.filter(category__in=categories).select_related("category"),
    }


def _name_choices(plan, town) -> list[dict]:
    """Each name the ledger writes that matched nothing, with what the office may match it with:
    its closest candidates first, then everything of its kind in the town."""
    if not plan.unresolved:
        return []
    everything = {kind: list(objects) for kind, objects in _targets(town).items()}
    names = []
    for index, (name, count) in enumerate(plan.unresolved):
        closest = [(obj.pk, _label(obj)) for obj in name.candidates]
        others = [(obj.pk, _label(obj)) for obj in everything[name.kind] if obj not in name.candidates]
        names.append({"index": index, "name": name, "rows": count, "closest": closest, "others": others})
    return names


def _label(obj) -> str:
    return f"{obj.category.label} · {obj.label}" if isinstance(obj, SubCategory) else str(obj)


@require_POST
@login_required
@upload_again_if_its_town_is_gone
def ledger_aliases(request: HttpRequest) -> HttpResponse:
    """Save what the office says each unmatched name means; every later import reads it so too."""
    require_role(request.user, OFFICE)
    stored = UPLOAD.posted_for(request)
    if stored is None:
        messages.error(request, _("这份预览已失效（文件已导入、已取消或已上传了新文件），请重新上传。"))
        return redirect("cases:ledger_upload")
    choices = _alias_choices(request.POST, _targets(import_town(request.user, stored)))
    if choices is None:
        messages.error(request, _("选择有误，请重新选择。"))
        return redirect("cases:ledger_preview")
    with transaction.atomic():
        for kind, text, target in choices:
            save_alias(kind=kind, text=text, target=target, by=request.user)
    _PREVIEWS.clear()  # a name matched again to another target counts no new alias
    if choices:
        messages.success(request, _("已保存 %(n)d 个名称对照，以后导入时自动使用。") % {"n": len(choices)})
    else:
        messages.error(request, _("没有选择任何名称。"))
    return redirect("cases:ledger_preview")


def _alias_choices(data, targets: dict) -> list[tuple[str, str, object]] | None:
    """(kind, text, target) for every name given a target in DATA among TARGETS (the import's town's,
    by kind); None when anything is malformed or another town's."""
    try:
        count = min(int(data.get("names", "0")), 500)
    except ValueError:
        return None
    wanted: dict[str, dict[str, str]] = {}
    for i in range(count):
        kind, text, target = (data.get(f"name-{i}-{part}", "") for part in ("kind", "text", "target"))
        if not target:
            continue
        text = text.strip()
        if kind not in targets or not fold(text) or len(text) > 100 or not re.fullmatch(r"\d{1,9}", target):
            return None
        wanted.setdefault(kind, {})[text] = target
    choices = []
    for kind, texts in wanted.items():
        found = targets[kind].in_bulk([int(pk) for pk in texts.values()])
        for text, pk in texts.items():
            if int(pk) not in found:
                return None
            choices.append((kind, text, found[int(pk)]))
    return choices


@require_POST
@login_required
@upload_again_if_its_town_is_gone
def ledger_confirm(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    stored = UPLOAD.posted_for(request)
    if stored is None:
        messages.error(request, _("这份预览已失效（文件已导入、已取消或已上传了新文件），请重新上传。"))
        return redirect("cases:ledger_upload")
    town = import_town(request.user, stored)
    plan = read_ledger(UPLOAD.path(stored["token"]), filename=stored["name"], town=town)
    try:
        result = import_ledger(plan, by=request.user, only_clean=request.POST.get("mode") == "clean")
    except LedgerNotClean:
        messages.error(request, _("台账还有问题，未导入任何内容：请改正后重新上传，或选择“只导入没有问题的行”。"))
        return redirect("cases:ledger_preview")
    except LedgerImportError as error:
        messages.error(request, _("未导入任何内容。%(error)s") % {"error": error})
        return redirect("cases:ledger_preview")
    UPLOAD.discard(request)
    remember_result(request, RESULT_KEY, plan.filename, result)
    messages.success(request, result.summary())
    return redirect("cases:ledger_result")


@require_POST
@login_required
def ledger_cancel(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    UPLOAD.discard(request)
    messages.success(request, _("已取消导入，上传的文件已删除。"))
    return redirect("cases:ledger_upload")


@login_required
def ledger_result(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    related = ("village", "category", "subcategory")
    return result_page(request, RESULT_KEY, "cases/ledger_result.html", "cases:ledger_upload", *related)
