import datetime

import pytest
from django.utils import timezone

from cases.models import Case, CaseEvent
from cases.tests.factories import CaseFactory, SubCategoryFactory
from cases.visit_forms import default_visit_date
from teams.models import Visit
from teams.tests.factories import SubgroupFactory, UserFactory, VisitFactory
from teams.tests.summary import autofocused, summary_at_top, summary_links

DAY = default_visit_date()  # the latest Thursday: what the form offers
YEAR = DAY.year


def number(serial: int) -> str:
    return f"SH-{YEAR}-{serial:04d}"


@pytest.fixture
def visit(team):
    return VisitFactory(team=team, date=DAY, briefing_notes="本队碰头会记录")


@pytest.fixture
def other_visit(other_team):
    return VisitFactory(team=other_team, date=DAY, briefing_notes="别队碰头会记录")


@pytest.fixture
def canal(db):
    return SubCategoryFactory(label="水渠年久失修", category__label="农田水利建设")


def problem_data(**changes) -> dict:
    data = {
        "resident_name": "陈大伯",
        "resident_phone": "139 1234 5678",
        "resident_address": "东坑村",
        "channel": "household",
        "kind": "help",
        "category_choice": "",
        "title": "村口路灯不亮",
        "description": "三盏路灯坏了两个月",
        "public_posting": "on",
        "result": "",
        "nonce": "n" * 32,
    }
    return data | changes


def visit_data(**changes) -> dict:
    data = {
        "date": DAY.isoformat(),
        "off_day_reason": "",
        "households_visited": "23",
        "key_people": "五保户李婆婆",
        "briefing_notes": "与村两委碰头，重点走访东坑",
        "summary": "",
    }
    return data | changes


# -- the default date ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2015, 1, 8), datetime.date(2015, 1, 8)),  # Thursday: today
        (datetime.date(2015, 1, 9), datetime.date(2015, 1, 8)),  # Friday
        (datetime.date(2015, 1, 11), datetime.date(2015, 1, 8)),  # Sunday
        (datetime.date(2015, 1, 12), datetime.date(2015, 1, 8)),  # Monday: this Thursday has not come yet
        (datetime.date(2015, 1, 14), datetime.date(2015, 1, 8)),  # Wednesday
    ],
)
def test_default_visit_date_is_the_latest_thursday(today, expected):
    assert default_visit_date(today) == expected


# -- who may see and do what ---------------------------------------------------------------

ACCESS = [
    # persona, method, url, expected status, the visit whose briefing notes the page shows (or None)
    ("client", "get", "/visits/", 302, None),
    ("cadre_client", "get", "/visits/{own}/", 200, "own"),
    ("cadre_client", "get", "/visits/{other}/", 404, None),
    ("office_client", "get", "/visits/{other}/", 200, "other"),
    ("supervisor_client", "get", "/visits/{own}/", 200, "own"),
    ("client", "get", "/visits/{own}/", 302, None),
    ("cadre_client", "get", "/visits/{own}/edit/", 200, "own"),
    ("cadre_client", "get", "/visits/{other}/edit/", 404, None),
    ("cadre_client", "post", "/visits/{other}/edit/", 404, None),
    ("office_client", "get", "/visits/{own}/edit/", 200, "own"),
    ("supervisor_client", "get", "/visits/{own}/edit/", 403, None),
    ("supervisor_client", "post", "/visits/{own}/edit/", 403, None),
    ("cadre_client", "post", "/visits/{own}/problems/", 200, "own"),  # an empty form: errors shown
    ("cadre_client", "post", "/visits/{other}/problems/", 404, None),
    ("office_client", "post", "/visits/{other}/problems/", 200, "other"),
    ("supervisor_client", "post", "/visits/{own}/problems/", 403, None),
    ("client", "post", "/visits/{own}/problems/", 302, None),
    ("cadre_client", "get", "/visits/{own}/problems/", 405, None),
    ("office_client", "get", "/visits/{own}/problems/", 405, None),
    ("client", "get", "/visits/{own}/problems/", 405, None),
    ("cadre_client", "get", "/visits/new/", 200, None),
    ("office_client", "get", "/visits/new/", 403, None),
    ("supervisor_client", "get", "/visits/new/", 403, None),
    ("client", "get", "/visits/new/", 302, None),
]


