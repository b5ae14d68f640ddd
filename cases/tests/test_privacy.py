"""The one checker of public text (cases/privacy.py), on the forms and in the workflow; and sensitive
cases kept off the board unless the office decides otherwise on purpose."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases import workflow
from cases.models import Case
from cases.privacy import check_public_text, find_private, strip_private
from cases.tests.factories import CaseFactory, CategoryFactory, SubCategoryFactory
from teams.tests.factories import CadreFactory


@pytest.mark.parametrize(
    "text, names, found, stripped",
    [
        ("申请低保，家中老人长期患病（上官家）", [], ["household:（上官家）"], "申请低保，家中老人长期患病"),
        ("测试人家低保 13700009999", ["测试人"], ["name:测试人", "phone:13700009999"], "群众家低保"),
        (
            "陈大文反映东坊8号屋后水渠堵塞，电话137 0000 9999",
            ["陈大文"],
            ["name:陈大文", "house_number:东坊8号", "phone:137 0000 9999"],
            "群众反映屋后水渠堵塞",
        ),
        ("身份证440781198001011234申请补助", [], ["id_number:440781198001011234"], "身份证申请补助"),
        ("银行卡6222 0000 1111 2222未到账", [], ["bank_card:6222 0000 1111 2222"], "银行卡未到账"),
        ("陈伯家门口村道破损", [], ["household:陈伯家"], "门口村道破损"),
        ("联系0750-5524538", [], ["phone:0750-5524538"], ""),
        ("陈某某家门前水渠", [], ["household:陈某某家"], "门前水渠"),
        ("请回电１３７－０００９－９９９９", [], ["phone:１３７－０００９－９９９９"], "请回电"),
        # Not private: dates, numbered sluices, a place named after a family, the resident's surname alone.
        ("2015-01-08已修好，3号水闸损坏", [], [], "2015-01-08已修好，3号水闸损坏"),
        ("陈家村村道硬底化", ["陈大文"], [], "陈家村村道硬底化"),
        ("水渠年久失修", ["陈大文"], [], "水渠年久失修"),
    ],
)
def test_private_text_is_found_and_stripped(text, names, found, stripped):
    assert [f"{f.kind}:{f.text}" for f in find_private(text, names=names)] == found
    assert strip_private(text, names=names)[0] == stripped


def test_check_public_text_says_what_to_take_out():
    with pytest.raises(ValidationError) as refused:
        check_public_text("陈大文家低保 137 0000 9999", names=["陈大文"])

    assert refused.value.messages == ["这段文字会在村公开栏公开，请删去其中的姓名“陈大文”、电话号码“137 0000 9999”。"]


# -- The forms: every public text through the checker ------------------------------------------


@pytest.fixture
def case(team):
    return CaseFactory(team=team, resident_name="黄大明", resident_phone="13912345678")


def post_action(client, case, action, data):
    url = reverse(
        f"cases:{ {'add_progress': 'progress', 'edit_case': 'edit', 'close': 'close'}[action] }", args=[case.number]
    )
    return client.post(url, {"version": case.version, **data})


def test_public_progress_naming_the_resident_is_refused(cadre_client, case):
    response = post_action(
        cadre_client, case, "add_progress", {"text": "黄大明家低保 13700009999 已上报", "public": "1"}
    )

    assert response.status_code == 400
    assert "请删去其中的姓名“黄大明”、电话号码“13700009999”" in response.content.decode()
    assert not case.events.filter(kind="progress").exists()


def test_internal_progress_may_name_the_resident(cadre_client, case):
    response = post_action(cadre_client, case, "add_progress", {"text": "已电话联系黄大明 13700009999", "public": "0"})

    assert response.status_code == 302
    assert case.events.get(kind="progress").public is False


def edit_data(case, **changes):
    data = {
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
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_editing_a_summary_to_name_the_resident_is_refused(cadre_client, case):
    response = post_action(cadre_client, case, "edit_case", edit_data(case, title="测试人家低保 13700009999"))

    assert response.status_code == 400
    assert "电话号码“13700009999”" in response.content.decode()
    case.refresh_from_db()
    assert case.title == "水渠年久失修"


def test_closing_with_a_result_that_names_the_resident_is_refused(office_client, case):
    workflow.triage(
        case=case,
        decision=Case.Decision.HANDLE_NOW,
        responsible=CadreFactory(team=case.team),
        due_on=datetime.date(2015, 1, 30),
        by=None,
        expected_version=case.version,
    )
    case.refresh_from_db()

    response = post_action(
        office_client,
        case,
        "close",
        {"closure": "solved", "result": "已为黄大明家修好水渠", "closed_on": "2015-01-20"},
    )

    assert response.status_code == 400
    assert "姓名“黄大明”" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS


# -- Sensitive cases ------------------------------------------------------------------------------


@pytest.fixture
def dibao(db):
    return SubCategoryFactory(label="贫困户帮扶/低保保障", sensitive=True, category=CategoryFactory(label="民生保障"))


@pytest.fixture
def sensitive_case(team, dibao):
    case = Case(
        village=team.village,
        team=team,
        raised_on=datetime.date(2015, 1, 8),
        category=dibao.category,
        subcategory=dibao,
        title="询问办理条件",
        public_posting=True,  # as the cadre's form leaves it ticked
    )
    return workflow.register_case(case=case)


def test_a_sensitive_case_is_registered_without_public_detail(sensitive_case):
    sensitive_case.refresh_from_db()

    assert sensitive_case.public_posting is False


def test_a_sensitive_word_keeps_a_case_private_whatever_its_category(team):
    case = Case(village=team.village, team=team, raised_on=datetime.date(2015, 1, 8), title="申请低保，询问条件")

    workflow.register_case(case=case)

    assert Case.objects.get(pk=case.pk).public_posting is False


def test_a_cadre_cannot_post_a_sensitive_case(cadre_client, sensitive_case):
    data = edit_data(
        sensitive_case,
        category=str(sensitive_case.category_id),
        subcategory=str(sensitive_case.subcategory_id),
        public_posting="on",
        confirm_sensitive_posting="on",
    )

    response = post_action(cadre_client, sensitive_case, "edit_case", data)

    assert response.status_code == 400
    assert "只能由党政办决定是否公示内容" in response.content.decode()
    sensitive_case.refresh_from_db()
    assert sensitive_case.public_posting is False


def test_the_office_posts_a_sensitive_case_only_when_it_confirms(office_client, sensitive_case):
    data = edit_data(
        sensitive_case,
        category=str(sensitive_case.category_id),
        subcategory=str(sensitive_case.subcategory_id),
        public_posting="on",
    )

    unconfirmed = post_action(office_client, sensitive_case, "edit_case", data)
    confirmed = post_action(office_client, sensitive_case, "edit_case", {**data, "confirm_sensitive_posting": "on"})

    assert unconfirmed.status_code == 400
    assert "请勾选“确认公示”" in unconfirmed.content.decode()
    assert confirmed.status_code == 302
    sensitive_case.refresh_from_db()
    assert sensitive_case.public_posting is True
    decision = sensitive_case.events.get(kind="edited")
    assert "决定公示涉及敏感个人信息的问题内容（“贫困户帮扶/低保保障”属于敏感类别）" in decision.shown_text


def test_the_board_shows_no_detail_of_a_sensitive_case(client, sensitive_case):
    body = client.get(reverse("board:village", args=[sensitive_case.village.code])).content.decode()

    assert sensitive_case.number in body
    assert "询问办理条件" not in body


@pytest.mark.django_db
def test_each_new_case_is_checked_against_its_own_resident_and_the_villages(django_assert_num_queries):
    from cases.privacy import public_names

    neighbour = CaseFactory(resident_name="欧阳翠萍")
    village = neighbour.village
    first = Case(village=village, resident_name="黄大明")
    second = Case(village=village, resident_name="司徒振华")

    def names_in(case, text):
        return [f.text for f in find_private(text, names=public_names(case))]

    assert names_in(first, "黄大明家门前") == ["黄大明"]
    with django_assert_num_queries(0):  # the village's residents read once, kept on the village
        assert names_in(second, "黄大明、司徒振华、欧阳翠萍") == ["司徒振华", "欧阳翠萍"]
        assert names_in(first, "司徒振华、黄家、欧阳翠萍") == ["黄家", "欧阳翠萍"]
