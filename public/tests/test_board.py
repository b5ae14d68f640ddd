import datetime
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from cases import workflow
from cases.models import Case, CaseEvent
from cases.tests.factories import CaseFactory, SubCategoryFactory
from public.tests.helpers import add_event, add_feedback
from teams.tests.factories import TeamFactory

PRIVATE = ("陈测试", "13912345678", "测试村东坊8号", "内部记录", "内部进展")


@pytest.fixture
def board(db):
    sub = SubCategoryFactory(category__label="治安消防", label="警力不足/偷盗")
    team = TeamFactory()
    closed = CaseFactory(team=team, category=sub.category, subcategory=sub, closed=True, title="鸡狗被盗")
    add_event(closed, "已联系派出所加强巡逻", day=12)
    add_event(closed, "内部进展", public=False, day=13)
    add_feedback(closed)
    CaseFactory(team=team, title="低保申请", public_posting=False, raised_on=datetime.date(2015, 1, 15))
    CaseFactory(title="别村的问题")
    return team.village


def village_page(client, village, **query):
    return client.get(reverse("board:village", args=[village.code]), query)


def test_notice_index_lists_villages_with_figures_and_chart(client, board):
    page = client.get(reverse("board:index")).content.decode()
    assert reverse("board:village", args=[board.code]) in page
    assert "33.33%" in page  # 1 of 3 closed in the town
    assert '<figure class="chart">' in page
    assert "治安消防" in page
    assert reverse("track:index") in page


def test_village_board_shows_public_cases_progress_result_and_told(client, board):
    page = village_page(client, board).content.decode()
    assert "鸡狗被盗" in page
    assert "已联系派出所加强巡逻" in page
    assert "已维修" in page  # the result
    assert "已告知反映人（2015-01-20）" in page
    assert "尚未告知反映人" in page  # the other case
    assert "50.00%" in page  # 1 of this village's 2 closed
    assert "别村的问题" not in page


def test_village_board_lists_newest_first(client, board):
    page = village_page(client, board).content.decode()
    numbers = re.findall(r'<span class="number">([^<]+)</span>', page)
    dates = [Case.objects.get(number=n).raised_on for n in numbers]
    assert dates == sorted(dates, reverse=True)


def test_village_board_hides_the_text_of_cases_not_for_posting(client, board):
    page = village_page(client, board).content.decode()
    assert "低保申请" not in page
    assert "仅公示类别、状态和日期" in page
    assert "2015-01-15 反映" in page


def test_village_board_shows_registration_lines_without_their_text(client, board):
    case = Case.objects.get(title="鸡狗被盗")
    add_event(case, "由陈大文当面反映", kind=CaseEvent.Kind.REGISTERED, day=9)
    page = village_page(client, board).content.decode()
    assert "2015-01-09</time> 登记</li>" in page
    assert "陈大文" not in page


@pytest.mark.parametrize("name", ["board:index", "board:village", "board:print"])
def test_public_pages_show_no_resident_data(client, board, name):
    args = [] if name == "board:index" else [board.code]
    page = client.get(reverse(name, args=args)).content.decode()
    assert [p for p in PRIVATE if p in page] == []


def test_unknown_village_is_404(client, db):
    assert client.get(reverse("board:village", args=["440781104999"])).status_code == 404
    assert client.get(reverse("board:print", args=["440781104999"])).status_code == 404


def test_public_pages_refuse_post(client, board):
    assert client.post(reverse("board:index")).status_code == 405
    assert client.post(reverse("board:village", args=[board.code])).status_code == 405


# -- Filters and pages -------------------------------------------------------------------------


def test_village_board_filters_by_status(client, board):
    closed = village_page(client, board, status="closed").content.decode()
    open_ = village_page(client, board, status="open").content.decode()
    assert ("鸡狗被盗" in closed, "仅公示类别" in closed) == (True, False)
    assert ("鸡狗被盗" in open_, "仅公示类别" in open_) == (False, True)
    assert "符合条件的问题共 1 条" in closed


