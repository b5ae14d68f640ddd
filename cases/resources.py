"""The case ledger 问题台账 as a spreadsheet: export and import of cases (xlsx, csv).

Columns carry the model's Chinese verbose names, whatever language the user reads the site in,
so a file exported in one language imports in the other. Foreign keys go by natural keys: the
village by its 12-digit code or its name, the team by its number, categories by their codes,
the responsible cadre by name. Choices are written as their Chinese labels.

An import runs in one transaction and writes nothing when any row is bad: every bad row is
reported with its column and a Chinese message (the model's full_clean plus the ledger's rules).
A row without a tracking number is given the next one of its year; every imported row gets a
CaseEvent of kind "imported".
"""

import datetime
import re

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from cases.models import Case, CaseEvent, Category, NumberSequence, SubCategory
from cases.workflow import next_number
from teams.models import Cadre, Team, Visit
from villages.models import Village

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")


def header(name: str) -> str:
    """The column header of a Case field: its verbose name in Chinese."""
    with translation.override("zh-hans"):
        return str(Case._meta.get_field(name).verbose_name)


def cell_text(value) -> str:
    """A cell as text: spreadsheets turn 440781104001 and 3 into numbers, sometimes floats."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def only_one(queryset, not_found: str, ambiguous: str):
    matches = list(queryset[:2])
    if not matches:
        raise ValueError(not_found)
    if len(matches) > 1:
        raise ValueError(ambiguous)
    return matches[0]


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return cell_text(value)


class LedgerDateWidget(widgets.DateWidget):
    """Dates as 2015-01-08; also 2015/1/8, 2015.1.8, 2015年1月8日 and Excel's date cells."""

    def __init__(self):
        super().__init__(format=DATE_FORMATS[0])
        self.formats = DATE_FORMATS

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = cell_text(value)
        if not text:
            return None
        for date_format in self.formats:
            try:
                return datetime.datetime.strptime(text, date_format).date()
            except ValueError:
                continue
        raise ValueError(_("“%(value)s”不是有效日期，请写成 2015-01-08。") % {"value": text})


class YesNoWidget(widgets.Widget):
    """A yes/no column written 是/否; blank keeps the model's default."""

    YES = {"是", "1", "true", "yes", "y", "√"}
    NO = {"否", "0", "false", "no", "n", "×"}

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = cell_text(value).lower()
        if not text:
            return None
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(_("请填“是”或“否”，不是“%(value)s”。") % {"value": cell_text(value)})

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        with translation.override("zh-hans"):
            return _("是") if value else _("否")


class ChoiceWidget(widgets.Widget):
    """A choice written as its Chinese label; the label in the user's language and the stored
    value are accepted too. BLANK is what an empty cell means (None: keep the model's default)."""

    def __init__(self, choices, blank=""):
        super().__init__()
        self.choices = choices
        self.blank = blank

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return self.blank
        for choice in self.choices:
            if text in (choice.value, str(choice.label), self.chinese(choice)):
                return choice.value
        labels = "、".join(self.chinese(choice) for choice in self.choices)
        raise ValueError(_("“%(value)s”不是可选的值，可填：%(labels)s。") % {"value": text, "labels": labels})

    def render(self, value, obj=None, **kwargs):
        return self.chinese(self.choices(value)) if value else ""

    @staticmethod
    def chinese(choice) -> str:
        with translation.override("zh-hans"):
            return str(choice.label)


class VillageWidget(widgets.ForeignKeyWidget):
    """Written as the short name; read from the 12-digit division code, the short or the full name."""

    def __init__(self):
        super().__init__(Village, field="short_name")

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        if re.fullmatch(r"\d{12}", text):
            matches = Village.objects.filter(code=text)
        else:
            matches = Village.objects.filter(Q(short_name=text) | Q(name=text))
        return only_one(
            matches,
            _("没有“%(value)s”这个村（社区）：请填12位区划代码或村名。") % {"value": text},
            _("有多个村（社区）叫“%(value)s”：请改填12位区划代码。") % {"value": text},
        )


class TeamWidget(widgets.ForeignKeyWidget):
    """Written as the team's number; read from the number or the team's name."""

    def __init__(self):
        super().__init__(Team, field="number")

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        matches = Team.objects.filter(number=int(text)) if text.isdigit() else Team.objects.filter(name=text)
        return only_one(
            matches,
            _("没有“%(value)s”这个驻点团队：请填团队编号。") % {"value": text},
            _("有多个驻点团队叫“%(value)s”：请改填团队编号。") % {"value": text},
        )


class CodeWidget(widgets.ForeignKeyWidget):
    """A category or sub-category, written as its code; read from the code or the name."""

    def __init__(self, model, not_found):
        super().__init__(model, field="code")
        self.not_found = not_found

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        return only_one(
            self.model.objects.filter(Q(code=text) | Q(label=text)),
            str(self.not_found) % {"value": text},
            _("“%(value)s”对应多个类别：请改填代码。") % {"value": text},
        )


