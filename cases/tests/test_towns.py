"""A case's choices are its town's: another town's cadre or category, forged into a form, is refused
as an unknown choice and nothing is written; the case list's filters offer the user's town only."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Case, NameAlias
from cases.tests.factories import CaseFactory, CategoryFactory
from cases.tests.test_hotline import as_xlsx as hotline_xlsx
from cases.tests.test_hotline import order as hotline_order
from cases.tests.test_ledger import XLSX_TYPE, read, xlsx
from teams.tests.factories import CadreFactory, TeamFactory, UserFactory
from villages.models import Town
from villages.tests.factories import TownFactory, VillageFactory, home_town


@pytest.fixture
def elsewhere(db):
    """A second town with a team, a cadre and a category of its own."""
    town = TownFactory(code="DJ", name="大江镇", division_code="440781105")
    team = TeamFactory(village=VillageFactory(town=town, short_name="公益村"))
    return {
        "town": town,
        "team": team,
        "cadre": CadreFactory(team=team, name="外镇干部"),
        "category": CategoryFactory(town=town, label="外镇自设类别"),
    }


def test_another_towns_cadre_cannot_be_made_responsible(office_client, team, elsewhere):
    case = CaseFactory(team=team, status=Case.Status.IN_PROGRESS)
    page = office_client.get(f"/cases/{case.number}/responsible/").content.decode()
    assert "外镇干部" not in page
    response = office_client.post(
        f"/cases/{case.number}/responsible/", {"version": case.version, "responsible": elsewhere["cadre"].pk}
    )
    case.refresh_from_db()
    assert response.status_code == 400 and case.responsible is None
    assert 'class="errorlist" role="alert"' in response.content.decode()


def test_the_case_list_offers_only_the_towns_own_choices(office_client, team, elsewhere):
    CaseFactory(team=team)
    page = office_client.get("/cases/").content.decode()
    for name in ("公益村", "外镇干部", "外镇自设类别", "大江镇"):
        assert name not in page, name


def test_the_county_supervisor_filters_the_list_by_town(client, county_supervisor_user, team, elsewhere):
    mine = CaseFactory(team=team)
    theirs = CaseFactory(team=elsewhere["team"])
    client.force_login(county_supervisor_user)
    page = client.get("/cases/", {"town": "DJ"}).content.decode()
    assert theirs.number in page and mine.number not in page
    assert re.search(r'<option value="DJ"[^>]*>大江镇</option>', client.get("/cases/").content.decode())


def test_the_list_counts_the_towns_cases_only(office_client, team, elsewhere):
    CaseFactory.create_batch(2, team=team)
    CaseFactory.create_batch(3, team=elsewhere["team"])
    page = office_client.get("/cases/").content.decode()
    assert "共 2 件问题" in page and "导出这 2 件" in page


# -- Imports write into the importing town; the resident look-up stays in it ----------------------


@pytest.fixture
def two_donglians(db, settings, tmp_path):
    """A 东联村 in each of two towns, each with its team; uploads kept in a folder of the test's own."""
    settings.LEDGER_UPLOAD_DIR = tmp_path / "uploads"
    other = TownFactory(code="DJ", name="大江镇", division_code="440781105")
    ours = TeamFactory(village=VillageFactory(name="东联村委会", short_name="东联村"))
    theirs = TeamFactory(village=VillageFactory(town=other, name="东联村委会", short_name="东联村"))
    office = UserFactory(role="office")
    CadreFactory(user=office, team=None, town=other)
    return {"town": other, "ours": ours.village, "theirs": theirs.village, "office": office}


def ledger_upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("台账.xlsx", data, content_type=XLSX_TYPE)


LEDGER = xlsx(["村", "反映人", "问题内容", "反映时间"], [["东联村", "陈大文", "门前水渠堵塞", "2015-01-08"]])


def test_a_ledger_is_read_within_its_town(two_donglians):
    plan = read(LEDGER, town=two_donglians["town"])
    assert plan.rows[0].values["village"] == two_donglians["theirs"]
    assert read(LEDGER, town=home_town()).rows[0].values["village"] == two_donglians["ours"]


def test_an_offices_ledger_import_writes_into_its_own_town(client, two_donglians):
    client.force_login(two_donglians["office"])
    client.post(reverse("cases:ledger_upload"), {"file": ledger_upload(LEDGER)})
    token = client.session["ledger_upload"]["token"]
    assert "导入到：大江镇" in client.get(reverse("cases:ledger_preview")).content.decode()

    client.post(reverse("cases:ledger_confirm"), {"token": token})

    case = Case.objects.get()
    assert case.village == two_donglians["theirs"] and case.town == two_donglians["town"]
    assert case.number.startswith("DJ-2015-")


def test_an_office_cannot_match_a_name_with_another_towns_village(client, two_donglians):
    client.force_login(two_donglians["office"])
    client.post(reverse("cases:ledger_upload"), {"file": ledger_upload(LEDGER)})
    choices = {"token": client.session["ledger_upload"]["token"], "names": "1", "name-0-kind": "village"}
    choices |= {"name-0-text": "东村", "name-0-target": two_donglians["ours"].pk}

    response = client.post(reverse("cases:ledger_aliases"), choices, follow=True)

    assert "选择有误，请重新选择。" in response.content.decode()
    assert not NameAlias.objects.exists()


