"""Load a published report's stated figures (by default the town's 2015 report, which ships with
the demo data) so that the reconciliation page sets them beside the ledger."""

import datetime
import json
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.models import Category
from reports.models import StatedCategory, StatedReport
from villages.models import Town

DEMO = Path(__file__).resolve().parents[3] / "cases" / "demo" / "sanhe_2015.json"


def parse_source(source: str) -> tuple[str, datetime.date | None]:
    """The title in 《》 and the date written as 2015年2月2日 in the report's citation."""
    title = re.search(r"《(.+?)》", source)
    day = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", source)
    return (
        title.group(1) if title else source[:200],
        datetime.date(*map(int, day.groups())) if day else None,
    )


class Command(BaseCommand):
    help = (
        "Loads the figures a published report states (totals, and each category's count and share) from "
        "a JSON file in the format of cases/demo/sanhe_2015.json (its 'stated' totals and each category's "
        "'stated_count' and 'stated_share'); by default the town's report of 2 February 2015. Running it "
        "again updates the same report in place. Categories must already exist (run load_demo first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEMO, help="the JSON file (default: the demo data)")
        parser.add_argument("--town", help="the town's short code (default: the file's town, e.g. SH)")
        parser.add_argument("--dry-run", action="store_true", help="show what would be loaded, write nothing")

    def handle(self, *args, file: Path, town: str | None = None, dry_run: bool = False, **options):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        title, published = parse_source(data.get("source", ""))
        stated = data.get("stated", {})
        code = (town or data.get("town", {}).get("code") or "").upper()
        town = Town.objects.filter(code=code).first()
        if town is None:
            raise CommandError(f"no town with the short code {code!r}: run load_demo first, or give --town")
        categories = {c.code: c for c in Category.objects.all()}
        missing = [row["code"] for row in data.get("categories", []) if row["code"] not in categories]
        if missing:
            raise CommandError(f"categories {', '.join(missing)} are not in the database: run load_demo first")
        with transaction.atomic():
            report, created = StatedReport.objects.update_or_create(
                town=town,
                title=title,
                as_of=datetime.date.fromisoformat(data["as_of"]),
                defaults={
                    "published_on": published,
                    "source": data.get("source", "")[:300],
                    "total": stated.get("total"),
                    "closed": stated.get("closed"),
                    "in_progress": stated.get("in_progress"),
                    "closure_rate": stated.get("closure_rate", ""),
                },
            )
            lines = 0
            for row in data.get("categories", []):
                if "stated_count" not in row and "stated_share" not in row:
                    continue
                StatedCategory.objects.update_or_create(
                    report=report,
                    category=categories[row["code"]],
                    defaults={"count": row.get("stated_count"), "share": str(row.get("stated_share", ""))},
                )
                lines += 1
            if dry_run:
                transaction.set_rollback(True)
        verb = ("would load" if created else "would update") if dry_run else ("loaded" if created else "updated")
        self.stdout.write(
            self.style.SUCCESS(f"load_stated_report: {verb} “{title}” as of {data['as_of']}, {lines} categories")
        )
