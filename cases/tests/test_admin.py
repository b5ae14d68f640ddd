"""The admin: who may reach it, changelists at a constant number of queries, the case form,
and the ledger's import (preview, confirm, a bad file refused) and export."""

import datetime
import io

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from import_export.formats.base_formats import CSV, XLSX
from import_export.tmp_storages import TempFolderStorage

from cases.models import Case, CaseEvent
from cases.tests.factories import CaseFactory, SubCategoryFactory
from teams.tests.factories import CadreFactory, SubgroupFactory, TeamFactory, VisitFactory
from villages.tests.factories import VillageFactory

XLSX_FORMAT, CSV_FORMAT = "0", "1"  # CaseAdmin.formats
HEADERS = ["反映日期", "村（社区）", "驻点团队", "问题小类", "公示摘要", "状态", "办结方式", "办结日期", "办理结果"]


@pytest.fixture
def ledger(db):
    # A fixed code: the factory's sequence outgrows 12 digits in a long test session.
    team = TeamFactory(number=5, village=VillageFactory(code="440781104205"))
    sub = SubCategoryFactory(code="0401")
    return {"team": team, "village": team.village, "sub": sub}


def row(ledger, **changes) -> list[str]:
    values = {
        "反映日期": "2015-01-15",
        "村（社区）": ledger["village"].code,
        "驻点团队": "5",
        "问题小类": "0401",
        "公示摘要": "垃圾清运不及时",
        "状态": "已办结",
        "办结方式": "现场解决",
        "办结日期": "2015-01-15",
        "办理结果": "已联系保洁员清运",
    }
    values.update(changes)
    return [values[h] for h in HEADERS]


def upload(rows, file_format: str) -> SimpleUploadedFile:
    dataset = tablib.Dataset(*rows, headers=HEADERS)
    if file_format == XLSX_FORMAT:
        return SimpleUploadedFile("台账.xlsx", XLSX().export_data(dataset))
    return SimpleUploadedFile("台账.csv", dataset.export("csv").encode("utf-8-sig"))


IMPORT_URL = "/admin/cases/case/import/"
PROCESS_URL = "/admin/cases/case/process_import/"


# Who may reach the admin


@pytest.mark.parametrize("persona", ["cadre_client", "office_client", "supervisor_client", "client"])
def test_admin_refuses_users_who_are_not_staff(request, persona, db):
    client = request.getfixturevalue(persona)

    for url in ("/admin/", "/admin/cases/case/", IMPORT_URL):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"/admin/login/?next={url}")


def test_admin_index_lists_every_model_for_a_superuser(admin_client):
    response = admin_client.get("/admin/")

    page = response.content.decode()
    assert "台山市驻点直联工作台账 · 管理后台" in page
    for name in ["村（社区）", "干部", "驻点团队", "小组", "驻点走访", "辅助团队成员", "问题大类", "问题小类"]:
        assert f">{name}</a>" in page
    for name in ["编号序列", "问题", "办理记录", "反馈", "协助请求"]:
        assert f">{name}</a>" in page


# Changelists: the same number of queries for 1 and for 6 rows


@pytest.mark.parametrize("count", [1, 6])
def test_admin_case_changelist_query_count_is_constant(admin_client, count, django_assert_num_queries):
    cadre = CadreFactory()
    for _ in range(count):
        CaseFactory(
            team=cadre.team, responsible=cadre, subcategory=(sub := SubCategoryFactory()), category=sub.category
        )

    with django_assert_num_queries(10):
        response = admin_client.get("/admin/cases/case/")

    page = response.content.decode()
    assert page.count('class="field-number"') == count
    assert f"{count} 问题" in page


@pytest.mark.parametrize("count", [1, 6])
def test_admin_team_changelist_query_count_is_constant(admin_client, count, django_assert_num_queries):
    for _ in range(count):
        team = TeamFactory()
        team.leader = CadreFactory(team=team)
        team.liaison = CadreFactory(team=team)
        team.save()
        SubgroupFactory(team=team)

    with django_assert_num_queries(5):
        response = admin_client.get("/admin/teams/team/")

    page = response.content.decode()
    assert page.count('<td class="field-member_count">2</td>') == count
    assert page.count('<td class="field-subgroup_count">1</td>') == count


