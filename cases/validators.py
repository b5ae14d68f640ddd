"""The years a date typed into any form or query may fall in (issue 11: bad input never crashes).

The programme began in 2014. Outside 2000–2100 a date is a typo or a probe, and date arithmetic on
it (the month before, the next Thursday, the admin's date hierarchy adding a month) steps past
year 1 or 9999 and raises OverflowError. The bounds live in sanhe/lib/years.py (shared with the
request check, sanhe/lib/badrequest.py); this is their validator for the case list's filters and
the reports' forms (reports/forms.py).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sanhe.lib.years import FIRST_YEAR, LAST_YEAR, in_years


def within_years(value) -> None:
    """A validator for a date field: its year within FIRST_YEAR–LAST_YEAR."""
    if value is not None and not in_years(value.year):
        raise ValidationError(
            _("日期应在%(first)d年至%(last)d年之间。"), code="year", params={"first": FIRST_YEAR, "last": LAST_YEAR}
        )
