"""PIPL duties (cases/pipl.py): contact details masked and revealed on purpose with a log row,
masked in every list, the access log read-only and exportable by the administrator, a resident's
own data exported by the office, and anonymisation after the retention period that changes no
figure."""

import csv
import datetime
import io
import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from cases import pipl
from cases.ledger_cells import legacy_row_key, row_key
from cases.models import Case, CaseEvent, CaseTally, ContactAccess, Feedback, Referral
from cases.tally import rebuild
from cases.tests.factories import CaseFactory, FeedbackFactory, ReferralFactory, SubCategoryFactory
from cases.tests.test_ledger import read, town, xlsx  # noqa: F401 (town: fixture)
from reports.figures import summary
from teams.tests.factories import CadreFactory, TeamFactory, UserFactory

D = datetime.date
PHONE, MASKED = "13912345678", "139****5678"
pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


# --- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13912345678", "139****5678"),
        ("139 1234 5678", "139****5678"),
        ("0750-5524538", "075****4538"),
        ("+86 139 1234 5678", "861****5678"),
        ("1234567", "****"),
        ("", ""),
    ],
)
def test_mask_phone_keeps_three_first_and_four_last_digits(phone, masked):
    assert pipl.mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("测试村东坊8号", "测试村***"),
        ("三合圩社区中山路12号", "三合圩社区***"),
        ("东坊8号", "东坊***"),
        ("8号", "8号***"),
        ("", ""),
    ],
)
def test_mask_address_keeps_the_village_only(address, masked):
    assert pipl.mask_address(address) == masked


# --- the case page: masked, revealed on purpose, each look logged ------------------------------


def test_case_page_masks_the_contact_and_logs_nothing(office_client, team):
    case = CaseFactory(team=team)

    page = html(office_client.get(f"/cases/{case.number}/"))

    assert PHONE not in page
    assert "测试村东坊8号" not in page
    assert f"<dt>联系电话</dt><dd>{MASKED}</dd>" in page
    assert "<dt>住址（自然村）</dt><dd>测试村***</dd>" in page
    assert '<button type="submit">查看联系方式</button>' in page
    assert ContactAccess.objects.count() == 0


def test_reveal_shows_the_contact_and_logs_who_which_case_when_and_from_where(office_client, office_user, team):
    case = CaseFactory(team=team)

    response = office_client.post(f"/cases/{case.number}/contact/", REMOTE_ADDR="10.0.0.7")

    page = html(response)
    assert response.status_code == 200
    assert f'<a href="tel:{PHONE}">{PHONE}</a>' in page
    assert "<dt>住址（自然村）</dt><dd>测试村东坊8号</dd>" in page
    assert "查看联系方式</button>" not in page
    entry = ContactAccess.objects.get()
    assert (entry.user, entry.username, entry.case, entry.case_number, entry.what, entry.ip) == (
        office_user,
        office_user.username,
        case,
        case.number,
        "contact",
        "10.0.0.7",
    )
    assert entry.fields == "resident_name,resident_phone,resident_address"


def test_reveal_is_post_only(office_client, team):
    case = CaseFactory(team=team)

    assert office_client.get(f"/cases/{case.number}/contact/").status_code == 405
    assert ContactAccess.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "status"),
    [("office", 200), ("admin", 200), ("supervisor", 200), ("own_cadre", 200), ("other_cadre", 404)],
)
def test_reveal_role_matrix(persona, status, team, other_team, client, admin_user):
    case = CaseFactory(team=team)
    users = {
        "office": lambda: CadreFactory(user=UserFactory(role="office"), team=None, town=team.town).user,
        "admin": lambda: admin_user,
        "supervisor": lambda: CadreFactory(user=UserFactory(role="supervisor"), team=None, town=team.town).user,
        "own_cadre": lambda: CadreFactory(user=UserFactory(role="cadre"), team=team).user,
        "other_cadre": lambda: CadreFactory(user=UserFactory(role="cadre"), team=other_team).user,
    }
    client.force_login(users[persona]())

    shown = "查看联系方式</button>" in html(client.get(f"/cases/{case.number}/"))
    response = client.post(f"/cases/{case.number}/contact/")

    assert (response.status_code, shown) == (status, status == 200)
    assert ContactAccess.objects.count() == (1 if status == 200 else 0)


