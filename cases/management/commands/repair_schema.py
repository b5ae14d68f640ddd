"""manage.py repair_schema: put back the triggers and keys of cases/schema.py, count the tally afresh
and advance every board. For a database that lost some (dropped by hand, a partial restore), as
`manage.py check --database default` reports (cases.W001); the statements are the latest
migration's (cases/tests/test_schema.py holds them equal). Writes to the ledger wait meanwhile."""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from cases import schema


class Command(BaseCommand):
    help = "Put back the ledger's triggers and keys, recount the tally and advance every board."

    def handle(self, *args, **options):
        missing = sorted(schema.expected_names(connection.vendor) - schema.present_names(connection))
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("LOCK TABLE cases_case IN SHARE MODE")
            for sql in schema.install(connection.vendor):
                cursor.execute(sql)
        put_back = ", ".join(missing) or "nothing (none was missing)"
        self.stdout.write(f"repair_schema: put back {put_back}; tally recounted")
