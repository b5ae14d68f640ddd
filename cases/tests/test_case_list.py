"""The office's case list at /cases/: who sees what, every filter, sorting, bad input, flags, pages."""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.tests.factories import CaseFactory, CategoryFactory, SubCategoryFactory
from teams.tests.factories import PASSWORD, CadreFactory, TeamFactory, UserFactory
from villages.tests.factories import VillageFactory, home_town

LIST = reverse("cases:list")
ROW_NUMBER = re.compile(r'<th scope="row" class="number"[^>]*><a href="([^"]+)">([^<]+)</a>')


def numbers(response) -> list[str]:
    """The tracking numbers the page lists, in order, as the page shows them."""
    return [number for _href, number in ROW_NUMBER.findall(response.content.decode())]


def text(response) -> str:
    return response.content.decode()


def select(response, name: str, form: str = "list-filters") -> str:
    """The options of the select NAME in the filter form (or the bulk form: form="list-bulk")."""
    body = text(response)
    body = body[body.index(f'class="{form}"') :]
    return re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.S).group(1)


def selected(response, name: str, form: str = "list-filters") -> list[str]:
    """The labels of the options shown selected in the select NAME."""
    return re.findall(r"<option [^>]*selected>([^<]*)</option>", select(response, name, form))


@pytest.fixture
def world(team, other_team):
    """Five cases over two teams, two categories, every status and both flags.

    A: team, water/canals, registered, help, resident 陈大文
    B: team, water/lining, in progress, handle now, responsible 李责任, due long ago (overdue)
    C: other team, roads, closed, not fed back (awaiting feedback)
    D: other team, roads, closed and fed back
    E: other team, no category, in progress, plan, complaint, raised 2014-12-04, due in the future
    """
    today = timezone.localdate()
    water = CategoryFactory(label="农田水利建设")
    canals = SubCategoryFactory(category=water, label="水渠年久失修")
    lining = SubCategoryFactory(category=water, label="水渠硬底化")
    roads = SubCategoryFactory(category__label="农村基础设施建设", label="村道硬底化")
    li = CadreFactory(name="李责任", team=team)
    closed = {"status": Case.Status.CLOSED, "closure": Case.Closure.SOLVED, "result": "已修好"}
    cases = SimpleNamespace(
        A=CaseFactory(
            number="SH-2015-0901",
            team=team,
            category=water,
            subcategory=canals,
            raised_on=datetime.date(2015, 1, 8),
            title="东坊水渠漏水",
            description="水渠崩口约三米",
            resident_name="陈大文",
            resident_phone="13900000901",
        ),
        B=CaseFactory(
            number="SH-2015-0902",
            team=team,
            category=water,
            subcategory=lining,
            raised_on=datetime.date(2015, 1, 15),
            title="水渠要硬底化",
            status=Case.Status.IN_PROGRESS,
            decision=Case.Decision.HANDLE_NOW,
            responsible=li,
            due_on=datetime.date(2015, 1, 29),
            kind=Case.Kind.SUGGESTION,
        ),
        C=CaseFactory(
            number="SH-2015-0903",
            team=other_team,
            category=roads.category,
            subcategory=roads,
            raised_on=datetime.date(2015, 1, 22),
            title="村道坑洼",
            closed_on=datetime.date(2015, 1, 29),
            due_on=datetime.date(2015, 1, 30),
            **closed,
        ),
        D=CaseFactory(
            number="SH-2015-0904",
            team=other_team,
            category=roads.category,
            subcategory=roads,
            raised_on=datetime.date(2015, 1, 29),
            title="路灯不亮",
            closed_on=datetime.date(2015, 1, 30),
            fed_back_on=datetime.date(2015, 1, 31),
            **closed,
        ),
        E=CaseFactory(
            number="SH-2014-0905",
            team=other_team,
            raised_on=datetime.date(2014, 12, 4),
            title="偷鸡偷狗",
            status=Case.Status.IN_PROGRESS,
            decision=Case.Decision.PLAN,
            due_on=today + datetime.timedelta(days=30),
            kind=Case.Kind.COMPLAINT,
        ),
    )
    return SimpleNamespace(
        cases=cases, water=water, canals=canals, lining=lining, roads=roads, li=li, team=team, other_team=other_team
    )


def n(world, *letters) -> set[str]:
    return {getattr(world.cases, letter).number for letter in letters}


# --- Who may see the list -----------------------------------------------------------------