def test_reveal_refused_to_a_user_without_role(client, team):
    case = CaseFactory(team=team)
    client.force_login(UserFactory())

    assert client.post(f"/cases/{case.number}/contact/").status_code == 403


def test_reveal_sends_anonymous_users_to_log_in(client, team):
    case = CaseFactory(team=team)

    response = client.post(f"/cases/{case.number}/contact/")

    assert (response.status_code, response["Location"].split("?")[0]) == (302, "/accounts/login/")
    assert ContactAccess.objects.count() == 0


def test_can_reveal_contact_refuses_a_cadre_of_another_team(team, other_team):
    case = CaseFactory(team=team)
    stranger = CadreFactory(user=UserFactory(role="cadre"), team=other_team).user

    assert pipl.can_reveal_contact(stranger, case) is False


def test_edit_form_carries_the_contact_only_after_the_reveal(cadre_client, team):
    case = CaseFactory(team=team)

    plain = html(cadre_client.get(f"/cases/{case.number}/edit/"))  # the edit form's own page
    revealed = html(cadre_client.post(f"/cases/{case.number}/contact/", {"open": "edit_case"}))

    assert 'name="title"' in plain and 'name="resident_phone"' not in plain
    assert "联系电话和住址要先“查看联系方式”才能修改。" in plain
    assert f'value="{PHONE}"' in revealed
    assert '<details class="detail-panel" id="edit_case" open>' in revealed
    assert ContactAccess.objects.get().what == "contact"


def test_editing_without_the_contact_keeps_it_and_logs_no_look(cadre_client, team):
    case = CaseFactory(team=team, title="路灯不亮")
    data = {"version": case.version, "title": "村道路灯不亮", "kind": case.kind, "channel": case.channel}

    response = cadre_client.post(f"/cases/{case.number}/edit/", {**data, "raised_on": case.raised_on.isoformat()})

    case.refresh_from_db()
    assert response.status_code == 302
    assert (case.title, case.resident_phone) == ("村道路灯不亮", PHONE)
    assert not ContactAccess.objects.exists()


def test_editing_with_the_contact_changes_it(cadre_client, team):
    case = CaseFactory(team=team)
    data = {"version": case.version, "title": case.title, "kind": case.kind, "channel": case.channel}
    data |= {"raised_on": case.raised_on.isoformat(), "resident_phone": "13800001111", "resident_address": "新村"}

    response = cadre_client.post(f"/cases/{case.number}/edit/", data)

    case.refresh_from_db()
    assert response.status_code == 302
    assert (case.resident_phone, case.resident_address) == ("13800001111", "新村")


def test_anonymised_case_page_says_so_and_offers_nothing_to_reveal(office_client, team):
    case = CaseFactory(team=team, resident_name="", resident_phone="", resident_address="", anonymised_on=D(2019, 2, 1))

    page = html(office_client.get(f"/cases/{case.number}/"))

    assert "已匿名化（2019-02-01）" in page
    assert "查看联系方式</button>" not in page


def test_case_page_query_count_is_the_same_masked_for_a_cadre(cadre_client, team, django_assert_max_num_queries):
    case = CaseFactory(team=team)

    with django_assert_max_num_queries(14):
        page = html(cadre_client.get(f"/cases/{case.number}/"))

    assert "查看联系方式</button>" in page


# --- lists never show a full phone or a name ----------------------------------------------------