@pytest.mark.parametrize("count", [1, 6])
def test_admin_visit_changelist_query_count_is_constant(admin_client, count, django_assert_num_queries):
    team = TeamFactory()
    for week in range(count):
        VisitFactory(team=team, date=datetime.date(2015, 1, 8) + datetime.timedelta(weeks=week))

    with django_assert_num_queries(9):
        response = admin_client.get("/admin/teams/visit/")

    assert response.content.decode().count('class="field-households_visited">20</td>') == count


@pytest.mark.parametrize("count", [1, 6])
def test_admin_cadre_changelist_query_count_is_constant(admin_client, count, django_assert_num_queries):
    team = TeamFactory()
    CadreFactory.create_batch(count, team=team, position="镇干部")

    with django_assert_num_queries(6):
        response = admin_client.get("/admin/teams/cadre/")

    assert response.content.decode().count('<td class="field-position">镇干部</td>') == count


# The case form


def test_admin_case_form_groups_the_resident_and_shows_the_number_read_only(admin_client, ledger):
    case = CaseFactory(team=ledger["team"])

    response = admin_client.get(f"/admin/cases/case/{case.pk}/change/")

    page = response.content.decode()
    assert "反映人（不公示）" in page
    assert f'<div class="readonly">{case.number}</div>' in page
    assert 'name="number"' not in page
    assert 'name="status"' not in page
    assert 'name="resident_name"' in page


def test_admin_case_has_no_delete(admin_client, ledger):
    case = CaseFactory(team=ledger["team"])

    response = admin_client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()


# Import: preview, confirm, refusal


def test_admin_import_with_a_bad_row_shows_the_error_and_writes_nothing(admin_client, ledger):
    rows = [row(ledger), row(ledger, 办理结果=""), row(ledger, **{"村（社区）": "不存在村"})]

    response = admin_client.post(IMPORT_URL, {"format": XLSX_FORMAT, "import_file": upload(rows, XLSX_FORMAT)})

    page = response.content.decode()
    assert response.status_code == 200
    assert "已办结的问题须填写办理结果。" in page
    assert "没有“不存在村”这个村（社区）。" in page
    assert [r.number for r in response.context["result"].invalid_rows] == [2, 3]
    # No confirm step is offered for a file with errors.
    assert "confirm_form" not in response.context
    assert 'name="confirm"' not in page
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0


@pytest.mark.parametrize("file_format", [XLSX_FORMAT, CSV_FORMAT])
def test_admin_import_previews_then_confirms(admin_client, admin_user, ledger, file_format):
    rows = [row(ledger), row(ledger, 公示摘要="路灯损坏", 状态="已登记", 办结方式="", 办结日期="", 办理结果="")]

    preview = admin_client.post(IMPORT_URL, {"format": file_format, "import_file": upload(rows, file_format)})

    assert 'name="confirm"' in preview.content.decode()
    assert "路灯损坏" in preview.content.decode()
    assert Case.objects.count() == 0

    confirm = preview.context["confirm_form"].initial
    response = admin_client.post(PROCESS_URL, confirm, follow=True)

    assert response.redirect_chain == [("/admin/cases/case/", 302)]
    assert sorted(Case.objects.values_list("number", "title", "status")) == [
        ("SH-2015-0001", "垃圾清运不及时", "closed"),
        ("SH-2015-0002", "路灯损坏", "registered"),
    ]
    assert list(CaseEvent.objects.values_list("kind", "author")) == [("imported", admin_user.pk)] * 2


