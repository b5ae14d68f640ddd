import re

from django import forms
from django.conf import settings
from django.db.models import F, Q, TextField, Value
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.ledger_files import LedgerFileError
from cases.models import Case, Category, SubCategory
from cases.validators import within_years
from reports.analysis import Period
from reports.behind import FIGURE_NAMES
from reports.evaluation import DEFAULT_WEIGHTS, INDICATORS
from reports.models import Notice, SpotCheck, SpotCheckDraw, StatedReport, stated_percent
from reports.reconcile import read_stated_file
from teams.models import Team
from villages.models import Village


class ReportDateField(forms.DateField):
    """A date every report form takes: a real date within 2000–2100 (cases/validators.py; beyond,
    the analysis's date arithmetic would step past year 1 or 9999 and crash)."""

    default_validators = [within_years]


class PeriodForm(forms.Form):
    """An optional date range: cases raised from START to END, both inclusive."""

    start = ReportDateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = ReportDateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data

    def period(self) -> dict:
        return {"start": self.cleaned_data.get("start"), "end": self.cleaned_data.get("end")}

    def period_json(self) -> dict:
        return {k: v.isoformat() if v else None for k, v in self.period().items()}


class MonthField(ReportDateField):
    """A month typed as YYYY-MM (what <input type=month> sends), or any date in that month."""

    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
        kwargs.setdefault("error_messages", {"invalid": _("月份格式应为 YYYY-MM，如 2015-01。")})
        super().__init__(**kwargs)


class AnalysisPeriodForm(PeriodForm):
    """A month, or any date range; without either, the last full month."""

    month = MonthField(label=_("月份"), required=False)

    field_order = ["month", "start", "end"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        # One end alone runs from the programme's start or to today: that range must be in order too.
        if bool(start) != bool(end) and self._range(start, end).days < 1:
            raise forms.ValidationError(
                _("起始日期不能晚于截止日期（只填一个日期时，另一端是%(first)s或今天）。")
                % {"first": settings.PROGRAMME_START.isoformat()}
            )
        return data

    @staticmethod
    def _range(start, end) -> Period:
        return Period(start or settings.PROGRAMME_START, end or timezone.localdate())

    def analysis_period(self) -> Period:
        """The period asked for; the last full month when none is, or the query is wrong (the page
        then shows the form's errors and answers 400)."""
        data = self.cleaned_data if self.is_valid() else {}
        start, end = data.get("start"), data.get("end")
        if start or end:
            return self._range(start, end)
        if data.get("month"):
            return Period.month(data["month"].year, data["month"].month)
        return Period.last_full_month()

    def status(self) -> int:
        """The page's HTTP status: 400 when the query was given and is wrong."""
        return 400 if self.is_bound and not self.is_valid() else 200


class FigureForm(forms.Form):
    """Which figure's cases to list: /reports/cases/?figure=closed&start=…&end=…[&team=3]."""

    figure = forms.ChoiceField(label=_("数字"), choices=[])
    start = ReportDateField(label=_("起始日期"))
    end = ReportDateField(label=_("截止日期"))
    category = forms.IntegerField(required=False, min_value=1)
    subcategory = forms.IntegerField(required=False, min_value=1)
    unclassified = forms.IntegerField(required=False, min_value=1)
    village = forms.IntegerField(required=False, min_value=1)
    team = forms.IntegerField(required=False, min_value=1)
    page = forms.IntegerField(
        label=_("页码"),
        required=False,
        min_value=1,
        max_value=100_000,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), _("页码应为1至100000之间的整数。")),
    )

    DIMS = ("category", "subcategory", "unclassified", "village", "team")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["figure"].choices = list(FIGURE_NAMES.items())

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        if sum(1 for dim in self.DIMS if data.get(dim)) > 1:
            raise forms.ValidationError(_("一次只能按一个类别、村或团队查看。"))
        return data

    def selection(self) -> tuple[str, Period, str | None, int | None]:
        data = self.cleaned_data
        dim = next((d for d in self.DIMS if data.get(d)), None)
        return data["figure"], Period(data["start"], data["end"]), dim, data.get(dim) if dim else None

    def title(self) -> str:
        figure, period, _dim, _pk = self.selection()
        return f"{period.label()} · {FIGURE_NAMES[figure]}"

    def row_name(self) -> str:
        """The category, village or team the list is narrowed to (one query), or ""."""
        _figure, _period, dim, pk = self.selection()
        if dim is None:
            return ""
        if dim == "unclassified":
            return str(_("未分类"))
        model = {"category": Category, "subcategory": SubCategory, "village": Village, "team": Team}[dim]
        found = model.objects.filter(pk=pk).first()
        return str(found) if found else "—"


