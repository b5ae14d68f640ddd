"""The case ledger 问题台账 as a spreadsheet: export and import of cases (xlsx, csv).

Columns carry the model's Chinese verbose names, whatever language the user reads the site in,
so a file exported in one language imports in the other. Foreign keys go by natural keys: the
village by its 12-digit code or its name, the team by its number, categories by their codes,
the responsible cadre by name. Choices are written as their Chinese labels.

An import runs in one transaction and writes nothing when any row is bad: every bad row is
reported with its column and a Chinese message (the model's field checks and clean() plus the
ledger's rules; the unique number and the table's constraints are the database's to enforce).
A row without a tracking number is given the next one of its year; every imported row gets a
CaseEvent of kind "imported".

An import makes a number of queries that does not grow with its rows, only with its batches:
villages, teams, categories and cadres are read once into dictionaries, the cases a file
updates and the visits its rows belong to are read in one query per thousand rows, the
tracking numbers of all new rows are taken in one locked step, and cases and events are
written with bulk_create (import-export's bulk mode).
"""

import copy
import datetime
import functools
from collections import Counter

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from cases import numbering
from cases.inserts import insert_all
from cases.models import Case, CaseEvent, Category, SubCategory
from cases.names import Resolver
from cases.workflow import loaded_relations
from sanhe.lib.cells import neutralise_formula, restore_formula_text
from teams.models import Cadre, Team, Visit
from villages.models import Town, Village

CHUNK = 1000  # values per IN (…) list, well under SQLite's limit on query parameters

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S")


@functools.cache
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


def only_one(matches: list, text: str, not_found, ambiguous):
    """The one match; else the message NOT_FOUND or AMBIGUOUS (lazy: translated only when needed)."""
    if not matches:
        raise ValueError(str(not_found) % {"value": text})
    if len(matches) > 1:
        raise ValueError(str(ambiguous) % {"value": text})
    return matches[0]


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        # A file this admin exported carries '=… for =… (neutralise_formula): the value comes back whole.
        return cell_text(restore_formula_text(value) if isinstance(value, str) else value)


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
        if len(text) == 10 and text.isascii() and text[4] == text[7] == "-" and text.replace("-", "").isdigit():
            try:  # 2015-01-08, as exported: read without strptime, which is slow
                return datetime.date(int(text[:4]), int(text[5:7]), int(text[8:]))
            except ValueError:
                pass
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
        found = self.lookup().get(text)
        if found is not None:
            return found
        labels = "、".join(self.chinese(choice) for choice in self.choices)
        raise ValueError(_("“%(value)s”不是可选的值，可填：%(labels)s。") % {"value": text, "labels": labels})

    def reset(self) -> None:
        self._lookup = None

    def lookup(self) -> dict[str, str]:
        """What may be written → the value: a dictionary built once per import (in the user's
        language, which an import does not change), not a loop over the choices per cell."""
        if getattr(self, "_lookup", None) is None:
            lookup: dict[str, str] = {}
            for choice in self.choices:  # the first choice that reads so wins
                for text in (choice.value, str(choice.label), self.chinese(choice)):
                    lookup.setdefault(text, choice.value)
            self._lookup = lookup
        return self._lookup

    def render(self, value, obj=None, **kwargs):
        return self.chinese(self.choices(value)) if value else ""

    @staticmethod
    @functools.cache
    def chinese(choice) -> str:
        with translation.override("zh-hans"):
            return str(choice.label)


class LookupWidget(widgets.ForeignKeyWidget):
    """A foreign key read by name from a dictionary loaded once per import (`index`), not by a
    query per row. `reset` forgets it, so that each import sees the current table."""

    def reset(self) -> None:
        self._index = None

    @property
    def index(self) -> dict[str, list]:
        if getattr(self, "_index", None) is None:
            self._index = {}
            for obj in self.get_queryset(None, None):
                for name in set(self.names(obj)):
                    self._index.setdefault(name, []).append(obj)
        return self._index

    def names(self, obj) -> list[str]:
        raise NotImplementedError


