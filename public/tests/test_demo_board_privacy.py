"""The demo's public boards name the responsible cadres; no demo resident may share a cadre's name,
or a board would show a string that is also a resident's name."""

import pytest
from django.core.management import call_command
from django.test import Client

from cases.models import Case
from teams.models import Cadre
from villages.models import Village


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


def test_no_demo_resident_has_a_cadres_name(demo):
    cadres = set(Cadre.objects.values_list("name", flat=True))
    residents = set(Case.objects.values_list("resident_name", flat=True))
    assert cadres and residents
    assert not cadres & residents


def test_demo_boards_show_no_resident_name_or_phone(demo):
    private = set()
    for name, phone, address in Case.objects.values_list("resident_name", "resident_phone", "resident_address"):
        private |= {name, phone, address}
    client = Client()
    pages = ["/notice/"] + [f"/notice/{code}/" for code in Village.objects.values_list("code", flat=True)]
    for page in pages:
        text = client.get(page).content.decode()
        assert not [value for value in private if value in text], page
