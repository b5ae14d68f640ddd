"""teams/roster.py: selects rendered once per roster version and language, read from the cache."""

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from teams.models import Cadre, Helper, Team
from teams.roster import VERSION_KEY, RosterSelect, prepare, roster_version
from teams.tests.factories import CadreFactory, HelperFactory, TeamFactory, UserFactory
from villages.models import Village
from villages.tests.factories import VillageFactory, home_town

CHOICES = [("", _("全部")), ("a", "甲"), ("b", "乙"), ("10", "十"), ("1", "一"), ('x"y', "引号")]


class LetterForm(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES, required=False)
    cached = forms.ChoiceField(choices=CHOICES, required=False, widget=RosterSelect("tests.roster.letter"))


class VillageForm(forms.Form):
    village = forms.ModelChoiceField(
        queryset=Village.objects.order_by("code"), required=False, widget=RosterSelect("tests.roster.village")
    )


def as_plain(html: str) -> str:
    """The cached select's HTML as Django's own select would be for the same field."""
    return html.replace("cached", "plain")  # its name and ids; no option says "cached"


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts without another's cached options or counter."""
    cache.clear()
    yield
    cache.clear()


# --- The selected option ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a", "b", "1", "10", 'x"y', "", "unknown", '"><script>', None])
def test_roster_select_renders_as_djangos_select(value):
    data = {} if value is None else {"plain": value, "cached": value}
    first, again = LetterForm(data), LetterForm(data)  # the second from the cache
    assert as_plain(str(first["cached"])) == str(first["plain"])
    assert as_plain(str(again["cached"])) == str(again["plain"])


def test_roster_select_marks_only_the_chosen_option():
    str(LetterForm({"cached": "a"})["cached"])  # cached with "a" chosen
    html = str(LetterForm({"cached": "1"})["cached"])
    assert '<option value="1" selected>一</option>' in html
    assert html.count("selected") == 1
    assert '<option value="a">甲</option>' in html and '<option value="10">十</option>' in html


def test_roster_select_unknown_value_selects_nothing():
    html = str(LetterForm({"cached": '1"><b>x'})["cached"])
    assert "selected" not in html
    assert "<b>" not in html


def test_roster_select_keeps_the_tag_attributes_of_each_render():
    form = LetterForm({"cached": "zz"})
    form.fields["cached"].choices = [("a", "甲")]  # invalid: the bound field has an error
    form.is_valid()
    html = str(form["cached"])
    assert html.startswith(
        '<select name="cached" aria-invalid="true" aria-describedby="id_cached_error" id="id_cached">'
    )


# --- The roster version ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda: CadreFactory(team=None), id="cadre added"),
        pytest.param(lambda: VillageFactory(), id="village added"),
        pytest.param(lambda: Team.objects.update(name="改名") or TeamFactory(), id="team added"),
        pytest.param(lambda: HelperFactory(), id="helper added"),
    ],
)
@pytest.mark.django_db
def test_roster_version_changes_when_the_roster_does(change):
    before = roster_version()
    change()
    assert roster_version() != before


@pytest.mark.django_db
def test_roster_version_changes_when_a_cadre_is_renamed_or_deleted():
    cadre = CadreFactory(team=None)
    before = roster_version()
    cadre.name = "新名字"
    cadre.save()
    renamed = roster_version()
    Cadre.objects.filter(pk=cadre.pk).get().delete()
    assert before != renamed != roster_version()


@pytest.mark.django_db
def test_roster_version_changes_with_a_helpers_villages_and_a_users_role():
    helper, village, user = HelperFactory(), VillageFactory(), UserFactory()
    before = roster_version()
    helper.villages.add(village)
    linked = roster_version()
    user.groups.add(Group.objects.get_or_create(name="office")[0])
    assert before != linked != roster_version()


@pytest.mark.django_db
def test_roster_version_is_bumped_again_when_the_transaction_commits(django_capture_on_commit_callbacks):
    before = roster_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Helper.objects.create(name="陈律师", kind=Helper.Kind.LAWYER)
    assert len(callbacks) == 1
    assert roster_version() == before + 2


@pytest.mark.django_db
def test_roster_version_unchanged_when_a_user_logs_in(client):
    user = UserFactory(role="office")
    before = roster_version()
    client.force_login(user)  # saves last_login
    assert roster_version() == before


@pytest.mark.django_db
def test_roster_version_changes_when_a_user_becomes_superuser_or_is_deleted():
    user = UserFactory(role="office")
    before = roster_version()
    user.is_superuser = True
    user.save()
    promoted = roster_version()
    user.delete()
    assert before != promoted != roster_version()


# --- No stale roster ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_roster_select_shows_a_village_added_since_the_last_render():
    old = VillageFactory(short_name="东联村")
    assert "东联村" in str(VillageForm({})["village"])
    new = VillageFactory(short_name="西联村")
    html = str(VillageForm({"village": str(new.pk)})["village"])
    assert f'<option value="{old.pk}">东联村</option>' in html
    assert f'<option value="{new.pk}" selected>西联村</option>' in html


@pytest.mark.django_db
def test_roster_select_renders_again_when_the_counter_is_lost():
    """A cache that culled or expired the counter: a new start, so no older entry is served."""
    VillageFactory(short_name="东联村")
    str(VillageForm({})["village"])
    Village.objects.bulk_create(
        [Village(code="440781000000", name="西联村委会", short_name="西联村", town=home_town())]
    )  # no signal
    cache.delete(VERSION_KEY)
    assert "西联村" in str(VillageForm({})["village"])


@pytest.mark.django_db
def test_roster_select_reads_the_cache_not_the_database_once_rendered(django_assert_num_queries):
    VillageFactory.create_batch(3)
    str(VillageForm({})["village"])
    form = VillageForm({})
    with django_assert_num_queries(0):
        prepare(form, None)
        html = str(form["village"])
    assert html.count("<option") == 4


# --- The language is part of the key -----------------------------------------------------------


def test_roster_select_keeps_one_rendering_per_language():
    with translation.override("zh-hans"):
        chinese = str(LetterForm({})["cached"])
    with translation.override("en"):
        english = str(LetterForm({})["cached"])
    with translation.override("zh-hans"):
        again = str(LetterForm({})["cached"])
    assert '<option value="" selected>全部</option>' in chinese
    assert '<option value="" selected>All</option>' in english
    assert again == chinese