class NamedWidget(widgets.ForeignKeyWidget):
    """A village, category or sub-category read through the one resolver (cases/names.py), loaded
    once per import: names as offices write them, codes, and the aliases the office has chosen."""

    kind = ""
    resolver: Resolver | None = None  # shared by the resource's widgets, set for each import

    def reset(self, resolver: Resolver | None = None) -> None:
        self.resolver = resolver or Resolver()

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        if self.resolver is None:
            self.reset()
        found = getattr(self.resolver, self.kind)(text)
        if found:
            return found.obj
        closest = "、".join(str(obj) for obj in found.candidates)
        message = self.not_found % {"value": text}
        if closest:
            message += str(gettext_lazy("最接近的是：%(closest)s。")) % {"closest": closest}
        raise ValueError(message + str(gettext_lazy("也可在“名称对照”中添加这个写法。")))


class VillageWidget(NamedWidget):
    """Written as the short name; read from the division code, the short or full name, as offices write them."""

    kind = "village"
    not_found = gettext_lazy("没有“%(value)s”这个村（社区）。")

    def __init__(self):
        super().__init__(Village, field="short_name")


class TeamWidget(LookupWidget):
    """Written as the team's number; read from the number or the team's name."""

    def __init__(self):
        super().__init__(Team, field="number")

    def names(self, team) -> list[str]:
        return [f"#{team.number}", team.name]

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        matches = self.index.get(f"#{int(text)}" if text.isdigit() else text, [])
        return only_one(
            matches,
            text,
            gettext_lazy("没有“%(value)s”这个驻点团队：请填团队编号。"),
            gettext_lazy("有多个驻点团队叫“%(value)s”：请改填团队编号。"),
        )


class CodeWidget(NamedWidget):
    """A category or sub-category, written as its code; read from the code or the name as offices write it."""

    def __init__(self, model, not_found):
        super().__init__(model, field="code")
        self.kind = "category" if model is Category else "subcategory"
        self.not_found = not_found