@pytest.mark.parametrize(("persona", "method", "url", "status", "shows"), ACCESS)
def test_visit_views_check_role_and_team(request, visit, other_visit, persona, method, url, status, shows):
    client = request.getfixturevalue(persona)
    url = url.format(own=visit.pk, other=other_visit.pk)

    response = getattr(client, method)(url)

    page = response.content.decode()
    notes = {"own": "本队碰头会记录", "other": "别队碰头会记录"}
    assert response.status_code == status
    assert [name for name, text in notes.items() if text in page] == ([shows] if shows else [])
    if status == 302:
        assert response["Location"] == f"/accounts/login/?next={url}"


def test_visit_list_shows_a_cadre_only_their_teams_visits(cadre_client, visit, other_visit):
    page = cadre_client.get("/visits/").content.decode()

    assert f'href="/visits/{visit.pk}/"' in page
    assert f'href="/visits/{other_visit.pk}/"' not in page
    assert 'href="/visits/new/">记录驻点</a>' in page


@pytest.mark.parametrize("persona", ["office_client", "supervisor_client"])
def test_visit_list_shows_office_and_supervisors_every_team(request, visit, other_visit, persona):
    page = request.getfixturevalue(persona).get("/visits/").content.decode()

    assert (f'href="/visits/{visit.pk}/"' in page, f'href="/visits/{other_visit.pk}/"' in page) == (True, True)
    assert 'href="/visits/new/"' not in page


def test_visit_list_counts_problems_and_solved_on_the_spot(cadre_client, visit):
    CaseFactory(team=visit.team, visit=visit, raised_on=DAY)
    CaseFactory(
        team=visit.team, visit=visit, raised_on=DAY, closed=True, closure="on_the_spot", closed_on=DAY, result="已修"
    )

    page = cadre_client.get("/visits/").content.decode()

    assert "走访 20 户 · 问题 2 个（现场解决 1 个）" in page


@pytest.mark.parametrize("n", [1, 5])
def test_visit_list_query_count_is_constant(office_client, team, django_assert_num_queries, n):
    groups = [SubgroupFactory(team=team) for _ in range(2)]
    for i in range(n):
        v = VisitFactory(team=team, date=datetime.date(2015, 1, 8) + datetime.timedelta(weeks=i))
        v.subgroups.set(groups)
        CaseFactory(team=team, visit=v)

    with django_assert_num_queries(6):
        response = office_client.get("/visits/")

    assert response.content.decode().count("问题 1 个（现场解决 0 个）") == n


def test_supervisor_sees_the_visit_without_the_problem_form(supervisor_client, visit):
    page = supervisor_client.get(f"/visits/{visit.pk}/").content.decode()

    assert "本队碰头会记录" in page
    assert "登记这个问题" not in page
    assert "修改驻点记录" not in page


# -- recording a visit ---------------------------------------------------------------------


def test_new_visit_form_offers_this_thursday_and_the_teams_subgroups(cadre_client, team, other_team):
    mine, theirs = SubgroupFactory(team=team, name="第一小组"), SubgroupFactory(team=other_team, name="别队小组")

    page = cadre_client.get("/visits/new/").content.decode()

    assert f'name="date" value="{DAY.isoformat()}"' in page
    assert f'value="{mine.pk}"' in page and "第一小组" in page
    assert "别队小组" not in page and theirs.name not in page


