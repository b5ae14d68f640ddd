import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sanhe.lib import keys

THURSDAY = 3  # date.weekday(): the stationed day of every team


class Cadre(models.Model):
    """A member of town staff: liaison cadres, and office staff who carry cases."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cadre",
    )
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    # The town whose cases the account works on (office staff, town supervisors); a cadre's is their
    # team's. Empty for the county's own staff (teams.roles).
    town = models.ForeignKey(
        "villages.Town",
        verbose_name=_("乡镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("干部、党政办人员、督查人员所在的乡镇；县级账号留空。"),
    )
    team = models.ForeignKey(
        "Team",
        verbose_name=_("驻点团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    generated = models.BooleanField(_("演示生成"), default=False)

    class Meta:
        verbose_name = _("干部")
        verbose_name_plural = _("干部")
        ordering = ["team__number", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        team = self.team if self.team_id is not None or "team" in self._state.fields_cache else None
        if team is not None:
            self.town_id = team.town_id
        super().save(*args, **kwargs)

    def clean(self):
        if self.team_id and self.town_id and self.team.town_id != self.town_id:
            raise ValidationError({"team": _("驻点团队不属于所选乡镇。")})


class Team(models.Model):
    """A liaison team 驻点团队, stationed in one village every Thursday morning."""

    town = models.ForeignKey(
        "villages.Town", verbose_name=_("乡镇（街道）"), on_delete=models.PROTECT, related_name="teams", editable=False
    )
    number = models.PositiveSmallIntegerField(_("编号"), help_text=_("第几团队，用于排序。"))
    name = models.CharField(_("名称"), max_length=50)
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("驻点村（社区）"), on_delete=models.PROTECT, related_name="teams"
    )
    leader = models.ForeignKey(
        Cadre, verbose_name=_("团长"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    liaison = models.ForeignKey(
        Cadre, verbose_name=_("联络员"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("驻点团队")
        verbose_name_plural = _("驻点团队")
        ordering = ["town_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["town", "number"], name="teams_team_unique_number"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # A team is its village's town's: kept on the team so that a town's teams need no join.
        # self.village, not village_id: a village saved after it was given to the team has no id here yet.
        village = self.village if self.village_id is not None or "village" in self._state.fields_cache else None
        if village is not None:
            self.town_id = village.town_id
        super().save(*args, **kwargs)


class Subgroup(models.Model):
    """One of the 3–4 groups a team splits into to visit households."""

    team = models.ForeignKey(Team, verbose_name=_("驻点团队"), on_delete=models.CASCADE, related_name="subgroups")
    name = models.CharField(_("名称"), max_length=50)
    members = models.ManyToManyField(Cadre, verbose_name=_("成员"), blank=True, related_name="subgroups")

    class Meta:
        verbose_name = _("小组")
        verbose_name_plural = _("小组")
        ordering = ["team__number", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="teams_subgroup_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.name}"


class VisitQuerySet(models.QuerySet):
    def for_team(self, team):
        return self.filter(team=team)


def this_thursday(today: datetime.date | None = None) -> datetime.date:
    """The Thursday of the current week (Monday to Sunday): the default visit date."""
    today = today or datetime.date.today()
    return today + datetime.timedelta(days=THURSDAY - today.weekday())


class Visit(models.Model):
    """A team's stationed visit 驻点 to a village: the work log 驻点日志."""

    team = models.ForeignKey(Team, verbose_name=_("驻点团队"), on_delete=models.PROTECT, related_name="visits")
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("村（社区）"), on_delete=models.PROTECT, related_name="visits"
    )
    date = models.DateField(_("驻点日期"))
    off_day_reason = models.CharField(
        _("非周四原因"), max_length=200, blank=True, help_text=_("驻点日固定为周四；改在其他日子须说明原因。")
    )
    subgroups = models.ManyToManyField(Subgroup, verbose_name=_("参加小组"), blank=True, related_name="visits")
    households_visited = models.PositiveIntegerField(_("走访户数"), default=0)
    key_people = models.TextField(_("重点对象"), blank=True, help_text=_("低保户、五保户、独居老人、残疾人等。"))
    briefing_notes = models.TextField(_("碰头会记录"), blank=True)
    summary = models.TextField(_("驻点小结"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    request_key = models.CharField(
        _("提交标识"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("驻点表单的一次性标识：同一张表单再次提交只记录一次。"),
    )
    generated = models.BooleanField(_("演示生成"), default=False)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("驻点走访")
        verbose_name_plural = _("驻点走访")
        ordering = ["-date", "team__number"]
        constraints = [
            models.UniqueConstraint(fields=["team", "date", "village"], name="teams_visit_unique_day"),
            # One form, one visit: the same form sent again by its user finds the first visit
            # (cases/views/visits.py visit_new); the index serves that look-up.
            models.UniqueConstraint(
                fields=["created_by", "request_key"],
                condition=~models.Q(request_key=""),
                name="teams_visit_unique_request_key",
            ),
        ]
        indexes = [
            # Team evaluation: visits per team in a date range.
            models.Index(fields=["team", "date"], name="teams_visit_team_date"),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.village} · {self.date:%Y-%m-%d}"

    @property
    def on_thursday(self) -> bool:
        return self.date.weekday() == THURSDAY

    def clean(self):
        if self.date and not self.on_thursday and not self.off_day_reason.strip():
            raise ValidationError({"off_day_reason": _("驻点日是周四；改在其他日子请写明原因。")})


class Helper(models.Model):
    """An auxiliary helper 辅助团队: 三官一师 and city-department cadres a team can ask for help."""

    class Kind(models.TextChoices):
        POLICE = "police", _("警官")
        JUDGE = "judge", _("法官")
        PROSECUTOR = "prosecutor", _("检察官")
        LAWYER = "lawyer", _("律师")
        CITY_CADRE = "city_cadre", _("市直部门驻村干部")

    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    organisation = models.CharField(_("单位"), max_length=100, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    villages = models.ManyToManyField(
        "villages.Village", verbose_name=_("联系村（社区）"), blank=True, related_name="helpers"
    )
    active = models.BooleanField(_("在册"), default=True)

    class Meta:
        verbose_name = _("辅助团队成员")
        verbose_name_plural = _("辅助团队成员")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["police", "judge", "prosecutor", "lawyer", "city_cadre"]),
                name="teams_helper_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class SecurityEvent(models.Model):
    """The security log (等保 2.0): logins, failures, role changes and exports, kept ≥ 6 months."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKED_OUT = "locked_out", _("登录被锁定")
        LOGOUT = "logout", _("退出")
        OTP_FAILED = "otp_failed", _("动态口令错误")
        OTP_CHANGED = "otp_changed", _("双重验证设置变更")
        PASSWORD_CHANGED = "password_changed", _("修改密码")
        ROLE_CHANGED = "role_changed", _("角色变更")
        EXPORT = "export", _("导出")
        ANONYMISED = "anonymised", _("匿名化")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: a failed login names no user, and a deleted account must still be named.
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip = models.CharField(_("IP地址"), max_length=45, blank=True)
    detail = models.CharField(_("详情"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("安全日志")
        verbose_name_plural = _("安全日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "at"], name="teams_securityevent_kind_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now: datetime.datetime | None = None):
        """Tokens that still open the API: not revoked, not expired, their user still active."""
        now = now or timezone.now()
        return self.filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now),
            revoked_at__isnull=True,
            user__is_active=True,
        )


class ApiToken(models.Model):
    """A key a member of staff issued to a script or tool of theirs, to use the JSON API (/api/) as
    themselves: the same role and the same cases as their pages. The key is shown once when issued
    and kept only as a SHA-256 digest, found by its first characters (sanhe/lib/keys.py)."""

    PREFIX_LENGTH = keys.PREFIX_LENGTH
    TOUCH_EVERY = datetime.timedelta(minutes=1)  # last_used_at is written at most this often

    # A credential, not a record of the work: it goes with its user (who is deactivated, not deleted).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=100, help_text=_("用在哪里，如“月报统计脚本”。"))
    prefix = models.CharField(
        _("密钥前缀"), max_length=PREFIX_LENGTH, editable=False, help_text=_("用于查找密钥，不是密钥本身。")
    )
    key_hash = models.CharField(_("密钥摘要"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True, help_text=_("留空表示长期有效。"))
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 密钥")
        verbose_name_plural = _("API 密钥")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The key's look-up (sanhe/api/authentication.py): one row per prefix.
            models.UniqueConstraint(fields=["prefix"], name="teams_apitoken_unique_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, user, name: str, expires_at: datetime.datetime | None = None) -> tuple["ApiToken", str]:
        """A new token for USER, saved, and its raw key: shown once, never stored (sanhe/lib/keys.py)."""
        key = keys.new_key(lambda prefix: cls.objects.filter(prefix=prefix).exists())
        token = cls.objects.create(user=user, name=name, prefix=key.prefix, key_hash=key.digest, expires_at=expires_at)
        return token, key.raw

    @classmethod
    def find(cls, raw_key: str) -> "ApiToken | None":
        """The usable token whose key RAW_KEY is (its user loaded), or None."""
        prefix = keys.prefix_of(raw_key)
        if prefix is None:
            return None
        token = (
            cls.objects.usable().select_related("user__cadre__town", "user__cadre__team").filter(prefix=prefix).first()
        )
        if token is None or not keys.matches(token.key_hash, raw_key):
            return None
        return token

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return str(_("已停用"))
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return str(_("已过期"))
        return str(_("有效"))

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        """Note the use, at most once per TOUCH_EVERY (one UPDATE, not a write per request)."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= self.TOUCH_EVERY:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
