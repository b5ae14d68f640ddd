"""12345 hotline work orders: import (upload → preview → confirm → result), signing for one, and the
replies for the platform. Office staff only.

The import follows the ledger import (cases/views/ledger.py): the upload is bounded before it is
read, waits in the same private folder under a random token kept in the session, is read again at
confirm (a preview is never trusted) and deleted after the import, on cancel and on a new upload.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases import hotline, ledger_files, workflow
from cases.access import cases_for_user, get_case_for_user
from cases.export import XLSX_CONTENT_TYPE, write_xlsx
from cases.ledger import LedgerImportError
from cases.ledger_files import LedgerFileError
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

ACCEPTED = (".xlsx", ".xls", ".csv", ".json")
# The session holds {"token", "name", "format", "town" (the id of the county's choice)}.
UPLOAD = PendingUpload("hotline_upload", "hotline")
upload_again_if_its_town_is_gone = upload_again_if_town_gone(UPLOAD, "cases:hotline_upload")
RESULT_KEY = "hotline_result"


def _format_choices() -> list[tuple[str, str]]:
    return hotline.available_formats()


class HotlineUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("工单文件（从12345平台导出的 .xlsx、.xls、.csv 或 JSON，不超过 20 MB）"),
        error_messages={
            "required": gettext_lazy("请选择要导入的工单文件。"),
            "empty": gettext_lazy("文件是空的。"),
            "invalid": gettext_lazy("没有收到文件，请重新选择。"),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED)}),
    )
    format = forms.ChoiceField(label=gettext_lazy("平台格式"), choices=_format_choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        add_town_field(self, user)  # the county's staff choose the town the work orders are for

    def clean_file(self):
        """Bounded before anything is read: the size first (cases/ledger_files.py's limit)."""
        upload = self.cleaned_data["file"]
        try:
            ledger_files.check_size(upload.size)
        except LedgerFileError as error:
            raise forms.ValidationError(str(error)) from None
        if not upload.name.lower().endswith(ACCEPTED):
            raise forms.ValidationError(_("只接受从平台导出的 Excel 表格（.xlsx、.xls）、CSV 或 JSON 文件。"))
        return upload


def _plan(stored: dict, town) -> hotline.HotlinePlan:
    try:
        fmt = hotline.load_format(stored["format"])
    except hotline.FormatError as error:  # the table was removed or broken since the upload
        plan = hotline.HotlinePlan(filename=stored["name"], format=hotline.load_format())
        plan.problems.append(str(error))
        return plan
    return hotline.read_orders(UPLOAD.path(stored["token"]), filename=stored["name"], fmt=fmt, town=town)


@login_required
def hotline_upload(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    form = HotlineUploadForm(*data, initial={"format": hotline.DEFAULT_FORMAT}, user=request.user)
    if form.is_bound and form.is_valid():
        UPLOAD.keep(request, form.cleaned_data["file"], format=form.cleaned_data["format"], **town_details(form))
        return redirect("cases:hotline_preview")
    ctx = {"form": form, "waiting": UPLOAD.stored(request), "reply_form": ReplyFilterForm()}
    return render(request, "cases/hotline_upload.html", ctx)


@login_required
@upload_again_if_its_town_is_gone
def hotline_preview(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    stored = UPLOAD.stored(request)
    if stored is None:
        messages.error(request, _("没有待导入的工单文件，请先上传。"))
        return redirect("cases:hotline_upload")
    town = import_town(request.user, stored)
    plan = _plan(stored, town)
    page = Paginator(plan.rows, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"plan": plan, "page": page, "token": stored["token"], "town": town}
    return render(request, "cases/hotline_preview.html", ctx)


@require_POST
@login_required
@upload_again_if_its_town_is_gone
def hotline_confirm(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    stored = UPLOAD.posted_for(request)
    if stored is None:
        messages.error(request, _("这份预览已失效（文件已导入、已取消或已上传了新文件），请重新上传。"))
        return redirect("cases:hotline_upload")
    plan = _plan(stored, import_town(request.user, stored))
    try:
        result = hotline.import_orders(plan, by=request.user, only_clean=request.POST.get("mode") == "clean")
    except hotline.HotlineNotClean:
        messages.error(request, _("有的工单有问题，未导入任何内容：请改正后重新上传，或选择“只导入没有问题的工单”。"))
        return redirect("cases:hotline_preview")
    except LedgerImportError as error:
        messages.error(request, _("未导入任何内容。%(error)s") % {"error": error})
        return redirect("cases:hotline_preview")
    UPLOAD.discard(request)
    remember_result(request, RESULT_KEY, plan.filename, result)
    messages.success(request, result.summary())
    return redirect("cases:hotline_result")


@require_POST
@login_required
def hotline_cancel(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    UPLOAD.discard(request)
    messages.success(request, _("已取消导入，上传的文件已删除。"))
    return redirect("cases:hotline_upload")


@login_required
def hotline_result(request: HttpRequest) -> HttpResponse:
    require_role(request.user, OFFICE)
    return result_page(request, RESULT_KEY, "cases/hotline_result.html", "cases:hotline_upload", "village")


@require_POST
@login_required
def hotline_sign(request: HttpRequest, number: str) -> HttpResponse:
    """Sign for 签收 the work order of case NUMBER; back to where the button was (the triage queue or
    the case page)."""
    require_role(request.user, OFFICE)
    case = get_case_for_user(request.user, number, for_update=True)
    try:
        workflow.sign_for(case=case, by=request.user)
    except workflow.TransitionNotAllowed as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("已签收工单 %(number)s。") % {"number": case.hotline_number})
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("cases:detail", number=case.number)


class ReplyFilterForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("办结日期从"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=gettext_lazy("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    format = forms.ChoiceField(label=gettext_lazy("平台格式"), choices=_format_choices, required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        return data


def _replies(request: HttpRequest):
    """The closed work orders the filter asks for, and the format to write them in; None when the
    filter is wrong (the message is set)."""
    require_role(request.user, OFFICE)
    form = ReplyFilterForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("导出条件有误：%(errors)s") % {"errors": "；".join(_errors(form))})
        return None
    fmt = hotline.load_format(form.cleaned_data["format"] or hotline.DEFAULT_FORMAT)
    # The user's town's work orders only (the county's staff: every town's).
    cases = hotline.reply_cases(form.cleaned_data["start"], form.cleaned_data["end"], cases_for_user(request.user))
    return cases, fmt


def _errors(form: forms.Form) -> list[str]:
    return [str(message) for messages_ in form.errors.values() for message in messages_]


def _filename(suffix: str) -> str:
    return f"hotline-replies-{timezone.localdate():%Y%m%d}.{suffix}"


@login_required
@require_GET
def hotline_replies_xlsx(request: HttpRequest) -> HttpResponse:
    """The replies for the platform as a workbook, in its columns and words."""
    found = _replies(request)
    if found is None:
        return redirect("cases:hotline_upload")
    cases, fmt = found
    header, rows = hotline.reply_rows(cases, fmt)
    response = HttpResponse(write_xlsx(fmt.reply_sheet, header, rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    return response


@login_required
@require_GET
def hotline_replies_json(request: HttpRequest) -> HttpResponse:
    found = _replies(request)
    if found is None:
        return redirect("cases:hotline_upload")
    cases, fmt = found
    response = HttpResponse(hotline.reply_json(cases, fmt), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
    return response