def test_village_board_filters_by_category_and_unclassified(client, board):
    category = Case.objects.get(title="鸡狗被盗").category
    by_category = village_page(client, board, category=category.pk).content.decode()
    unclassified = village_page(client, board, category="none").content.decode()
    assert ("鸡狗被盗" in by_category, "仅公示类别" in by_category) == (True, False)
    assert ("鸡狗被盗" in unclassified, "仅公示类别" in unclassified) == (False, True)
    assert f'<option value="{category.pk}" selected>治安消防（1）</option>' in by_category


def test_village_board_with_bad_filters_says_so_and_shows_all(client, board):
    response = village_page(client, board, status="gone", category="1;drop", page="x")
    page = response.content.decode()
    assert response.status_code == 200
    assert "筛选条件有误，已按全部显示。" in page
    assert "共 2 条问题" in page


def test_village_board_filter_with_no_match_says_so(client, board):
    page = village_page(client, board, category="999999").content.decode()
    assert "没有符合条件的问题。" in page


def test_village_board_is_paginated_keeping_the_filter(client, db):
    team = TeamFactory()
    CaseFactory.create_batch(25, team=team, status=Case.Status.IN_PROGRESS)
    first = village_page(client, team.village, status="in_progress").content.decode()
    second = village_page(client, team.village, status="in_progress", page=2).content.decode()
    assert first.count('<li class="case ') == 20
    assert second.count('<li class="case ') == 5
    assert "?status=in_progress&amp;page=2" in first
    assert "第 2 / 2 页" in second


# -- Freshness: cache and validators ---------------------------------------------------------------


def test_village_board_answers_304_to_a_phone_holding_it(client, board):
    first = village_page(client, board)
    again = client.get(reverse("board:village", args=[board.code]), headers={"if-none-match": first["ETag"]})
    assert first["ETag"].startswith('W/"')
    assert "no-cache" in first["Cache-Control"]
    assert (again.status_code, again.content) == (304, b"")
    assert again["ETag"] == first["ETag"]


def test_village_board_answers_304_to_if_modified_since(client, board):
    first = village_page(client, board)
    again = client.get(
        reverse("board:village", args=[board.code]), headers={"if-modified-since": first["Last-Modified"]}
    )
    assert again.status_code == 304