class CadreWidget(widgets.ForeignKeyWidget):
    """The responsible cadre by name; namesakes are told apart by the row's team."""

    def __init__(self, team_column: str):
        super().__init__(Cadre, field="name")
        self.team_column = team_column

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        matches = Cadre.objects.filter(name=text)
        team = cell_text((row or {}).get(self.team_column))
        if team and matches.count() > 1:
            matches = matches.filter(team__number=int(team)) if team.isdigit() else matches.filter(team__name=team)
        return only_one(
            matches,
            _("没有叫“%(value)s”的干部。") % {"value": text},
            _("有多位干部叫“%(value)s”，无法确定责任人：请填写驻点团队，或导入后在后台指定。") % {"value": text},
        )


def text_field(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=header(name), widget=TextWidget())


def date_field(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=header(name), widget=LedgerDateWidget())


def choice_field(name: str, choices, required: bool = False) -> fields.Field:
    # A blank cell in a required choice keeps the model's default (new rows) or the current value.
    return fields.Field(
        attribute=name,
        column_name=header(name),
        widget=ChoiceWidget(choices, blank=None if required else ""),
        saves_null_values=not required,
    )


def yes_no_field(name: str) -> fields.Field:
    return fields.Field(attribute=name, column_name=header(name), widget=YesNoWidget(), saves_null_values=False)


COLUMNS = (
    "number",
    "raised_on",
    "village",
    "team",
    "channel",
    "kind",
    "resident_name",
    "resident_phone",
    "resident_address",
    "category",
    "subcategory",
    "title",
    "description",
    "public_posting",
    "status",
    "decision",
    "responsible",
    "due_on",
    "plan",
    "planned_on",
    "policy_basis",
    "explaining_department",
    "closure",
    "closed_on",
    "result",
    "fed_back_on",
    "generated",
)
REQUIRED_COLUMNS = ("raised_on", "village", "title")


