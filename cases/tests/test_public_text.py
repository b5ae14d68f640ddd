"""One rule for everything public (issue 11): every save path of a text the board shows refuses
what identifies a resident, with the same message, and saves nothing.

The table: each save path × each kind of private text. A resident of ANOTHER village is not
refused: the check knows the case's own resident and the residents of its village (one bounded
query); nobody reading this village's board knows the other villages' residents by name, and the
whole town's names would refuse ordinary words far more often."""

import datetime
import io

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import Workbook

from cases import workflow
from cases.ledger import import_ledger, read_ledger
from cases.models import Case, CaseEvent
from cases.resources import CaseResource
from cases.tests.factories import CaseFactory, CategoryFactory, SubCategoryFactory
from teams.tests.factories import CadreFactory, TeamFactory, UserFactory, VisitFactory

CLEAN = "村口水渠年久失修"
NEIGHBOUR, STRANGER = "欧阳翠萍", "司徒振华"

# (id, private text, what the message names): each put in front of "门前水渠堵塞".
PRIVATE = [
    ("own_name", "黄大明", "姓名“黄大明”"),
    ("neighbour", NEIGHBOUR, f"姓名“{NEIGHBOUR}”"),
    ("someone_household", "陈某某家", "户名“陈某某家”"),
    ("bracket_household", "（李家）", "户名“（李家）”"),
    ("phone_spaces", "137 0000 9999", "电话号码“137 0000 9999”"),
    ("phone_dashes", "137-0000-9999", "电话号码“137-0000-9999”"),
    ("phone_full_width", "１３７００００９９９９", "电话号码“１３７００００９９９９”"),
    ("id_number_x", "44078119800101123X", "身份证号“44078119800101123X”"),
    ("bank_card", "6222 0000 1111 2222", "银行卡号“6222 0000 1111 2222”"),
    ("house_number", "东坊12号", "门牌号“东坊12号”"),
]


@pytest.fixture
def world(team):
    """The case (resident 黄大明), a neighbour's case in the same village, a stranger's elsewhere."""
    case = CaseFactory(team=team, resident_name="黄大明", resident_phone="13912345678")
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.REGISTERED, public=True)
    CaseFactory(team=team, resident_name=NEIGHBOUR)
    CaseFactory(team=TeamFactory(), resident_name=STRANGER)
    return case


def _url(name: str, case: Case) -> str:
    return reverse(f"cases:{name}", args=[case.number])


def _in_progress(case: Case) -> Case:
    workflow.triage(case=case, decision=Case.Decision.HANDLE_NOW, responsible=CadreFactory(team=case.team), by=None)
    return Case.objects.get(pk=case.pk)


def _closed(case: Case) -> Case:
    case = _in_progress(case)
    workflow.close(
        case=case, closure=Case.Closure.SOLVED, result="已维修", closed_on=datetime.date(2015, 1, 20), by=None
    )
    return Case.objects.get(pk=case.pk)


def _edit_data(case: Case, **changes) -> dict:
    data = {
        "version": case.version,
        "title": case.title,
        "description": case.description,
        "category": "",
        "subcategory": "",
        "kind": case.kind,
        "channel": case.channel,
        "raised_on": case.raised_on.isoformat(),
        "resident_name": case.resident_name,
        "resident_phone": case.resident_phone,
        "resident_address": case.resident_address,
        "public_posting": "on" if case.public_posting else "",
    }
    return data | changes


def _admin_data(case: Case, **changes) -> dict:
    data = {
        "raised_on": case.raised_on.isoformat(),
        "village": case.village_id,
        "team": case.team_id,
        "channel": case.channel,
        "kind": case.kind,
        "resident_name": case.resident_name,
        "resident_phone": case.resident_phone,
        "resident_address": case.resident_address,
        "title": case.title,
        "description": case.description,
        "public_posting": "on" if case.public_posting else "",
        "result": case.result,
    }
    for prefix in ("events", "feedback", "referrals"):
        total = {"events": case.events.count()}.get(prefix, 0)
        data |= {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(total)}
    for index, event in enumerate(case.events.all()):
        data |= {f"events-{index}-id": event.pk, f"events-{index}-case": case.pk}
    return data | changes


def _problem_data(**changes) -> dict:
    data = {
        "resident_name": "黄大明",
        "resident_phone": "139 1234 5678",
        "resident_address": "东坑村",
        "channel": "household",
        "kind": "help",
        "category_choice": "",
        "title": "村口路灯不亮",
        "description": "三盏路灯坏了两个月",
        "public_posting": "on",
        "result": "",
        "nonce": "",
    }
    return data | changes


# Each save path: post TEXT where the board would show it; returns (response, whether TEXT was saved).


def cadre_problem_title(c, case, text):
    visit = VisitFactory(team=case.team, village=case.village)
    response = c.cadre.post(reverse("problem_add", args=[visit.pk]), _problem_data(title=text))
    return response, Case.objects.filter(title=text).exists()


