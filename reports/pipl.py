"""The reports' share of a resident's personal data (cases/pipl.py): what a resident told a
supervisor's spot-check call (SpotCheck.notes) goes into their own export, and is blanked with the
rest of their data after the retention period. How and with what finding a case was checked stay:
the spot-check figures count them, as the case's own figures stay.
"""

from django.dispatch import receiver
from django.utils import timezone

from cases.models import Case
from cases.pipl import cases_anonymised, resident_data_collected
from reports.models import SpotCheck


@receiver(resident_data_collected, sender=Case)
def spot_checks_of(sender, cases, **kwargs) -> dict:
    """{case pk: {"spot_checks": [...]}} for the checked spot checks of CASES."""
    checks = SpotCheck.objects.filter(case__in=cases, checked_at__isnull=False).order_by("checked_at", "id")
    parts: dict = {}
    for check in checks:
        entry = parts.setdefault(check.case_id, {"spot_checks": []})
        entry["spot_checks"].append(
            {
                "checked_at": timezone.localtime(check.checked_at).isoformat(timespec="seconds"),
                "method": str(check.get_method_display()) if check.method else None,
                "finding": str(check.get_finding_display()) if check.finding else None,
                "notes": check.notes,
            }
        )
    return parts


@receiver(cases_anonymised, sender=Case)
def blank_spot_check_notes(sender, ids, **kwargs) -> None:
    SpotCheck.objects.filter(case_id__in=ids).exclude(notes="").update(notes="")