def test_recording_a_visit_saves_it_for_the_team_and_opens_it(cadre_client, cadre_user, team):
    group = SubgroupFactory(team=team, name="第二小组")

    response = cadre_client.post("/visits/new/", visit_data(village=team.village_id, subgroups=[group.pk]))

    visit = Visit.objects.get()
    assert response["Location"] == f"/visits/{visit.pk}/"
    assert (visit.team, visit.village, visit.date, visit.households_visited) == (team, team.village, DAY, 23)
    assert (visit.created_by, list(visit.subgroups.all())) == (cadre_user, [group])
    page = cadre_client.get(response["Location"]).content.decode()
    assert "驻点记录已保存。现在逐一登记群众反映的问题。" in page
    assert "登记这个问题" in page


def test_recording_a_visit_on_another_day_with_a_reason(cadre_client, team):
    friday = DAY - datetime.timedelta(days=6)

    response = cadre_client.post(
        "/visits/new/", visit_data(date=friday.isoformat(), off_day_reason="周四台风停驻", village=team.village_id)
    )

    assert response.status_code == 302
    assert Visit.objects.get().off_day_reason == "周四台风停驻"


def test_editing_a_visit_keeps_its_team(office_client, visit):
    data = visit_data(village=visit.village_id, households_visited="40", summary="东坑全覆盖")

    response = office_client.post(f"/visits/{visit.pk}/edit/", data)

    visit.refresh_from_db()
    assert response["Location"] == f"/visits/{visit.pk}/"
    assert (visit.households_visited, visit.summary, visit.team.pk) == (40, "东坑全覆盖", visit.team.pk)


TOMORROW = timezone.localdate() + datetime.timedelta(days=1)

VISIT_BAD_INPUTS = [
    ({"date": TOMORROW.isoformat()}, "驻点日期不能晚于今天。"),
    ({"date": "2014-08-28"}, "驻点日期早于直联活动开始（2014-09-01）。"),
    ({"date": "2015-13-45"}, "输入一个有效的日期。"),
    ({"date": ""}, "该字段是必填项。"),
    ({"date": (DAY - datetime.timedelta(days=1)).isoformat()}, "驻点日是周四；改在其他日子请写明原因。"),
    ({"households_visited": "-3"}, "确保该值大于或等于0。"),
    ({"households_visited": "100000"}, "走访户数 100000 太大，请核对（最多 5000 户）。"),
    ({"households_visited": "ten"}, "输入整数。"),
    ({"briefing_notes": "碰" * 2001}, "确保该变量包含不超过 2000 字符 (目前字符数 2001)。"),
    ({"off_day_reason": "因" * 201}, "确保该变量包含不超过 200 字符 (目前字符数 201)。"),
    ({"village": "99999"}, "选择一个有效的选项： 该选择不在可用的选项中。"),
]


@pytest.mark.parametrize(("changes", "message"), VISIT_BAD_INPUTS)
def test_visit_form_rejects_bad_input_in_chinese(cadre_client, team, changes, message):
    response = cadre_client.post("/visits/new/", visit_data(village=team.village_id) | changes)

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert summary_at_top(page)
    assert message in [text.partition("：")[2] or text for _target, text in summary_links(page)]
    assert len(autofocused(page)) == 1
    assert Visit.objects.count() == 0


def test_visit_form_refuses_more_households_than_the_village_has(cadre_client, team):
    response = cadre_client.post("/visits/new/", visit_data(village=team.village_id, households_visited="501"))

    assert f"走访户数（501）超过{team.village.short_name}的户数（500）。" in response.content.decode()


def test_visit_form_refuses_a_second_visit_the_same_day(cadre_client, visit):
    response = cadre_client.post("/visits/new/", visit_data(village=visit.village_id))

    page = response.content.decode()
    assert "本团队这一天在该村的驻点已经记录过了。" in page
    assert f'<a href="/visits/{visit.pk}/">打开已有的驻点记录</a>' in page