def test_lists_and_export_page_never_show_a_full_phone_or_the_name(office_client, cadre_client, team):
    CaseFactory(team=team, resident_name="黄大明")
    CaseFactory(team=team, resident_name="黄大明", closed=True)

    pages = {
        "list": html(office_client.get("/cases/")),
        "triage": html(office_client.get(reverse("triage"))),
        "my_team": html(cadre_client.get(reverse("my_team"))),
    }

    leaked = {name: [s for s in (PHONE, "黄大明", "测试村东坊8号") if s in page] for name, page in pages.items()}
    assert leaked == {"list": [], "triage": [], "my_team": []}
    assert all("SH-2015-" in page for page in pages.values())  # the rows are there


def test_export_keeps_full_phones_and_writes_a_log_row_for_each_case(office_client, office_user, team):
    cases = [CaseFactory(team=team) for _ in range(3)]
    CaseFactory(team=team, status="in_progress")

    response = office_client.get("/cases/export.xlsx?status=registered&q=13912345678")

    assert response.status_code == 200
    entries = ContactAccess.objects.order_by("case_number")
    assert [(e.case, e.case_number) for e in entries] == [(c, c.number) for c in sorted(cases, key=lambda c: c.number)]
    assert {(e.what, e.user, e.fields) for e in entries} == {
        ("export", office_user, "resident_name,resident_phone,resident_address; status=registered")
    }  # the search (a phone, a name) is not repeated in the log


# --- the access log in the admin --------------------------------------------------------------


def test_admin_access_log_is_read_only_for_the_administrator(admin_client, team):
    entry = ContactAccess.objects.create(what="contact", username="office", case_number="SH-2015-0001")
    base = "/admin/cases/contactaccess/"

    listing = admin_client.get(base)
    assert listing.status_code == 200
    assert "SH-2015-0001" in html(listing)
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{entry.pk}/change/", {"username": "x"}).status_code == 403
    assert admin_client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ContactAccess.objects.get().username == "office"


def test_admin_access_log_filters_and_search(admin_client):
    ContactAccess.objects.create(what="contact", username="office", case_number="SH-2015-0001")
    ContactAccess.objects.create(what="export", username="cadre", case_number="")

    by_what = html(admin_client.get("/admin/cases/contactaccess/?what=export"))
    by_user = html(admin_client.get("/admin/cases/contactaccess/?q=SH-2015-0001"))

    assert ("cadre" in by_what, "SH-2015-0001" in by_what) == (True, False)
    assert "SH-2015-0001" in by_user and ">cadre<" not in by_user


def test_admin_access_log_csv_export_follows_the_filters(admin_client):
    ContactAccess.objects.create(what="contact", username="office", case_number="SH-2015-0001", ip="10.0.0.7")
    ContactAccess.objects.create(what="export", username="=cmd|calc", fields="n=3")

    response = admin_client.get("/admin/cases/contactaccess/export.csv?what=export")

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0] == ["时间", "用户名", "编号", "内容", "字段", "IP地址"]
    assert [row[1:] for row in rows[1:]] == [["'=cmd|calc", "", "导出个人信息", "n=3", ""]]


def test_admin_access_log_export_action_exports_the_selected_rows(admin_client):
    first = ContactAccess.objects.create(what="contact", username="office", case_number="SH-2015-0001")
    ContactAccess.objects.create(what="contact", username="office", case_number="SH-2015-0002")

    response = admin_client.post(
        "/admin/cases/contactaccess/", {"action": "export_selected", "_selected_action": [first.pk]}
    )

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "SH-2015-0001" in body and "SH-2015-0002" not in body


@pytest.mark.parametrize("url", ["/admin/cases/contactaccess/", "/admin/cases/contactaccess/export.csv"])
def test_admin_access_log_is_refused_to_staff_who_are_not_the_administrator(client, url):
    office = UserFactory(role="office", is_staff=True)
    office.user_permissions.add(*Permission.objects.filter(codename__endswith="contactaccess"))
    client.force_login(office)

    assert client.get(url).status_code == 403


