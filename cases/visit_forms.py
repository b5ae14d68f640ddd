"""Forms of the cadre's visit flow: the visit itself, and each problem raised on it.

They validate and convert; saving (and every change of a case's state) is the view's call into
cases/workflow.py.
"""

import datetime
import re
import unicodedata
import uuid

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Category
from cases.names import Resolver
from cases.privacy import check_public_text, public_names
from teams.models import THURSDAY, Team, Visit
from villages.models import Village

LONG_TEXT = 2000  # the longest note a form accepts (briefing notes, description, result)
MAX_HOUSEHOLDS = 5000  # more households than any village of the town has
PHONE = re.compile(r"^[0-9+\- ]{7,20}$")


def default_visit_date(today: datetime.date | None = None) -> datetime.date:
    """The latest Thursday on or before today: this week's stationed day once it has come."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=(today.weekday() - THURSDAY) % 7)


def check_programme_date(value: datetime.date, what: str) -> None:
    if value > timezone.localdate():
        raise forms.ValidationError(_("%(what)s不能晚于今天。") % {"what": what}, code="future")
    if value < settings.PROGRAMME_START:
        raise forms.ValidationError(
            _("%(what)s早于直联活动开始（%(start)s）。") % {"what": what, "start": settings.PROGRAMME_START},
            code="before_programme",
        )


REQUEST_KEY = "nonce"  # the hidden input carrying a creating form's one-time key
REQUEST_KEY_LENGTH = 64  # as Case.request_key and Visit.request_key


def request_key_field() -> forms.CharField:
    """A fresh random key in each empty creating form, sent back as a hidden input and saved with
    what the form creates (Case.request_key, Visit.request_key): the same form sent again — a double
    tap, a resend, a retry after a timeout — finds the first record instead of making a second."""
    return forms.CharField(widget=forms.HiddenInput, required=False, initial=lambda: uuid.uuid4().hex)


def sent_request_key(data) -> str:
    """The key a creating form's DATA came with ("" from an old page without one), read before
    the form is checked: an opaque token, looked up as it is."""
    return str(data.get(REQUEST_KEY, ""))[:REQUEST_KEY_LENGTH]


def _limit_text(form: forms.Form, *names: str) -> None:
    for name in names:
        field = form.fields[name]
        field.validators.append(MaxLengthValidator(LONG_TEXT))
        field.widget.attrs.update(maxlength=str(LONG_TEXT), rows="3")


class VisitForm(forms.ModelForm):
    """A team's Thursday visit: the work log 驻点日志."""

    nonce = request_key_field()  # a new visit's form only

    class Meta:
        model = Visit
        fields = [
            "date",
            "off_day_reason",
            "village",
            "subgroups",
            "households_visited",
            "key_people",
            "briefing_notes",
            "summary",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "subgroups": forms.CheckboxSelectMultiple,
            "households_visited": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self.existing_visit = None
        self.fields["subgroups"].queryset = team.subgroups.order_by("name")
        self.fields["subgroups"].label_from_instance = lambda subgroup: subgroup.name
        # The team's town's villages only: a visit in another town's village would put its cases there.
        self.fields["village"].queryset = Village.objects.by_code().filter(town_id=team.town_id)
        self.fields["village"].empty_label = None
        self.fields["households_visited"].min_value = 0
        self.fields["households_visited"].widget.attrs.update(min="0", max=str(MAX_HOUSEHOLDS))
        self.fields["date"].widget.attrs.update(
            min=settings.PROGRAMME_START.isoformat(), max=timezone.localdate().isoformat()
        )
        _limit_text(self, "key_people", "briefing_notes", "summary")
        if self.instance.pk:
            del self.fields[REQUEST_KEY]
        else:
            self.initial.setdefault("date", default_visit_date())
            self.initial.setdefault("village", team.village_id)

    def clean_date(self) -> datetime.date:
        value = self.cleaned_data["date"]
        check_programme_date(value, _("驻点日期"))
        return value

    def clean_households_visited(self) -> int:
        value = self.cleaned_data["households_visited"]
        if value is not None and value < 0:
            raise forms.ValidationError(_("走访户数不能是负数。"), code="negative")
        if value is not None and value > MAX_HOUSEHOLDS:
            raise forms.ValidationError(
                _("走访户数 %(n)s 太大，请核对（最多 %(max)s 户）。") % {"n": value, "max": MAX_HOUSEHOLDS}, code="huge"
            )
        return value

    def clean(self):
        data = super().clean()
        village, visited, day = data.get("village"), data.get("households_visited"), data.get("date")
        if village and visited and village.households and visited > village.households:
            self.add_error(
                "households_visited",
                _("走访户数（%(n)s）超过%(village)s的户数（%(total)s）。")
                % {"n": visited, "village": village.short_name, "total": village.households},
            )
        if village and day:
            others = Visit.objects.filter(team=self.team, village=village, date=day).exclude(pk=self.instance.pk)
            self.existing_visit = others.first()
            if self.existing_visit:
                self.add_error("date", _("本团队这一天在该村的驻点已经记录过了。"))
        return data

    def save(self, commit: bool = True) -> Visit:
        self.instance.team = self.team
        return super().save(commit)


def category_choices(categories) -> list:
    """One <select> for the two levels: an <optgroup> per category, its sub-categories inside."""
    choices = [("", _("未分类"))]
    for category in categories:
        options = [(str(category.pk), _("%(name)s（不细分小类）") % {"name": category.label})]
        options += [(f"{category.pk}-{sub.pk}", sub.label) for sub in category.subcategories.all()]
        choices.append((category.label, options))
    return choices


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True
    template_name = "django/forms/widgets/file.html"  # no "clear" box: a new problem has no photo yet


class MultiplePhotoField(forms.FileField):
    """Any number of photos (none is fine), checked and re-encoded by cases/photos.py: cleaned,
    the list of cases.photos.Prepared, stored with the case once it is registered."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultiplePhotoInput(attrs={"accept": "image/*", "capture": "environment", "multiple": True}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        from cases import photos

        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            return []
        if len(files) > settings.PHOTO_LIMIT_PER_CASE:
            raise forms.ValidationError(
                _("每个问题最多 %(limit)s 张照片。") % {"limit": settings.PHOTO_LIMIT_PER_CASE}, code="limit"
            )
        return photos.prepare_all(files)


class ProblemForm(forms.ModelForm):
    """One problem a resident raised on the visit: a new row of the ledger."""

    category_choice = forms.CharField(label=_("问题类别"), required=False, widget=forms.Select)
    on_the_spot = forms.BooleanField(label=_("现场解决"), required=False)
    result = forms.CharField(
        label=_("现场解决的结果"),
        required=False,
        widget=forms.Textarea,
        help_text=_("勾选“现场解决”时必填；公示在村公开栏。"),
    )
    nonce = request_key_field()  # a second tap on “登记” does not register the problem twice
    photos = MultiplePhotoField(
        label=_("照片（可不拍）"),
        required=False,
        help_text=_("拍下现场（如破损的水渠、积水的路面），可多张；位置、设备等信息会被去除，不公示。"),
    )

    class Meta:
        model = Case
        fields = [
            "resident_name",
            "resident_phone",
            "resident_address",
            "channel",
            "kind",
            "title",
            "description",
            "public_posting",
        ]
        widgets = {
            "resident_phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, visit: Visit, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.visit = visit
        if categories is None:  # the county's categories and the visit's town's own
            categories = Category.objects.for_town(visit.team.town_id).prefetch_related("subcategories")
        categories = list(categories)
        self.categories = {c.pk: c for c in categories}
        self.fields["category_choice"].widget.choices = category_choices(categories)
        self.fields["resident_phone"].widget.attrs["maxlength"] = "20"
        _limit_text(self, "description", "result")
        self.instance.visit = visit
        self.instance.team = visit.team
        self.instance.village = visit.village
        self.instance.raised_on = visit.date

    # The form's three parts on the page: who raised it (never public), the problem, solved on the spot.
    @property
    def resident_fields(self):
        return [self[name] for name in ("resident_name", "resident_phone", "resident_address")]

    @property
    def problem_fields(self):
        names = ("channel", "kind", "category_choice", "title", "description", "public_posting")
        return [self[name] for name in names]

    @property
    def spot_fields(self):
        return [self["on_the_spot"], self["result"]]

    @property
    def photos_dropped(self) -> bool:
        """Photos were sent with a form shown again (refused, or possible duplicates to look at):
        a browser never fills a file input back in, they must be chosen again."""
        return self.is_bound and bool(self.files.getlist("photos"))

    def clean_resident_phone(self) -> str:
        value = unicodedata.normalize("NFKC", self.cleaned_data["resident_phone"]).strip()
        if value and (not PHONE.match(value) or sum(ch.isdigit() for ch in value) < 7):
            raise forms.ValidationError(
                _("电话号码只能写数字、“-”、“+”和空格，7至20位，如 13912345678 或 0750-5524538。"), code="phone"
            )
        return value

    def clean_category_choice(self):
        """Returns (category, sub-category); either may be None."""
        value = self.cleaned_data["category_choice"].strip()
        if not value:
            return (None, None)
        match = re.fullmatch(r"(\d{1,9})(?:-(\d{1,9}))?", value)
        if not match:
            return self.category_by_name(value)
        category = self.categories.get(int(match[1]))
        if category is None:
            raise forms.ValidationError(_("请从列表中选择问题类别。"), code="invalid_choice")
        if not match[2]:
            return (category, None)
        subs = {s.pk: s for c in self.categories.values() for s in c.subcategories.all()}
        sub = subs.get(int(match[2]))
        if sub is None:
            raise forms.ValidationError(_("请从列表中选择问题类别。"), code="invalid_choice")
        if sub.category_id != category.pk:
            raise forms.ValidationError(_("所选小类不属于所选大类。"), code="mismatch")
        return (category, sub)

    @staticmethod
    def category_by_name(text: str):
        """A category or sub-category written as a name (a bookmarked or scripted form), read as
        ledgers are (cases/names.py)."""
        names = Resolver()
        sub = names.subcategory(text)
        if sub:
            return (sub.obj.category, sub.obj)
        category = names.category(text)
        if category:
            return (category.obj, None)
        raise forms.ValidationError(_("请从列表中选择问题类别。"), code="invalid_choice")

    def clean(self):
        data = super().clean()
        category, sub = data.get("category_choice") or (None, None)
        self.instance.category, self.instance.subcategory = category, sub
        if data.get("on_the_spot") and not data.get("result") and "result" not in self.errors:
            self.add_error("result", _("现场解决的问题请写明处理结果。"))
        if not data.get("on_the_spot"):
            data["result"] = ""
        # The summary is the model's to check (Case.clean, with the village's residents); the
        # result on the spot is this form's own field, checked the same way.
        try:
            names = public_names(self.instance, data.get("resident_name") or "")
            check_public_text(data.get("result") or "", names=names)
        except forms.ValidationError as error:
            self.add_error("result", error)
        return data

    def possible_duplicates(self):
        """Open cases of the same village and sub-category (or category when no sub-category is chosen)."""
        category, sub = self.cleaned_data.get("category_choice") or (None, None)
        if category is None:
            return Case.objects.none()
        cases = Case.objects.open().for_village(self.visit.village)
        cases = cases.filter(subcategory=sub) if sub else cases.filter(category=category, subcategory__isnull=True)
        return cases.select_related("category", "subcategory").order_by("-raised_on", "-number")[:10]