class PackForm(AnalysisPeriodForm):
    """The meeting pack's month, and the day its written summary counts to (截至…; the period's end
    unless given)."""

    as_of = ReportDateField(
        label=_("累计数字截至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("书面小结中“截至某日”的日期，默认是期末。"),
    )

    field_order = ["month", "start", "end", "as_of"]

    def summary_date(self, period: Period):
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("as_of") or period.end


# -- Reconciliation: a published report's stated figures ------------------------------------------


class OfOneTown:
    """A form of a record whose town the view sets, not the user: the record's constraints that
    name its town (one title and date per town) are still checked, as a form error."""

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() - {"town"}


class StatedReportForm(OfOneTown, forms.ModelForm):
    """The report's totals and, one pair of fields per category, its stated count and share."""

    class Meta:
        model = StatedReport
        fields = ["title", "published_on", "as_of", "source", "total", "closed", "in_progress", "closure_rate"]
        field_classes = {"published_on": ReportDateField, "as_of": ReportDateField}
        widgets = {
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "as_of": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = list(categories)
        stated = {line.category_id: line for line in self.instance.lines.all()} if self.instance.pk else {}
        for category in self.categories:
            line = stated.get(category.pk)
            self.fields[f"count_{category.pk}"] = forms.IntegerField(
                label=_("%(name)s：条数") % {"name": category.label},
                required=False,
                min_value=0,
                initial=line.count if line else None,
            )
            self.fields[f"share_{category.pk}"] = forms.CharField(
                label=_("%(name)s：占比（%%）") % {"name": category.label},
                required=False,
                max_length=6,
                validators=[stated_percent],
                initial=line.share if line else "",
            )

    def category_rows(self):
        return [(c, self[f"count_{c.pk}"], self[f"share_{c.pk}"]) for c in self.categories]

    def stated_lines(self) -> dict:
        """{category: (count, share)} for the categories the report states something for."""
        lines = {}
        for category in self.categories:
            count, share = self.cleaned_data.get(f"count_{category.pk}"), self.cleaned_data.get(f"share_{category.pk}")
            if count is not None or share:
                lines[category] = (count, share or "")
        return lines


TOTAL_ROWS = {
    "total": ("收集问题", "合计", "总数", "total"),
    "closed": ("已办结", "办结", "closed"),
    "in_progress": ("正在处理", "处理中", "in_progress"),
    "closure_rate": ("办结率", "closure_rate"),
}


class StatedImportForm(OfOneTown, forms.ModelForm):
    """The same figures from a spreadsheet: columns 项目, 条数, 占比; 项目 is 收集问题, 已办结,
    正在处理, 办结率, or a category's name or code."""

    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))

    class Meta:
        model = StatedReport
        fields = ["title", "published_on", "as_of", "source"]
        field_classes = {"published_on": ReportDateField, "as_of": ReportDateField}
        widgets = {
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "as_of": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if upload.size > 1_000_000:
            raise forms.ValidationError(_("文件不能超过1MB。"))
        if not name.endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("只能导入 .xlsx 或 .csv 文件。"))
        try:
            dataset = read_stated_file(upload)  # bounded, as every upload (UPLOAD_MAX_* in settings)
        except LedgerFileError as error:  # past a limit, or broken: its own message
            raise forms.ValidationError(str(error)) from None
        except Exception:  # a broken file: tablib raises many kinds
            raise forms.ValidationError(_("无法读取文件，请确认是有效的 .xlsx 或 .csv 文件。")) from None
        self.totals, self.lines = self._parse(dataset)
        return upload

    def _parse(self, dataset) -> tuple[dict, dict]:
        headers = [str(h or "").strip() for h in (dataset.headers or [])]
        if not {"项目", "条数", "占比"} <= set(headers):
            raise forms.ValidationError(_("第一行应为表头：项目、条数、占比。"))
        table = list(Category.objects.for_town(self.instance.town))
        categories = {c.code: c for c in table} | {c.label: c for c in table}
        totals, lines, errors = {}, {}, []
        for number, values in enumerate(dataset.dict, start=2):
            item = str(values.get("项目") or "").strip()
            count, share = str(values.get("条数") or "").strip(), str(values.get("占比") or "").strip().rstrip("%")
            if not item:
                continue
            if count and not count.removesuffix(".0").isdigit():
                errors.append(_("第%(row)d行：条数“%(value)s”不是整数。") % {"row": number, "value": count})
                continue
            count_value = int(count.removesuffix(".0")) if count else None
            try:
                if share:
                    stated_percent(share)
            except forms.ValidationError:
                errors.append(_("第%(row)d行：占比“%(value)s”不是百分比数字。") % {"row": number, "value": share})
                continue
            total_key = next((k for k, names in TOTAL_ROWS.items() if item in names), None)
            if total_key == "closure_rate":
                totals["closure_rate"] = share
            elif total_key:
                totals[total_key] = count_value
            elif item in categories:
                lines[categories[item]] = (count_value, share)
            else:
                errors.append(_("第%(row)d行：“%(item)s”不是已知的项目或问题大类。") % {"row": number, "item": item})
        if errors:
            raise forms.ValidationError(errors)
        return totals, lines


