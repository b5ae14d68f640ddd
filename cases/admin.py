"""The admin: reference data, the ledger, and the ledger's import and export (xlsx, csv).

A case's state changes (triage, closing, feedback) are made on the staff site through
cases/workflow.py; here the state fields are read-only and the history is shown, never edited.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, QueryDict, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from cases.formats import BoundedCSV, BoundedImportMixin, FastXLSX
from cases.models import (
    Case,
    CaseEvent,
    Category,
    ContactAccess,
    Feedback,
    NameAlias,
    NumberSequence,
    Referral,
    SubCategory,
)
from cases.pipl import CONTACT_FIELDS, log_access, log_csv_rows, log_export
from cases.resources import CaseResource
from cases.workflow import register_case
from sanhe.lib.admin import ReadOnlyMixin

# The admin is the county's (its administrators see every town).
admin.site.site_header = format_lazy(_("{county}驻点直联工作台账 · 管理后台"), county=settings.COUNTY_NAME)
admin.site.site_title = format_lazy(_("{county}台账管理"), county=settings.COUNTY_NAME)
admin.site.index_title = _("数据管理")


class SubCategoryInline(admin.TabularInline):
    model = SubCategory
    fields = ["code", "label", "order", "sensitive"]
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "order", "sensitive"]
    list_filter = ["sensitive"]
    list_display_links = ["code", "label"]
    search_fields = ["code", "label"]
    inlines = [SubCategoryInline]


@admin.register(SubCategory)
class SubCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "category", "order", "sensitive"]
    list_display_links = ["code", "label"]
    list_filter = ["category", "sensitive"]
    search_fields = ["code", "label", "category__label"]
    list_select_related = ["category"]


@admin.register(NameAlias)
class NameAliasAdmin(admin.ModelAdmin):
    """The ways ledgers write names, matched once by the office (cases/names.py); editable here."""

    list_display = ["text", "kind", "target", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["text", "village__short_name", "category__label", "subcategory__label"]
    list_select_related = ["village", "category", "subcategory", "created_by"]
    fields = ["kind", "text", "village", "category", "subcategory"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Shown to explain the numbers; changed only by taking a number."""

    list_display = ["year", "last"]


class ShownTextMixin:
    """A line of history as the reader reads it: the system's code rendered in the reader's language
    with what a person typed (cases/history.py), not the raw stored text."""

    @admin.display(description=_("内容"))
    def shown_text(self, obj):
        return obj.shown_text