def test_admin_confirm_of_a_file_that_no_longer_imports_writes_nothing(admin_client, ledger):
    # The confirm step imports the stored file again: rows that turned bad since the preview
    # (or a forged confirm) must not be half written.
    storage = TempFolderStorage()
    storage.save(upload([row(ledger), row(ledger, 办结日期="")], CSV_FORMAT).read())

    response = admin_client.post(
        PROCESS_URL,
        {"import_file_name": storage.name, "original_file_name": "台账.csv", "format": CSV_FORMAT, "resource": "0"},
        follow=True,
    )

    assert response.redirect_chain == [(IMPORT_URL, 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "导入未完成，没有写入任何数据。第2行 办结日期：已办结的问题须填写办结日期。"
    ]
    assert Case.objects.count() == 0


# Export


def test_admin_export_csv_has_chinese_headers_and_a_byte_order_mark(admin_client, ledger):
    CaseFactory(number="SH-2015-0009", team=ledger["team"])

    response = admin_client.post("/admin/cases/case/export/", {"format": CSV_FORMAT, "caseresource_number": "on"})

    assert response["Content-Type"] == "text/csv"
    assert response.content.startswith("\ufeff".encode())
    dataset = CSV(encoding="utf-8-sig").create_dataset(response.content)
    assert dataset.headers == ["编号"]
    assert dataset.dict == [{"编号": "SH-2015-0009"}]


def test_admin_export_xlsx_imports_again_unchanged(admin_client, ledger):
    CaseFactory(number="SH-2015-0009", team=ledger["team"], closed=True)
    fields = {f"caseresource_{name}": "on" for name in ["number", "raised_on", "village", "status", "result"]}

    response = admin_client.post("/admin/cases/case/export/", {"format": XLSX_FORMAT, **fields})

    dataset = XLSX().create_dataset(io.BytesIO(response.content).read())
    assert dataset.headers == ["编号", "反映日期", "村（社区）", "状态", "办理结果"]
    assert dataset.dict[0]["状态"] == "已办结"


def inline_management(**totals) -> dict[str, str]:
    data = {}
    for prefix in ("events", "feedback", "referrals"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": str(totals.get(prefix, 0))})
    return data


def test_admin_add_case_registers_it_with_a_number_and_history(admin_client, admin_user, ledger):
    data = {
        "raised_on": "2015-01-15",
        "village": ledger["village"].pk,
        "team": ledger["team"].pk,
        "channel": "phone",
        "kind": "help",
        "title": "路灯损坏",
        "public_posting": "on",
        **inline_management(),
    }

    response = admin_client.post("/admin/cases/case/add/", data)

    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.number, case.status, case.created_by) == ("SH-2015-0001", "registered", admin_user)
    event = case.events.get()
    assert (event.kind, event.text, event.data) == ("registered", "", {"code": "registered_admin"})
    assert event.shown_text == "在管理后台登记。"


def test_admin_change_case_writes_an_edited_event(admin_client, admin_user, ledger):
    case = CaseFactory(team=ledger["team"], title="旧摘要")
    CaseEvent.objects.create(case=case, kind="registered")
    data = {
        "raised_on": "2015-01-08",
        "village": case.village.pk,
        "team": case.team.pk,
        "channel": case.channel,
        "kind": case.kind,
        "resident_name": case.resident_name,
        "resident_phone": case.resident_phone,
        "resident_address": case.resident_address,
        "title": "新摘要",
        "description": case.description,
        "public_posting": "on",
        **inline_management(events=1),
        "events-0-id": CaseEvent.objects.get().pk,
        "events-0-case": case.pk,
    }

    response = admin_client.post(f"/admin/cases/case/{case.pk}/change/", data)

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.title, case.version, case.status) == ("新摘要", 2, "registered")
    event = case.events.get(kind="edited")
    assert (event.author, event.text, event.public) == (admin_user, "", False)
    assert (event.data, event.shown_text) == ({"code": "admin_edit", "fields": ["title"]}, "在管理后台修改：公示摘要。")


def test_admin_shows_history_lines_as_the_reader_reads_them(admin_client, ledger):
    case = CaseFactory(team=ledger["team"])
    event = CaseEvent.objects.create(
        case=case, kind="closed", text="路灯已修好", data={"code": "closed", "closure": "solved"}
    )

    pages = [
        admin_client.get("/admin/cases/caseevent/"),
        admin_client.get(f"/admin/cases/caseevent/{event.pk}/change/"),
        admin_client.get(f"/admin/cases/case/{case.pk}/change/"),
    ]

    for response in pages:
        assert response.status_code == 200
        assert "已解决：路灯已修好" in response.content.decode()