class CadreWidget(LookupWidget):
    """The responsible cadre by name; namesakes are told apart by the row's team."""

    def __init__(self, team_column: str):
        super().__init__(Cadre, field="name")
        self.team_column = team_column

    def get_queryset(self, value, row, *args, **kwargs):
        return Cadre.objects.select_related("team").order_by("pk")

    def names(self, cadre) -> list[str]:
        return [cadre.name]

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return None
        matches = self.index.get(text, [])
        team = cell_text((row or {}).get(self.team_column))
        if team and len(matches) > 1:
            if team.isdigit():
                matches = [cadre for cadre in matches if cadre.team and cadre.team.number == int(team)]
            else:
                matches = [cadre for cadre in matches if cadre.team and cadre.team.name == team]
        return only_one(
            matches,
            text,
            gettext_lazy("没有叫“%(value)s”的干部。"),
            gettext_lazy("有多位干部叫“%(value)s”，无法确定责任人：请填写驻点团队，或导入后在后台指定。"),
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
# Fields whose cells their widget has converted and checked already (dates, yes/no, long texts,
# choices: a blank choice keeps the model's default): the model's field checks skip them. Text
# with a length limit, required fields and foreign keys not yet found are still checked.
CONVERTED = frozenset(
    f.name
    for f in Case._meta.concrete_fields
    if f.choices or (f.blank and not f.is_relation and not isinstance(f, models.CharField))
)


def only_town() -> Town:
    """The town an import without one is for: the only town there is; else the importer must say."""
    towns = list(Town.objects.all()[:2])
    if len(towns) != 1:
        raise ValueError(_("导入前请先选择乡镇：问题登记在哪个乡镇。"))
    return towns[0]


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
        widget=CodeWidget(Category, gettext_lazy("没有“%(value)s”这个问题大类。")),
    )
    subcategory = fields.Field(
        attribute="subcategory",
        column_name=header("subcategory"),
        widget=CodeWidget(SubCategory, gettext_lazy("没有“%(value)s”这个问题小类。")),
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
        # Rows are saved with bulk_create / bulk_update, a thousand at a time; nothing is saved
        # once a row is bad, and the whole file is rolled back (see import_data).
        use_bulk = True
        batch_size = 1000

    def get_queryset(self):
        return Case.objects.select_related("village", "team", "category", "subcategory", "responsible").order_by(
            "number"
        )

    def export_field(self, field, instance, **kwargs):
        """Every cell of every format the admin offers, as text where a cadre typed a formula."""
        return neutralise_formula(super().export_field(field, instance, **kwargs))

    # Import: one transaction, nothing written when any row is bad.

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        """Import DATASET; a file with any bad row writes nothing, whatever the caller asks:
        rows with validation errors roll the whole file back as other errors do."""
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        # Only a preview (dry run) shows each row's differences; an import proper skips copying
        # every row and computing them (skip_row below tells unchanged rows apart without them).
        self._meta = copy.copy(type(self)._meta)
        self._meta.skip_diff = not dry_run
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)

    def get_import_fields(self):
        # Asked twice a row; the same for the whole import.
        if getattr(self, "_import_fields", None) is None:
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def __init__(self, town=None, **kwargs):
        super().__init__(**kwargs)
        self.town = town

    def before_import(self, dataset, **kwargs):
        self.town = self.town or only_town()
        self.today = timezone.localdate()
        self.numbers_in_file: set[str] = set()
        self.events: list[CaseEvent] = []
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
        names = Resolver(self.town)  # one for the village, category and sub-category columns: the town's
        for field in self.fields.values():
            if isinstance(field.widget, NamedWidget):
                field.widget.reset(names)
            elif hasattr(field.widget, "reset"):  # lookups loaded for an earlier import
                field.widget.reset()
        numbers = [cell_text(value) for value in dataset[header("number")]]
        days = self.days_of(dataset)
        self.existing = self.load_existing({number for number in numbers if number})
        self.visits = self.load_visits({day for day in days if day})
        # Numbers written in the file first move their year's sequence past them; then the new
        # rows' numbers are taken, all in one locked step (rolled back with a failed import).
        numbering.keep_ahead_of(self.town, self.numbers_in_sequence(numbers))
        new_per_year = Counter(day.year for number, day in zip(numbers, days, strict=True) if day and not number)
        self.new_numbers = {
            year: list(taken) for year, taken in numbering.take_numbers(self.town, new_per_year).items()
        }

    @staticmethod
    def days_of(dataset) -> list:
        """Each row's date of raising, None where it is not a date (that row will say so)."""
        widget, days = LedgerDateWidget(), []
        for value in dataset[header("raised_on")]:
            try:
                days.append(widget.clean(value))
            except ValueError:
                days.append(None)
        return days

    def numbers_in_sequence(self, numbers: list[str]) -> list[str]:
        return [number for number in numbers if numbering.parse_number(number, self.town)]

    def load_existing(self, numbers: set[str]) -> dict[str, Case]:
        """The cases the file names by number (one query per thousand numbers)."""
        numbers, existing = sorted(numbers), {}
        for i in range(0, len(numbers), CHUNK):
            existing.update(
                (case.number, case) for case in self.get_queryset().filter(number__in=numbers[i : i + CHUNK])
            )
        return existing

    @staticmethod
    def load_visits(days: set) -> dict[tuple, int]:
        """The visits of the file's days by (team, village, date) (one query per thousand days)."""
        days, visits = sorted(days), {}
        for i in range(0, len(days), CHUNK):
            rows = Visit.objects.filter(date__in=days[i : i + CHUNK]).values_list("team_id", "village_id", "date", "pk")
            visits.update(((team, village, day), pk) for team, village, day, pk in rows)
        return visits

    def import_instance(self, instance, row, **kwargs):
        """import-export's import_instance in one tight loop (it runs for every cell): each
        column converted by its widget and set on the case; the errors collected per field."""
        errors = {}
        for field in self.get_import_fields():
            if field.readonly or field.column_name not in row:
                continue
            try:
                value = field.widget.clean(row[field.column_name], row=row)
            except ValueError as error:
                errors[field.attribute] = ValidationError(str(error), code="invalid")
                continue
            if value is not None or field.saves_null_values:
                setattr(instance, field.attribute, value)
        if errors:
            raise ValidationError(errors)

    def get_instance(self, instance_loader, row):
        number = cell_text(row.get(header("number")))
        existing = self.existing.get(number) if number else None
        # A copy: a number repeated in the file must not find the first row's changes.
        return copy.deepcopy(existing) if existing is not None and number in self.numbers_in_file else existing

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._status_before_import = "" if new else instance.status
        # What the row may change, as it was: an unchanged row is skipped (see skip_row).
        instance._values_before_import = None if new else self.import_values(instance)

    def import_values(self, instance) -> list:
        return [field.get_value(instance) for field in self.get_import_fields()]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A number seen earlier in the file is an error, even on a row identical to the first.
        number = instance.number
        instance._number_repeated = bool(number) and number in self.numbers_in_file
        if number:
            self.numbers_in_file.add(number)
        if instance._number_repeated or import_validation_errors or instance._values_before_import is None:
            return False
        # import-export's skip_unchanged, without the copy of the row it needs (skip_diff).
        return self.import_values(instance) == instance._values_before_import

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's field checks and clean() plus the ledger's rules, each error under its
        column's header. Related objects come from the lookups and the database enforces the
        unique number and the constraints: none of it is queried again row by row."""
        errors = dict(import_validation_errors or {})
        if instance.subcategory_id and not instance.category_id and "category" not in errors:
            instance.category = instance.subcategory.category
        for name, message in self.ledger_errors(instance):
            if name not in errors:
                errors[name] = [message]
        # A new row without a number is given one when it is saved.
        exclude = set(errors) | set(loaded_relations(instance)) | ({"number"} if not instance.number else set())
        exclude |= CONVERTED
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        if "category" in (import_validation_errors or {}) and "subcategory" not in (import_validation_errors or {}):
            # An unknown category is the error; its sub-category not matching it follows from it.
            errors.pop("subcategory", None)
        if errors:
            raise ValidationError({self.column_of(name): messages for name, messages in errors.items()})

    def ledger_errors(self, instance: Case):
        """The rules a row must keep beyond the model's clean(), as (field, message) pairs."""
        today = self.today
        number = instance.number
        if number:
            if not numbering.parse_number(number, self.town):
                yield (
                    "number",
                    _("编号“%(number)s”的格式应为 %(example)s；新问题可留空，由系统编号。")
                    % {"number": number, "example": numbering.format_number(self.town, 2015, 1)},
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
                instance.number = self.take_number(instance.raised_on.year)
            numbering.give_track_codes([instance])
            if user is not None and user.is_authenticated:
                instance.created_by = user
            if instance.visit_id is None and instance.team_id:
                # The team's visit to that village on that day, when it is in the work log.
                instance.visit_id = self.visits.get((instance.team_id, instance.village_id, instance.raised_on))
        else:
            instance.version += 1
            instance.updated_at = timezone.now()  # bulk_update does not set auto_now fields

    def take_number(self, year: int) -> str:
        """The next of the numbers taken for the file's new rows of YEAR."""
        taken = self.new_numbers.get(year)
        return taken.pop(0) if taken else numbering.next_number(self.town, year)

    def after_save_instance(self, instance, row, **kwargs):
        user = kwargs.get("user")
        before = getattr(instance, "_status_before_import", "")
        # Written after the case, in bulk (see after_import).
        self.events.append(
            CaseEvent(
                case=instance,
                kind=CaseEvent.Kind.IMPORTED,
                author=user if user is not None and user.is_authenticated else None,
                text="",
                data={"code": "file_import", "file": kwargs.get("file_name") or "", "updated": bool(before)},
                status_from=before,
                status_to=instance.status,
                public=False,
            )
        )

    def get_bulk_update_fields(self):
        return [*super().get_bulk_update_fields(), "version", "updated_at"]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        """Insert the batch's new cases (COPY on PostgreSQL); not once a row is bad: the import
        is rolled back anyway."""
        try:
            if not self.failed(result):
                insert_all(Case, self.create_instances)
        except Exception as error:
            self.handle_import_error(result, error, raise_errors)
        finally:
            self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        if self.failed(result):
            self.update_instances.clear()
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size=batch_size, result=result)

    @staticmethod
    def failed(result) -> bool:
        return result is not None and (result.has_errors() or result.has_validation_errors())

    def after_import(self, dataset, result, **kwargs):
        if not self.failed(result):
            # Every case is saved by now and has its id: the history follows in bulk.
            insert_all(CaseEvent, self.events)
            for year, unused in self.new_numbers.items():
                numbering.give_back(self.town, year, unused)
        super().after_import(dataset, result, **kwargs)