def test_case_list_anonymous_is_sent_to_login(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={LIST}"


def test_case_list_refuses_a_user_without_a_role(client, db):
    client.force_login(UserFactory())
    assert client.get(LIST).status_code == 403


def test_case_list_office_sees_every_case(office_client, world):
    response = office_client.get(LIST)
    assert set(numbers(response)) == n(world, "A", "B", "C", "D", "E")
    assert "共 5 件问题" in text(response)


def test_case_list_unfiltered_count_follows_the_ledger(office_client, cadre_client, world):
    # Unfiltered (sorting aside), the count comes from the tally of months, kept by triggers.
    assert "共 5 件问题" in text(office_client.get(LIST, {"sort": "number"}))
    world.cases.A.delete()
    assert "共 4 件问题" in text(office_client.get(LIST))
    assert "共 1 件问题" in text(cadre_client.get(LIST))


def test_case_list_supervisor_sees_every_case(supervisor_client, world):
    response = supervisor_client.get(LIST)
    assert set(numbers(response)) == n(world, "A", "B", "C", "D", "E")


def test_case_list_cadre_sees_only_their_team(cadre_client, world):
    response = cadre_client.get(LIST)
    assert set(numbers(response)) == n(world, "A", "B")
    assert "共 2 件问题" in text(response)
    # No team to choose, and asking for another team's village or the team itself shows nothing more.
    assert 'name="team"' not in text(response)
    assert set(numbers(cadre_client.get(LIST, {"team": world.other_team.pk}))) == n(world, "A", "B")
    assert numbers(cadre_client.get(LIST, {"village": world.other_team.village.pk})) == []
    assert numbers(cadre_client.get(LIST, {"q": world.cases.C.number})) == []


def test_case_list_cadre_without_a_team_sees_nothing(client, db, world):
    user = UserFactory(role="cadre")
    CadreFactory(user=user, team=None)
    client.force_login(user)
    response = client.get(LIST)
    assert numbers(response) == []
    assert "没有符合条件的问题。" in text(response)


# --- Filters: the exact set of numbers each returns ---------------------------------------

FILTERS = [
    ("status registered", lambda w: {"status": "registered"}, "A"),
    ("status in progress", lambda w: {"status": "in_progress"}, "BE"),
    ("status closed", lambda w: {"status": "closed"}, "CD"),
    ("status open", lambda w: {"status": "open"}, "ABE"),
    ("category", lambda w: {"category": w.water.pk}, "AB"),
    ("sub-category", lambda w: {"subcategory": w.lining.pk}, "B"),
    ("category and its sub-category", lambda w: {"category": w.water.pk, "subcategory": w.canals.pk}, "A"),
    ("village", lambda w: {"village": w.other_team.village.pk}, "CDE"),
    ("team", lambda w: {"team": w.team.pk}, "AB"),
    ("kind", lambda w: {"kind": "complaint"}, "E"),
    ("kind help", lambda w: {"kind": "help"}, "ACD"),
    ("decision handle now", lambda w: {"decision": "handle_now"}, "B"),
    ("decision plan", lambda w: {"decision": "plan"}, "E"),
    ("no decision yet", lambda w: {"decision": "none"}, "ACD"),
    ("responsible", lambda w: {"responsible": w.li.pk}, "B"),
    ("no responsible", lambda w: {"responsible": "null"}, "ACDE"),
    ("overdue", lambda w: {"overdue": "on"}, "B"),
    ("overdue unticked", lambda w: {"overdue": "false"}, "ABCDE"),
    ("awaiting feedback", lambda w: {"awaiting_feedback": "on"}, "C"),
    ("raised from", lambda w: {"raised_from": "2015-01-15"}, "BCD"),
    ("raised to", lambda w: {"raised_to": "2015-01-15"}, "ABE"),
    ("raised range", lambda w: {"raised_from": "2015-01-15", "raised_to": "2015-01-22"}, "BC"),
    ("one day", lambda w: {"raised_from": "2015-01-08", "raised_to": "2015-01-08"}, "A"),
    ("text: number", lambda w: {"q": "0903"}, "C"),
    ("text: whole number", lambda w: {"q": "SH-2015-0904"}, "D"),
    ("text: title", lambda w: {"q": "水渠"}, "AB"),
    ("text: description", lambda w: {"q": "崩口"}, "A"),
    ("text: resident name", lambda w: {"q": "陈大文"}, "A"),
    ("text: resident phone", lambda w: {"q": "13900000901"}, "A"),
    ("text: full-width digits typed", lambda w: {"q": "０９０２"}, "B"),
    ("text: spaces around", lambda w: {"q": "  路灯  "}, "D"),
    ("text: nothing matches", lambda w: {"q": "没有这回事"}, ""),
    ("combined", lambda w: {"category": w.roads.category.pk, "awaiting_feedback": "on", "q": "村道"}, "C"),
    ("empty values ignored", lambda w: {"status": "", "category": "", "q": "", "sort": ""}, "ABCDE"),
]


@pytest.mark.parametrize(("params", "expected"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS])
def test_case_list_filter_returns_exactly(office_client, world, params, expected):
    response = office_client.get(LIST, params(world))
    assert response.status_code == 200
    assert set(numbers(response)) == n(world, *expected)
    assert f"共 {len(expected)} 件问题" in text(response)


def test_case_list_subcategory_of_another_category_is_a_clear_message(office_client, world):
    response = office_client.get(LIST, {"category": world.roads.category.pk, "subcategory": world.canals.pk})
    assert response.status_code == 200
    assert "筛选条件有误，请更正后再查询" in text(response)
    assert "小类“水渠年久失修”不属于大类“农村基础设施建设”，它属于“农田水利建设”。" in text(response)
    assert numbers(response) == []


def test_case_list_subcategory_choices_are_grouped_by_category(office_client, world):
    body = re.sub(r"\s+", " ", text(office_client.get(LIST)))
    assert (
        f'<optgroup label="农田水利建设"> <option value="{world.canals.pk}">水渠年久失修</option> '
        f'<option value="{world.lining.pk}">水渠硬底化</option> </optgroup>'
    ) in body


# --- Sorting -------------------------------------------------------------------------------

SORTS = [
    ("", "DCBAE"),  # newest raised first
    ("number", "EABCD"),
    ("-number", "DCBAE"),
    ("raised", "EABCD"),
    ("-raised", "DCBAE"),
    ("due", "BCEAD"),  # cases without a due date last
    ("-due", "ECBDA"),  # still last when descending
    ("status", "AEBCD"),  # registered, in progress, closed; ties by number
    ("-status", "DCBEA"),
]


@pytest.mark.parametrize(("sort", "expected"), SORTS)
def test_case_list_sorts_by(office_client, world, sort, expected):
    response = office_client.get(LIST, {"sort": sort})
    assert numbers(response) == [getattr(world.cases, letter).number for letter in expected]


def test_case_list_sorts_by_village_code(office_client, world):
    first, second = sorted([world.team.village, world.other_team.village], key=lambda v: v.code)
    response = office_client.get(LIST, {"sort": "village"})
    villages = [Case.objects.get(number=number).village for number in numbers(response)]
    assert villages == [first] * (2 if first == world.team.village else 3) + [second] * (
        3 if first == world.team.village else 2
    )


def test_case_list_column_header_links_toggle_the_order(office_client, world):
    body = text(office_client.get(LIST, {"sort": "number", "status": "open", "page": "1"}))
    assert 'aria-sort="ascending"' in body
    assert f'href="{LIST}?sort=-number&amp;status=open"' in body
    assert f'href="{LIST}?sort=due&amp;status=open"' in body


# --- Bad input: a message on the page, never a 500 ----------------------------------------

GARBAGE = [
    {"raised_from": "2015-13-01"},
    {"raised_from": "2015-02-30"},
    {"raised_to": "yesterday"},
    {"raised_from": "0000-00-00"},
    {"raised_from": "2015-02-01", "raised_to": "2015-01-01"},
    {"raised_from": "9" * 300},
    {"village": "999999"},
    {"village": "abc"},
    {"village": "99999999999999999999999"},
    {"village": "-1"},
    {"team": "1.5"},
    {"category": "'; DROP TABLE cases_case; --"},
    {"subcategory": "abc"},
    {"subcategory": "999999"},
    {"responsible": "none"},
    {"responsible": "99999999999999999999999"},
    {"status": "deleted"},
    {"kind": "咨询"},
    {"decision": "<script>alert(1)</script>"},
    {"sort": "password"},
    {"sort": "-resident_phone"},
    {"sort": "number; DROP TABLE"},
    {"q": "x" * 101},
]  # a NUL byte never reaches the list: sanhe/lib/badrequest.py answers 400 (sanhe/tests/test_bad_input.py)


@pytest.mark.parametrize("params", GARBAGE, ids=[repr(g)[:40] for g in GARBAGE])
def test_case_list_garbage_parameters_give_a_form_error(office_client, world, params):
    response = office_client.get(LIST, params)
    assert response.status_code == 200
    assert "筛选条件有误，请更正后再查询" in text(response)
    assert numbers(response) == []
    assert "<script>alert(1)</script>" not in text(response)


@pytest.mark.parametrize("page", ["abc", "0", "-3", "1.5", "99999999999999999999"])
def test_case_list_garbage_page_gives_a_message_and_the_first_page(office_client, world, page):
    response = office_client.get(LIST, {"page": page})
    assert response.status_code == 200
    assert "页码应为正整数，已显示第一页。" in text(response)
    assert len(numbers(response)) == 5


def test_case_list_page_past_the_end_shows_the_last_page(office_client, world, settings):
    settings.LIST_PAGE_SIZE = 2
    response = office_client.get(LIST, {"page": "40"})
    assert numbers(response) == [world.cases.E.number]
    assert "第 3 / 3 页" in text(response)


def test_case_list_unticked_garbage_flag_is_harmless(office_client, world):
    response = office_client.get(LIST, {"overdue": "<b>", "awaiting_feedback": ""})
    assert set(numbers(response)) == n(world, "B")


# --- What each row shows ------------------------------------------------------------------


def test_case_list_row_shows_the_case(office_client, world):
    body = text(office_client.get(LIST, {"q": world.cases.B.number}))
    row = body[body.index('<tr class="status-in_progress') :]
    row = row[: row.index("</tr>")]
    assert f'href="/cases/{world.cases.B.number}/"' in row
    for shown in (
        world.cases.B.number,
        "2015-01-15",
        world.team.village.short_name,
        world.team.name,
        "农田水利建设 › 水渠硬底化",
        "水渠要硬底化",
        "处理中",
        "即时办理",
        "李责任",
        "2015-01-29",
    ):
        assert shown in row, shown


def test_case_list_flags_overdue_and_awaiting_feedback_in_words_and_a_mark(office_client, world):
    body = text(office_client.get(LIST))
    overdue = '<span class="flag flag-overdue"><span aria-hidden="true">⚠</span> 已逾期</span>'
    awaiting = '<span class="flag flag-feedback"><span aria-hidden="true">✉</span> 未反馈</span>'
    assert body.count(overdue) == 1
    assert body.count(awaiting) == 1
    rows = {number: body[body.index(f">{number}</a>") :].split("</tr>")[0] for number in n(world, "A", "B", "C", "D")}
    assert overdue in rows[world.cases.B.number]
    assert awaiting in rows[world.cases.C.number]
    assert overdue not in rows[world.cases.C.number] and awaiting not in rows[world.cases.D.number]
    assert f'<a class="flag flag-overdue" href="{LIST}?overdue=on">' in body
    assert "其中已逾期 1 件" in body
    assert f'<a class="flag flag-feedback" href="{LIST}?awaiting_feedback=on">' in body
    assert "已办结未反馈 1 件" in body


def test_case_list_row_carries_its_tick_and_flag_classes(office_client, world):
    body = text(office_client.get(LIST))
    case = world.cases.B
    assert (
        f'<tr class="status-in_progress is-overdue">\n  <td class="pick"><label><input type="checkbox" name="case" '
        f'value="{case.number}:{case.version}"> <span class="visually-hidden">选择 {case.number}</span></label></td>'
    ) in body
    assert '<tr class="status-closed is-awaiting">' in body
    assert '<td class="due" data-label="办理期限">—</td>' in body  # A has no due date
    assert '<td class="status" data-label="状态">已办结（已解决）</td>' in body


def test_case_list_shows_the_count_and_links_the_filtered_export(office_client, world):
    body = text(office_client.get(LIST, {"status": "closed", "page": "1"}))
    assert "共 2 件问题" in body
    assert f'href="{reverse("cases:export")}?status=closed"' in body
    assert "导出这 2 件（Excel）" in body


def test_case_list_keeps_the_panel_open_when_a_filter_is_set(office_client, world):
    assert '<details class="list-more">' in text(office_client.get(LIST, {"q": "水渠"}))
    assert '<details class="list-more" open>' in text(office_client.get(LIST, {"status": "closed"}))
    assert '<details class="list-more" open>' in text(office_client.get(LIST, {"village": "abc"}))


def test_case_list_paginates_and_keeps_the_filters(office_client, world, settings):
    settings.LIST_PAGE_SIZE = 2
    first = office_client.get(LIST, {"sort": "number"})
    second = office_client.get(LIST, {"sort": "number", "page": "2"})
    assert numbers(first) == [world.cases.E.number, world.cases.A.number]
    assert numbers(second) == [world.cases.B.number, world.cases.C.number]
    assert f'href="{LIST}?sort=number&amp;page=2" rel="next"' in text(first)
    assert "共 5 件问题" in text(second)


def test_case_list_bulk_controls_only_for_office(office_client, supervisor_client, cadre_client, world):
    assert 'action="/cases/bulk/"' in text(office_client.get(LIST))
    assert f'value="{world.cases.A.number}:1"' in text(office_client.get(LIST))
    assert 'action="/cases/bulk/"' not in text(supervisor_client.get(LIST))
    assert 'name="case"' not in text(cadre_client.get(LIST))


# --- A constant number of queries ---------------------------------------------------------


@pytest.mark.parametrize("count", [5, 50])
def test_case_list_query_count_is_constant_for_office(office_client, db, count, django_assert_num_queries):
    team = TeamFactory()
    sub = SubCategoryFactory()
    responsible = CadreFactory(team=team)
    CaseFactory.create_batch(
        count,
        team=team,
        category=sub.category,
        subcategory=sub,
        responsible=responsible,
        status=Case.Status.IN_PROGRESS,
        due_on=datetime.date(2015, 2, 1),
    )
    # session, user, groups, cadre (header), page count, overdue count, awaiting count, the page's
    # rows, and the selects rendered afresh (the factories just changed the roster): category,
    # sub-category, village, team, responsible, bulk responsible.
    with django_assert_num_queries(13):
        response = office_client.get(LIST, {"status": "open"})
    assert len(numbers(response)) == count


@pytest.mark.parametrize("count", [5, 50])
def test_case_list_query_count_is_constant_for_a_cadre(cadre_client, team, count, django_assert_num_queries):
    CaseFactory.create_batch(count, team=team, category=SubCategoryFactory().category)
    # As for office staff, plus the cadre's team, minus the team select and the bulk form's responsible
    # (the selects rendered afresh: the factories just changed the roster).
    with django_assert_num_queries(11):
        response = cadre_client.get(LIST, {"q": "水渠"})
    assert len(numbers(response)) == count


@pytest.mark.parametrize("count", [10, 100])
def test_case_list_query_count_once_the_selects_are_cached(office_client, db, count, django_assert_max_num_queries):
    team = TeamFactory()
    sub = SubCategoryFactory()
    CaseFactory.create_batch(count, team=team, category=sub.category, subcategory=sub, status=Case.Status.IN_PROGRESS)
    office_client.get(LIST)  # renders the selects once for this roster
    # session, user, groups, cadre (header), the village asked for, page count, overdue count,
    # awaiting count, the page's rows: no select reads the database.
    with django_assert_max_num_queries(9):
        response = office_client.get(LIST, {"status": "in_progress", "village": team.village.pk})
    assert len(numbers(response)) == min(count, django_settings.LIST_PAGE_SIZE)


# --- The cached selects (teams/roster.py) ---------------------------------------------------


def test_case_list_selects_show_the_chosen_values(office_client, world):
    office_client.get(LIST)  # the selects cached with nothing chosen
    response = office_client.get(
        LIST,
        {
            "status": "in_progress",
            "category": world.water.pk,
            "subcategory": world.lining.pk,
            "village": world.team.village.pk,
            "team": world.team.pk,
            "responsible": world.li.pk,
            "kind": "suggestion",
            "decision": "handle_now",
            "sort": "-due",
        },
    )
    assert numbers(response) == [world.cases.B.number]
    assert selected(response, "status") == ["处理中"]
    assert selected(response, "category") == ["农田水利建设"]
    assert selected(response, "subcategory") == ["水渠硬底化"]
    assert selected(response, "village") == [world.team.village.short_name]
    assert selected(response, "team") == [world.team.name]
    assert selected(response, "responsible") == [f"李责任（{world.team.name}）"]
    assert selected(response, "kind") == ["建议"]
    assert selected(response, "decision") == ["即时办理"]
    assert selected(response, "sort") == ["办理期限（降序）"]
    assert selected(response, "responsible", form="list-bulk") == ["请选择"]


def test_case_list_select_without_a_choice_shows_all(office_client, world):
    response = office_client.get(LIST, {"responsible": "null"})
    assert selected(response, "village") == ["全部"]
    assert selected(response, "responsible") == ["未指定责任人"]


@pytest.mark.parametrize("value", ["99999", "abc", '"><b>x</b>'])
def test_case_list_unknown_choice_selects_nothing_and_is_a_form_error(office_client, world, value):
    office_client.get(LIST)
    response = office_client.get(LIST, {"village": value})
    assert "筛选条件有误，请更正后再查询" in text(response)
    assert selected(response, "village") == []
    assert "<b>x</b>" not in text(response)


def test_case_list_shows_a_village_and_a_cadre_added_since_the_last_render(office_client, world):
    before = office_client.get(LIST)
    assert "新建村" not in select(before, "village")
    village = VillageFactory(short_name="新建村")
    cadre = CadreFactory(name="新干部", team=world.team)
    response = office_client.get(LIST, {"village": world.team.village.pk})
    assert f'<option value="{village.pk}">新建村</option>' in select(response, "village")
    assert f'<option value="{cadre.pk}">新干部（{world.team.name}）</option>' in select(response, "responsible")
    assert f'<option value="{cadre.pk}">新干部（{world.team.name}）</option>' in select(
        response, "responsible", form="list-bulk"
    )


def test_case_list_shows_a_category_renamed_since_the_last_render(office_client, world):
    office_client.get(LIST)
    world.lining.label = "水渠三面光"
    world.lining.save()
    world.water.label = "水利"
    world.water.save()
    response = office_client.get(LIST)
    assert '<optgroup label="水利">' in select(response, "subcategory")
    assert f'<option value="{world.lining.pk}">水渠三面光</option>' in select(response, "subcategory")
    assert f'<option value="{world.water.pk}">水利</option>' in select(response, "category")


def test_case_list_selects_speak_the_pages_language(office_client, world):
    chinese = office_client.get(LIST)
    office_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    english = office_client.get(LIST)
    office_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese_again = office_client.get(LIST)
    assert selected(chinese, "status") == ["全部"] == selected(chinese_again, "status")
    assert selected(english, "status") == ["All"]
    assert selected(english, "responsible", form="list-bulk") == ["Please choose"]
    assert selected(english, "sort") == ["Newest first"]
    assert "最新反映在前" not in text(english)


# --- In a browser ---------------------------------------------------------------------------


def login(page, username: str) -> None:
    # Not conftest.browser_login: its first submit button is the header's language switch.
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_case_list_reads_on_a_phone_and_filters_without_javascript(chromium, live_server):
    team = TeamFactory()
    user = UserFactory(role="cadre", username="cadre-phone")
    CadreFactory(user=user, team=team)
    CaseFactory(team=team, number="SH-2015-0777", title="水渠漏水", due_on=datetime.date(2015, 1, 20))
    CaseFactory(team=team, number="SH-2015-0778", title="路灯不亮")
    CaseFactory(number="SH-2015-0779", title="别队的问题")
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, locale="zh-CN", base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    login(page, "cadre-phone")
    page.goto("/cases/")
    assert page.locator(".list-table .number").all_inner_texts() == ["SH-2015-0778", "SH-2015-0777"]
    assert page.locator(".list-table .flag-overdue").inner_text() == "⚠ 已逾期"
    page.screenshot(path="/tmp/shots/cases-list-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("input[name=q]", "路灯")
    page.click("text=查询")
    assert page.locator(".list-table .number").all_inner_texts() == ["SH-2015-0778"]
    assert page.locator(".list-count").inner_text().startswith("共 1 件问题")
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_case_list_office_bulk_assigns_on_a_desktop(desktop_page):
    user = UserFactory(role="office", username="office-desk")
    CadreFactory(user=user, team=None, town=home_town())
    helper = CadreFactory(name="黄跟进")
    CaseFactory(number="SH-2015-0781", title="一号问题")
    CaseFactory(number="SH-2015-0782", title="二号问题")
    login(desktop_page, "office-desk")
    desktop_page.goto("/cases/?sort=number")
    desktop_page.check("input[value='SH-2015-0781:1']")
    desktop_page.check("input[value='SH-2015-0782:1']")
    desktop_page.select_option("#bulk select[name=responsible]", str(helper.pk))
    desktop_page.click("button[value=assign]")
    assert desktop_page.locator(".messages li").inner_text() == "已修改 2 件问题。"
    assert desktop_page.locator(".list-table td.responsible").all_inner_texts() == ["黄跟进", "黄跟进"]
    desktop_page.screenshot(path="/tmp/shots/cases-list-desktop.png", full_page=True)
    assert desktop_page.evaluate("document.documentElement.scrollWidth") <= 1280
