import pytest
from django.urls import reverse

from cases.models import CaseEvent
from cases.tests.factories import CaseFactory, SubCategoryFactory
from teams.tests.factories import TeamFactory

PRIVATE = ("陈测试", "13912345678", "测试村东坊8号", "内部记录", "内部进展")


@pytest.fixture
def board(db):
    sub = SubCategoryFactory(category__name="治安消防", name="警力不足/偷盗")
    team = TeamFactory()
    closed = CaseFactory(team=team, category=sub.category, subcategory=sub, closed=True, title="鸡狗被盗")
    CaseEvent.objects.create(case=closed, kind="progress", text="已联系派出所加强巡逻", public=True)
    CaseEvent.objects.create(case=closed, kind="progress", text="内部进展", public=False)
    CaseFactory(team=team, title="低保申请", public_posting=False)
    CaseFactory(title="别村的问题")
    return team.village


def test_notice_index_is_public_and_lists_villages_with_figures(client, board):
    page = client.get(reverse("notice:index")).content.decode()
    assert reverse("notice:village", args=[board.code]) in page
    assert "33.33%" in page  # 1 of 3 closed in the town
    assert "治安消防" in page


def test_village_board_shows_public_cases_and_progress(client, board):
    page = client.get(reverse("notice:village", args=[board.code])).content.decode()
    assert "鸡狗被盗" in page
    assert "已联系派出所加强巡逻" in page
    assert "已维修" in page  # the result
    assert "50.00%" in page  # 1 of this village's 2 closed
    assert "别村的问题" not in page


def test_village_board_hides_the_text_of_cases_not_for_posting(client, board):
    page = client.get(reverse("notice:village", args=[board.code])).content.decode()
    assert "低保申请" not in page
    assert "仅公示类别、状态和日期" in page


@pytest.mark.parametrize("name", ["notice:index", "notice:village"])
def test_public_pages_show_no_resident_data(client, board, name):
    args = [board.code] if name == "notice:village" else []
    page = client.get(reverse(name, args=args)).content.decode()
    assert [p for p in PRIVATE if p in page] == []


def test_unknown_village_is_404(client, db):
    assert client.get(reverse("notice:village", args=["440781104999"])).status_code == 404


@pytest.mark.parametrize("count", [1, 40])
def test_village_board_query_count_is_constant(client, db, count, django_assert_num_queries):
    team = TeamFactory()
    for case in CaseFactory.create_batch(count, team=team):
        CaseEvent.objects.create(case=case, kind="progress", text="进展", public=True)
    with django_assert_num_queries(7):
        client.get(reverse("notice:village", args=[team.village.code]))


@pytest.mark.parametrize("count", [1, 40])
def test_notice_index_query_count_is_constant(client, db, count, django_assert_num_queries):
    SubCategoryFactory()
    for _ in range(count):
        CaseFactory()
    with django_assert_num_queries(5):
        client.get(reverse("notice:index"))
