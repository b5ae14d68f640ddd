"""Delete the security log's rows older than the retention period (SECURITY_LOG_RETENTION_DAYS).

The Cybersecurity Law asks that network logs be kept at least six months: a period under 183
days is refused, here as in the settings. Run it monthly from cron; --dry-run only counts.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from teams.models import SecurityEvent

MIN_RETENTION_DAYS = 183  # six months


class Command(BaseCommand):
    help = "删除早于保存期限（SECURITY_LOG_RETENTION_DAYS，默认400天，不少于183天）的安全日志；--dry-run 只统计不删除。"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计将要删除的日志条数，不删除。")
        parser.add_argument(
            "--days", type=int, default=None, help="保存期限（天），默认取 SECURITY_LOG_RETENTION_DAYS。"
        )

    def handle(self, *args, dry_run=False, days=None, **options):
        days = settings.SECURITY_LOG_RETENTION_DAYS if days is None else days
        if days < MIN_RETENTION_DAYS:
            raise CommandError(
                _("安全日志至少保存 %(min)d 天（六个月，《网络安全法》），不能设为 %(days)d 天。")
                % {"min": MIN_RETENTION_DAYS, "days": days}
            )
        before = timezone.now() - datetime.timedelta(days=days)
        old = SecurityEvent.objects.filter(at__lt=before)
        if dry_run:
            count = old.count()
            line = _("将删除 %(n)d 条安全日志（%(day)s 以前，保存期限 %(days)d 天）。")
        else:
            count, _deleted = old.delete()
            line = _("已删除 %(n)d 条安全日志（%(day)s 以前，保存期限 %(days)d 天）。")
        day = timezone.localtime(before).date()
        self.stdout.write("prune_security_log: " + line % {"n": count, "day": day, "days": days})
