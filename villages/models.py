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
