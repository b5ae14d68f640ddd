from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

division_code = RegexValidator(r"^\d{12}$", _("区划代码是12位数字。"))


class VillageQuerySet(models.QuerySet):
    def by_code(self):
        return self.order_by("code")


class Village(models.Model):
    """A village-level unit (村委会 or 居委会) that one liaison team is stationed in."""

    class Kind(models.TextChoices):
        VILLAGE = "village", _("村")
        COMMUNITY = "community", _("社区")

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
    # deletions the triggers count here; reports.tally.ensure_triggers clears what that leaves.
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
