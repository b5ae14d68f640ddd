"""A resident's data held by the reports (the spot-check call's notes): in their export, and
blanked with the rest after the retention period (cases/pipl.py, reports/pipl.py)."""

import datetime

import pytest

from cases import pipl
from cases.tests.factories import CaseFactory
from reports.models import SpotCheck
from reports.tests.factories import SpotCheckFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_spot_check_calls_notes_are_in_the_residents_export():
    case = CaseFactory(resident_phone="13912345678")
    SpotCheckFactory(case=case, done=True, notes="陈伯说水渠已修好")
    SpotCheckFactory(case=CaseFactory(), done=True, notes="别人的")

    (entry,) = pipl.resident_data([case])["cases"]

    assert [c["notes"] for c in entry["spot_checks"]] == ["陈伯说水渠已修好"]
    assert entry["spot_checks"][0]["method"] == "电话访问"


def test_a_case_without_spot_checks_has_none_in_the_export():
    (entry,) = pipl.resident_data([CaseFactory()])["cases"]

    assert "spot_checks" not in entry


def test_anonymising_blanks_the_notes_and_keeps_the_finding():
    case = CaseFactory(closed=True, closed_on=D(2015, 1, 20), raised_on=D(2015, 1, 8))
    check = SpotCheckFactory(case=case, done=True, notes="陈伯说水渠已修好", finding=SpotCheck.Finding.UNSATISFIED)
    other = SpotCheckFactory(done=True, notes="未到期的")

    assert pipl.anonymise(today=D(2018, 1, 21), years=3) == 1

    check.refresh_from_db()
    other.refresh_from_db()
    assert (check.notes, check.finding, check.method) == ("", "unsatisfied", "phone")
    assert other.notes == "未到期的"