def test_visit_form_refuses_another_teams_subgroup(cadre_client, team, other_team):
    theirs = SubgroupFactory(team=other_team)

    response = cadre_client.post("/visits/new/", visit_data(village=team.village_id, subgroups=[theirs.pk]))

    assert f"选择一个有效的选项。 {theirs.pk} 不在可用的选项中。" in response.content.decode()


def test_cadre_without_a_team_cannot_record_a_visit(client, db):
    client.force_login(UserFactory(role="cadre"))

    response = client.get("/visits/new/")

    assert (response.status_code, "保存，开始登记问题" in response.content.decode()) == (403, False)


# -- problems, one after another -----------------------------------------------------------


def test_visit_then_three_problems_each_number_shown_large(cadre_client, cadre_user, visit, canal):
    earlier = CaseFactory(team=visit.team, category=canal.category, subcategory=canal, title="东坑水渠崩塌")
    url = f"/visits/{visit.pk}/problems/"

    # 1: nothing like it open in the village: saved at once.
    first = cadre_client.post(url, problem_data(nonce="a" * 32))
    assert first["Location"] == f"/visits/{visit.pk}/?saved={number(1)}#saved"
    page = cadre_client.get(first["Location"]).content.decode()
    assert f'<p class="tracking-number">{number(1)}</p>' in page
    assert "登记下一个问题" in page

    # 2: solved on the spot.
    spot = problem_data(nonce="b" * 32, title="低保政策咨询", on_the_spot="on", result="当场讲解")
    second = cadre_client.post(url, spot)
    page = cadre_client.get(second["Location"]).content.decode()
    assert f'<p class="tracking-number">{number(2)}</p>' in page
    assert "✔ 已现场解决" in page

    # 3: the same village and sub-category has an open case: warned first, saved once confirmed.
    data = problem_data(nonce="c" * 32, title="西坑水渠漏水", category_choice=f"{canal.category_id}-{canal.pk}")
    check = cadre_client.post(url, data)
    page = check.content.decode()
    assert "本村同类问题中有 1 个尚未办结，请先看是不是同一件事：" in page
    assert earlier.number in page and "东坑水渠崩塌" in page
    assert Case.objects.filter(visit=visit).count() == 2
    third = cadre_client.post(url, data | {"confirm": "1", "seen": [str(earlier.pk)]})
    page = cadre_client.get(third["Location"]).content.decode()
    assert f'<p class="tracking-number">{number(3)}</p>' in page

    cases = Case.objects.filter(visit=visit).order_by("number")
    assert [(c.number, c.title, c.status, c.closure) for c in cases] == [
        (number(1), "村口路灯不亮", "registered", ""),
        (number(2), "低保政策咨询", "closed", "on_the_spot"),
        (number(3), "西坑水渠漏水", "registered", ""),
    ]
    assert {(c.team, c.village, c.raised_on, c.created_by) for c in cases} == {
        (visit.team, visit.village, DAY, cadre_user)
    }
    assert (cases[2].category, cases[2].subcategory) == (canal.category, canal)
    assert cases[0].resident_phone == "139 1234 5678"
    spot = cases[1]
    assert (spot.result, spot.closed_on) == ("当场讲解", DAY)
    assert [(e.kind, e.shown_text, e.author_id) for e in spot.events.all()] == [
        (CaseEvent.Kind.REGISTERED, "入户走访收集", cadre_user.pk),
        (CaseEvent.Kind.CLOSED, "现场解决：当场讲解", cadre_user.pk),
    ]
    # Every problem so far is listed on the visit's page.
    listed = page.split('<ol class="problems">', 1)[1].split("</ol>", 1)[0]
    assert [n for n in (number(1), number(2), number(3)) if f">{n}</" not in listed] == []


def test_problem_sent_twice_is_registered_once(cadre_client, visit):
    url = f"/visits/{visit.pk}/problems/"

    first = cadre_client.post(url, problem_data())
    again = cadre_client.post(url, problem_data())

    assert first["Location"] == again["Location"] == f"/visits/{visit.pk}/?saved={number(1)}#saved"
    assert Case.objects.count() == 1


