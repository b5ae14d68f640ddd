"""Anonymise the cases closed longer ago than the retention period (PIPL: keep personal data no
longer than the purpose needs).

Blanks the resident's name, phone and address and the internal free texts of every case closed
more than settings.RESIDENT_DATA_RETENTION_YEARS years ago (cases/pipl.py says which fields and
why); every date, status, category, satisfaction and the ledger key stay, so no figure changes and
a ledger imported again still finds its cases. One transaction, in batches; one line in the access
log. Run it monthly from cron; --dry-run only counts. --case NUMBER does the same to one closed
case now, when its resident asks for their data to be deleted.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import pipl


class Command(BaseCommand):
    help = (
        "删去办结超过保存期限（RESIDENT_DATA_RETENTION_YEARS，默认3年）的问题中反映人的姓名、电话、住址"
        "和内部记录；统计数字不变。--dry-run 只统计不修改。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计将要匿名化的问题数，不修改。")
        parser.add_argument(
            "--years", type=int, default=None, help="保存期限（年），默认取 RESIDENT_DATA_RETENTION_YEARS。"
        )
        parser.add_argument("--today", default="", help="按这一天计算（YYYY-MM-DD），默认今天。")
        parser.add_argument("--batch-size", type=int, default=2000, help="每批处理的问题数。")
        parser.add_argument(
            "--case",
            action="append",
            default=[],
            metavar="NUMBER",
            help="群众要求删除时：立即匿名化这个已办结的问题（可重复），不论保存期限。",
        )

    def handle(self, *args, dry_run=False, years=None, today="", batch_size=2000, case=(), **options):
        years = settings.RESIDENT_DATA_RETENTION_YEARS if years is None else years
        if years < 1:
            raise CommandError(_("保存期限至少1年。"))
        if batch_size < 1:
            raise CommandError(_("--batch-size 至少为1。"))
        try:
            day = datetime.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(_("--today 应为 YYYY-MM-DD 格式的日期：%(day)s") % {"day": today}) from None
        if case:
            return self._on_request(case, day, dry_run)
        count = pipl.anonymise(today=day, years=years, dry_run=dry_run, batch_size=batch_size)
        before = pipl.cutoff(day, years)
        if dry_run:
            line = _("将匿名化 %(n)d 个问题（%(day)s 以前办结，保存期限 %(years)d 年）。")
        else:
            line = _("已匿名化 %(n)d 个问题（%(day)s 以前办结，保存期限 %(years)d 年）。")
        self.stdout.write("anonymise_residents: " + line % {"n": count, "day": before, "years": years})

    def _on_request(self, numbers: list[str], day, dry_run: bool) -> None:
        try:
            count = pipl.anonymise_on_request(numbers=numbers, today=day, dry_run=dry_run)
        except pipl.NotAnonymisable as refused:
            missing, still_open = refused.args
            reasons = [_("没有问题 %(numbers)s") % {"numbers": "、".join(missing)}] if missing else []
            if still_open:
                reasons.append(_("问题 %(numbers)s 尚未办结，请先办结") % {"numbers": "、".join(still_open)})
            raise CommandError(_("未匿名化任何问题：%(reasons)s。") % {"reasons": "；".join(reasons)}) from None
        line = _("将匿名化 %(n)d 个问题（本人要求）。") if dry_run else _("已匿名化 %(n)d 个问题（本人要求）。")
        self.stdout.write("anonymise_residents: " + line % {"n": count})