class CaseResource(resources.ModelResource):
    number = text_field("number")
    raised_on = date_field("raised_on")
    village = fields.Field(attribute="village", column_name=header("village"), widget=VillageWidget())
    team = fields.Field(attribute="team", column_name=header("team"), widget=TeamWidget())
    channel = choice_field("channel", Case.Channel, required=True)
    kind = choice_field("kind", Case.Kind, required=True)
    resident_name = text_field("resident_name")
    resident_phone = text_field("resident_phone")
    resident_address = text_field("resident_address")
    category = fields.Field(
        attribute="category",
        column_name=header("category"),
        widget=CodeWidget(Category, gettext_lazy("没有代码为“%(value)s”的问题大类。")),
    )
    subcategory = fields.Field(
        attribute="subcategory",
        column_name=header("subcategory"),
        widget=CodeWidget(SubCategory, gettext_lazy("没有代码为“%(value)s”的问题小类。")),
    )
    title = text_field("title")
    description = text_field("description")
    public_posting = yes_no_field("public_posting")
    status = choice_field("status", Case.Status, required=True)
    decision = choice_field("decision", Case.Decision)
    responsible = fields.Field(
        attribute="responsible", column_name=header("responsible"), widget=CadreWidget(team_column=header("team"))
    )
    due_on = date_field("due_on")
    plan = text_field("plan")
    planned_on = date_field("planned_on")
    policy_basis = text_field("policy_basis")
    explaining_department = text_field("explaining_department")
    closure = choice_field("closure", Case.Closure)
    closed_on = date_field("closed_on")
    result = text_field("result")
    fed_back_on = date_field("fed_back_on")
    generated = yes_no_field("generated")

    class Meta:
        model = Case
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("number",)
        # Importing the same file twice changes nothing and writes no history.
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        clean_model_instances = True

    def get_queryset(self):
        return Case.objects.select_related("village", "team", "category", "subcategory", "responsible").order_by(
            "number"
        )

    # Import: one transaction, nothing written when any row is bad.

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        """Import DATASET; a file with any bad row writes nothing, whatever the caller asks:
        rows with validation errors roll the whole file back as other errors do."""
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)

    def before_import(self, dataset, **kwargs):
        self.numbers_in_file: set[str] = set()
        headers = list(dataset.headers or [])
        missing = [header(name) for name in REQUIRED_COLUMNS if header(name) not in headers]
        if missing:
            raise ValueError(
                _("文件缺少这些列：%(columns)s。第一行须是列名，可先导出一份作为模板。")
                % {"columns": "、".join(missing)}
            )
        if header("number") not in headers:
            # A file of new cases may leave the tracking number out altogether.
            dataset.append_col([""] * dataset.height, header=header("number"))

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._status_before_import = "" if new else instance.status

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A number seen earlier in the file is an error, even on a row identical to the first.
        number = instance.number
        instance._number_repeated = bool(number) and number in self.numbers_in_file
        if number:
            self.numbers_in_file.add(number)
        if instance._number_repeated:
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's full_clean plus the ledger's rules, each error under its column's header."""
        errors = dict(import_validation_errors or {})
        if instance.subcategory_id and not instance.category_id and "category" not in errors:
            instance.category = instance.subcategory.category
        for name, message in self.ledger_errors(instance):
            if name not in errors:
                errors[name] = [message]
        # A new row without a number is given one when it is saved.
        exclude = set(errors) | ({"number"} if not instance.number else set())
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        if "category" in (import_validation_errors or {}) and "subcategory" not in (import_validation_errors or {}):
            # An unknown category is the error; its sub-category not matching it follows from it.
            errors.pop("subcategory", None)
        if errors:
            raise ValidationError({self.column_of(name): messages for name, messages in errors.items()})

    def ledger_errors(self, instance: Case):
        """The rules a row must keep beyond the model's clean(), as (field, message) pairs."""
        today = timezone.localdate()
        number = instance.number
        if number:
            if not self.number_pattern().fullmatch(number):
                yield (
                    "number",
                    _("编号“%(number)s”的格式应为 %(example)s；新问题可留空，由系统编号。")
                    % {
                        "number": number,
                        "example": f"{settings.CASE_NUMBER_PREFIX}-2015-0001",
                    },
                )
            elif getattr(instance, "_number_repeated", False):
                yield "number", _("编号“%(number)s”在文件中出现了不止一次。") % {"number": number}
        if instance.status == Case.Status.CLOSED:
            if not instance.closed_on:
                yield "closed_on", _("已办结的问题须填写办结日期。")
            if not instance.closure:
                yield "closure", _("已办结的问题须填写办结方式（已解决、现场解决或政策解释）。")
            if not instance.result.strip():
                yield "result", _("已办结的问题须填写办理结果。")
        else:
            if instance.closed_on:
                yield "closed_on", _("未办结的问题不能有办结日期；已办结请把状态填为“已办结”。")
            if instance.closure:
                yield "closure", _("未办结的问题不能有办结方式；已办结请把状态填为“已办结”。")
        if instance.closed_on and instance.closed_on > today:
            yield "closed_on", _("办结日期不能晚于今天。")
        if instance.fed_back_on:
            if instance.fed_back_on > today:
                yield "fed_back_on", _("反馈日期不能晚于今天。")
            elif instance.raised_on and instance.fed_back_on < instance.raised_on:
                yield "fed_back_on", _("反馈日期不能早于反映日期。")

    @staticmethod
    def number_pattern() -> re.Pattern:
        return re.compile(rf"{re.escape(settings.CASE_NUMBER_PREFIX)}-(\d{{4}})-(\d{{4,}})")

    def column_of(self, name: str) -> str:
        if name == NON_FIELD_ERRORS:
            return name
        field = self.fields.get(name)
        if field is not None:
            return field.column_name
        try:
            return header(name)
        except Exception:
            return name

    def before_save_instance(self, instance, row, **kwargs):
        user = kwargs.get("user")
        if instance.pk is None:
            if not instance.number:
                instance.number = next_number(instance.raised_on.year)
            if user is not None and user.is_authenticated:
                instance.created_by = user
            if instance.visit_id is None and instance.team_id:
                # The team's visit to that village on that day, when it is in the work log.
                instance.visit = Visit.objects.filter(
                    team_id=instance.team_id, village_id=instance.village_id, date=instance.raised_on
                ).first()
        else:
            instance.version += 1

    def after_save_instance(self, instance, row, **kwargs):
        self.keep_sequence_ahead_of(instance.number)
        user = kwargs.get("user")
        file_name = kwargs.get("file_name")
        before = getattr(instance, "_status_before_import", "")
        if before:
            text = _("从台账文件“%(file)s”导入更新。") if file_name else _("从台账文件导入更新。")
        else:
            text = _("从台账文件“%(file)s”导入。") if file_name else _("从台账文件导入。")
        CaseEvent.objects.create(
            case=instance,
            kind=CaseEvent.Kind.IMPORTED,
            author=user if user is not None and user.is_authenticated else None,
            text=text % {"file": file_name} if file_name else text,
            status_from=before,
            status_to=instance.status,
            public=False,
        )

    def keep_sequence_ahead_of(self, number: str) -> None:
        """An imported SH-2015-0150 moves the year's sequence to 150 at least, so that the next
        case registered is never given a number already in the ledger."""
        match = self.number_pattern().fullmatch(number)
        if not match:
            return
        year, serial = int(match.group(1)), int(match.group(2))
        NumberSequence.objects.get_or_create(year=year)
        NumberSequence.objects.filter(year=year, last__lt=serial).update(last=serial)