# --- a resident's own data ----------------------------------------------------------------------


def test_resident_lookup_by_phone_in_any_spacing_lists_their_cases_masked(office_client, team):
    mine = CaseFactory(team=team, resident_phone="139 1234 5678")
    CaseFactory(team=team, resident_phone="+86 13912345678")
    CaseFactory(team=team, resident_phone="13800000000")

    response = office_client.post("/cases/residents/", {"phone": "139-1234-5678"})

    page = html(response)
    assert response.status_code == 200
    assert "找到 2 个问题" in page
    assert mine.number in page
    assert PHONE not in page and "139 1234 5678" not in page


def test_resident_lookup_by_name_needs_the_village(office_client, team):
    CaseFactory(team=team, resident_name="黄大明")

    response = office_client.post("/cases/residents/", {"name": "黄大明"})
    found = office_client.post("/cases/residents/", {"name": "黄大明", "village": team.village.pk})

    assert response.status_code == 400
    assert "请填写电话号码，或者同时填写姓名和村（社区）。" in html(response)
    assert "找到 1 个问题" in html(found)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"phone": "call me"}, "请填写完整的电话号码"),
        ({"phone": "123"}, "请填写完整的电话号码"),
        ({"phone": "1" * 31}, "确保该变量包含不超过 30 字符"),
        ({"name": "黄", "village": "999999"}, "请从列表中选择村（社区）。"),
        ({"name": "", "village": "", "phone": ""}, "请填写电话号码，或者同时填写姓名和村（社区）。"),
    ],
)
def test_resident_lookup_bad_input_gets_a_message(office_client, query, message):
    response = office_client.post("/cases/residents/", query)

    assert response.status_code == 400
    assert message in html(response)


@pytest.mark.parametrize("persona", ["cadre_client", "supervisor_client"])
def test_resident_pages_are_the_offices(persona, request, team):
    client = request.getfixturevalue(persona)
    CaseFactory(team=team)

    assert client.post("/cases/residents/", {"phone": PHONE}).status_code == 403
    assert client.post("/cases/residents/export.json", {"phone": PHONE}).status_code == 403
    assert ContactAccess.objects.count() == 0


def test_resident_export_is_post_only(office_client):
    assert office_client.get("/cases/residents/export.json", {"phone": PHONE}).status_code == 405


def test_resident_export_downloads_every_case_with_its_history_and_logs_each(office_client, office_user, team):
    first = CaseFactory(team=team, closed=True, raised_on=D(2015, 1, 8))
    second = CaseFactory(team=team, raised_on=D(2015, 1, 15), resident_phone="139 1234 5678")
    CaseEvent.objects.create(case=first, kind="progress", text="已联系水利所")
    FeedbackFactory(case=first, notes="陈伯表示满意")
    ReferralFactory(case=second, request="请协助调解")
    CaseFactory(team=team, resident_phone="13800000000")

    response = office_client.post("/cases/residents/export.json", {"phone": PHONE, "name": "", "village": ""})

    data = json.loads(response.content)
    assert response["Content-Disposition"].startswith('attachment; filename="resident-')
    assert [c["number"] for c in data["cases"]] == [first.number, second.number]
    assert data["cases"][0]["resident_name"] == "陈测试"
    assert data["cases"][0]["resident_address"] == "测试村东坊8号"
    assert data["cases"][0]["history"][0]["text"] == "已联系水利所"
    assert data["cases"][0]["feedback"][0]["notes"] == "陈伯表示满意"
    assert data["cases"][1]["referrals"][0]["request"] == "请协助调解"
    log = ContactAccess.objects.order_by("case_number")
    assert [(e.what, e.case_number, e.user) for e in log] == [
        ("resident_export", first.number, office_user),
        ("resident_export", second.number, office_user),
    ]


