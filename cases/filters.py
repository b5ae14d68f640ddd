"""The office's case list: which cases a query string asks for, and in what order.

Every parameter is validated by the filter form; garbage gives a form error, never a 500.
"""

import functools
import unicodedata

import django_filters
from django import forms
from django.db import models
from django.db.models import F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Category, SubCategory
from cases.validators import within_years
from teams.models import Cadre, Team
from teams.roles import can_read_all_cases, town_of
from teams.roster import RosterSelect
from villages.models import Town, Village

ALL = _("全部")
YEARS = [within_years]
Q_MAX_LENGTH = 100

# ?sort=KEY or ?sort=-KEY (descending): the only orderings there are. Ties break on the number.
_STATUS_RANK = models.Case(
    When(status=Case.Status.REGISTERED, then=Value(0)),
    When(status=Case.Status.IN_PROGRESS, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
SORTS = {
    "number": (_("编号"), F("number")),
    "raised": (_("反映日期"), F("raised_on")),
    "due": (_("办理期限"), F("due_on")),
    "status": (_("状态"), _STATUS_RANK),
    "village": (_("村（社区）"), F("village__code")),
}


def sort_choices() -> list[tuple[str, str]]:
    choices = []
    for key, (label, _expr) in SORTS.items():
        choices.append((key, _("%(label)s（升序）") % {"label": label}))
        choices.append((f"-{key}", _("%(label)s（降序）") % {"label": label}))
    return choices


def order_cases(qs: QuerySet, sort: str) -> QuerySet:
    """Order QS by SORT (a key of SORTS, "-" for descending); empty dates go last either way."""
    key = sort.removeprefix("-")
    descending = sort.startswith("-")
    expr = SORTS[key][1]
    first = expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True)
    tie = "-number" if descending else "number"
    return qs.order_by(first, tie) if key != "number" else qs.order_by(first)


def normalise_text(value: str) -> str:
    """Full-width digits and letters (１２３, ＳＨ) as typed on phones become ASCII; spaces trimmed."""
    return unicodedata.normalize("NFKC", value or "").strip()


def subcategory_choices(town=None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Sub-categories grouped by category (an <optgroup> each): TOWN's table (the county's and its
    own), or every one. A callable: read only when the select is rendered afresh (teams/roster.py)
    or a sub-category is asked for."""
    groups: dict[str, list[tuple[str, str]]] = {}
    subs = SubCategory.objects.select_related("category")
    if town is not None:
        subs = subs.filter(category__in=Category.objects.for_town(town))
    for sub in subs:
        groups.setdefault(sub.category.label, []).append((str(sub.pk), sub.label))
    return list(groups.items())


def roster_select(name: str) -> RosterSelect:
    """The filter's select NAME, its options cached per roster version (teams/roster.py)."""
    return RosterSelect(f"cases.filter.{name}")


class CaseFilterForm(forms.Form):
    """Rules across fields: a sub-category of the chosen category, a date range in order."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # labels sit above their fields
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        category, subcategory = data.get("category"), data.get("subcategory")
        if category and subcategory:
            sub = SubCategory.objects.select_related("category").filter(pk=subcategory).first()
            if sub and sub.category_id != category.pk:
                self.add_error(
                    "subcategory",
                    _("小类“%(sub)s”不属于大类“%(category)s”，它属于“%(parent)s”。")
                    % {"sub": sub.label, "category": category.label, "parent": sub.category.label},
                )
        start, end = data.get("raised_from"), data.get("raised_to")
        if start and end and start > end:
            self.add_error("raised_to", _("截止日期不能早于起始日期。"))
        return data


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FlagFilter(django_filters.Filter):
    """A checkbox: ticked filters, unticked does nothing (any value but false/0 means ticked)."""

    field_class = forms.BooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.CheckboxInput)
        super().__init__(*args, **kwargs)


class ResponsibleChoiceField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, cadre: Cadre) -> str:
        return f"{cadre.name}（{cadre.team.name}）" if cadre.team else cadre.name


class ResponsibleFilter(django_filters.ModelChoiceFilter):
    field_class = ResponsibleChoiceField


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_q",
        max_length=Q_MAX_LENGTH,
        help_text=_("编号、摘要、问题内容、反映人姓名或电话"),
    )
    status = django_filters.ChoiceFilter(
        label=_("状态"),
        method="filter_status",
        choices=[("open", _("未办结（已登记和处理中）")), *Case.Status.choices],
        empty_label=ALL,
        widget=roster_select("status"),
    )
    category = django_filters.ModelChoiceFilter(
        label=_("问题大类"), queryset=Category.objects.all(), empty_label=ALL, widget=roster_select("category")
    )
    subcategory = django_filters.ChoiceFilter(
        label=_("问题小类"),
        field_name="subcategory_id",
        choices=subcategory_choices,
        empty_label=ALL,
        widget=roster_select("subcategory"),
    )
    village = django_filters.ModelChoiceFilter(
        label=_("村（社区）"),
        queryset=Village.objects.order_by("code"),
        empty_label=ALL,
        widget=roster_select("village"),
    )
    team = django_filters.ModelChoiceFilter(
        label=_("驻点团队"), queryset=Team.objects.all(), empty_label=ALL, widget=roster_select("team")
    )
    town = django_filters.ModelChoiceFilter(
        label=_("乡镇（街道）"),
        queryset=Town.objects.all(),
        to_field_name="code",
        empty_label=ALL,
        widget=roster_select("town"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("诉求类型"), choices=Case.Kind.choices, empty_label=ALL, widget=roster_select("kind")
    )
    decision = django_filters.ChoiceFilter(
        label=_("处理决定"),
        method="filter_decision",
        choices=[*Case.Decision.choices, ("none", _("尚未分办"))],
        empty_label=ALL,
        widget=roster_select("decision"),
    )
    responsible = ResponsibleFilter(
        label=_("责任人"),
        queryset=Cadre.objects.select_related("team"),
        empty_label=ALL,
        null_label=_("未指定责任人"),
        widget=roster_select("responsible"),
    )
    # Years 2000–2100 only (cases/validators.py), as every date a form takes.
    raised_from = django_filters.DateFilter(
        label=_("反映日期从"), field_name="raised_on", lookup_expr="gte", widget=_date_widget(), validators=YEARS
    )
    raised_to = django_filters.DateFilter(
        label=_("反映日期至"), field_name="raised_on", lookup_expr="lte", widget=_date_widget(), validators=YEARS
    )
    overdue = FlagFilter(label=_("只看逾期"), method="filter_overdue")
    awaiting_feedback = FlagFilter(label=_("只看已办结未反馈"), method="filter_awaiting_feedback")
    sort = django_filters.ChoiceFilter(
        label=_("排序"),
        method="filter_sort",
        choices=sort_choices,
        empty_label=_("最新反映在前"),
        widget=roster_select("sort"),
    )

    class Meta:
        model = Case
        fields: list[str] = []
        form = CaseFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = request.user if request is not None else None
        if user is not None and not can_read_all_cases(user):
            # A cadre's list is their own team's already: no team to choose.
            del self.filters["team"]
        town = town_of(user) if user is not None else None
        if town is not None:
            self._limit_to(town)

    def _limit_to(self, town):
        """A town's staff choose among their town's villages, teams, categories and people only; the
        selects' cached options are the town's own (teams/roster.py)."""
        del self.filters["town"]
        narrowed = {
            "category": Category.objects.for_town(town),
            "village": Village.objects.filter(town=town).order_by("code"),
            "team": Team.objects.filter(town=town),
            "responsible": Cadre.objects.filter(town=town).select_related("team"),
        }
        for name, queryset in narrowed.items():
            if name in self.filters:
                self.filters[name].queryset = queryset
        self.filters["subcategory"].extra["choices"] = functools.partial(subcategory_choices, town)
        for filter_ in self.filters.values():
            widget = filter_.extra.get("widget")
            if isinstance(widget, RosterSelect):
                widget.roster_name = f"{widget.roster_name}@{town.code}"

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        text = normalise_text(value)
        if not text:
            return qs
        return qs.filter(
            Q(number__icontains=text)
            | Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(resident_name__icontains=text)
            | Q(resident_phone__icontains=text)
        )

    def filter_status(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.open() if value == "open" else qs.filter(status=value)

    def filter_decision(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(decision="" if value == "none" else value)

    def filter_overdue(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.overdue() if value else qs

    def filter_awaiting_feedback(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.awaiting_feedback() if value else qs

    def filter_sort(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return order_cases(qs, value)

    @property
    def active(self) -> bool:
        """Whether anything in the folded panel (all but the free text) is set, or wrong: the page opens it."""
        data = self.form.cleaned_data if self.form.is_valid() else self.form.data
        return bool(self.form.errors) or any(
            value not in (None, "", False) for name, value in data.items() if name in self.filters and name != "q"
        )