def test_duplicate_check_asks_again_when_the_category_changed(cadre_client, visit, canal):
    other = SubCategoryFactory(category=canal.category, label="水渠硬底化")
    CaseFactory(team=visit.team, category=canal.category, subcategory=canal)
    lined = CaseFactory(team=visit.team, category=canal.category, subcategory=other, title="要求水渠硬底化")
    seen_before = Case.objects.get(subcategory=canal)

    response = cadre_client.post(
        f"/visits/{visit.pk}/problems/",
        problem_data(category_choice=f"{canal.category_id}-{other.pk}", confirm="1", seen=[str(seen_before.pk)]),
    )

    assert "要求水渠硬底化" in response.content.decode() and lined.number in response.content.decode()
    assert Case.objects.filter(visit=visit).count() == 0


def test_duplicate_check_ignores_closed_cases_and_other_villages(cadre_client, visit, other_team, canal):
    CaseFactory(team=visit.team, category=canal.category, subcategory=canal, closed=True)
    CaseFactory(team=other_team, category=canal.category, subcategory=canal)

    response = cadre_client.post(
        f"/visits/{visit.pk}/problems/", problem_data(category_choice=f"{canal.category_id}-{canal.pk}")
    )

    assert response["Location"] == f"/visits/{visit.pk}/?saved={number(1)}#saved"


def test_duplicate_check_by_category_when_no_subcategory_is_chosen(cadre_client, visit, canal):
    CaseFactory(team=visit.team, category=canal.category, subcategory=None, title="水利方面的意见")

    response = cadre_client.post(f"/visits/{visit.pk}/problems/", problem_data(category_choice=str(canal.category_id)))

    assert "水利方面的意见" in response.content.decode()


def test_duplicate_of_a_private_case_shows_no_title(cadre_client, visit, canal):
    CaseFactory(team=visit.team, category=canal.category, subcategory=canal, title="某户低保申请", public_posting=False)

    response = cadre_client.post(
        f"/visits/{visit.pk}/problems/", problem_data(category_choice=f"{canal.category_id}-{canal.pk}")
    )

    page = response.content.decode()
    assert "（涉及个人情况，不公示）" in page
    assert "某户低保申请" not in page


def test_category_picker_groups_subcategories_under_their_category(cadre_client, visit, canal):
    page = cadre_client.get(f"/visits/{visit.pk}/").content.decode()

    assert '<option value="" selected>未分类</option>' in page
    group = page.split('<optgroup label="农田水利建设">', 1)[1].split("</optgroup>", 1)[0]
    assert [line.strip() for line in group.splitlines() if line.strip()] == [
        f'<option value="{canal.category_id}">农田水利建设（不细分小类）</option>',
        f'<option value="{canal.category_id}-{canal.pk}">水渠年久失修</option>',
    ]


def test_saved_number_of_another_visit_is_not_shown(cadre_client, visit, team):
    elsewhere = VisitFactory(team=team, date=DAY - datetime.timedelta(days=7))
    case = CaseFactory(team=team, visit=elsewhere)

    page = cadre_client.get(f"/visits/{visit.pk}/?saved={case.number}").content.decode()

    assert 'class="tracking-number"' not in page


PHONE_MESSAGE = "电话号码只能写数字、“-”、“+”和空格，7至20位，如 13912345678 或 0750-5524538。"
TOO_LONG = "确保该变量包含不超过 {max} 字符 (目前字符数 {n})。"
PUBLIC = "这段文字会在村公开栏公开，请删去其中的"