def test_the_county_administrator_chooses_the_town_of_an_import(client, two_donglians):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = client.get(reverse("cases:ledger_upload")).content.decode()
    assert '<option value="DJ">大江镇</option>' in page and '<option value="SH">三合镇</option>' in page

    refused = client.post(reverse("cases:ledger_upload"), {"file": ledger_upload(LEDGER)})
    assert "请选择导入到哪个镇。" in refused.content.decode() and "ledger_upload" not in client.session

    client.post(reverse("cases:ledger_upload"), {"file": ledger_upload(LEDGER), "town": "DJ"})
    client.post(reverse("cases:ledger_confirm"), {"token": client.session["ledger_upload"]["token"]})
    assert Case.objects.get().village == two_donglians["theirs"]


def test_the_county_import_follows_its_town_through_a_change_of_code(client, two_donglians):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    client.post(reverse("cases:ledger_upload"), {"file": ledger_upload(LEDGER), "town": "DJ"})
    Town.objects.filter(code="DJ").update(code="DJX")

    assert "导入到：大江镇" in client.get(reverse("cases:ledger_preview")).content.decode()
    client.post(reverse("cases:ledger_confirm"), {"token": client.session["ledger_upload"]["token"]})

    assert Case.objects.get().number.startswith("DJX-2015-")


@pytest.mark.parametrize("step", ["preview", "confirm"])
@pytest.mark.parametrize("kind", ["ledger", "hotline"])
def test_a_county_upload_whose_town_is_gone_is_uploaded_again(client, settings, two_donglians, kind, step):
    """The town chosen at upload deleted before the preview or the confirmation: the file is dropped
    and the user told to upload it again, nothing written (not a bare 403)."""
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    empty = TownFactory(code="TS", name="台城街道", division_code="440781001")
    if kind == "ledger":
        upload = {"file": ledger_upload(LEDGER)}
    else:
        orders = SimpleUploadedFile("工单.xlsx", hotline_xlsx([hotline_order()]), content_type=XLSX_TYPE)
        upload = {"file": orders, "format": "guangdong-12345"}
    client.post(reverse(f"cases:{kind}_upload"), {**upload, "town": "TS"})
    token = client.session[f"{kind}_upload"]["token"]
    empty.delete()

    if step == "preview":
        response = client.get(reverse(f"cases:{kind}_preview"), follow=True)
    else:
        response = client.post(reverse(f"cases:{kind}_confirm"), {"token": token}, follow=True)

    assert response.redirect_chain == [(reverse(f"cases:{kind}_upload"), 302)]
    assert "这份文件要导入的镇已不存在，未导入任何内容：请重新上传并选择镇。" in response.content.decode()
    assert f"{kind}_upload" not in client.session
    assert not list(Path(settings.LEDGER_UPLOAD_DIR).glob(f"*.{kind}"))
    assert not Case.objects.exists()


def test_a_county_upload_kept_by_town_code_is_uploaded_again(client, two_donglians):
    """An upload waiting across the update that keeps the town's id (its session holds the code)."""
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    client.post(reverse("cases:ledger_upload"), {"file": ledger_upload(LEDGER), "town": "DJ"})
    session = client.session
    session["ledger_upload"] = {**session["ledger_upload"], "town": "DJ"}
    session.save()

    response = client.get(reverse("cases:ledger_preview"), follow=True)

    assert "这份文件要导入的镇已不存在，未导入任何内容：请重新上传并选择镇。" in response.content.decode()
    assert not Case.objects.exists()


def test_an_office_without_a_town_cannot_import(client, two_donglians):
    user = UserFactory(role="office")
    client.force_login(user)
    assert client.get(reverse("cases:ledger_upload")).status_code == 403
    assert client.get(reverse("cases:hotline_upload")).status_code == 403


def test_work_orders_are_imported_into_the_offices_town(client, two_donglians):
    client.force_login(two_donglians["office"])
    orders = hotline_xlsx([hotline_order()])
    client.post(
        reverse("cases:hotline_upload"),
        {"file": SimpleUploadedFile("工单.xlsx", orders, content_type=XLSX_TYPE), "format": "guangdong-12345"},
    )
    client.post(reverse("cases:hotline_confirm"), {"token": client.session["hotline_upload"]["token"]})

    case = Case.objects.get()
    assert case.village == two_donglians["theirs"] and case.town == two_donglians["town"]


def test_the_resident_look_up_finds_the_offices_town_only(office_client, two_donglians):
    mine = CaseFactory(village=two_donglians["ours"], resident_phone="13912345678")
    theirs = CaseFactory(village=two_donglians["theirs"], resident_phone="13912345678")

    page = office_client.post(reverse("cases:residents"), {"phone": "13912345678"}).content.decode()

    assert mine.number in page and theirs.number not in page
    assert f'value="{two_donglians["theirs"].pk}"' not in office_client.get(reverse("cases:residents")).content.decode()
