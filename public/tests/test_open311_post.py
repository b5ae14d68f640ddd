"""Open311's POST: an API key's life (issued in the admin, used, limited, revoked), the report
registered as the cadre's form registers a problem, refusals in the spec's shape, one case per
idempotency key, and tokens."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Case
from cases.tests.factories import CategoryFactory, SubCategoryFactory
from public.models import Open311Client, Open311Post
from public.open311 import intake
from public.tests.test_open311 import _swagger, get_json, validate
from sanhe.lib import keys
from teams.tests.factories import TeamFactory

REQUESTS_JSON = reverse("open311:requests", kwargs={"fmt": "json"})
REQUESTS_XML = reverse("open311:requests", kwargs={"fmt": "xml"})
POST_ANSWER = {"type": "array", "items": _swagger("RequestResponse"), "minItems": 1, "maxItems": 1}
TOKEN_ANSWER = {"type": "array", "items": _swagger("TokenResponse"), "minItems": 1, "maxItems": 1}


@pytest.fixture
def api():
    """A client as an Open311 app is: no session, and Django's CSRF check on."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def canal(db):
    return SubCategoryFactory(code="S-CANAL", label="水渠年久失修", category__label="农田水利建设")


@pytest.fixture
def village(db):
    return TeamFactory().village


@pytest.fixture
def key(db):
    client = Open311Client(name="测试小程序")
    raw = intake.issue_key(client)
    client.save()
    return raw


def report(key: str, village, **fields) -> dict:
    return {
        "api_key": key,
        "service_code": "S-CANAL",
        "address_id": village.code,
        "description": "东坑水渠崩塌，影响灌溉\n详细情况见现场。",
        "first_name": "翠萍",
        "last_name": "司徒",
        "phone": "139 7654 3210",
        "email": "someone@example.org",
        **fields,
    }


def test_a_key_issued_in_the_admin_is_used_limited_and_revoked(admin_client, api, canal, village, settings):
    settings.OPEN311_POSTS_PER_HOUR = 60
    added = admin_client.post(
        reverse("admin:public_open311client_add"),
        {"name": "江门12345小程序", "contact": "0750-12345", "posts_per_hour": "2"},
        follow=True,
    )
    raw = re.search(r"api_key 是：(\S+) 。", added.content.decode())[1]
    client = Open311Client.objects.get()
    assert (client.key_prefix, client.key_hash) == (raw[:8], keys.digest(raw))
    assert raw not in (client.key_hash, client.key_prefix)
    change_page = admin_client.get(reverse("admin:public_open311client_change", args=[client.pk])).content.decode()
    assert client.key_prefix in change_page and raw not in change_page  # shown once, never again

    first = api.post(REQUESTS_JSON, report(raw, village))
    second = api.post(REQUESTS_XML, report(raw, village, description="北闸漏水"))
    limited = api.post(REQUESTS_JSON, report(raw, village, description="第三次"))
    admin_client.post(
        reverse("admin:public_open311client_changelist"), {"action": "revoke", "_selected_action": [client.pk]}
    )
    revoked = api.post(REQUESTS_JSON, report(raw, village, description="停用以后"))

    assert [r.status_code for r in (first, second, limited, revoked)] == [200, 200, 429, 403]
    validate(json.loads(first.content), POST_ANSWER)
    assert ET.fromstring(second.content).tag == "service_requests"
    assert json.loads(limited.content)[0]["code"] == 429
    assert json.loads(revoked.content)[0] == {"code": 403, "description": "这个 api_key 已停用，不能提交。"}
    assert Case.objects.count() == 2
    log = list(Open311Post.objects.order_by("pk").values_list("outcome", "status_code", "client__name"))
    assert log == [
        ("created", 200, "江门12345小程序"),
        ("created", 200, "江门12345小程序"),
        ("refused", 429, "江门12345小程序"),
        ("refused", 403, "江门12345小程序"),
    ]
    client.refresh_from_db()
    assert client.revoked_at is not None and client.last_used_at is not None


def test_a_report_is_registered_as_the_cadre_form_registers_a_problem(api, key, canal, village):
    response = api.post(REQUESTS_JSON, report(key, village, **{"attribute[kind]": "complaint"}))

    [answer] = json.loads(response.content)
    case = Case.objects.get(number=answer["service_request_id"])
    assert answer["service_notice"] == "投诉类诉求按规定在 15 个工作日内答复。"
    assert (case.channel, case.kind, case.status, case.team, case.village) == (
        "online",
        "complaint",
        "registered",
        village.teams.get(),
        village,
    )
    assert (case.category, case.subcategory, case.public_posting) == (canal.category, canal, True)
    assert (case.title, case.description) == ("东坑水渠崩塌，影响灌溉", "东坑水渠崩塌，影响灌溉\n详细情况见现场。")
    assert (case.resident_name, case.resident_phone) == ("司徒翠萍", "139 7654 3210")
    assert [e.kind for e in case.events.all()] == ["registered"]
    assert Open311Post.objects.get().case == case


def test_a_sensitive_service_registers_a_case_not_for_posting(api, key, village):
    SubCategoryFactory(code="S-DIBAO", label="低保保障", category=CategoryFactory(sensitive=True))

    response = api.post(REQUESTS_JSON, report(key, village, service_code="S-DIBAO", description="申请低保"))

    assert response.status_code == 200
    assert Case.objects.get().public_posting is False


def test_the_resident_never_appears_in_what_the_api_shows(api, client, key, canal, village):
    number = json.loads(api.post(REQUESTS_JSON, report(key, village, address_string="后山坊隐秘巷9号")).content)[0][
        "service_request_id"
    ]

    bodies = [
        client.get(reverse("open311:request", kwargs={"number": number, "fmt": fmt})).content.decode()
        for fmt in ("json", "xml")
    ]

    assert all(number in body for body in bodies)
    for secret in ("司徒", "翠萍", "7654", "someone@example.org", "后山坊", "详细情况"):
        assert not any(secret in body for body in bodies), secret