# changes ({cat}, {sub}: the canal sub-category and its category; {other}: another category), field, message
PROBLEM_BAD_INPUTS = [
    ({"title": ""}, "title", "该字段是必填项。"),
    ({"title": "长" * 121}, "title", TOO_LONG.format(max=120, n=121)),
    ({"title": "陈大伯家门口路灯坏"}, "title", f"{PUBLIC}姓名“陈大伯”。"),
    ({"title": "请回电139 1234 5678"}, "title", f"{PUBLIC}电话号码“139 1234 5678”。"),
    (
        {"title": "上官家低保，身份证440781198001011234"},
        "title",
        f"{PUBLIC}户名“上官家”、身份证号“440781198001011234”。",
    ),
    ({"on_the_spot": "on", "result": "已告知陈大伯本人"}, "result", f"{PUBLIC}姓名“陈大伯”。"),
    ({"resident_name": "名" * 51}, "resident_name", TOO_LONG.format(max=50, n=51)),
    ({"resident_address": "址" * 201}, "resident_address", TOO_LONG.format(max=200, n=201)),
    ({"description": "述" * 2001}, "description", TOO_LONG.format(max=2000, n=2001)),
    ({"resident_phone": "call me"}, "resident_phone", PHONE_MESSAGE),
    ({"resident_phone": "12345"}, "resident_phone", PHONE_MESSAGE),
    ({"resident_phone": "1" * 21}, "resident_phone", PHONE_MESSAGE),
    ({"resident_phone": "+ - - - - - -"}, "resident_phone", PHONE_MESSAGE),
    ({"channel": "pigeon"}, "channel", "选择一个有效的选项。 pigeon 不在可用的选项中。"),
    ({"kind": ""}, "kind", "该字段是必填项。"),
    ({"category_choice": "{other}-{sub}"}, "category_choice", "所选小类不属于所选大类。"),
    ({"category_choice": "99999"}, "category_choice", "请从列表中选择问题类别。"),
    ({"category_choice": "{cat}-99999"}, "category_choice", "请从列表中选择问题类别。"),
    ({"category_choice": "'; drop table"}, "category_choice", "请从列表中选择问题类别。"),
    ({"on_the_spot": "on", "result": ""}, "result", "现场解决的问题请写明处理结果。"),
    ({"on_the_spot": "on", "result": "果" * 2001}, "result", TOO_LONG.format(max=2000, n=2001)),
]


@pytest.mark.parametrize(("changes", "field", "message"), PROBLEM_BAD_INPUTS)
def test_problem_form_rejects_bad_input_in_chinese(cadre_client, visit, canal, changes, field, message):
    ids = {"cat": canal.category_id, "sub": canal.pk, "other": SubCategoryFactory().category_id}
    changes = {name: value.format(**ids) if "{" in value else value for name, value in changes.items()}

    response = cadre_client.post(f"/visits/{visit.pk}/problems/", problem_data(**changes))

    page = response.content.decode()
    assert response.status_code == 200
    assert f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li></ul>' in page
    # At the top of the page, linked to the field, and the field takes the focus.
    assert summary_at_top(page)
    assert [target for target, text in summary_links(page) if text.endswith(f"：{message}")] == [autofocused(page)[0]]
    assert len(autofocused(page)) == 1
    assert autofocused(page)[0].startswith(f"id_{field}")
    assert Case.objects.count() == 0


@pytest.mark.parametrize("phone", ["13912345678", "0750-5524538", "+86 139 1234 5678", "１３９１２３４５６７８"])
def test_problem_form_accepts_usual_phone_numbers(cadre_client, visit, phone):
    cadre_client.post(f"/visits/{visit.pk}/problems/", problem_data(resident_phone=phone))

    assert Case.objects.get().resident_phone == phone.replace("１３９１２３４５６７８", "13912345678")


def test_visit_form_errors_are_summed_up_at_the_top_and_focus_the_first_field(cadre_client, team):
    data = visit_data(village=team.village_id) | {"date": "", "households_visited": "ten"}

    page = cadre_client.post("/visits/new/", data).content.decode()

    assert summary_at_top(page)
    assert summary_links(page) == [
        ("id_date", "驻点日期：该字段是必填项。"),
        ("id_households_visited", "走访户数：输入整数。"),
    ]
    assert autofocused(page) == ["id_date"]