def test_resident_export_of_nobody_says_so(office_client):
    response = office_client.post("/cases/residents/export.json", {"phone": PHONE})

    assert response.status_code == 404
    assert "没有找到这位群众的问题，未导出。" in html(response)
    assert ContactAccess.objects.count() == 0


# --- anonymisation after the retention period ---------------------------------------------------


@pytest.fixture
def old_ledger(team, other_team):
    """Cases closed on 2015-01-20 (due on 2018-01-21 with 3 years), one closed later, one open."""
    sub = SubCategoryFactory()
    old = []
    for i, t in enumerate([team, team, other_team]):
        case = CaseFactory(
            team=t,
            closed=True,
            category=sub.category,
            subcategory=sub,
            fed_back_on=D(2015, 1, 21),
            description="陈伯家低保，患病",
            plan="为陈伯家修缮",
            policy_basis="民政政策",
            ledger_key=f"key{i}",
        )
        CaseEvent.objects.create(case=case, kind="progress", text="内部：陈伯电话13912345678")
        CaseEvent.objects.create(case=case, kind="progress", text="已修好水渠", public=True)
        FeedbackFactory(case=case, notes="陈伯满意", satisfaction="satisfied", given_by=CadreFactory())
        ReferralFactory(case=case, request="请协助陈伯", reply="已调解", replied_on=D(2015, 1, 15))
        old.append(case)
    later = CaseFactory(team=team, closed=True, closed_on=D(2015, 1, 25), raised_on=D(2015, 1, 22))
    open_case = CaseFactory(team=other_team, raised_on=D(2014, 12, 1))
    return {"old": old, "later": later, "open": open_case}


def figures() -> dict:
    tallied = list(CaseTally.objects.order_by(*[f.name for f in CaseTally._meta.fields if f.name != "id"]).values())
    for row in tallied:
        row.pop("id")
    return {
        "tally": tallied,
        "summary": summary(),
        "january": summary(start=D(2015, 1, 1), end=D(2015, 1, 31)),
        "cases": list(
            Case.objects.order_by("pk").values_list(
                "status",
                "closure",
                "closed_on",
                "raised_on",
                "due_on",
                "fed_back_on",
                "category",
                "subcategory",
                "village",
                "team",
                "decision",
                "ledger_key",
                "title",
                "result",
            )
        ),
        "satisfaction": list(
            Feedback.objects.order_by("pk").values_list("given_on", "channel", "satisfaction", "given_by")
        ),
        "public": list(CaseEvent.objects.filter(public=True).order_by("pk").values_list("text", flat=True)),
    }


def run(*args) -> str:
    out = io.StringIO()
    call_command("anonymise_residents", *args, stdout=out)
    return out.getvalue()


def test_anonymise_keeps_every_figure_and_blanks_every_personal_field(old_ledger):
    before = figures()
    assert (before["summary"].total, before["summary"].closed, len(before["tally"]) > 0) == (5, 4, True)

    out = run("--today", "2018-01-21")

    assert out == "anonymise_residents: 已匿名化 3 个问题（2015-01-21 以前办结，保存期限 3 年）。\n"
    assert figures() == before
    rebuild()  # the triggers' tally and a fresh count agree
    assert figures() == before
    old = [c.pk for c in old_ledger["old"]]
    assert set(
        Case.objects.filter(pk__in=old).values_list(
            "resident_name", "resident_phone", "resident_address", "description", "plan", "anonymised_on"
        )
    ) == {("", "", "", "", "", D(2018, 1, 21))}
    assert set(Case.objects.filter(pk__in=old).values_list("policy_basis", "version")) == {("民政政策", 2)}
    assert set(CaseEvent.objects.filter(case__in=old, public=False).values_list("text", flat=True)) == {""}
    assert set(Feedback.objects.filter(case__in=old).values_list("notes", flat=True)) == {""}
    assert set(Referral.objects.filter(case__in=old).values_list("request", "reply")) == {("", "")}
    kept = Case.objects.filter(pk__in=[old_ledger["later"].pk, old_ledger["open"].pk])
    assert set(kept.values_list("resident_name", "resident_phone", "anonymised_on")) == {("陈测试", PHONE, None)}
    entry = ContactAccess.objects.get()
    assert entry.what == "anonymise"
    assert "n=3" in entry.fields


