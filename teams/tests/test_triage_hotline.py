"""The triage queue's 12345 work orders awaiting signing (cases/views/visits.py triage, cases/desk.py)."""

import datetime
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import desk, hotline, workflow
from cases.models import Case

NOW = timezone.now()


def _stamp(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def work_orders(team, *sign_in_hours: float) -> list[Case]:
    """One work order of TEAM's village per deadline, signing due that many hours from now, each
    imported as the office does (cases/hotline.py)."""
    rows = [
        {
            "工单编号": f"GD-{i:03d}",
            "来电时间": _stamp(NOW - datetime.timedelta(hours=30)),
            "签收时限": _stamp(NOW + datetime.timedelta(hours=hours)),
            "诉求内容": f"路灯不亮{i}",
            "所属村": team.village.short_name,
        }
        for i, hours in enumerate(sign_in_hours, 1)
    ]
    data = json.dumps(rows, ensure_ascii=False).encode()
    return hotline.import_orders(hotline.read_orders(io.BytesIO(data), filename="工单.json")).created


def test_triage_lists_work_orders_to_sign_overdue_first_then_by_deadline(office_client, team):
    later, overdue, sooner = work_orders(team, 30, -2, 3)

    page = office_client.get(reverse("triage")).content.decode()

    assert '<a href="#hotline">热线工单待签收</a></dt><dd>3</dd>' in page
    assert page.index(overdue.hotline_number) < page.index(sooner.hotline_number) < page.index(later.hotline_number)
    assert "<strong>已超时 " in page
    assert page.count(f'action="{reverse("cases:hotline_sign", args=[overdue.number])}"') == 1
    assert f'name="next" value="{reverse("triage")}#hotline"' in page


def test_triage_leaves_out_signed_and_closed_work_orders_and_other_cases(office_client, office_user, team):
    signed, kept = work_orders(team, 5, 6)
    workflow.sign_for(case=signed, by=office_user)

    page = office_client.get(reverse("triage")).content.decode()

    assert kept.hotline_number in page
    assert signed.hotline_number not in page


def test_signing_from_triage_takes_the_order_off_the_list(office_client, team):
    (case,) = work_orders(team, 4)
    url = reverse("cases:hotline_sign", args=[case.number])

    response = office_client.post(url, {"next": reverse("triage") + "#hotline"}, follow=True)

    page = response.content.decode()
    assert "已签收工单 GD-001。" in page
    assert "没有待签收的热线工单。" in page


def test_time_left_reads_in_days_hours_and_minutes(team):
    (case,) = work_orders(team, 1)
    case.hotline_sign_by = NOW

    rows = desk.signing_rows([case], NOW + datetime.timedelta(hours=2, minutes=5))
    assert (rows[0]["overdue"], rows[0]["left"]) == (True, "已超时 2 小时 5 分")
    rows = desk.signing_rows([case], NOW - datetime.timedelta(days=1, hours=3))
    assert (rows[0]["overdue"], rows[0]["left"]) == (False, "剩余 1 天 3 小时")


def test_triage_caps_the_list_and_counts_them_all(office_client, team, monkeypatch):
    from cases.views import visits as views

    monkeypatch.setattr(views, "SIGNING_LIST", 2)
    work_orders(team, 1, 2, 3)

    page = office_client.get(reverse("triage")).content.decode()

    assert "共 3 条，这里显示最早的 2 条。" in page
    assert "GD-003" not in page


@pytest.mark.parametrize("n", [1, 3])
def test_triage_query_count_is_constant_with_work_orders(office_client, team, django_assert_max_num_queries, n):
    work_orders(team, *range(1, n + 1))

    with django_assert_max_num_queries(10):
        response = office_client.get(reverse("triage"))

    assert response.content.decode().count('<button type="submit">签收</button>') == n
