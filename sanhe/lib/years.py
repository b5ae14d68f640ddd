"""The years a date typed into any form or query may fall in (issue 11: bad input never crashes).

The programme began in 2014. Outside 2000–2100 a date is a typo or a probe, and date arithmetic on
it (the month before, the next Thursday, the admin's date hierarchy adding a month) steps past
year 1 or 9999 and raises OverflowError. Here in sanhe/lib, which imports no app, so the forms'
validator (cases/validators.py) and the request check (sanhe/lib/badrequest.py) share it.
"""

FIRST_YEAR, LAST_YEAR = 2000, 2100


def in_years(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR
