"""Open311's tables: the programs allowed to post reports (their keys) and every post they made.
The public pages' only tables; made under villages/ (villages/0003) and moved here as models only
(public/0001, villages/0005): the tables, constraints and indexes keep their villages_ names."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
        db_table = "villages_open311client"  # made there (villages/0003), kept: its name is only a name
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
        db_table = "villages_open311post"
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
