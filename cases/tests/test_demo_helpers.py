"""The demo ships a helper roster (三官一师 and city cadres): a case can be referred out of the box."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from cases.models import Case
from teams.models import Helper


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())


def test_load_demo_fills_the_helper_roster_with_their_villages(demo):
    kinds = set(Helper.objects.filter(active=True).values_list("kind", flat=True))
    assert kinds == {"city_cadre", "judge", "lawyer", "police", "prosecutor"}
    assert Helper.objects.count() == 15
    assert not Helper.objects.filter(villages=None).exists()  # every helper serves some village
    judge = Helper.objects.get(name="黄振邦")
    assert (judge.kind, judge.organisation) == ("judge", "台山市人民法院")
    assert sorted(judge.villages.values_list("short_name", flat=True)) == sorted(
        ["三合圩社区", "东联村", "北联村", "新一村", "西华村"]
    )
    # Each village has a judge, a prosecutor, a police officer and a lawyer: 三官一师.
    for kind in ("judge", "prosecutor", "police", "lawyer"):
        served = set(Helper.objects.filter(kind=kind).values_list("villages__short_name", flat=True))
        assert len(served) == 10, kind


def test_load_demo_again_adds_no_helper(demo):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert Helper.objects.count() == 15
    assert "helpers: 15" in out.getvalue()


def test_the_demo_office_can_refer_a_case_to_a_helper(demo):
    client = Client()
    client.login(username="office", password="sanhe-2015")
    case = Case.objects.filter(status=Case.Status.IN_PROGRESS).order_by("number").first()

    html = client.get(f"/cases/{case.number}/refer/").content.decode()
    select = re.search(r'<select name="helper"[^>]*>(.*?)</select>', html, re.S).group(1)
    offered = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)
    assert len(offered) == 15
    assert "法官 黄振邦（台山市人民法院）" in offered
    assert "警官 刘晓彤（台山市公安局三合派出所）" in offered

    helper = Helper.objects.get(name="刘晓彤")
    response = client.post(
        f"/cases/{case.number}/refer/",
        {"helper": helper.pk, "request": "请协助调解邻里纠纷", "asked_on": "2015-01-30", "version": case.version},
    )
    assert response.status_code == 302
    assert list(case.referrals.values_list("helper__name", flat=True)) == ["刘晓彤"]
