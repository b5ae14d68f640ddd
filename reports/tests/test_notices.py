"""The team ranking page, and notices 通报: drafted, edited, published, public."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cases.access import can_edit_cases, get_case_for_user
from reports.models import Notice
from reports.tests.factories import NoticeFactory
from reports.tests.test_dashboard import text

JANUARY = {"month": "2015-01"}
WEIGHTS = {
    "w_visit_rate": "0",
    "w_home_visit_rate": "0",
    "w_collected": "0",
    "w_closure_rate": "0",
    "w_on_time_rate": "0",
    "w_feedback_rate": "0",
    "w_satisfaction_rate": "0",
    "w_spot_check_rate": "100",
}


def test_ranking_page_shows_scores_and_weights(supervisor_client, ledger):
    page = text(supervisor_client.get(reverse("reports:ranking"), JANUARY))
    assert "2015年1月驻点团队考评" in page
    assert (
        "本次采用的权重：驻点到位率 20%、入户率 10%、收集问题 10%、办结率（累计） 20%、按期办结率 10%、"
        "反馈率 10%、满意率 10%、督查抽查合格率 10%。"
    ) in page
    assert "1 第1驻点团队 甲村 60.00% 70.00% 100.00% 66.66% 50.00% 66.66% 66.66% 50.00% 65.66" in page
    assert "2 第2驻点团队 乙村 40.00% 55.00% 75.00% 25.00% 0.00% 0.00% — 100.00% 40.00" in page


def test_ranking_with_other_weights(supervisor_client, ledger):
    page = text(supervisor_client.get(reverse("reports:ranking"), {**JANUARY, **WEIGHTS}))
    assert "督查抽查合格率 100%" in page
    assert page.index("1 第2驻点团队") < page.index("2 第1驻点团队")
    page = text(supervisor_client.get(reverse("reports:ranking"), {**JANUARY, **WEIGHTS, "w_spot_check_rate": "0"}))
    assert "各项权重之和应为100，现为0。" in page


def test_draft_edit_and_publish_a_notice(supervisor_client, ledger):
    response = supervisor_client.post(reverse("reports:notice_draft"), {"month": "2015-01", **WEIGHTS, "best": "1"})
    notice = Notice.objects.get()
    assert response["Location"] == reverse("reports:notice_edit", args=[notice.pk])
    assert notice.weights["spot_check_rate"] == 100
    assert "第2驻点团队（100.00分）综合得分位列前1名" in notice.body
    response = supervisor_client.post(
        reverse("reports:notice_edit", args=[notice.pk]),
        {"title": "关于2015年1月驻点团队工作情况的通报", "body": "第2驻点团队抽查全部属实，予以表扬。"},
    )
    assert response.status_code == 302
    # Drafts are not public.
    assert supervisor_client.get(reverse("reports:notice", args=[notice.pk])).status_code == 404
    response = supervisor_client.post(reverse("reports:notice_publish", args=[notice.pk]))
    assert response["Location"] == reverse("reports:notice", args=[notice.pk])
    notice.refresh_from_db()
    assert notice.is_published


def test_published_notice_is_public_without_resident_data(client, ledger):
    notice = NoticeFactory(status="published", published_at="2015-02-03T10:00+08:00", weights={"visit_rate": 20})
    notice.ranking = [{"rank": 1, "team": "第1驻点团队", "values": {"visit_rate": "60.00"}, "score": "60.00"}]
    notice.save()
    page = client.get(reverse("reports:notice", args=[notice.pk])).content.decode()
    assert "关于2015年1月驻点团队工作情况的通报" in page
    assert "各驻点团队：第1驻点团队予以通报表扬。" in page
    assert "发布日期：2015-02-03" in page
    assert "60.00%" in page
    for private in ("陈测试", "13912345678", "测试村东坊8号", "内部记录"):
        assert private not in page
    index = client.get(reverse("reports:notice_index")).content.decode()
    assert reverse("reports:notice", args=[notice.pk]) in index


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("请联系13912345678。", "通报要公开发布，不能写手机号码，请删去。"),
        ("陈测试反映的问题未解决。", "通报要公开发布，正文中出现了台账里群众的姓名、电话或住址，请删去。"),
        ("测试村东坊8号的水渠未修。", "通报要公开发布，正文中出现了台账里群众的姓名、电话或住址，请删去。"),
    ],
)
def test_a_notice_may_not_name_a_resident(supervisor_client, ledger, body, message):
    notice = NoticeFactory()
    response = supervisor_client.post(reverse("reports:notice_edit", args=[notice.pk]), {"title": "通报", "body": body})
    assert message in response.content.decode()
    notice.refresh_from_db()
    assert notice.body == "各驻点团队：第1驻点团队予以通报表扬。"


def test_a_published_notice_is_not_edited(supervisor_client, ledger):
    notice = NoticeFactory(status="published", published_at="2015-02-03T10:00+08:00")
    response = supervisor_client.post(
        reverse("reports:notice_edit", args=[notice.pk]), {"title": "改", "body": "改"}, follow=True
    )
    assert "通报已发布，不能再修改。" in response.content.decode()
    notice.refresh_from_db()
    assert notice.title == "关于2015年1月驻点团队工作情况的通报"


def test_office_reads_notices_but_does_not_draft_or_publish(office_client, ledger):
    notice = NoticeFactory()
    assert office_client.get(reverse("reports:notice_edit", args=[notice.pk])).status_code == 200
    assert (
        office_client.post(reverse("reports:notice_edit", args=[notice.pk]), {"title": "x", "body": "x"}).status_code
        == 403
    )
    assert office_client.post(reverse("reports:notice_publish", args=[notice.pk])).status_code == 403
    assert office_client.post(reverse("reports:notice_draft"), JANUARY).status_code == 403


@pytest.mark.parametrize("name", ["notice_draft", "notice_publish"])
def test_notice_actions_are_post_only(supervisor_client, ledger, name):
    args = [] if name == "notice_draft" else [NoticeFactory().pk]
    assert supervisor_client.get(reverse(f"reports:{name}", args=args)).status_code == 405


def test_supervisors_read_but_cannot_edit_cases(supervisor_client, supervisor_user, ledger):
    case = ledger.cases["j5"]
    assert not can_edit_cases(supervisor_user)
    assert get_case_for_user(supervisor_user, case.number) == case
    with pytest.raises(PermissionDenied):
        get_case_for_user(supervisor_user, case.number, for_update=True)
    assert case.number in supervisor_client.get(reverse("cases:detail", args=[case.number])).content.decode()
    response = supervisor_client.post(reverse("cases:progress", args=[case.number]), {"text": "督查", "public": ""})
    assert response.status_code == 403
    assert case.events.count() == 0


@pytest.mark.parametrize("teams", [1, 6])
def test_ranking_query_count_is_constant(supervisor_client, db, teams, django_assert_num_queries):
    from reports.tests.test_dashboard import _busy_ledger

    _busy_ledger(teams, 2)
    with django_assert_num_queries(10):
        supervisor_client.get(reverse("reports:ranking"), JANUARY)
