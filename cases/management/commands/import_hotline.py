"""Import a batch of 12345 hotline work orders from the command line: the same reading, report and
rules as the web import (cases/hotline.py)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases import hotline
from cases.ledger import LedgerImportError


class Command(BaseCommand):
    help = (
        "Reads a batch of 12345 hotline work orders (.xlsx, .xls, .csv or JSON, as the platform exports "
        "them) and registers each new one as a case of the 12345 channel, with its number and deadlines, "
        "printing how every work order is read. Work orders imported before are skipped, so running it "
        "again adds nothing. Nothing is written while any work order has problems, unless --only-clean."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the platform's export")
        parser.add_argument(
            "--format",
            default=hotline.DEFAULT_FORMAT,
            help="mapping table: a name in cases/hotline_formats/ or a path to a .json file "
            f"(default {hotline.DEFAULT_FORMAT})",
        )
        parser.add_argument("--dry-run", action="store_true", help="print the report, write nothing")
        parser.add_argument("--only-clean", action="store_true", help="import the work orders without problems")
        parser.add_argument("--user", help="username recorded as the one who imported them")

    def handle(self, *args, file: str, format: str, dry_run=False, only_clean=False, user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件 %(file)s") % {"file": file})
        try:
            fmt = hotline.load_format(format)
        except hotline.FormatError as error:
            raise CommandError(str(error)) from error
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(_("没有用户 %(user)s") % {"user": user})
        plan = hotline.read_orders(path, fmt=fmt)
        self.report(plan)
        if plan.problems or (plan.refused and not only_clean):
            self.stdout.write(f"import_hotline: {plan.summary()}" + _("未导入任何内容。"))
            raise CommandError(_("有的工单有问题，未导入：改正后重试，或用 --only-clean 只导入没有问题的工单。"))
        if dry_run:
            self.stdout.write(
                f"import_hotline: {plan.summary()}" + _("试运行，未写入（将新登记 %(n)d 条）。") % {"n": len(plan.new)}
            )
            return
        try:
            result = hotline.import_orders(plan, by=by, only_clean=only_clean)
        except (hotline.HotlineNotClean, LedgerImportError) as error:
            raise CommandError(_("未导入任何内容。%(error)s") % {"error": error}) from error
        for case in result.created:
            self.stdout.write(
                "  " + _("新登记 %(number)s（工单 %(order)s）") % {"number": case.number, "order": case.hotline_number}
            )
        self.stdout.write(self.style.SUCCESS("import_hotline: " + result.summary()))

    def report(self, plan: hotline.HotlinePlan) -> None:
        self.stdout.write(f"{plan.filename}（{plan.format.title}）")
        for problem in plan.problems:
            self.stdout.write(self.style.ERROR(_("文件问题：%(problem)s") % {"problem": problem}))
        for row in plan.rows:
            self.stdout.write(f"{row.where} {row.number or '—'}：{row.outcome}")
            for note in row.notes:
                self.stdout.write(f"    {note}")
            for problem in row.problems:
                self.stdout.write(self.style.ERROR(f"    ✗ {problem}"))
