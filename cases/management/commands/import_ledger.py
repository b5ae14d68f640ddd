"""Import an Excel ledger 台账 from the command line: the same reading, report and rules as the web import."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases.ledger import LedgerImportError, LedgerNotClean, LedgerPlan, import_ledger, read_ledger


class Command(BaseCommand):
    help = (
        "Reads an Excel ledger (.xlsx) of residents' problems and registers each row as a case, printing "
        "how every row is read and every row's problems. Nothing is written unless the whole file is clean, "
        "or --only-clean is given; rows imported before are skipped, so running it again adds nothing. "
        "Exits with an error when nothing was imported because of problems."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the ledger, an .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="print the row report, write nothing")
        parser.add_argument("--only-clean", action="store_true", help="import the rows without problems, skip the rest")
        parser.add_argument("--user", help="username recorded as the one who registered the cases")

    def handle(self, *args, file: str, dry_run: bool = False, only_clean: bool = False, user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("找不到文件 %(file)s") % {"file": file})
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(_("没有用户 %(user)s") % {"user": user})
        plan = read_ledger(path)
        self.report(plan)
        if plan.problems or (not plan.is_clean and not only_clean):
            self.stdout.write(f"import_ledger: {plan.summary()}" + _("未导入任何内容。"))
            raise CommandError(_("台账有问题，未导入：改正后重试，或用 --only-clean 只导入没有问题的行。"))
        if not plan.to_import and not plan.skipped and plan.with_problems:
            self.stdout.write(f"import_ledger: {plan.summary()}" + _("未导入任何内容。"))
            raise CommandError(_("没有可导入的行：其余每一行都有问题。"))
        if dry_run:
            self.stdout.write(
                f"import_ledger: {plan.summary()}"
                + _("试运行，未写入（将新登记 %(n)d 件）。") % {"n": len(plan.to_import)}
            )
            return
        try:
            result = import_ledger(plan, by=by, only_clean=only_clean)
        except (LedgerNotClean, LedgerImportError) as error:
            raise CommandError(_("未导入任何内容。%(error)s") % {"error": error}) from error
        for number in result.numbers:
            self.stdout.write("  " + _("新登记 %(number)s") % {"number": number})
        self.stdout.write(self.style.SUCCESS("import_ledger: " + result.summary()))

    def report(self, plan: LedgerPlan) -> None:
        """The preview, as text: the file's problems, then each row's reading, outcome and problems."""
        where = "；".join(
            _("工作表“%(sheet)s”，表头在第 %(row)d 行") % {"sheet": sheet.title, "row": sheet.header_row}
            for sheet in plan.sheets
        )
        self.stdout.write(plan.filename + (f"：{where}" if where else ""))
        for problem in plan.problems:
            self.stdout.write(self.style.ERROR(_("文件问题：%(problem)s") % {"problem": problem}))
        if plan.ignored:
            self.stdout.write(_("未使用的列：%(columns)s") % {"columns": "、".join(plan.ignored)})
        for row in plan.rows:
            self.stdout.write(f"{row.where}：{row.outcome()}")
            self.stdout.write("    " + "；".join(f"{label}：{value}" for label, value in row.reading()))
            self.stdout.write("    " + _("公开栏显示：%(text)s") % {"text": row.board_text})
            if row.private_reason:
                self.stdout.write("    " + _("不公示内容：%(reason)s") % {"reason": row.private_reason})
            if row.removed:
                removed = "、".join(str(finding) for finding in row.removed)
                self.stdout.write("    " + _("已从公示文字中去掉：%(removed)s") % {"removed": removed})
            for problem in row.problems:
                self.stdout.write(self.style.ERROR(f"    ✗ {problem}"))
            for name in row.unresolved:
                self.stdout.write(self.style.WARNING(f"    ? {name}"))
        for name, count in plan.unresolved:
            message = _("无法识别的名称：%(name)s（%(n)d 行）。") % {"name": name, "n": count}
            hint = _("请在网页导入的预览中选择它指的是哪一个，或在管理后台“名称对照”中添加。")
            self.stdout.write(self.style.WARNING(message + hint))
        if plan.blank_rows:
            self.stdout.write(_("另有 %(n)d 行不是问题记录（如合计、落款），已忽略。") % {"n": plan.blank_rows})
