from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

division_code = RegexValidator(r"^\d{12}$", _("区划代码是12位数字。"))
town_division_code = RegexValidator(r"^\d{9}$", _("乡镇区划代码是9位数字。"))
town_short_code = RegexValidator(r"^[A-Z]{2,4}$", _("简码是2至4个大写英文字母。"))


class TownQuerySet(models.QuerySet):
    def by_code(self):
        return self.order_by("division_code")


class Town(models.Model):
    """A town or subdistrict 镇（街道） of the county: every village, team, cadre, case and figure belongs
    to one. Its short code begins its cases' tracking numbers (SH-2015-0001)."""

    code = models.CharField(
        _("简码"),
        max_length=4,
        validators=[town_short_code],
        help_text=_("问题编号的前缀，如三合镇的“SH”（SH-2015-0001）。"),
    )
    name = models.CharField(_("名称"), max_length=50, help_text=_("如“三合镇”。"))
    division_code = models.CharField(
        _("区划代码"), max_length=9, validators=[town_division_code], help_text=_("国家统计用区划代码，9位。")
    )
    phone = models.CharField(_("联系电话"), max_length=30, blank=True, help_text=_("公开栏和回执上的咨询电话。"))
    generated = models.BooleanField(_("演示生成"), default=False, help_text=_("演示数据自行生成的乡镇，不是真实数据。"))

    objects = TownQuerySet.as_manager()

    class Meta:
        verbose_name = _("乡镇（街道）")
        verbose_name_plural = _("乡镇（街道）")
        ordering = ["division_code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="villages_town_unique_code"),
            models.UniqueConstraint(fields=["division_code"], name="villages_town_unique_division_code"),
            models.UniqueConstraint(fields=["name"], name="villages_town_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class VillageQuerySet(models.QuerySet):
    def by_code(self):
        return self.order_by("code")


class Village(models.Model):
    """A village-level unit (村委会 or 居委会) that one liaison team is stationed in."""

    class Kind(models.TextChoices):
        VILLAGE = "village", _("村")
        COMMUNITY = "community", _("社区")

    town = models.ForeignKey(Town, verbose_name=_("乡镇（街道）"), on_delete=models.PROTECT, related_name="villages")
    code = models.CharField(
        _("区划代码"), max_length=12, validators=[division_code], help_text=_("国家统计用区划代码，12位。")
    )
    name = models.CharField(_("名称"), max_length=50, help_text=_("正式名称，如“东联村委会”。"))
    short_name = models.CharField(_("简称"), max_length=20)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices, default=Kind.VILLAGE)
    households = models.PositiveIntegerField(_("户数"), null=True, blank=True)
    population = models.PositiveIntegerField(_("人口"), null=True, blank=True)
    figures_generated = models.BooleanField(
        _("户数人口为演示生成"),
        default=False,
        help_text=_("户数、人口未公开发布，演示数据自行生成时勾选。"),
    )

    objects = VillageQuerySet.as_manager()

    class Meta:
        verbose_name = _("村（社区）")
        verbose_name_plural = _("村（社区）")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="villages_village_unique_code"),
            # Target of the composite foreign keys that keep a case's town its village's (cases/constraints.py).
            models.UniqueConstraint(fields=["town", "id"], name="villages_village_unique_town_id"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["village", "community"]), name="villages_village_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.short_name


class BoardVersion(models.Model):
    """The version of a village's public notice board: database triggers (villages/board_sql.py)
    advance it in the same transaction as every write to what the board shows, so the board's cache
    key and ETag change with every write, whatever time the rows say they were written."""

    # No database constraint: on SQLite a flush empties the villages before the cases whose
    # deletions the triggers count here; cases.tally.recount_after_flush clears what that leaves.
    village = models.OneToOneField(
        Village,
        verbose_name=_("村（社区）"),
        primary_key=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="board",
    )
    version = models.BigIntegerField(_("版本"), default=0)
    changed_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("公开栏版本")
        verbose_name_plural = _("公开栏版本")

    def __str__(self) -> str:
        return f"{self.village_id}: {self.version}"


class Open311ClientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class Open311Client(models.Model):
    """A program allowed to post reports through Open311 (public/open311/): a city app, a
    WeChat mini program. Its API key is shown once when the client is created (the admin) and kept
    only as a SHA-256 digest, found by its first characters (sanhe/lib/keys.py)."""

    name = models.CharField(_("名称"), max_length=100, help_text=_("使用这个密钥的应用或单位，如“江门12345小程序”。"))
    contact = models.CharField(
        _("联系人及联系方式"), max_length=200, blank=True, help_text=_("密钥出问题时找谁（单位的工作电话或邮箱）。")
    )
    key_prefix = models.CharField(
        _("密钥前缀"), max_length=8, editable=False, help_text=_("用于查找密钥，不是密钥本身。")
    )
    key_hash = models.CharField(_("密钥摘要"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True, editable=False)
    posts_per_hour = models.PositiveIntegerField(
        _("每小时提交上限"),
        null=True,
        blank=True,
        help_text=_("留空时按全镇默认值（OPEN311_POSTS_PER_HOUR）。"),
    )

    objects = Open311ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 接入方")
        verbose_name_plural = _("Open311 接入方")
        ordering = ["name", "pk"]
        constraints = [
            # The key's look-up (public/open311/intake.py authenticate): one row per prefix.
            models.UniqueConstraint(fields=["key_prefix"], name="villages_open311client_unique_prefix"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Open311Post(models.Model):
    """One POST to Open311's requests endpoint: who sent it, what came of it (the case it made, or
    the refusal's HTTP status), from where. Every attempt is kept, refused ones too."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("已登记")
        REPLAYED = "replayed", _("重复提交（未重复登记）")
        REFUSED = "refused", _("被拒绝")

    client = models.ForeignKey(
        Open311Client,
        verbose_name=_("接入方"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
        help_text=_("密钥无效时为空。"),
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("问题"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(_("HTTP状态码"))
    message = models.CharField(_("说明"), max_length=300, blank=True)
    remote_ip = models.CharField(_("IP地址"), max_length=45, blank=True)
    token = models.CharField(
        _("令牌"), max_length=32, blank=True, help_text=_("登记成功时发给接入方，可查询问题编号。")
    )
    idempotency_key = models.CharField(
        _("提交标识"),
        max_length=64,
        blank=True,
        help_text=_("接入方为一次提交给的标识：同一标识再次提交不会重复登记。"),
    )

    class Meta:
        verbose_name = _("Open311 提交记录")
        verbose_name_plural = _("Open311 提交记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=["created", "replayed", "refused"]),
                name="villages_open311post_outcome_valid",
            ),
            # GET tokens/<token>: one post per token.
            models.UniqueConstraint(
                fields=["token"], condition=~models.Q(token=""), name="villages_open311post_unique_token"
            ),
            # One case per client and idempotency key: the same post sent again finds the first
            # (public/open311/intake.py); a concurrent second insert waits on this index and fails.
            models.UniqueConstraint(
                fields=["client", "idempotency_key"],
                condition=~models.Q(idempotency_key="") & models.Q(outcome="created"),
                name="villages_open311post_unique_idempotency",
            ),
        ]
        indexes = [
            # The admin's log of one client, newest first.
            models.Index(fields=["client", "-created_at"], name="villages_open311post_client"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.client or '-'} {self.status_code}"