def test_what_identifies_the_sender_is_taken_out_of_the_public_summary_not_refused(api, key, canal, village):
    description = "司徒翠萍家门口水渠崩塌，请打13912345678联系\n详细情况：东坊8号后面"
    answer = api.post(REQUESTS_JSON, report(key, village, description=description))

    assert answer.status_code == 200
    case = Case.objects.get()
    assert case.description == description  # private, whole
    for secret in ("司徒", "翠萍", "13912345678", "东坊8号"):
        assert secret not in case.title
    assert "水渠崩塌" in case.title


def test_refusals_from_one_address_are_logged_only_up_to_its_hourly_limit(api, village):
    for _ in range(intake.REFUSALS_LOGGED.tries + 5):
        assert api.post(REQUESTS_JSON, {"api_key": "nonsense"}).status_code == 403

    assert Open311Post.objects.count() == intake.REFUSALS_LOGGED.tries


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "NOPE"}, 404, "NOPE"),
        ({"address_id": "", "address_string": ""}, 400, "address_id"),
        ({"address_id": "440781999999"}, 400, "address_id"),
        ({"description": "  "}, 400, "description"),
        ({"attribute[kind]": "praise"}, 400, "attribute[kind]"),
        ({"phone": "call me"}, 400, "phone"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"jurisdiction_id": "sfgov.org"}, 404, "jurisdiction_id"),
    ],
)
def test_bad_reports_are_refused_logged_and_register_nothing(api, key, canal, village, fields, status, words):
    response = api.post(REQUESTS_JSON, report(key, village, **fields))
    xml = api.post(REQUESTS_XML, report(key, village, **fields))

    [error] = json.loads(response.content)
    assert (response.status_code, error["code"]) == (status, status)
    assert words in error["description"]
    assert (xml.status_code, ET.fromstring(xml.content).findtext("error/code")) == (status, str(status))
    assert Case.objects.count() == 0
    assert list(Open311Post.objects.values_list("outcome", "status_code")) == [("refused", status)] * 2


@pytest.mark.parametrize("raw", ["", "deadbeef.not-the-key", "nonsense"])
def test_a_missing_or_unknown_key_is_403_and_logged_without_a_client(api, canal, village, raw):
    response = api.post(REQUESTS_JSON, report(raw, village))

    assert (response.status_code, json.loads(response.content)[0]["code"]) == (403, 403)
    assert list(Open311Post.objects.values_list("client", "outcome", "status_code")) == [(None, "refused", 403)]
    assert Case.objects.count() == 0


@pytest.mark.parametrize("how", ["header", "field"])
def test_the_same_post_sent_again_registers_one_case(api, key, canal, village, how):
    extra = {"HTTP_IDEMPOTENCY_KEY": "abc-123"} if how == "header" else {}
    fields = {"idempotency_key": "abc-123"} if how == "field" else {}

    first = json.loads(api.post(REQUESTS_JSON, report(key, village, **fields), **extra).content)
    again = json.loads(api.post(REQUESTS_JSON, report(key, village, **fields), **extra).content)

    assert again == first and Case.objects.count() == 1
    assert list(Open311Post.objects.order_by("pk").values_list("outcome", flat=True)) == ["created", "replayed"]


def test_an_idempotency_key_belongs_to_its_client(api, key, canal, village):
    other = Open311Client(name="另一个应用")
    other_key = intake.issue_key(other)
    other.save()

    api.post(REQUESTS_JSON, report(key, village), HTTP_IDEMPOTENCY_KEY="same")
    api.post(REQUESTS_JSON, report(other_key, village), HTTP_IDEMPOTENCY_KEY="same")

    assert Case.objects.count() == 2


def test_a_token_gives_the_request_id(api, client, key, canal, village):
    [answer] = json.loads(api.post(REQUESTS_JSON, report(key, village)).content)

    data = get_json(client, reverse("open311:token", kwargs={"token": answer["token"], "fmt": "json"}))
    root = ET.fromstring(client.get(reverse("open311:token", kwargs={"token": answer["token"], "fmt": "xml"})).content)
    missing = get_json(client, reverse("open311:token", kwargs={"token": "0" * 32, "fmt": "json"}), status=404)

    validate(data, TOKEN_ANSWER)
    assert data == [{"service_request_id": answer["service_request_id"], "token": answer["token"]}]
    assert root.findtext("request/service_request_id") == answer["service_request_id"]
    assert missing[0]["code"] == 404


def test_the_default_hourly_limit_comes_from_the_settings(api, key, canal, village, settings):
    settings.OPEN311_POSTS_PER_HOUR = 1

    statuses = [api.post(REQUESTS_JSON, report(key, village, description=f"水渠{n}")).status_code for n in range(2)]

    assert statuses == [200, 429]


def test_the_post_log_is_read_only_in_the_admin(admin_client, api, key, canal, village):
    api.post(REQUESTS_JSON, report(key, village))
    post = Open311Post.objects.get()

    listed = admin_client.get(reverse("admin:public_open311post_changelist"))
    add = admin_client.get(reverse("admin:public_open311post_add"))
    delete = admin_client.get(reverse("admin:public_open311post_delete", args=[post.pk]))
    clients = admin_client.get(reverse("admin:public_open311client_changelist"))

    assert post.case.number in listed.content.decode() and "测试小程序" in clients.content.decode()
    assert (add.status_code, delete.status_code) == (403, 403)
