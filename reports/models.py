"""What supervisors record: a published report's stated figures, spot checks, and public notices."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

stated_percent = RegexValidator(
    r"^\d{1,3}(\.\d{1,2})?$", _("请按报告原样填写百分比数字，如 33、13.4 或 54.92（不带百分号）。")
)


class StatedReport(models.Model):
    """A published report's own figures, entered as the report states them, to set beside the ledger."""

    town = models.ForeignKey(
        "villages.Town", verbose_name=_("乡镇（街道）"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("报告名称"), max_length=200)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    as_of = models.DateField(_("数据截至"), help_text=_("报告所述数字的截止日期，台账按同一日期计算对照。"))
    source = models.CharField(_("来源"), max_length=300, blank=True)
    total = models.PositiveIntegerField(_("收集问题（报告数）"), null=True, blank=True)
    closed = models.PositiveIntegerField(_("已办结（报告数）"), null=True, blank=True)
    in_progress = models.PositiveIntegerField(_("正在处理（报告数）"), null=True, blank=True)
    closure_rate = models.CharField(
        _("办结率（报告数）"), max_length=6, blank=True, validators=[stated_percent], help_text=_("如 54.92，不带%。")
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("已发布报告数字")
        verbose_name_plural = _("已发布报告数字")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["town", "title", "as_of"], name="reports_statedreport_unique_title_date"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.as_of:%Y-%m-%d}）"


class StatedCategory(models.Model):
    """One category's count and share as the report states them."""

    report = models.ForeignKey(StatedReport, verbose_name=_("报告"), on_delete=models.CASCADE, related_name="lines")
    category = models.ForeignKey(
        "cases.Category", verbose_name=_("问题大类"), on_delete=models.PROTECT, related_name="+"
    )
    count = models.PositiveIntegerField(_("条数（报告数）"), null=True, blank=True)
    share = models.CharField(
        _("占比（报告数）"), max_length=6, blank=True, validators=[stated_percent], help_text=_("如 13.4，不带%。")
    )

    class Meta:
        verbose_name = _("报告分类数字")
        verbose_name_plural = _("报告分类数字")
        ordering = ["category__order", "category__code"]
        constraints = [
            models.UniqueConstraint(fields=["report", "category"], name="reports_statedcategory_unique_category"),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.count}"


class SpotCheckDraw(models.Model):
    """A random sample of cases drawn for checking: the seed makes the draw repeatable."""

    class Size(models.TextChoices):
        NUMBER = "number", _("按件数")
        PERCENT = "percent", _("按比例（%）")

    town = models.ForeignKey(
        "villages.Town", verbose_name=_("乡镇（街道）"), on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateField(_("反映日期自"))
    end = models.DateField(_("反映日期至"))
    size_kind = models.CharField(_("抽样方式"), max_length=10, choices=Size.choices, default=Size.NUMBER)
    size = models.PositiveIntegerField(_("数量"), validators=[MinValueValidator(1)])
    per_team = models.PositiveSmallIntegerField(
        _("每个团队至少"), default=0, validators=[MaxValueValidator(50)], help_text=_("0 表示不限。")
    )
    seed = models.PositiveBigIntegerField(_("随机种子"), help_text=_("同一种子、同一期间重抽，得到同样的样本。"))
    population = models.PositiveIntegerField(_("总体件数"), default=0)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽取人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("抽取时间"), default=timezone.now)

    class Meta:
        verbose_name = _("督查抽样")
        verbose_name_plural = _("督查抽样")
        ordering = ["-drawn_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size_kind__in=["number", "percent"]), name="reports_draw_size_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(size_kind="number") | Q(size__lte=100), name="reports_draw_percent_at_most_100"
            ),
            models.CheckConstraint(condition=Q(start__lte=models.F("end")), name="reports_draw_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d}—{self.end:%Y-%m-%d} #{self.seed}"


class SpotCheckQuerySet(models.QuerySet):
    def done(self):
        return self.exclude(finding="")

    def failing(self):
        return self.filter(finding__in=SpotCheck.FAILING)

    def for_cases_raised_in(self, period):
        return self.filter(
            case__raised_on__gte=period.start, case__raised_on__lte=period.end, case__voided_at__isnull=True
        )


class SpotCheck(models.Model):
    """One drawn case and, once checked, how it was checked and what was found."""

    class Method(models.TextChoices):
        PHONE = "phone", _("电话访问")
        REVISIT = "revisit", _("实地暗访回访")
        RECORDS = "records", _("查阅记录资料")

    class Finding(models.TextChoices):
        TRUE = "true", _("记录属实")
        INCOMPLETE = "incomplete", _("记录不完整")
        FALSE = "false", _("记录不实")
        UNSATISFIED = "unsatisfied", _("群众不满意")

    FAILING = (Finding.INCOMPLETE, Finding.FALSE, Finding.UNSATISFIED)

    draw = models.ForeignKey(SpotCheckDraw, verbose_name=_("抽样"), on_delete=models.CASCADE, related_name="checks")
    case = models.ForeignKey("cases.Case", verbose_name=_("问题"), on_delete=models.PROTECT, related_name="spot_checks")
    method = models.CharField(_("督查方式"), max_length=10, choices=Method.choices, blank=True)
    finding = models.CharField(_("督查结论"), max_length=12, choices=Finding.choices, blank=True)
    notes = models.TextField(_("情况说明"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("督查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("督查时间"), null=True, blank=True)
    reopened = models.BooleanField(_("已据此重新办理"), default=False)

    objects = SpotCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("督查抽查")
        verbose_name_plural = _("督查抽查")
        ordering = ["draw", "case__team__number", "case__number"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "case"], name="reports_spotcheck_unique_case"),
            models.CheckConstraint(
                condition=Q(method__in=["", "phone", "revisit", "records"]), name="reports_spotcheck_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(finding__in=["", "true", "incomplete", "false", "unsatisfied"]),
                name="reports_spotcheck_finding_valid",
            ),
            # A finding is recorded with its method and time, or not at all.
            models.CheckConstraint(
                condition=Q(finding="", checked_at__isnull=True)
                | (~Q(finding="") & ~Q(method="") & Q(checked_at__isnull=False)),
                name="reports_spotcheck_finding_complete",
            ),
        ]
        indexes = [
            # Pass rates: checks of a period's cases, by team and finding.
            models.Index(fields=["case", "finding"], name="reports_spotcheck_case_find"),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_finding_display() or '—'}"

    @property
    def failed(self) -> bool:
        return self.finding in self.FAILING

    @staticmethod
    def counts() -> dict:
        return {
            "checks": Count("id", filter=~Q(finding="")),
            "checks_passed": Count("id", filter=Q(finding=SpotCheck.Finding.TRUE)),
        }


class Notice(models.Model):
    """A public notice 通报 commending the best teams and criticising the worst."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    # A town's notice ranks its teams; the county's (no town) ranks the towns.
    town = models.ForeignKey(
        "villages.Town",
        verbose_name=_("乡镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空表示县（市）的通报。"),
    )
    title = models.CharField(_("标题"), max_length=200)
    start = models.DateField(_("考评期间自"))
    end = models.DateField(_("考评期间至"))
    body = models.TextField(_("正文"), help_text=_("只写团队和数字，不写群众姓名、电话、住址。"))
    weights = models.JSONField(_("综合得分权重"), default=dict)
    ranking = models.JSONField(_("排名（发布时的数字）"), default=list)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("起草人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("起草时间"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-published_at", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["draft", "published"]), name="reports_notice_status_valid"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False), name="reports_notice_published_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED
