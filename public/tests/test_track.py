import re

import pytest
from django.urls import reverse

from cases.models import CaseEvent
from cases.tests.factories import CaseFactory
from public import tracking
from public.tests.helpers import add_event, add_feedback
from teams.tests.factories import CadreFactory

NOT_FOUND = "没有查到：编号、电话后四位或查询码不对。请对照登记回执再试一次。"


@pytest.fixture
def case(db):
    case = CaseFactory(closed=True, title="水渠年久失修", resident_name="陈大文", resident_phone="139 1234 5678")
    add_event(case, "已派人查看", day=11)
    add_event(case, "内部进展：陈大文家门口", public=False, day=12)
    add_feedback(case, notes="陈大文说下次再来", given_by=CadreFactory(name="反馈人王干部"))
    return case


def track(client, number, last4, ip="10.0.0.1"):
    return client.post(reverse("track:index"), {"number": number, "last4": last4}, REMOTE_ADDR=ip)


def test_track_form_is_public(client, db):
    page = client.get(reverse("track:index")).content.decode()
    assert "问题编号" in page
    assert "手机号后四位或查询码" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_track_shows_the_case_public_history_and_feedback(client, case):
    response = track(client, case.number, "5678")
    page = response.content.decode()
    assert response.status_code == 200
    assert f"问题 {case.number}" in page
    assert "<dd>陈**</dd>" in page
    assert "水渠年久失修" in page
    assert "2015-01-11</time> 进展：已派人查看" in page
    assert "已维修（2015-01-20）" in page
    assert "<td>2015-01-20</td><td>电话</td><td>满意</td>" in page
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_track_never_shows_private_or_internal_data(client, case):
    page = track(client, case.number, "5678").content.decode()
    leaked = [s for s in ("陈大文", "13912345678", "139 1234 5678", "测试村东坊8号", "内部", "王干部") if s in page]
    assert leaked == []


def test_track_accepts_the_number_as_residents_type_it(client, case):
    page = track(client, case.number.lower().replace("-", " "), "５６７８").content.decode()
    assert f"问题 {case.number}" in page


def test_track_wrong_number_and_wrong_phone_give_the_same_message(client, case):
    wrong_phone = track(client, case.number, "0000").content.decode()
    wrong_number = track(client, "SH-2015-9999", "5678").content.decode()
    assert NOT_FOUND in wrong_phone
    assert NOT_FOUND in wrong_number

    # Nothing else of the two pages differs but the CSRF tokens and what was typed back.
    def strip(page):
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        return page.replace(case.number, "N").replace("SH-2015-9999", "N").replace("5678", "L").replace("0000", "L")

    assert strip(wrong_phone) == strip(wrong_number)


def test_track_reveals_no_other_case(client, case):
    other = CaseFactory(resident_phone="13800005678", title="别人的问题")
    page = track(client, case.number, "5678").content.decode()
    assert "别人的问题" not in page
    assert NOT_FOUND in track(client, other.number, "1234").content.decode()


def test_track_case_without_a_phone_never_matches(client, db):
    case = CaseFactory(resident_phone="")
    assert NOT_FOUND in track(client, case.number, "0000").content.decode()


def test_track_case_not_for_posting_shows_only_dates_and_steps(client, db):
    case = CaseFactory(public_posting=False, title="低保申请家庭困难", resident_phone="13911112222")
    add_event(case, "已入户核实家庭收入", day=11)
    page = track(client, case.number, "2222").content.decode()
    assert "低保申请家庭困难" not in page
    assert "已入户核实家庭收入" not in page
    assert "2015-01-11</time> 进展</li>" in page
    assert "此问题涉及个人情况" in page


def test_track_malformed_input_explains_the_format(client, db):
    page = track(client, "hello", "12").content.decode()
    assert "编号的写法应像 SH-2015-0001" in page
    assert "请填写电话号码的最后4位数字，或登记回执上的8位查询码。" in page


def test_track_is_throttled_per_client_after_repeated_wrong_tries(client, case):
    for _ in range(tracking.ADDRESS.tries):
        assert NOT_FOUND in track(client, case.number, "0000").content.decode()
    blocked = track(client, case.number, "5678")  # even the right answer waits
    assert blocked.status_code == 429
    assert "查询错误次数过多，请15分钟后再试" in blocked.content.decode()
    assert case.title not in blocked.content.decode()
    other_client = track(client, case.number, "5678", ip="10.0.0.2")
    assert f"问题 {case.number}" in other_client.content.decode()


def test_track_right_answers_do_not_count_towards_the_throttle(client, case):
    for _ in range(tracking.ADDRESS.tries + 2):
        assert track(client, case.number, "5678").status_code == 200


def test_track_refuses_other_methods(client, db):
    assert client.put(reverse("track:index")).status_code == 405


def test_track_needs_the_csrf_token(db, case):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("track:index"), {"number": case.number, "last4": "5678"})
    assert response.status_code == 403


# One more than the case needs: the town whose code begins the number, for its phone.
@pytest.mark.parametrize(("found", "queries"), [(True, 5), (False, 2)])
def test_track_query_count(client, case, django_assert_num_queries, found, queries):
    for day in (13, 14, 15):
        add_event(case, "进展", day=day, kind=CaseEvent.Kind.PROGRESS)
    with django_assert_num_queries(queries):
        track(client, case.number, "5678" if found else "0000")


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("SH-2015-0001", "SH-2015-0001"),
        (" sh-2015-1 ", "SH-2015-0001"),
        ("SH 2015 0042", "SH-2015-0042"),
        ("ＳＨ－２０１５－００４２", "SH-2015-0042"),
        ("SH20150042", "SH-2015-0042"),
        ("SH—2015—0042", "SH-2015-0042"),
        ("2015-0042", None),
        ("SH-15-0042", None),
        ("", None),
    ],
)
def test_normalize_number(raw, number):
    assert tracking.normalize_number(raw) == number


@pytest.mark.parametrize(
    ("phone", "last4"), [("13912345678", "5678"), ("0750-552 4538", "4538"), ("123", ""), ("", "")]
)
def test_phone_last4(phone, last4):
    assert tracking.phone_last4(phone) == last4


def test_client_ip_is_the_remote_address_unless_a_proxy_header_is_configured(rf, settings):
    request = rf.get("/track/", REMOTE_ADDR="10.0.0.9", HTTP_X_REAL_IP="203.0.113.5")
    assert tracking.client_ip(request) == "10.0.0.9"
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert tracking.client_ip(request) == "203.0.113.5"