def test_anonymise_in_small_batches_does_the_same(old_ledger):
    assert pipl.anonymise(today=D(2018, 1, 21), years=3, batch_size=1) == 3
    assert Case.objects.filter(anonymised_on__isnull=False).count() == 3


def test_anonymise_dry_run_changes_nothing(old_ledger):
    before = list(Case.objects.order_by("pk").values())

    out = run("--dry-run", "--today", "2018-01-21")

    assert out == "anonymise_residents: 将匿名化 3 个问题（2015-01-21 以前办结，保存期限 3 年）。\n"
    assert list(Case.objects.order_by("pk").values()) == before
    assert ContactAccess.objects.count() == 0


def test_anonymise_twice_does_nothing_the_second_time(old_ledger):
    run("--today", "2018-01-21")
    after = list(Case.objects.order_by("pk").values())

    out = run("--today", "2018-01-21")

    assert "已匿名化 0 个问题" in out
    assert list(Case.objects.order_by("pk").values()) == after
    assert ContactAccess.objects.count() == 1


def test_anonymise_follows_the_retention_setting(old_ledger, settings):
    settings.RESIDENT_DATA_RETENTION_YEARS = 5

    assert "将匿名化 0 个问题" in run("--dry-run", "--today", "2018-01-21")
    assert "将匿名化 3 个问题" in run("--dry-run", "--today", "2020-01-21")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--years", "0"], "保存期限至少1年。"),
        (["--today", "2018-13-01"], "--today 应为 YYYY-MM-DD 格式的日期：2018-13-01"),
    ],
)
def test_anonymise_bad_arguments_get_a_message(args, message, db):
    with pytest.raises(CommandError) as error:
        run(*args)

    assert str(error.value) == message


def test_anonymise_one_case_on_the_residents_request_whatever_its_age(old_ledger):
    later = old_ledger["later"]

    out = run("--case", later.number, "--today", "2015-02-01")

    assert out == "anonymise_residents: 已匿名化 1 个问题（本人要求）。\n"
    later.refresh_from_db()
    assert (later.resident_name, later.resident_phone, later.anonymised_on) == ("", "", D(2015, 2, 1))
    assert Case.objects.filter(anonymised_on__isnull=False).count() == 1
    assert ContactAccess.objects.get().fields.endswith("n=1; on request")


def test_anonymise_on_request_refuses_an_open_or_unknown_case(old_ledger):
    with pytest.raises(CommandError) as error:
        run("--case", old_ledger["open"].number, "--case", "SH-2099-0001")

    assert str(error.value) == (
        f"未匿名化任何问题：没有问题 SH-2099-0001；问题 {old_ledger['open'].number} 尚未办结，请先办结。"
    )
    assert Case.objects.filter(anonymised_on__isnull=False).count() == 0


def test_cutoff_of_a_29_february():
    assert pipl.cutoff(D(2024, 2, 29), 3) == D(2021, 2, 28)