class CaseEventInline(ShownTextMixin, ReadOnlyMixin, admin.TabularInline):
    model = CaseEvent
    fields = ["at", "kind", "author", "shown_text", "status_from", "status_to", "public"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class FeedbackInline(ReadOnlyMixin, admin.TabularInline):
    model = Feedback
    fields = ["given_on", "channel", "given_by", "satisfaction", "notes", "recorded_by"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("given_by", "recorded_by")


class ReferralInline(ReadOnlyMixin, admin.TabularInline):
    model = Referral
    fields = ["helper", "asked_on", "request", "replied_on", "reply", "asked_by"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("helper", "asked_by")


@admin.register(CaseEvent)
class CaseEventAdmin(ShownTextMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "case", "kind", "author", "shown_text", "status_from", "status_to", "public"]
    fields = ["at", "case", "kind", "author", "shown_text", "status_from", "status_to", "public"]
    readonly_fields = fields
    list_filter = ["kind", "public"]
    search_fields = ["case__number", "text"]
    list_select_related = ["case", "author"]
    date_hierarchy = "at"


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["given_on", "case", "channel", "given_by", "satisfaction"]
    list_filter = ["channel", "satisfaction"]
    search_fields = ["case__number", "notes"]
    list_select_related = ["case", "given_by"]
    date_hierarchy = "given_on"


@admin.register(Referral)
class ReferralAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["asked_on", "case", "helper", "replied_on"]
    list_filter = ["helper__kind"]
    search_fields = ["case__number", "helper__name", "request", "reply"]
    list_select_related = ["case", "helper"]
    date_hierarchy = "asked_on"


HOTLINE_FIELDS = [
    "hotline_number",
    "hotline_received_at",
    "hotline_sign_by",
    "hotline_signed_at",
    "hotline_signed_by",
    "hotline_handler",
]


@admin.register(Case)
class CaseAdmin(BoundedImportMixin, ImportExportModelAdmin):
    resource_classes = [CaseResource]
    # Import and export; an upload is bounded before it is read (cases/formats.py, UPLOAD_MAX_*).
    formats = [FastXLSX, BoundedCSV]
    # With a byte-order mark, so that Excel opens the Chinese of a csv file correctly.
    to_encoding = "utf-8-sig"

    list_display = [
        "number",
        "raised_on",
        "village",
        "team",
        "category",
        "subcategory",
        "title",
        "status",
        "responsible",
        "due_on",
        "closed_on",
    ]
    list_display_links = ["number", "title"]
    list_filter = [
        "status",
        "village",
        "team",
        "category",
        "channel",
        "kind",
        "decision",
        "closure",
        "generated",
        ("voided_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["number", "title", "description", "resident_name", "resident_phone", "result"]
    list_select_related = ["village", "team", "category", "subcategory", "responsible"]
    autocomplete_fields = ["village", "team", "visit", "category", "subcategory", "responsible"]
    date_hierarchy = "raised_on"
    inlines = [CaseEventInline, FeedbackInline, ReferralInline]
    readonly_fields = [
        "number",
        "status",
        "closure",
        "closed_on",
        "fed_back_on",
        "ledger_key",
        "version",
        "created_by",
        "created_at",
        "updated_at",
        "voided_at",
        "void_reason",
        "voided_by",
        *HOTLINE_FIELDS,
    ]
    fieldsets = [
        (None, {"fields": ["number", "raised_on", "village", "team", "visit", "channel", "kind"]}),
        (_("反映人（不公示）"), {"fields": ["resident_name", "resident_phone", "resident_address"]}),
        (_("问题"), {"fields": ["category", "subcategory", "title", "description", "public_posting"]}),
        (
            _("办理"),
            {
                "fields": [
                    "status",
                    "decision",
                    "responsible",
                    "due_on",
                    "plan",
                    "planned_on",
                    "policy_basis",
                    "explaining_department",
                ],
                "description": _("登记、分办、办结和反馈在工作台的问题页办理，并留下办理记录；这里只改正内容。"),
            },
        ),
        (pgettext_lazy("heading", "办结"), {"fields": ["closure", "closed_on", "result", "fed_back_on"]}),
        # Read only: the platform's numbers and deadlines come with the import, signing is its own action.
        (_("12345热线工单"), {"fields": HOTLINE_FIELDS, "classes": ["collapse"]}),
        (
            _("记录"),
            {
                "fields": [
                    "generated",
                    "ledger_key",
                    "version",
                    "created_by",
                    "created_at",
                    "updated_at",
                    "voided_at",
                    "void_reason",
                    "voided_by",
                ],
                "classes": ["collapse"],
            },
        ),
    ]

    def has_delete_permission(self, request, obj=None):
        # The ledger keeps every case; a mistaken one is voided on its page (cases/voiding.py).
        return False

    def get_queryset(self, request):
        # The admin corrects records: voided cases too (the "作废时间" filter tells them apart).
        return Case.with_voided.all()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The change form shows the resident's contact in full: each look goes in the access log."""
        response = super().change_view(request, object_id, form_url, extra_context)
        case = (getattr(response, "context_data", None) or {}).get("original")
        if request.method == "GET" and response.status_code == 200 and case is not None:
            log_access(request, ContactAccess.What.CONTACT, case=case, fields=CONTACT_FIELDS)
        return response

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """The admin's csv/xlsx carry every resident's contact: each case's log says so."""
        data = super().get_export_data(file_format, request, queryset, **kwargs)
        log_export(request, queryset, QueryDict(mutable=True))
        return data

    def save_model(self, request, obj, form, change):
        if not change:
            register_case(case=obj, by=request.user, data={"code": "registered_admin"})
            return
        obj.version += 1
        super().save_model(request, obj, form, change)
        if form.changed_data:
            CaseEvent.objects.create(
                case=obj,
                kind=CaseEvent.Kind.EDITED,
                author=request.user,
                text="",
                data={"code": "admin_edit", "fields": list(form.changed_data)},
            )

    def process_result(self, result, request):
        """The confirm step: if the file no longer imports cleanly (the ledger changed since the
        preview), nothing was written; say so with each row's error instead of "finished"."""
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                gettext("导入未完成，没有写入任何数据。%(errors)s") % {"errors": "；".join(import_errors(result))},
            )
            return HttpResponseRedirect(reverse("admin:cases_case_import"))
        return super().process_result(result, request)


def import_errors(result, limit: int = 10) -> list[str]:
    """Each bad row's errors as one line: 第3行 村（社区）：没有…"""
    lines = [str(error.error) for error in result.base_errors]
    for row in result.invalid_rows:
        for column, errors in row.error_dict.items():
            for error in errors:
                lines.append(
                    gettext("第%(row)s行 %(column)s：%(error)s") % {"row": row.number, "column": column, "error": error}
                )
    for number, errors in result.row_errors():
        for error in errors:
            lines.append(gettext("第%(row)s行：%(error)s") % {"row": number, "error": error.error})
    return lines[:limit]


@admin.register(ContactAccess)
class ContactAccessAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """PIPL's access log (cases/pipl.py): who looked at or took away a resident's details. Nobody
    adds, changes or deletes a row; only the administrator reads it and exports it as csv."""

    list_display = ["at", "username", "case_number", "what", "fields", "ip"]
    list_filter = ["what", "at"]
    search_fields = ["username", "case_number"]
    date_hierarchy = "at"
    actions = ["export_selected"]
    change_list_template = "admin/cases/contactaccess/change_list.html"

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("export.csv", export, name="cases_contactaccess_export"), *super().get_urls()]

    def export_view(self, request):
        """The rows the list shows (its filters and search), all pages, as csv."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            rows = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            messages.error(request, gettext("筛选条件有误，未能导出。"))
            return HttpResponseRedirect(reverse("admin:cases_contactaccess_changelist"))
        return self._csv(rows)

    @admin.action(description=_("导出所选记录（CSV）"))
    def export_selected(self, request, queryset):
        return self._csv(queryset)

    def _csv(self, rows):
        response = StreamingHttpResponse(log_csv_rows(rows), content_type="text/csv; charset=utf-8")
        filename = f"contact-access-{timezone.localdate():%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
