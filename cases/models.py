import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.privacy import check_case_text, private_text_errors, public_names, sensitive_reason


class CategoryQuerySet(models.QuerySet):
    def for_town(self, town):
        """The county's categories and TOWN's own (a town may add to the county's table)."""
        return self.filter(Q(town__isnull=True) | Q(town=town))


class Category(models.Model):
    """A top-level problem category 大类, in the order of the town's report: the county's (no town),
    or one a town added for itself."""

    town = models.ForeignKey(
        "villages.Town",
        verbose_name=_("乡镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="categories",
        help_text=_("留空为全县通用；填写时只有这个乡镇使用。"),
    )
    code = models.CharField(_("代码"), max_length=10)
    label = models.CharField(_("名称"), max_length=50)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    sensitive = models.BooleanField(
        _("涉及敏感个人信息"),
        default=False,
        help_text=_("如低保、五保、困难、疾病、残疾、未成年人、纠纷：这类问题默认不公示内容，只公示类别、状态和日期。"),
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题大类")
        verbose_name_plural = _("问题大类")
        ordering = ["order", "code"]
        # One code once in the county: a town's own category takes a code no other category has, so
        # that a code read in a ledger or a report names one category whichever town reads it.
        constraints = [models.UniqueConstraint(fields=["code"], name="cases_category_unique_code")]

    def __str__(self) -> str:
        return self.label


class SubCategory(models.Model):
    """A sub-category 小类 within one category."""

    category = models.ForeignKey(
        Category, verbose_name=_("大类"), on_delete=models.PROTECT, related_name="subcategories"
    )
    code = models.CharField(_("代码"), max_length=10)
    label = models.CharField(_("名称"), max_length=80)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    sensitive = models.BooleanField(
        _("涉及敏感个人信息"),
        default=False,
        help_text=_("如低保、五保、困难、疾病、残疾、未成年人、纠纷：这类问题默认不公示内容，只公示类别、状态和日期。"),
    )

    class Meta:
        verbose_name = _("问题小类")
        verbose_name_plural = _("问题小类")
        ordering = ["category__order", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="cases_subcategory_unique_code"),
            # Target of the composite foreign key that keeps a case's sub-category in its category.
            models.UniqueConstraint(fields=["category", "id"], name="cases_subcategory_unique_category_id"),
        ]

    def __str__(self) -> str:
        return self.label


class NameAlias(models.Model):
    """A way a ledger writes a village, category or sub-category that the office matched once by hand
    (cases/names.py): every later import reads it the same way."""

    class Kind(models.TextChoices):
        VILLAGE = "village", _("村（社区）")
        CATEGORY = "category", _("问题大类")
        SUBCATEGORY = "subcategory", _("问题小类")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("台账中的写法"), max_length=100)
    folded = models.CharField(
        _("比对用写法"), max_length=100, editable=False, help_text=_("去掉空格、标点，全角转半角后的写法。")
    )
    village = models.ForeignKey(
        "villages.Village",
        verbose_name=_("村（社区）"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("问题大类"), null=True, blank=True, on_delete=models.CASCADE, related_name="aliases"
    )
    subcategory = models.ForeignKey(
        SubCategory, verbose_name=_("问题小类"), null=True, blank=True, on_delete=models.CASCADE, related_name="aliases"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("设定时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("名称对照")
        verbose_name_plural = _("名称对照")
        ordering = ["kind", "text"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "folded"], name="cases_namealias_unique_kind_folded"),
            models.CheckConstraint(
                condition=(
                    Q(kind="village", village__isnull=False, category__isnull=True, subcategory__isnull=True)
                    | Q(kind="category", village__isnull=True, category__isnull=False, subcategory__isnull=True)
                    | Q(kind="subcategory", village__isnull=True, category__isnull=True, subcategory__isnull=False)
                ),
                name="cases_namealias_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text} → {self.target}"

    @property
    def target(self):
        return {"village": self.village, "category": self.category, "subcategory": self.subcategory}[self.kind]

    def clean(self):
        from cases.names import fold

        self.folded = fold(self.text)
        if not self.folded:
            raise ValidationError({"text": _("写法不能只有空格或标点。")})
        if self.target is None:
            raise ValidationError(_("请选择这个写法对应的%(kind)s。") % {"kind": self.get_kind_display()})
        others = [kind for kind in self.Kind.values if kind != self.kind and getattr(self, f"{kind}_id")]
        if others:
            raise ValidationError(_("一个写法只对应一个%(kind)s：请清空其他选择。") % {"kind": self.get_kind_display()})


class NumberSequence(models.Model):
    """The last tracking number a town handed out in a year; rows are locked while a number is taken."""

    town = models.ForeignKey(
        "villages.Town", verbose_name=_("乡镇（街道）"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年份"))
    last = models.PositiveIntegerField(_("已用到"), default=0)

    class Meta:
        verbose_name = _("编号序列")
        verbose_name_plural = _("编号序列")
        constraints = [models.UniqueConstraint(fields=["town", "year"], name="cases_numbersequence_unique_year")]

    def __str__(self) -> str:
        return f"{self.town_id} {self.year}: {self.last}"


def fill_towns(cases: list) -> None:
    """As save() does, each new case takes its village's town: for the paths that create in bulk
    (imports, generators, cases/inserts.py). One query for any number of cases, none if all have one."""
    for case in cases:  # a village given as an object knows its town: no query
        village = case._state.fields_cache.get("village")
        if village is not None:
            case.village_id = case.village_id or village.pk
            if case.town_id is None:
                case.town_id = village.town_id
    missing = {case.village_id for case in cases if case.town_id is None and case.village_id is not None}
    if not missing:
        return
    from villages.models import Village

    towns = dict(Village.objects.filter(pk__in=missing).values_list("pk", "town_id"))
    for case in cases:
        if case.town_id is None and case.village_id is not None:
            case.town_id = towns.get(case.village_id)


class CaseQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        fill_towns(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def open(self):
        return self.exclude(status=Case.Status.CLOSED)

    def closed(self):
        return self.filter(status=Case.Status.CLOSED)

    def for_team(self, team):
        return self.filter(team=team)

    def for_town(self, town):
        return self.filter(town=town)

    def for_village(self, village):
        return self.filter(village=village)

    def raised_between(self, start: datetime.date | None, end: datetime.date | None):
        qs = self
        if start:
            qs = qs.filter(raised_on__gte=start)
        if end:
            qs = qs.filter(raised_on__lte=end)
        return qs

    def overdue(self, today: datetime.date | None = None):
        today = today or timezone.localdate()
        return self.open().filter(due_on__lt=today)

    def awaiting_feedback(self):
        return self.closed().filter(fed_back_on__isnull=True)

    def public(self):
        """What the notice board needs: categories, and only the public lines of each history."""
        public_events = models.Prefetch(
            "events", queryset=CaseEvent.objects.filter(public=True).order_by("at", "id"), to_attr="public_events"
        )
        return self.select_related("category", "subcategory", "village").prefetch_related(public_events)


# The cases that count (not voided). Case.objects filters on it, so the indexes that pages read from
# alone (index-only counts, the desk's partial indexes) carry it in their condition: a query that
# adds "voided_at IS NULL" is then still answered from the index without visiting the table.
COUNTED = Q(voided_at__isnull=True)


class CaseManager(models.Manager.from_queryset(CaseQuerySet)):
    """The cases that count: every figure, list and board reads these; a voided case is left out."""

    def get_queryset(self):
        return super().get_queryset().filter(COUNTED)


def after_today(day: datetime.date) -> bool:
    """DAY is later than today (timezone.localdate()). Today anywhere is no earlier than the day
    before today in UTC, far cheaper to tell: an import asks this of thousands of past dates."""
    if day <= datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1):
        return False
    return day > timezone.localdate()


class Case(models.Model):
    """One opinion or problem a resident raised: a row of the issue ledger 问题台账."""

    class Channel(models.TextChoices):
        HOUSEHOLD = "household", _("入户走访")
        BRIEFING = "briefing", _("碰头会")
        PHONE = "phone", _("电话")
        OVERSEAS = "overseas", _("华侨")
        # Cases that reach the town from outside a visit: the 12345 hotline's work orders (cases/hotline.py)
        # and reports sent in by an Open311 client (public/open311/).
        HOTLINE = "hotline", _("12345热线")
        ONLINE = "online", _("网上提交")
        OTHER = "other", _("其他")

    class Kind(models.TextChoices):
        ENQUIRY = "enquiry", _("咨询")
        HELP = "help", _("求助")
        SUGGESTION = "suggestion", _("建议")
        COMPLAINT = "complaint", _("投诉")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("已登记")
        IN_PROGRESS = "in_progress", _("处理中")
        CLOSED = "closed", _("已办结")

    class Closure(models.TextChoices):
        SOLVED = "solved", _("已解决")
        ON_THE_SPOT = "on_the_spot", _("现场解决")
        EXPLAINED = "explained", _("政策解释")

    class Decision(models.TextChoices):
        HANDLE_NOW = "handle_now", _("即时办理")
        PLAN = "plan", _("制定实施方案")
        EXPLAIN = "explain", _("政策解释")

    number = models.CharField(_("编号"), max_length=20, editable=False)
    # The village's town, kept on the case so that a town's lists, figures and indexes need no join;
    # a composite foreign key (cases/constraints.py) keeps it the village's.
    # Indexed by cases_case_town_raised, which leads with it (so no index of its own).
    town = models.ForeignKey(
        "villages.Town",
        verbose_name=_("乡镇（街道）"),
        on_delete=models.PROTECT,
        related_name="cases",
        editable=False,
        db_index=False,
    )
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="cases"
    )
    team = models.ForeignKey(
        "teams.Team", verbose_name=_("驻点团队"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    visit = models.ForeignKey(
        "teams.Visit",
        verbose_name=_("驻点走访"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    raised_on = models.DateField(_("反映日期"))
    channel = models.CharField(_("收集渠道"), max_length=20, choices=Channel.choices, default=Channel.HOUSEHOLD)
    kind = models.CharField(_("诉求类型"), max_length=20, choices=Kind.choices, default=Kind.HELP)

    # Private: never on a public page, public JSON or public export.
    resident_name = models.CharField(_("反映人"), max_length=50, blank=True)
    resident_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    resident_address = models.CharField(_("住址（自然村）"), max_length=200, blank=True)

    category = models.ForeignKey(
        Category, verbose_name=_("问题大类"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    subcategory = models.ForeignKey(
        SubCategory, verbose_name=_("问题小类"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(
        _("公示摘要"), max_length=120, help_text=_("在村公开栏公示的简短说明，不写姓名、电话、住址。")
    )
    description = models.TextField(_("问题内容"), blank=True, help_text=_("内部记录，不公示。"))
    public_posting = models.BooleanField(
        _("可公示内容"), default=True, help_text=_("不勾选时公开栏只显示类别、状态和日期（如涉及家庭困难的低保申请）。")
    )

    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    closure = models.CharField(_("办结方式"), max_length=20, choices=Closure.choices, blank=True)
    decision = models.CharField(_("处理决定"), max_length=20, choices=Decision.choices, blank=True)
    responsible = models.ForeignKey(
        "teams.Cadre", verbose_name=_("责任人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    due_on = models.DateField(_("办理期限"), null=True, blank=True)
    due_derived = models.BooleanField(
        _("办理期限为推算"),
        default=False,
        editable=False,
        help_text=_("从台账导入时按反映日期和工作日推算的期限，台账本身没有写。"),
    )
    plan = models.TextField(_("实施方案"), blank=True)
    planned_on = models.DateField(_("计划完成日期"), null=True, blank=True)
    policy_basis = models.TextField(_("政策依据"), blank=True)
    explaining_department = models.CharField(_("解释部门"), max_length=100, blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    result = models.TextField(_("办理结果"), blank=True, help_text=_("公示在村公开栏。"))
    fed_back_on = models.DateField(
        _("首次反馈日期"), null=True, blank=True, editable=False, help_text=_("由“记录反馈”写入。")
    )

    ledger_key = models.CharField(
        _("台账导入标识"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("从Excel台账导入时按行内容生成，重复导入同一行不会再建新问题。"),
    )
    ledger_number = models.CharField(
        _("台账编号"), max_length=50, blank=True, editable=False, help_text=_("原Excel台账中这一行的编号。")
    )
    track_code = models.CharField(
        _("查询码"),
        max_length=12,
        blank=True,
        editable=False,
        help_text=_("印在回执上的查询码，没有电话的群众凭编号和查询码在网上查询。"),
    )
    request_key = models.CharField(
        _("提交标识"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("登记表单的一次性标识：同一张表单再次提交（连点两下、断网重发）只登记一次。"),
    )
    anonymised_on = models.DateField(
        _("匿名化日期"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("办结满保存期限后删去反映人的个人信息；统计数字不变。"),
    )
    # A 12345 hotline work order 工单 (cases/hotline.py): the platform's number and deadlines. Its
    # 办理时限 is due_on; signing for it 签收 is workflow.sign_for. Blank for every other case.
    hotline_number = models.CharField(
        _("工单编号"),
        max_length=50,
        blank=True,
        editable=False,
        help_text=_("12345热线平台的工单编号；同一工单重复导入不会再建新问题。"),
    )
    hotline_received_at = models.DateTimeField(_("来电时间"), null=True, blank=True, editable=False)
    hotline_sign_by = models.DateTimeField(
        _("签收时限"), null=True, blank=True, editable=False, help_text=_("须在此时间前在平台签收工单。")
    )
    hotline_signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True, editable=False)
    hotline_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hotline_handler = models.CharField(_("承办单位"), max_length=100, blank=True, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    generated = models.BooleanField(
        _("演示生成"), default=False, help_text=_("演示数据：报告未载明的村、日期、反映人等为生成内容。")
    )
    # Voiding (cases/workflow.py void_case): a case entered by mistake stays, with its history, but
    # counts nowhere. Case.objects leaves it out; Case.with_voided finds it (the case page, the admin).
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True, editable=False)
    void_reason = models.TextField(_("作废原因"), blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作废人"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CaseManager()
    with_voided = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        ordering = ["-raised_on", "-number"]
        default_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(fields=["number"], name="cases_case_unique_number"),
            # What feedback's composite key points to (cases/constraints.py: a feedback's town is its case's).
            models.UniqueConstraint(fields=["town", "id"], name="cases_case_unique_town_id"),
            models.UniqueConstraint(
                fields=["ledger_key"], condition=~Q(ledger_key=""), name="cases_case_unique_ledger_key"
            ),
            models.UniqueConstraint(
                fields=["track_code"], condition=~Q(track_code=""), name="cases_case_unique_track_code"
            ),
            # One form, one case: the same form sent again by its user (a double tap, a resend, a retry
            # after a timeout) finds the first case (cases/workflow.py register_case). Its index serves
            # that look-up; a concurrent second insert waits on it until the first commits.
            models.UniqueConstraint(
                fields=["created_by", "request_key"],
                condition=~Q(request_key=""),
                name="cases_case_unique_request_key",
            ),
            # One case per 12345 work order: importing the same order again finds it (cases/hotline.py).
            models.UniqueConstraint(
                fields=["hotline_number"], condition=~Q(hotline_number=""), name="cases_case_unique_hotline_number"
            ),
            # Only a work order is signed for, and a signature has its time.
            models.CheckConstraint(
                condition=Q(hotline_signed_at__isnull=True) | ~Q(hotline_number=""),
                name="cases_case_hotline_signed_needs_number",
            ),
            models.CheckConstraint(
                condition=Q(hotline_signed_by__isnull=True) | Q(hotline_signed_at__isnull=False),
                name="cases_case_hotline_signer_needs_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["registered", "in_progress", "closed"]), name="cases_case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["household", "briefing", "phone", "overseas", "hotline", "online", "other"]),
                name="cases_case_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["enquiry", "help", "suggestion", "complaint"]), name="cases_case_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["", "handle_now", "plan", "explain"]), name="cases_case_decision_valid"
            ),
            # A closed case has a closed date, a result and a way it was closed; an open one has none.
            models.CheckConstraint(
                condition=(
                    Q(status="closed", closed_on__isnull=False, closure__in=["solved", "on_the_spot", "explained"])
                    & ~Q(result="")
                )
                | (~Q(status="closed") & Q(closed_on__isnull=True, closure="")),
                name="cases_case_closed_has_date_and_result",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("raised_on")),
                name="cases_case_closed_after_raised",
            ),
            models.CheckConstraint(
                condition=Q(subcategory__isnull=True) | Q(category__isnull=False),
                name="cases_case_subcategory_needs_category",
            ),
        ]
        indexes = [
            # Reports: counts by status over a date range (summary, dashboard, notice board).
            models.Index(fields=["raised_on", "status"], name="cases_case_raised_status"),
            # A town's cases raised in a period (every town's report counts its month's cases live):
            # without the town first, a county's month is read to find one town's.
            models.Index(fields=["town", "raised_on"], name="cases_case_town_raised"),
            # Reports: category and sub-category breakdowns.
            models.Index(fields=["category", "subcategory", "status"], name="cases_case_category_status"),
            # Notice board: one village's cases, newest first.
            models.Index(fields=["village", "-raised_on"], name="cases_case_village_raised"),
            # Cadre's home and case list: one team's cases, newest first.
            models.Index(fields=["team", "-raised_on"], name="cases_case_team_raised"),
            # Overdue: open cases past their due date.
            models.Index(fields=["status", "due_on"], name="cases_case_status_due"),
            # Office case list by village and status: the pages' count and the overdue flag's
            # (cases/views/lists.py), read from the index alone; the town INCLUDEd for the town's
            # scope every staff list carries (PostgreSQL), or each row is read to check it, and the
            # feedback date for the "closed, not yet fed back" count.
            models.Index(
                fields=["village", "status", "due_on"],
                include=["town", "fed_back_on"],
                condition=COUNTED,
                name="cases_case_village_status_due",
            ),
            # The office's case list by village and status, a page at a time in the list's order: 50 rows
            # read, not the village's thousand sorted. PostgreSQL takes it only when it knows a village
            # lies in one town (the statistics of cases/0022): otherwise it reckons the town's scope
            # leaves a few of the village's cases and sorts them (5,000,000 county cases: 7 -> 0.5 ms).
            models.Index(
                fields=["village", "status", "-raised_on", "-number"],
                condition=COUNTED,
                name="cases_case_list_village_status",
            ),
            # Case list's overdue flag and filter: open cases (NOT status = closed, as
            # CaseQuerySet.open() writes it) past their due date, without the closed million.
            models.Index(fields=["due_on"], condition=~Q(status="closed") & COUNTED, name="cases_case_open_due"),
            # The same within a town (the office's home figures, cases/desk.py): the town's open cases not
            # yet due, from the index alone, not every open case of the county read to find the town's.
            models.Index(
                fields=["town", "due_on"], condition=~Q(status="closed") & COUNTED, name="cases_case_open_town_due"
            ),
            # Case list's "closed, not yet fed back" flag and filter, by village and team.
            models.Index(
                fields=["village", "team"],
                condition=Q(status="closed", fed_back_on__isnull=True) & COUNTED,
                name="cases_case_awaiting_feedback",
            ),
            # Reports (reports/tally.py): the cases closed in a month, and the month-local part of the
            # to-date figures; the meeting pack's cases still open at a past end (closed_on > end).
            models.Index(fields=["closed_on"], name="cases_case_closed_on"),
            # Reports: the month-local part of "fed back to date" (fed back in the month).
            models.Index(fields=["fed_back_on"], name="cases_case_fed_back_on"),
            # Reports: the month-local part of "overdue at the end" (due in the month).
            models.Index(fields=["due_on"], name="cases_case_due_on"),
            # A month's closings and deadlines within a town (its dashboard and meeting pack): without
            # the town first, the county's month is read to keep one town's (at 1,000,000 cases in 17
            # towns, 7,859 rows read for 616: 7.1 ms, 0.7 ms with these).
            models.Index(fields=["town", "closed_on"], name="cases_case_town_closed_on"),
            models.Index(fields=["town", "due_on"], name="cases_case_town_due_on"),
            # The office's triage queue (cases/views/visits.py): the registered cases, oldest first, a page at
            # a time, without walking the closed million.
            models.Index(
                fields=["raised_on", "number"],
                include=["town"],  # the town's count of them from the index alone (PostgreSQL)
                condition=Q(status="registered") & COUNTED,
                name="cases_case_registered_raised",
            ),
            # The triage queue's "closed, not yet fed back" list, the longest waiting first.
            models.Index(
                fields=["closed_on", "number"],
                condition=Q(status="closed", fed_back_on__isnull=True) & COUNTED,
                name="cases_case_awaiting_closed_on",
            ),
            # A cadre's home (cases/desk.py, cases/views/visits.py): the team's overdue list, the count of its
            # open cases (index-only), and the open ones not yet overdue that its overdue figure leaves
            # out of the tally's open count. (Its page of open cases, newest first, reads
            # reports_case_open_team_raised backwards.)
            models.Index(
                fields=["team", "due_on"], condition=~Q(status="closed") & COUNTED, name="cases_case_open_team_due"
            ),
            # The home pages' "closed, not yet fed back" counts (cases/desk.py): the tally's fed-back count
            # includes the open cases that carry a feedback date (few or none), found here.
            models.Index(
                fields=["team"],
                condition=~Q(status="closed") & Q(fed_back_on__isnull=False) & COUNTED,
                name="cases_case_open_fed_back",
            ),
            models.Index(
                fields=["town"],
                condition=~Q(status="closed") & Q(fed_back_on__isnull=False) & COUNTED,
                name="cases_case_open_fed_back_town",
            ),
            # The triage queue's work orders awaiting signing (cases/desk.py awaiting_signing): the few
            # unsigned open ones, the earliest deadline (the overdue) first.
            models.Index(
                fields=["hotline_sign_by", "number"],
                condition=Q(channel="hotline", hotline_signed_at__isnull=True)
                & ~Q(hotline_number="")
                & ~Q(status="closed")
                & COUNTED,
                name="cases_case_hotline_unsigned",
            ),
            # The voided cases, few: figures over feedback leave theirs out (reports.analysis.not_of_voided_cases).
            models.Index(fields=["voided_at"], condition=Q(voided_at__isnull=False), name="cases_case_voided"),
            # The meeting pack's decisions (reports.analysis.decisions_by_team): each team's open cases
            # counted from the index alone (PostgreSQL INCLUDEs the columns the conditions read) and
            # its oldest read off it in order, instead of every open case's row; a cadre's open cases.
            models.Index(
                fields=["team", "raised_on", "number"],
                include=["id", "status", "due_on", "decision", "planned_on", "closed_on"],
                condition=~Q(status="closed") & COUNTED,
                name="reports_case_open_team_raised",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        # self.village, not village_id: a village saved after it was given to the case has no id here yet.
        village = self.village if self.village_id is not None or "village" in self._state.fields_cache else None
        if village is not None and (update_fields is None or "village" in update_fields):
            # Its feedback follows it to the new town in the database (cases/constraints.py FEEDBACK_TOWN).
            self.town_id = village.town_id
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "town"}
        super().save(*args, **kwargs)

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    def private_reason(self) -> str:
        """Why the case's detail must not be posted unless someone decides so on purpose (PIPL):
        a sensitive category, or a sensitive word in its summary or content; "" when it may."""
        category = self.category if self.category_id else None
        subcategory = self.subcategory if self.subcategory_id else None
        return sensitive_reason(category, subcategory, self.title, self.description)

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return not self.is_closed and self.voided_at is None and self.due_on is not None and self.due_on < today

    @property
    def awaits_feedback(self) -> bool:
        return self.is_closed and self.voided_at is None and self.fed_back_on is None

    def clean(self):
        errors = {}
        if self.subcategory_id and self.subcategory.category_id != self.category_id:
            errors["subcategory"] = _("所选小类不属于所选大类。")
        if self.raised_on and self.raised_on < settings.PROGRAMME_START:
            errors["raised_on"] = _("反映日期早于直联活动开始（%(start)s）。") % {"start": settings.PROGRAMME_START}
        if self.raised_on and after_today(self.raised_on):
            errors["raised_on"] = _("反映日期不能晚于今天。")
        if self.closed_on and self.raised_on and self.closed_on < self.raised_on:
            errors["closed_on"] = _("办结日期不能早于反映日期。")
        # Every way of saving a case's record passes here (the forms, the admin, edit_case,
        # registration and imports): what the board shows is checked once, the same way.
        texts = {name: getattr(self, name) for name in ("title", "result") if getattr(self, name)}
        if texts:
            errors |= private_text_errors(texts, public_names(self))
        errors |= self._sensitive_posting_errors()
        if errors:
            raise ValidationError(errors)

    def _sensitive_posting_errors(self) -> dict:
        """Posting the detail of a saved case that touches sensitive personal information is the
        office's decision on the case page (workflow.edit_case, which records it and sets
        `posting_decided`); elsewhere (the admin) it is refused, unless it was decided before."""
        if not (self.pk and self.public_posting) or getattr(self, "posting_decided", False):
            return {}
        reason = self.private_reason()
        if not reason:
            return {}
        stored = Case.objects.select_related("category", "subcategory").filter(pk=self.pk).first()
        if stored is not None and stored.public_posting and stored.private_reason():
            return {}
        return {
            "public_posting": _(
                "这一问题%(reason)s，涉及敏感个人信息，默认不公示内容。确需公示时，请由党政办在工作台的问题页"
                "“修改登记内容”中勾选“确认公示”，这一决定会记入办理记录。"
            )
            % {"reason": reason}
        }


class CaseEvent(models.Model):
    """One line of a case's history: a progress entry or a change of the record (who, when, what)."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("登记")
        PROGRESS = "progress", _("进展")
        TRIAGED = "triaged", _("分办")
        ASSIGNED = "assigned", _("指定责任人")
        REFERRED = "referred", _("请辅助团队协助")
        REPLIED = "replied", _("辅助团队答复")
        CLOSED = "closed", pgettext_lazy("history line", "办结")
        REOPENED = "reopened", _("重新办理")
        FEEDBACK = "feedback", _("反馈")
        EDITED = "edited", _("修改")
        IMPORTED = "imported", _("导入")
        VOIDED = "voided", _("作废")
        SIGNED = "signed", _("签收")

    case = models.ForeignKey(Case, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("内容"), blank=True)
    # What the system wrote, as a code and its values ({"code": "closed", "closure": "solved", ...}),
    # rendered in the reader's language; TEXT then holds only what a person typed.
    data = models.JSONField(_("系统记录"), default=dict, blank=True)
    status_from = models.CharField(_("原状态"), max_length=20, choices=Case.Status.choices, blank=True)
    status_to = models.CharField(_("新状态"), max_length=20, choices=Case.Status.choices, blank=True)
    public = models.BooleanField(_("公示"), default=False, help_text=_("勾选后在村公开栏显示。"))

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]
        indexes = [
            # Case page and notice board: a case's history in order.
            models.Index(fields=["case", "at"], name="cases_event_case_at"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.get_kind_display()}"

    @property
    def shown_text(self) -> str:
        """The line in the reader's language: DATA rendered, with what a person typed (cases/history.py)."""
        from cases.history import render_event  # cases.history reads the choices of these models

        return render_event(self)

    def clean(self):
        # A public line of history is on the board: the same check as the case's summary.
        if self.public and self.text and self.case_id:
            check_case_text(self.case, "text", self.text)


class FeedbackManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        """As Django's, each row given its case's town when it has none (save() is not called)."""
        objs = list(objs)
        for feedback in objs:
            feedback.fill_town()
        return super().bulk_create(objs, *args, **kwargs)


class Feedback(models.Model):
    """Telling the resident the outcome 反馈, and how satisfied they were 回访."""

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("当面")
        PHONE = "phone", _("电话")
        NOTICE_BOARD = "notice_board", _("公开栏")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASICALLY = "basically", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    case = models.ForeignKey(Case, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="feedback")
    # The case's town, copied so that a town's figures read only its own feedback (a period's feedback
    # is the county's otherwise, joined to every case to find the town's); kept by save() and
    # FeedbackManager.bulk_create, and by the database should the case change town (its composite key
    # cascades the case's new town: cases/constraints.py).
    town = models.ForeignKey(
        "villages.Town", verbose_name=_("乡镇（街道）"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    given_on = models.DateField(_("反馈日期"))
    channel = models.CharField(_("反馈方式"), max_length=20, choices=Channel.choices)
    given_by = models.ForeignKey(
        "teams.Cadre", verbose_name=_("反馈人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    satisfaction = models.CharField(_("满意度"), max_length=20, choices=Satisfaction.choices, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = FeedbackManager()

    class Meta:
        verbose_name = _("反馈")
        verbose_name_plural = _("反馈")
        ordering = ["given_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["in_person", "phone", "notice_board"]), name="cases_feedback_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__in=["", "satisfied", "basically", "unsatisfied"]),
                name="cases_feedback_satisfaction_valid",
            ),
        ]
        indexes = [
            # Satisfaction rate: feedback of cases in a period, by satisfaction.
            models.Index(fields=["case", "satisfaction"], name="cases_feedback_case_satisf"),
            # Reports: the satisfaction counts of a period (feedback given in it), by team.
            models.Index(fields=["given_on"], name="cases_feedback_given_on"),
            # A town's satisfaction counts: its period's feedback without reading the other towns'.
            models.Index(fields=["town", "given_on"], name="cases_feedback_town_given_on"),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.given_on}"

    def save(self, *args, **kwargs):
        self.fill_town()
        super().save(*args, **kwargs)

    def fill_town(self) -> None:
        if self.town_id is None and self.case_id is not None:
            self.town_id = self.case.town_id


class Referral(models.Model):
    """A request to an auxiliary helper for help with a case, and their reply."""

    case = models.ForeignKey(Case, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="referrals")
    helper = models.ForeignKey(
        "teams.Helper", verbose_name=_("辅助团队成员"), on_delete=models.PROTECT, related_name="referrals"
    )
    asked_on = models.DateField(_("请求日期"))
    request = models.TextField(_("请求内容"))
    replied_on = models.DateField(_("答复日期"), null=True, blank=True)
    reply = models.TextField(_("答复内容"), blank=True)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("请求人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("协助请求")
        verbose_name_plural = _("协助请求")
        ordering = ["asked_on", "id"]

    def __str__(self) -> str:
        return f"{self.case.number} → {self.helper}"


class ContactAccess(models.Model):
    """One look at a resident's personal details, as PIPL asks: who, which case, when and what."""

    class What(models.TextChoices):
        CONTACT = "contact", _("查看联系方式")
        EXPORT = "export", _("导出个人信息")
        RESIDENT_EXPORT = "resident_export", _("导出本人全部信息")
        ANONYMISE = "anonymise", _("匿名化")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the log must still say who after an account is deleted.
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    case = models.ForeignKey(
        Case, verbose_name=_("问题"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_number = models.CharField(_("编号"), max_length=20, blank=True)
    what = models.CharField(_("内容"), max_length=20, choices=What.choices)
    fields = models.CharField(_("字段"), max_length=200, blank=True)
    ip = models.CharField(_("IP地址"), max_length=45, blank=True)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["case_number", "at"], name="cases_contactaccess_case")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.case_number} {self.get_what_display()}"


def photo_path(photo: "CasePhoto", filename: str) -> str:
    # A random name: the path says nothing of the case, its village or the resident.
    return f"photos/{photo.key}.jpg"


def thumbnail_path(photo: "CasePhoto", filename: str) -> str:
    return f"photos/{photo.key}-thumb.jpg"


class CasePhoto(models.Model):
    """A photo of the problem (the broken canal, the flooded road), re-encoded without its EXIF
    (cases/photos.py). Staff only; on the notice board only when marked public, never for a case
    whose detail is private."""

    case = models.ForeignKey(Case, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="photos")
    key = models.CharField(_("文件标识"), max_length=32, unique=True, editable=False)
    image = models.ImageField(_("照片"), upload_to=photo_path, width_field="width", height_field="height")
    thumbnail = models.ImageField(_("缩略图"), upload_to=thumbnail_path)
    width = models.PositiveIntegerField(_("宽"), editable=False, default=0)
    height = models.PositiveIntegerField(_("高"), editable=False, default=0)
    size = models.PositiveIntegerField(_("大小（字节）"), editable=False, default=0)
    public = models.BooleanField(
        _("公示"), default=False, help_text=_("勾选后在村公开栏显示（涉及敏感个人信息的问题不公示照片）。")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["case", "uploaded_at"], name="cases_photo_case_at")]

    def __str__(self) -> str:
        return f"{self.case.number} {self.key}"


class CaseTally(models.Model):
    """How many cases met each dated event in a month, by village, team, category and sub-category.

    Kept by database triggers on cases_case (cases/tally_sql.py), in the same statement as any
    insert, update or delete of a case, whoever makes it (the workflow, an import, COPY, the admin).
    The reports add up the months before the one they end in and count that month's cases
    live (reports/tally.py), so a month's figures cost that month's cases, not the whole ledger.
    A case counts once in each column, in the month of the date the column names; a dimension the
    case lacks (no team, no category) is 0, not NULL, so that the upsert finds its row on SQLite too.
    """

    month = models.DateField(_("月份"))
    town_id = models.BigIntegerField(_("乡镇（街道）"))
    village_id = models.BigIntegerField(_("村（社区）"))
    team_id = models.BigIntegerField(_("驻点团队"), default=0)
    category_id = models.BigIntegerField(_("问题大类"), default=0)
    subcategory_id = models.BigIntegerField(_("问题小类"), default=0)
    # The month of raised_on: raised by the month's end.
    raised = models.IntegerField(_("收集"), default=0)
    # The month of raised_on, cases closed now: what the public summary calls closed.
    raised_closed = models.IntegerField(_("收集且现已办结"), default=0)
    # The month of closed_on: closed by the month's end.
    closed = models.IntegerField(pgettext_lazy("heading", "办结"), default=0)
    # The month of the later of raised_on and fed_back_on: raised and fed back by the month's end.
    fed_back = models.IntegerField(_("已反馈"), default=0)
    # The month of the later of raised_on and the day after due_on: raised and past due.
    due_passed = models.IntegerField(_("已过期限"), default=0)
    # The month of the later of closed_on and the day after due_on: closed and past due.
    closed_due_passed = models.IntegerField(_("已办结且已过期限"), default=0)

    class Meta:
        # Its table was made when the tally belonged to the reports; the ledger keeps it now.
        db_table = "reports_casetally"
        verbose_name = _("问题月度计数")
        verbose_name_plural = _("问题月度计数")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "town_id", "village_id", "team_id", "category_id", "subcategory_id"],
                name="reports_casetally_unique_key",
            ),
        ]
        indexes = [
            # A town's figures: its rows without reading the other towns'.
            models.Index(fields=["town_id", "month"], name="reports_casetally_town"),
            # A village's board (public/services.py): its counts without scanning every village's rows.
            models.Index(fields=["village_id", "month"], name="reports_casetally_village"),
            # A team's counts on the cadre's home (cases/desk.py): its rows without reading its town's.
            models.Index(fields=["team_id", "month"], name="reports_casetally_team"),
        ]

    def __str__(self) -> str:
        keys = (self.town_id, self.village_id, self.team_id, self.category_id, self.subcategory_id)
        return f"{self.month:%Y-%m} " + "/".join(str(key) for key in keys)