def cadre_problem_result(c, case, text):
    visit = VisitFactory(team=case.team, village=case.village)
    response = c.cadre.post(reverse("problem_add", args=[visit.pk]), _problem_data(on_the_spot="on", result=text))
    return response, Case.objects.filter(result=text).exists()


def edit_summary(c, case, text):
    response = c.cadre.post(_url("edit", case), _edit_data(case, title=text))
    return response, Case.objects.filter(title=text).exists()


def public_progress(c, case, text):
    response = c.cadre.post(_url("progress", case), {"version": case.version, "text": text, "public": "1"})
    return response, CaseEvent.objects.filter(text=text).exists()


def close_result(c, case, text):
    case = _in_progress(case)
    data = {"version": case.version, "closure": "solved", "result": text, "closed_on": "2015-01-20", "confirm": "on"}
    response = c.office.post(_url("close", case), data)
    return response, Case.objects.filter(result=text).exists()


def reopen_reason(c, case, text):
    case = _closed(case)
    response = c.office.post(_url("reopen", case), {"version": case.version, "reason": text})
    return response, CaseEvent.objects.filter(text__contains=text).exists()


def triage_department(c, case, text):
    data = {"version": case.version, "decision": "explain", "policy_basis": "按政策解释", "explaining_department": text}
    response = c.office.post(_url("triage", case), data)
    return response, Case.objects.filter(explaining_department=text).exists()


def admin_summary(c, case, text):
    response = c.admin.post(reverse("admin:cases_case_change", args=[case.pk]), _admin_data(case, title=text))
    return response, Case.objects.filter(title=text).exists()


def admin_result(c, case, text):
    case = _closed(case)
    response = c.admin.post(reverse("admin:cases_case_change", args=[case.pk]), _admin_data(case, result=text))
    return response, Case.objects.filter(result=text).exists()


PATHS = [
    cadre_problem_title,
    cadre_problem_result,
    edit_summary,
    public_progress,
    close_result,
    reopen_reason,
    triage_department,
    admin_summary,
    admin_result,
]
REFUSED_STATUS = {cadre_problem_title: 200, cadre_problem_result: 200, admin_summary: 200, admin_result: 200}


class Clients:
    def __init__(self, cadre, office, admin):
        self.cadre, self.office, self.admin = cadre, office, admin


@pytest.fixture
def clients(cadre_client, office_client, admin_client):
    return Clients(cadre_client, office_client, admin_client)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
@pytest.mark.parametrize(("private", "named"), [p[1:] for p in PRIVATE], ids=[p[0] for p in PRIVATE])
def test_private_text_is_refused_on_every_save_path(clients, world, path, private, named):
    text = f"{private}门前水渠堵塞"

    response, saved = path(clients, world, text)

    assert response.status_code == REFUSED_STATUS.get(path, 400)
    assert f"请删去其中的{named}" in response.content.decode()
    assert saved is False


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.__name__)
@pytest.mark.parametrize(
    "text",
    [CLEAN, "督查抽查记录第12号：2015-01-08已修好3号水闸", f"{STRANGER}门前水渠堵塞"],
    ids=["clean", "ordinal_date_sluice", "another_villages_resident"],
)
def test_text_without_anything_private_here_is_saved_on_every_save_path(clients, world, path, text):
    response, saved = path(clients, world, text)

    assert response.status_code == 302
    assert saved is True


# -- Paths without a form: the workflow itself, the model, the ledger import ---------------------


@pytest.mark.parametrize(("private", "named"), [p[1:] for p in PRIVATE], ids=[p[0] for p in PRIVATE])
def test_the_workflow_refuses_a_public_progress_line_without_a_form(world, private, named):
    with pytest.raises(ValidationError) as refused:
        workflow.add_progress(case=world, text=f"{private}门前水渠堵塞", public=True, by=None)

    assert f"请删去其中的{named}" in refused.value.message_dict["text"][0]
    assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.PROGRESS).exists()


@pytest.mark.parametrize(("private", "named"), [p[1:] for p in PRIVATE], ids=[p[0] for p in PRIVATE])
def test_a_public_line_of_history_is_checked_by_its_model(world, private, named):
    # The admin's history inline and CaseEvent admin are read-only; anything that full_cleans a
    # public line gets the same refusal.
    event = CaseEvent(case=world, kind=CaseEvent.Kind.PROGRESS, text=f"{private}门前水渠堵塞", public=True)

    with pytest.raises(ValidationError) as refused:
        event.full_clean()

    assert f"请删去其中的{named}" in refused.value.message_dict["text"][0]


def test_an_internal_line_of_history_may_name_the_resident(world):
    CaseEvent(case=world, kind=CaseEvent.Kind.PROGRESS, text="已电话联系黄大明 13700009999", public=False).full_clean()


def _ledger(title: str) -> io.BytesIO:
    book = Workbook()
    book.active.append(["村(社区)", "反映人", "联系电话", "问题类别", "诉求内容", "反映时间", "是否办结"])
    book.active.append([VILLAGE_NAME, "黄大明", "13912345678", "农田水利建设", title, "2015年1月8日", "正在处理"])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


