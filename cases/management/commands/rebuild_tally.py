"""manage.py rebuild_tally: count every case afresh into the ledger's monthly tally.

The triggers keep the tally in step with the ledger; this is for a database whose tally is in doubt
(restored from a partial dump, written with the triggers disabled). Writes to cases wait meanwhile."""

from django.core.management.base import BaseCommand
from django.db.models import Sum

from cases import tally
from cases.models import Case, CaseTally


class Command(BaseCommand):
    help = "Count every case afresh into the ledger's monthly tally (the triggers normally keep it)."

    def handle(self, *args, **options):
        tally.rebuild()
        counted = CaseTally.objects.aggregate(n=Sum("raised"))["n"] or 0
        rows = CaseTally.objects.count()
        self.stdout.write(f"rebuild_tally: {counted} cases in {rows} rows (ledger: {Case.objects.count()} cases)")