# -- Spot checks ------------------------------------------------------------------------------------


class DrawForm(forms.Form):
    """A random sample of a period's cases: N cases or N percent, optionally at least K per team."""

    start = ReportDateField(label=_("反映日期自"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = ReportDateField(label=_("反映日期至"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    size_kind = forms.ChoiceField(label=_("抽样方式"), choices=SpotCheckDraw.Size.choices)
    size = forms.IntegerField(label=_("数量（件或%）"), min_value=1, max_value=10000)
    per_team = forms.IntegerField(label=_("每个团队至少（件）"), min_value=0, max_value=50, initial=0, required=False)
    seed = forms.IntegerField(
        label=_("随机种子"),
        min_value=0,
        max_value=10**15,
        required=False,
        help_text=_("留空则随机生成；填入以前的种子可重现那次抽样。"),
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("截止日期不能早于起始日期。"))
        if data.get("size_kind") == SpotCheckDraw.Size.PERCENT and (data.get("size") or 0) > 100:
            self.add_error("size", _("按比例抽样时，数量不能超过100%。"))
        data["per_team"] = data.get("per_team") or 0
        return data


class CheckForm(forms.ModelForm):
    """How one drawn case was checked and what was found."""

    class Meta:
        model = SpotCheck
        fields = ["method", "finding", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].required = True
        self.fields["finding"].required = True
        self.fields["method"].error_messages["required"] = _("请选择督查方式。")
        self.fields["finding"].error_messages["required"] = _("请选择督查结论。")


# -- Team evaluation and notices --------------------------------------------------------------------


class WeightsForm(AnalysisPeriodForm):
    """The period and the composite score's weights (each 0–100; shown beside the ranking)."""

    best = forms.IntegerField(label=_("表扬、批评各几个团队"), min_value=0, max_value=5, initial=2, required=False)

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:  # a weight left out of the query keeps its default, and shows it
            data = data.copy()
            for indicator in INDICATORS:
                data.setdefault(f"w_{indicator.key}", str(indicator.weight))
        super().__init__(data, *args, **kwargs)
        for indicator in INDICATORS:
            self.fields[f"w_{indicator.key}"] = forms.IntegerField(
                label=indicator.name, min_value=0, max_value=100, initial=indicator.weight, required=False
            )

    def weight_fields(self):
        return [self[f"w_{indicator.key}"] for indicator in INDICATORS]

    def clean(self):
        data = super().clean()
        weights = [data.get(f"w_{i.key}") for i in INDICATORS]
        if None not in weights and sum(weights) != 100:
            raise forms.ValidationError(_("各项权重之和应为100，现为%(sum)d。") % {"sum": sum(weights)})
        return data

    def weights(self) -> dict:
        """The weights asked for; the defaults where a value is missing or the form is wrong."""
        data = self.cleaned_data if self.is_valid() else {}
        chosen = {i.key: data.get(f"w_{i.key}") for i in INDICATORS}
        return {key: DEFAULT_WEIGHTS[key] if value is None else value for key, value in chosen.items()}

    def best_count(self) -> int:
        data = self.cleaned_data if self.is_valid() else {}
        return 2 if data.get("best") is None else data["best"]


PHONE = re.compile(r"1[3-9]\d{9}")


class NoticeForm(forms.ModelForm):
    """A notice's title and text. It is published to everyone: no resident's name, phone or address."""

    class Meta:
        model = Notice
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"class": "notice", "rows": 18})}

    def clean_body(self):
        body = self.cleaned_data["body"]
        if PHONE.search(body):
            raise forms.ValidationError(_("通报要公开发布，不能写手机号码，请删去。"))
        text = Value(body, output_field=TextField())
        residents = (
            Case.objects.annotate(text=text, name_length=Length("resident_name"))
            .filter(
                Q(name_length__gte=2, text__contains=F("resident_name"))
                | (~Q(resident_phone="") & Q(text__contains=F("resident_phone")))
                | (~Q(resident_address="") & Q(text__contains=F("resident_address")))
            )
            .exists()
        )
        if residents:
            raise forms.ValidationError(_("通报要公开发布，正文中出现了台账里群众的姓名、电话或住址，请删去。"))
        return body
