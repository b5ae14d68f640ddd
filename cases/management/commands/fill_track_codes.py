"""Give a track code to every case that has none: the cases registered before codes existed, or
written around the workflow (generate_cases, load_demo). Run it once after upgrading; running it
again changes nothing. The codes are then shown on each case's page, for the office to tell a
resident who asks (by phone, or on a new slip)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from cases.models import Case
from cases.numbering import give_track_codes

BATCH = 500  # SQLite takes 999 parameters a query


class Command(BaseCommand):
    help = "Give a track code (for /track/ without a phone) to every case that has none."

    def handle(self, *args, **options):
        filled = 0
        while True:
            with transaction.atomic():
                cases = list(Case.objects.filter(track_code="").only("pk", "track_code").order_by("pk")[:BATCH])
                if not cases:
                    break
                self.draw(cases)
                Case.objects.bulk_update(cases, ["track_code"], batch_size=BATCH)
            filled += len(cases)
        self.stdout.write(f"fill_track_codes: {filled} cases given a track code")

    @staticmethod
    def draw(cases: list[Case]) -> None:
        """Codes for CASES, none of them already another case's (checked here, unlike registering:
        a command may spend a query to make the odds nil)."""
        while True:
            give_track_codes(cases)
            codes = [case.track_code for case in cases]
            clashes = set(Case.objects.filter(track_code__in=codes).values_list("track_code", flat=True))
            if not clashes:
                return
            for case in cases:
                if case.track_code in clashes:
                    case.track_code = ""