VILLAGE_NAME = "东联村"


@pytest.fixture
def ledger_world(db):
    team = TeamFactory(village__short_name=VILLAGE_NAME, village__name="东联村委会", village__code="440781104201")
    SubCategoryFactory(category=CategoryFactory(code="03", label="农田水利建设"), label="水渠年久失修")
    # A number of its own: the imports number theirs from SH-2015-0001.
    CaseFactory(team=team, resident_name=NEIGHBOUR, number="SH-2014-0001")
    return team


@pytest.mark.parametrize(
    ("private", "named"),
    [p[1:] for p in PRIVATE if p[0] != "neighbour"],
    ids=[p[0] for p in PRIVATE if p[0] != "neighbour"],
)
def test_the_ledger_import_takes_private_text_out_of_the_summary(ledger_world, private, named):
    plan = read_ledger(_ledger(f"{private}门前水渠堵塞"), filename="台账.xlsx")

    result = import_ledger(plan)

    (case,) = result.created
    assert private not in case.title
    assert case.title.endswith("门前水渠堵塞")


def test_the_ledger_import_strips_a_neighbour_only_the_database_knows(ledger_world):
    # Another resident of the row's village, named in no row of this ledger: the preview already
    # shows the summary without the name, and the import writes it so.
    plan = read_ledger(_ledger(f"{NEIGHBOUR}门前水渠堵塞"), filename="台账.xlsx")

    (row,) = plan.to_import
    result = import_ledger(plan)

    assert NEIGHBOUR not in row.values["title"]
    (case,) = result.created
    assert NEIGHBOUR not in case.title and case.title.endswith("门前水渠堵塞")


@pytest.mark.parametrize(("private", "named"), [p[1:] for p in PRIVATE], ids=[p[0] for p in PRIVATE])
def test_the_admins_file_import_refuses_a_private_summary(ledger_world, private, named):
    # The admin's csv/xlsx import (cases/resources.py) full_cleans every row: Case.clean refuses.
    headers = ["编号", "反映日期", "村（社区）", "驻点团队", "公示摘要", "反映人", "状态"]
    row = ["", "2015-01-08", VILLAGE_NAME, str(ledger_world.number), f"{private}门前水渠堵塞", "黄大明", "已登记"]

    result = CaseResource().import_data(tablib.Dataset(row, headers=headers), user=UserFactory())

    (invalid,) = result.invalid_rows
    assert f"请删去其中的{named}" in invalid.error_dict["公示摘要"][0]
    assert Case.objects.count() == 1


# -- Sensitive cases: posting them is the office's decision on the case page ---------------------


@pytest.fixture
def dibao_case(team):
    dibao = SubCategoryFactory(label="贫困户帮扶/低保保障", sensitive=True)
    case = Case(
        village=team.village, team=team, raised_on=datetime.date(2015, 1, 8), title="询问办理条件", public_posting=True
    )
    case.category, case.subcategory = dibao.category, dibao
    return workflow.register_case(case=case)


def test_the_admin_cannot_post_a_sensitive_case(admin_client, dibao_case):
    data = _admin_data(dibao_case, category=dibao_case.category_id, subcategory=dibao_case.subcategory_id)
    data["public_posting"] = "on"

    response = admin_client.post(reverse("admin:cases_case_change", args=[dibao_case.pk]), data)

    assert response.status_code == 200
    assert "涉及敏感个人信息，默认不公示内容" in response.content.decode()
    dibao_case.refresh_from_db()
    assert dibao_case.public_posting is False


def test_the_admin_may_change_a_sensitive_case_the_office_posted_on_purpose(admin_client, office_user, dibao_case):
    workflow.edit_case(
        case=dibao_case,
        changes={"public_posting": True},
        by=office_user,
        expected_version=dibao_case.version,
        confirm_sensitive_posting=True,
    )
    dibao_case.refresh_from_db()
    data = _admin_data(dibao_case, category=dibao_case.category_id, subcategory=dibao_case.subcategory_id)
    data["description"] = "补充内部记录"

    response = admin_client.post(reverse("admin:cases_case_change", args=[dibao_case.pk]), data)

    assert response.status_code == 302
    dibao_case.refresh_from_db()
    assert (dibao_case.public_posting, dibao_case.description) == (True, "补充内部记录")


def test_checking_a_post_looks_the_village_up_once(cadre_client, world, django_assert_max_num_queries):
    # The check runs on POST only; the village's residents are read in one query however many
    # texts are checked (the form, then the workflow on the locked row).
    response = cadre_client.post(_url("progress", world), {"version": world.version, "text": CLEAN, "public": "1"})
    assert response.status_code == 302
    with django_assert_max_num_queries(100) as captured:
        cadre_client.post(_url("progress", world), {"version": world.version, "text": CLEAN, "public": "1"})

    lookups = [q["sql"] for q in captured.captured_queries if "DISTINCT" in q["sql"] and "resident_name" in q["sql"]]
    assert len(lookups) == 1
