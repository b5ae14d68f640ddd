"""Formula injection: the one rule every export applies to every cell (staff and admin exports, the
report tables, the access and security logs).

A cell starting with one of FORMULA_START is run as a formula by Excel or WPS when a csv opens (and
"=" in an xlsx written by openpyxl or tablib): a cadre's '=HYPERLINK("http://…","点此")' becomes a
live link in the office. Prefixed with an apostrophe, the value shows as the text it is.
"""

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A plain signed number ("+4", "-0.50%": the reports' changes) computes nothing; it stays as it is.
SIGNED_NUMBER = re.compile(r"[+-]\d+(?:\.\d+)?%?")


def neutralise_formula(value):
    """VALUE as a spreadsheet cell that is never a formula; anything but text is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not SIGNED_NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore_formula_text(text: str) -> str:
    """The inverse, for importing a file we exported: the apostrophe neutralise_formula() added goes."""
    rest = text[1:]
    return rest if text.startswith("'") and neutralise_formula(rest) != rest else text