def test_village_board_shows_a_change_at_once(client, board):
    case = Case.objects.get(title="鸡狗被盗")
    first = village_page(client, board)
    assert "村里增设了监控" not in first.content.decode()
    workflow.add_progress(case=case, text="村里增设了监控", public=True, by=None)
    again = client.get(reverse("board:village", args=[board.code]), headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200
    assert "村里增设了监控" in again.content.decode()
    assert again["ETag"] != first["ETag"]


def test_notice_index_shows_a_change_at_once(client, board):
    client.get(reverse("board:index"))
    case = Case.objects.get(title="低保申请")
    workflow.close(case=case, closure="on_the_spot", result="当场答复", closed_on=datetime.date(2015, 1, 20), by=None)
    assert "66.66%" in client.get(reverse("board:index")).content.decode()  # 2 of 3 closed


def test_village_board_etag_changes_with_text_size(client, board):
    normal = village_page(client, board)
    client.cookies["notice_text"] = "large"
    large = village_page(client, board)
    assert normal["ETag"] != large["ETag"]
    assert '<body class="public large">' in large.content.decode()


# -- The 大字 switch -------------------------------------------------------------------------------


def test_text_size_switch_sets_a_cookie_and_goes_back(client, board):
    back = reverse("board:village", args=[board.code]) + "?status=open"
    response = client.get(reverse("board:text_size"), {"size": "large", "next": back})
    assert (response.status_code, response["Location"]) == (302, back)
    assert response.cookies["notice_text"].value == "large"
    page = client.get(back).content.decode()
    assert '<body class="public large">' in page
    assert "标准字" in page


def test_text_size_switch_back_to_normal_clears_the_cookie(client, board):
    client.cookies["notice_text"] = "large"
    response = client.get(reverse("board:text_size"), {"size": "normal", "next": "/notice/"})
    assert response.cookies["notice_text"].value == ""
    assert '<body class="public">' in client.get("/notice/").content.decode()


def test_text_size_switch_never_leaves_the_site(client, db):
    response = client.get(reverse("board:text_size"), {"size": "large", "next": "https://evil.example/"})
    assert response["Location"] == reverse("board:index")


# -- Elder-friendly and light -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["board:index", "board:village", "board:print", "track:index"])
def test_public_pages_have_language_title_and_no_script_or_popup(client, board, name):
    args = [board.code] if name in ("board:village", "board:print") else []
    page = client.get(reverse(name, args=args)).content.decode()
    assert '<html lang="zh-hans">' in page
    assert re.search(r"<title>[^<]+ · (三合镇|台山市)驻点直联工作台账</title>", page)
    assert ("<script" in page, 'target="_blank"' in page, "window.open" in page) == (False, False, False)
    assert "css/board.css" in page


def test_village_board_title_names_the_village(client, board):
    page = village_page(client, board).content.decode()
    assert f"<title>{board.short_name}公开栏 · 三合镇驻点直联工作台账</title>" in page


def test_village_board_weighs_under_100_kb_with_its_css(client, db):
    team = TeamFactory()
    long_text = "经村两委协调，已请镇农业办派技术人员现场查看水渠破损情况，并列入本年度维修计划，" * 2
    for case in CaseFactory.create_batch(20, team=team, closed=True, title="水渠年久失修，雨季农田被淹，希望尽快修复"):
        for day in (10, 11, 12):
            add_event(case, long_text, day=day)
    html = village_page(client, team.village).content
    css = sum(len(open(finders.find(f"css/{name}"), "rb").read()) for name in ("app.css", "board.css"))
    assert len(html) + css < 100_000


# -- The paper board ----------------------------------------------------------------------------


def test_print_board_has_posting_date_figures_cases_phone_and_qr(client, board):
    page = client.get(reverse("board:print", args=[board.code])).content.decode()
    today = datetime.date.today()
    assert f'公示日期：<time datetime="{today:%Y-%m-%d}">{today.year}年{today.month}月{today.day}日</time>' in page
    assert "50.00%" in page
    assert "鸡狗被盗" in page
    assert board.town.phone in page
    assert '<svg viewBox="0 0 ' in page and 'class="qr-code"' in page
    assert f"http://testserver/notice/{board.code}/" in page
    assert '<article class="print-sheet size-a4">' in page


def test_print_board_a3_poster(client, board):
    page = client.get(reverse("board:print", args=[board.code]), {"size": "a3"}).content.decode()
    assert '<article class="print-sheet size-a3">' in page
    assert "print-page size-a3" in page


def test_print_board_keeps_private_cases_private(client, board):
    page = client.get(reverse("board:print", args=[board.code])).content.decode()
    assert "低保申请" not in page
    assert "涉及个人情况，不公示内容" in page


# -- Query counts: constant as cases grow -------------------------------------------------------


def _village_with(count):
    team = TeamFactory()
    SubCategoryFactory()
    for case in CaseFactory.create_batch(count, team=team):
        add_event(case, "进展")
    return team.village


@pytest.mark.parametrize("count", [1, 40])
def test_village_board_query_count_is_constant(client, db, count, django_assert_num_queries):
    village = _village_with(count)
    # freshness, 4 for the figures, the page's count, its cases, their public history, their public photos
    with django_assert_num_queries(9):
        village_page(client, village)
    with django_assert_num_queries(1):  # cached: the freshness only
        village_page(client, village, page=1)


@pytest.mark.parametrize("count", [1, 40])
def test_notice_index_query_count_is_constant(client, db, count, django_assert_num_queries):
    _village_with(count)
    # One town: its board, as before there were towns (a query more to know there is only one).
    with django_assert_num_queries(7):
        client.get(reverse("board:index"))
    with django_assert_num_queries(2):
        client.get(reverse("board:index"))


@pytest.mark.parametrize("count", [1, 40])
def test_print_board_query_count_is_constant(client, db, count, django_assert_num_queries):
    village = _village_with(count)
    with django_assert_num_queries(7):
        client.get(reverse("board:print", args=[village.code]))
    with django_assert_num_queries(1):
        client.get(reverse("board:print", args=[village.code]))


def test_village_board_answers_head_with_validators(client, board):
    response = client.head(reverse("board:village", args=[board.code]))
    assert (response.status_code, response["ETag"].startswith('W/"')) == (200, True)


def test_village_board_cache_is_kept_per_language(client, board):
    chinese = village_page(client, board)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = village_page(client, board)
    assert '<html lang="en">' in english.content.decode()
    assert english["ETag"] != chinese["ETag"]
