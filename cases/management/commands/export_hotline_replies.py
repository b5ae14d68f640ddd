"""Write the replies for the 12345 platform: the closed work orders' results, in its format."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases import hotline
from cases.export import write_xlsx


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("日期“%(text)s”应写作 2026-12-01。") % {"text": text}) from None


class Command(BaseCommand):
    help = (
        "Writes the replies for the 12345 platform (work order number, result, closed date, the latest "
        "satisfaction) of the closed hotline work orders, optionally closed between --start and --end, "
        "as .xlsx or .json by the output's extension, in the columns and words of --format. Nothing of "
        "the resident is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="the file to write: replies.xlsx or replies.json")
        parser.add_argument("--format", default=hotline.DEFAULT_FORMAT, help="mapping table (name or .json path)")
        parser.add_argument("--start", help="closed on or after (YYYY-MM-DD)")
        parser.add_argument("--end", help="closed on or before (YYYY-MM-DD)")
        parser.add_argument("--dry-run", action="store_true", help="count the rows, write no file")

    def handle(self, *args, output: str, format: str, start=None, end=None, dry_run=False, **options):
        try:
            fmt = hotline.load_format(format)
        except hotline.FormatError as error:
            raise CommandError(str(error)) from error
        path = Path(output)
        if path.suffix not in (".xlsx", ".json"):
            raise CommandError(_("输出文件应以 .xlsx 或 .json 结尾。"))
        cases = hotline.reply_cases(_day(start) if start else None, _day(end) if end else None)
        header, rows = hotline.reply_rows(cases, fmt)
        if not dry_run:
            if path.suffix == ".json":
                path.write_text(hotline.reply_json(cases, fmt), encoding="utf-8")
            else:
                path.write_bytes(write_xlsx(fmt.reply_sheet, header, rows))
        done = _("试运行，未写入") if dry_run else _("已写入 %(file)s") % {"file": output}
        self.stdout.write("export_hotline_replies: " + _("%(n)d 条办结工单；%(done)s") % {"n": len(rows), "done": done})