@pytest.mark.parametrize("legacy", [False, True])
def test_an_anonymised_case_is_not_imported_again_from_its_ledger_row(town, legacy):  # noqa: F811
    """ledger_key stays: importing the ledger row again finds the anonymised case, also when it was
    imported under the key of old (whose match checks the phone, gone after anonymisation)."""
    day = D(2015, 1, 8)
    key = (legacy_row_key if legacy else row_key)(town.dong, day, "陈大文", "村道破损", *([] if legacy else [PHONE]))
    CaseFactory(
        team=town.dong_team,
        village=town.dong,
        raised_on=day,
        closed=True,
        resident_name="陈大文",
        resident_phone=PHONE,
        ledger_key=key,
    )
    pipl.anonymise(today=D(2018, 1, 21), years=3)
    data = xlsx(
        ["村", "反映人", "联系电话", "问题内容", "反映时间"], [["东联村", "陈大文", PHONE, "村道破损", "2015-01-08"]]
    )

    plan = read(data)

    assert (len(plan.skipped), len(plan.to_import)) == (1, 0)
    assert Case.objects.get().ledger_key == key


def test_team_of_other_village_sees_no_case(client, team):
    """A persona check that the fixtures above do what they say: a cadre of another team gets 404."""
    case = CaseFactory(team=team)
    client.force_login(CadreFactory(user=UserFactory(role="cadre"), team=TeamFactory()).user)

    assert client.get(f"/cases/{case.number}/").status_code == 404


@pytest.mark.parametrize("n", [1, 3])
def test_resident_lookup_query_count_is_constant(office_client, team, django_assert_num_queries, n):
    for _ in range(n):
        CaseFactory(team=team)

    # session, user, groups, the phones ending in the same four digits, the cases with their
    # relations, the user's cadre (the header's name), the villages (the form's choices).
    with django_assert_num_queries(6):
        page = html(office_client.post("/cases/residents/", {"phone": PHONE}))

    assert f"找到 {n} 个问题" in page


def test_resident_lookup_form_is_sent_by_post_to_keep_phones_out_of_urls(office_client, cadre_client):
    page = html(office_client.get("/cases/residents/"))

    assert '<form method="post" action="/cases/residents/"' in page
    assert "<h1>群众个人信息</h1>" in page
    assert cadre_client.get("/cases/residents/").status_code == 403


def test_admin_access_log_csv_export_with_a_bad_filter_says_so(admin_client):
    response = admin_client.get("/admin/cases/contactaccess/export.csv?at__gte=notadate", follow=True)

    assert response.redirect_chain == [("/admin/cases/contactaccess/", 302)]
    assert "筛选条件有误，未能导出。" in html(response)


# --- the admin: its case form and its export show contact details in full ----------------------


def test_the_admins_case_form_logs_each_look(admin_client, admin_user, team):
    case = CaseFactory(team=team)

    page = admin_client.get(f"/admin/cases/case/{case.pk}/change/")

    assert page.status_code == 200 and PHONE in page.content.decode()
    entry = ContactAccess.objects.get()
    assert (entry.what, entry.user, entry.case) == ("contact", admin_user, case)


def test_the_admins_export_logs_each_case(admin_client, team):
    cases = [CaseFactory(team=team) for _ in range(2)]
    page = admin_client.get("/admin/cases/case/export/")
    csv_format = re.search(r'<option value="(\d+)"[^>]*>\s*csv', page.content.decode()).group(1)
    fields = {"caseresource_number": "on", "caseresource_resident_phone": "on"}

    response = admin_client.post("/admin/cases/case/export/", {"format": csv_format, **fields})

    assert response.status_code == 200 and PHONE in response.content.decode("utf-8-sig")
    logged = ContactAccess.objects.filter(what="export").values_list("case_number", flat=True)
    assert sorted(logged) == sorted(c.number for c in cases)


@pytest.mark.parametrize(
    "stored",
    ["+86 139-1234-5678", "（139）1234 5678", "13912345678/0750-5524538", "0750-5524538、13912345678"],
)
def test_resident_lookup_finds_the_phone_however_the_ledger_wrote_it(stored):
    mine = CaseFactory(resident_phone=stored)
    CaseFactory(resident_phone="13912340000")
    CaseFactory(resident_phone="139123456789")  # a longer number ending the same: not theirs

    assert list(pipl.resident_cases(phone="139 1234 5678")) == [mine]
