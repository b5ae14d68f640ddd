"""The years a date typed into any form or query may fall in (issue 11: bad input never crashes).

The programme began in 2014. Outside 2000–2100 a date is a typo or a probe, and date arithmetic on
it (the month before, the next Thursday, the admin's date hierarchy adding a month) steps past
year 1 or 9999 and raises OverflowError. Here, on the cases floor, so the case list's filters, the
reports' forms (reports/forms.py) and the request check (sanhe/lib/badrequest.py) share it.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FIRST_YEAR, LAST_YEAR = 2000, 2100


def within_years(value) -> None:
    """A validator for a date field: its year within FIRST_YEAR–LAST_YEAR."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            _("日期应在%(first)d年至%(last)d年之间。"), code="year", params={"first": FIRST_YEAR, "last": LAST_YEAR}
        )
