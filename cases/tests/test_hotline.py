"""12345 hotline work orders: the batch in (cases/hotline.py), signing for one (workflow.sign_for),
the replies out, the pages and commands (cases/views/hotline.py, import_hotline, export_hotline_replies)."""

import datetime
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from cases import hotline, ledger_files, workflow
from cases.admin import CaseAdmin
from cases.history import render_event
from cases.ledger_files import read_sheets
from cases.models import Case, CaseEvent, Feedback
from cases.tests.factories import CaseFactory
from teams.tests.factories import CadreFactory, TeamFactory
from villages.tests.factories import VillageFactory

TEST_FORMAT = Path(__file__).parent / "files" / "hotline-testcity.json"
HEADER = [
    "工单编号",
    "来电时间",
    "诉求类型",
    "诉求内容",
    "办理时限",
    "承办单位",
    "来电人",
    "联系电话",
    "诉求地址",
    "所属村/社区",
]


def order(number="GD-001", **changes) -> dict:
    row = {
        "工单编号": number,
        "来电时间": "2026-11-30 09:15:00",
        "诉求类型": "投诉",
        "诉求内容": "东坊8号门前水渠堵塞，陈大文电话13912345678",
        "办理时限": "2026-12-10",
        "承办单位": "三合镇人民政府",
        "来电人": "陈大文",
        "联系电话": "13912345678",
        "诉求地址": "台山市三合镇东联村东坊8号",
        "所属村/社区": "东联村",
    }
    return row | changes


def as_xlsx(rows: list[dict], header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["12345热线工单导出"])  # a title row above the header, as platforms write
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name) for name in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_json(rows: list[dict]) -> bytes:
    return json.dumps({"data": rows}, ensure_ascii=False).encode()


def read(data: bytes, name="工单.xlsx", **kwargs) -> hotline.HotlinePlan:
    return hotline.read_orders(io.BytesIO(data), filename=name, **kwargs)


def imported(data: bytes, by=None, **kwargs):
    return hotline.import_orders(read(data, **kwargs), by=by)


@pytest.fixture
def town(db):
    dong = VillageFactory(code="440781104201", name="东联村委会", short_name="东联村")
    xi = VillageFactory(code="440781104204", name="西华村委会", short_name="西华村")
    team = TeamFactory(number=2, village=dong)
    return SimpleNamespace(dong=dong, xi=xi, team=team)


def at(text: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


# -- The batch in ------------------------------------------------------------------------------


def test_import_xlsx_registers_each_order_as_a_hotline_case(town, office_user):
    result = imported(as_xlsx([order("GD-001"), order("GD-002", 诉求类型="咨询")]), by=office_user)

    assert len(result.created) == 2
    case = Case.objects.get(hotline_number="GD-001")
    assert case.channel == Case.Channel.HOTLINE
    assert case.status == Case.Status.REGISTERED
    assert case.kind == Case.Kind.COMPLAINT
    assert case.village == town.dong
    assert case.team == town.team
    assert case.raised_on == datetime.date(2026, 11, 30)
    assert case.hotline_received_at == at("2026-11-30 09:15")
    assert case.hotline_sign_by == at("2026-12-01 09:15")  # HOTLINE_SIGN_WITHIN_HOURS (24) after the call
    assert case.due_on == datetime.date(2026, 12, 10)
    assert case.due_derived is False
    assert case.hotline_handler == "三合镇人民政府"
    assert (case.resident_name, case.resident_phone) == ("陈大文", "13912345678")
    assert case.resident_address == "台山市三合镇东联村东坊8号"
    assert case.title == "门前水渠堵塞，群众"  # no name, house number or phone on the board
    assert case.hotline_signed_at is None
    assert Case.objects.get(hotline_number="GD-002").kind == Case.Kind.ENQUIRY


def test_import_writes_the_hotline_line_of_history(town, office_user):
    imported(as_xlsx([order()]), by=office_user)

    event = CaseEvent.objects.get(case__hotline_number="GD-001")
    assert event.data["code"] == "hotline_imported"
    assert event.at == at("2026-11-30 09:15")
    assert render_event(event).startswith(
        "12345热线工单 GD-001，来电时间 2026-11-30 09:15，签收时限 2026-12-01 09:15。承办单位：三合镇人民政府。"
        "从“工单.xlsx”第 3 行导入，导入人："
    )


def test_import_of_the_same_batch_again_adds_nothing(town):
    data = as_xlsx([order("GD-001"), order("GD-002")])
    imported(data)

    plan = read(data)
    result = hotline.import_orders(plan)

    assert [row.skip for row in plan.rows] == [
        f"已导入，跳过（{Case.objects.get(hotline_number='GD-001').number}）",
        f"已导入，跳过（{Case.objects.get(hotline_number='GD-002').number}）",
    ]
    assert (len(result.created), result.skipped) == (0, 2)
    assert Case.objects.count() == 2


def test_import_json_reads_like_the_workbook(town):
    result = imported(as_json([order("GD-101"), order("GD-101")]), name="工单.json")

    assert [case.hotline_number for case in result.created] == ["GD-101"]
    assert result.skipped == 1  # repeated in the file
    case = result.created[0]
    assert (case.channel, case.due_on, case.village) == (Case.Channel.HOTLINE, datetime.date(2026, 12, 10), town.dong)


def test_import_finds_the_village_in_the_address_and_derives_missing_deadlines(town):
    row = order()
    row.pop("所属村/社区")
    row |= {"诉求地址": "台山市三合镇西华村委会大塘里", "办理时限": "", "诉求类型": ""}
    plan = read(as_json([row]), name="工单.json")

    (read_row,) = plan.rows
    assert read_row.problems == []
    assert read_row.values["village"] == town.xi
    assert read_row.values["kind"] == Case.Kind.HELP  # the format's default
    assert read_row.values["due_derived"] is True
    assert any("推算" in note for note in read_row.notes)


def test_bad_rows_are_refused_with_messages_and_nothing_half_written(town):
    data = as_xlsx(
        [
            order("GD-001"),
            order("", 诉求内容="路灯坏了"),
            order("GD-003", 来电时间="昨天"),
            order("GD-004", 诉求类型="表扬"),
            order("GD-005", **{"所属村/社区": "月球村", "诉求地址": ""}),
            order("GD-006", 办理时限="2026-11-01"),
        ]
    )
    plan = read(data)

    assert [row.problems for row in plan.rows] == [
        [],
        ["缺少工单编号"],
        ["来电时间“昨天”无法识别"],
        ["诉求类型“表扬”无法识别（可填：举报、咨询、建议、意见、投诉、求助）"],
        ["找不到所属村（社区）“月球村”：请在文件中写明所属村（如“东联村”）"],
        ["办理时限 2026-11-01 早于来电时间"],
    ]
    with pytest.raises(hotline.HotlineNotClean):
        hotline.import_orders(plan)
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0

    result = hotline.import_orders(plan, only_clean=True)
    assert ([c.hotline_number for c in result.created], result.refused) == (["GD-001"], 5)


def test_a_file_without_the_required_columns_is_refused(town):
    plan = read(as_xlsx([order()], header=["工单编号", "承办单位", "联系电话"]))

    assert plan.problems == ["缺少必需的列：来电时间、诉求内容。"]
    assert plan.rows == []


def test_a_file_that_is_no_spreadsheet_nor_json_is_refused(town):
    plan = read(b"%PDF-1.4 not a sheet", name="工单.pdf")

    assert plan.problems == ["这是 PDF 文件，不是表格。请上传 Excel 或 WPS 表格（.xlsx、.xls）或 .csv 文件。"]


def test_broken_json_is_refused_with_a_message(town):
    plan = read(b'{"data": [', name="工单.json")

    assert plan.problems[0].startswith("JSON 文件格式有误，无法读取")


def test_a_second_citys_format_is_read_by_its_table_alone(town):
    fmt = hotline.load_format(TEST_FORMAT)
    rows = [
        {
            "受理单号": "TC-9",
            "受理日期": "28.11.2026 14:05",
            "事项性质": "申诉",
            "反映事项": "村道坑洼",
            "村居名称": "西华",
        },
    ]
    data = json.dumps({"items": rows}, ensure_ascii=False).encode()

    result = hotline.import_orders(read(data, name="city.json", fmt=fmt))

    (case,) = result.created
    assert (case.hotline_number, case.kind, case.village) == ("TC-9", Case.Kind.COMPLAINT, town.xi)
    assert case.hotline_received_at == at("2026-11-28 14:05")


def test_a_broken_format_table_is_said_so(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"columns": {"number": ["编号"]}, "reply": {"columns": []}}), encoding="utf-8")

    with pytest.raises(hotline.FormatError, match="写法有误"):
        hotline.load_format(broken)
    with pytest.raises(hotline.FormatError, match="不存在"):
        hotline.load_format("../etc/passwd")


def test_the_formats_offered_put_the_default_first():
    assert hotline.available_formats()[0] == ("guangdong-12345", "广东省12345政务服务便民热线")


# -- Upload bounds -----------------------------------------------------------------------------


class Unreadable(io.BytesIO):
    """An upload that fails the test if a byte of it is read."""

    size = 10**9

    def read(self, *args):
        raise AssertionError("read before its size was checked")


def test_an_upload_past_the_limit_is_refused_before_it_is_read(town):
    plan = hotline.read_orders(Unreadable(), filename="big.xlsx")

    assert plan.problems[0].startswith("文件太大（953.7 MB）")


def test_the_upload_page_refuses_a_file_past_the_limit(office_client, town, monkeypatch):
    monkeypatch.setattr(ledger_files, "MAX_BYTES", 100)
    upload = SimpleUploadedFile("工单.xlsx", as_xlsx([order()]))

    response = office_client.post(reverse("cases:hotline_upload"), {"file": upload, "format": "guangdong-12345"})

    assert response.status_code == 200
    assert "文件太大" in response.content.decode()
    assert "hotline_upload" not in office_client.session


# -- The pages ---------------------------------------------------------------------------------


def test_upload_preview_confirm_and_result(office_client, town):
    upload = SimpleUploadedFile("工单.xlsx", as_xlsx([order("GD-001"), order("GD-002", 诉求类型="表扬")]))
    response = office_client.post(reverse("cases:hotline_upload"), {"file": upload, "format": "guangdong-12345"})
    assert response.url == reverse("cases:hotline_preview")

    preview = office_client.get(response.url).content.decode()
    assert "共 2 条工单：新工单 1 条，已导入过或重复 0 条（跳过），有问题 1 条。" in preview
    assert "诉求类型“表扬”无法识别" in preview
    assert "只导入没有问题的 1 条" in preview
    token = office_client.session["hotline_upload"]["token"]

    refused = office_client.post(reverse("cases:hotline_confirm"), {"token": token, "mode": "all"})
    assert refused.url == reverse("cases:hotline_preview")
    assert Case.objects.count() == 0

    done = office_client.post(reverse("cases:hotline_confirm"), {"token": token, "mode": "clean"}, follow=True)
    page = done.content.decode()
    assert "新登记 1 条工单；跳过 0 条（已导入或重复）；1 条因有问题未导入。" in page
    assert "GD-001" in page
    assert Case.objects.get().hotline_number == "GD-001"

    stale = office_client.post(reverse("cases:hotline_confirm"), {"token": token, "mode": "clean"})
    assert stale.url == reverse("cases:hotline_upload")
    assert Case.objects.count() == 1


@pytest.mark.parametrize("persona", ["cadre_client", "supervisor_client"])
@pytest.mark.parametrize(
    "name,method",
    [("cases:hotline_upload", "get"), ("cases:hotline_replies_xlsx", "get"), ("cases:hotline_confirm", "post")],
)
def test_hotline_pages_are_refused_to_cadres_and_supervisors(request, persona, name, method):
    client = request.getfixturevalue(persona)

    assert getattr(client, method)(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ["cases:hotline_upload", "cases:hotline_replies_json"])
def test_hotline_pages_send_anonymous_to_login(client, db, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# -- Signing for -------------------------------------------------------------------------------


@pytest.fixture
def work_order(town):
    return imported(as_xlsx([order("GD-001")])).created[0]


def test_sign_for_records_who_and_when_with_a_line_of_history(work_order, office_user):
    moment = at("2026-11-30 15:00")

    workflow.sign_for(case=work_order, by=office_user, at=moment)

    work_order.refresh_from_db()
    assert (work_order.hotline_signed_at, work_order.hotline_signed_by) == (moment, office_user)
    event = work_order.events.get(kind=CaseEvent.Kind.SIGNED)
    assert (render_event(event), event.public) == ("签收12345热线工单 GD-001", False)
    assert "sign_for" not in workflow.allowed_actions(work_order)


def test_sign_for_after_the_deadline_says_so(work_order, office_user):
    workflow.sign_for(case=work_order, by=office_user, at=at("2026-12-02 08:00"))

    event = work_order.events.get(kind=CaseEvent.Kind.SIGNED)
    assert render_event(event) == "签收12345热线工单 GD-001（已超过签收时限 2026-12-01 09:15）"


def test_sign_for_twice_is_refused(work_order, office_user):
    workflow.sign_for(case=work_order, by=office_user, at=at("2026-11-30 15:00"))

    with pytest.raises(workflow.TransitionNotAllowed, match="这张工单已于 2026-11-30 15:00 签收。"):
        workflow.sign_for(case=work_order, by=office_user)


def test_sign_for_refuses_a_case_that_is_no_work_order(town, office_user):
    case = CaseFactory(team=town.team, channel=Case.Channel.HOTLINE)

    with pytest.raises(workflow.TransitionNotAllowed, match="只有12345热线工单需要签收。"):
        workflow.sign_for(case=case, by=office_user)
    assert "sign_for" not in workflow.allowed_actions(case)


def test_sign_for_refuses_a_voided_work_order(work_order, office_user):
    Case.objects.filter(pk=work_order.pk).update(voided_at=timezone.now())
    work_order.refresh_from_db()

    with pytest.raises(workflow.TransitionNotAllowed, match="已作废"):
        workflow.sign_for(case=work_order, by=office_user)


def test_the_database_refuses_a_signature_without_a_work_order(town):
    case = CaseFactory(team=town.team)
    case.hotline_signed_at = timezone.now()

    with pytest.raises(ValidationError):
        case.validate_constraints()


def test_sign_view_signs_and_goes_back(office_client, work_order):
    response = office_client.post(
        reverse("cases:hotline_sign", args=[work_order.number]), {"next": reverse("triage") + "#hotline"}
    )

    assert response.url == reverse("triage") + "#hotline"
    work_order.refresh_from_db()
    assert work_order.hotline_signed_at is not None


def test_sign_view_ignores_a_foreign_next(office_client, work_order):
    response = office_client.post(
        reverse("cases:hotline_sign", args=[work_order.number]), {"next": "https://evil.example/"}
    )

    assert response.url == reverse("cases:detail", args=[work_order.number])


def test_sign_view_says_why_when_refused(office_client, work_order, office_user):
    workflow.sign_for(case=work_order, by=office_user, at=at("2026-11-30 15:00"))

    response = office_client.post(reverse("cases:hotline_sign", args=[work_order.number]), follow=True)

    assert "这张工单已于 2026-11-30 15:00 签收。" in response.content.decode()


@pytest.mark.parametrize("persona,status", [("cadre_client", 403), ("supervisor_client", 403)])
def test_sign_view_is_refused_to_other_roles(request, persona, status, work_order):
    client = request.getfixturevalue(persona)

    assert client.post(reverse("cases:hotline_sign", args=[work_order.number])).status_code == status
    work_order.refresh_from_db()
    assert work_order.hotline_signed_at is None


def test_sign_view_refuses_get_and_anonymous(office_client, client, work_order):
    url = reverse("cases:hotline_sign", args=[work_order.number])

    assert office_client.get(url).status_code == 405
    assert client.post(url).url.startswith(reverse("login"))


# -- Replies out -------------------------------------------------------------------------------


def close(case: Case, by, result: str, day: datetime.date, satisfaction: str = "") -> None:
    cadre = CadreFactory(team=case.team)
    workflow.triage(case=case, decision=Case.Decision.HANDLE_NOW, responsible=cadre, by=by)
    workflow.close(case=case, closure=Case.Closure.SOLVED, result=result, closed_on=day, by=by)
    if satisfaction:
        workflow.record_feedback(
            case=case,
            given_on=day,
            channel=Feedback.Channel.PHONE,
            given_by=None,
            satisfaction=satisfaction,
            notes="",
            by=by,
        )


@pytest.fixture
def closed_orders(town, office_user):
    first, second, _open = imported(as_xlsx([order("GD-001"), order("GD-002"), order("GD-003")])).created
    close(first, office_user, "已清理水渠", datetime.date(2026, 12, 1), Feedback.Satisfaction.SATISFIED)
    close(second, office_user, "已派人疏通", datetime.date(2026, 12, 2))
    return first, second


def test_replies_xlsx_round_trip(office_client, closed_orders):
    response = office_client.get(reverse("cases:hotline_replies_xlsx"))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    (sheet,) = read_sheets(io.BytesIO(response.content), filename="r.xlsx")
    assert sheet.title == "工单办理结果"
    assert [values for _n, values in sheet.rows] == [
        ["工单编号", "办理结果", "办结时间", "回访情况"],
        ["GD-001", "已清理水渠", "2026-12-01", "满意"],
        ["GD-002", "已派人疏通", "2026-12-02", "未回访"],
    ]
    assert "13912345678" not in response.content.decode("latin-1")


def test_replies_json_filtered_by_closed_date_in_another_citys_words(office_client, closed_orders):
    query = {"start": "2026-12-01", "end": "2026-12-01"}
    default = office_client.get(reverse("cases:hotline_replies_json"), query)
    assert json.loads(default.content) == [
        {"工单编号": "GD-001", "办理结果": "已清理水渠", "办结时间": "2026-12-01", "回访情况": "满意"}
    ]

    fmt = hotline.load_format(TEST_FORMAT)
    header, rows = hotline.reply_rows(hotline.reply_cases(), fmt)
    assert header == ["受理单号", "处理情况", "完成日期", "市民评价"]
    assert rows == [["GD-001", "已清理水渠", "2026/12/01", "好评"], ["GD-002", "已派人疏通", "2026/12/02", "未评价"]]


def test_replies_refuse_a_wrong_date_range(office_client, closed_orders):
    response = office_client.get(
        reverse("cases:hotline_replies_json"), {"start": "2026-12-05", "end": "2026-12-01"}, follow=True
    )

    assert "开始日期不能晚于结束日期。" in response.content.decode()


def test_replies_query_count_is_constant(office_client, closed_orders, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        office_client.get(reverse("cases:hotline_replies_json"))


# -- Commands and admin ------------------------------------------------------------------------


def test_import_hotline_command_dry_run_then_import_then_again(town, tmp_path):
    path = tmp_path / "工单.xlsx"
    path.write_bytes(as_xlsx([order("GD-001"), order("GD-002")]))
    out = io.StringIO()

    call_command("import_hotline", str(path), "--dry-run", stdout=out)
    assert Case.objects.count() == 0
    assert "试运行，未写入（将新登记 2 条）。" in out.getvalue()

    call_command("import_hotline", str(path), stdout=out)
    call_command("import_hotline", str(path), stdout=out)
    assert Case.objects.count() == 2
    assert out.getvalue().splitlines()[-1] == (
        "import_hotline: 新登记 0 件，2 行已导入过或在文件中重复（跳过），0 行有问题未导入。"
    )


def test_import_hotline_command_refuses_bad_rows_and_unknown_formats(town, tmp_path):
    path = tmp_path / "工单.xlsx"
    path.write_bytes(as_xlsx([order("GD-001"), order("")]))

    with pytest.raises(CommandError, match="--only-clean"):
        call_command("import_hotline", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_hotline", str(path), "--format", "nowhere", stdout=io.StringIO())
    assert Case.objects.count() == 0


def test_export_hotline_replies_command(closed_orders, tmp_path):
    path = tmp_path / "replies.json"

    call_command("export_hotline_replies", str(path), "--start", "2026-12-02", stdout=io.StringIO())

    assert json.loads(path.read_text(encoding="utf-8")) == [
        {"工单编号": "GD-002", "办理结果": "已派人疏通", "办结时间": "2026-12-02", "回访情况": "未回访"}
    ]


def test_the_admin_shows_the_hotline_fields_read_only():
    names = ("number", "received_at", "sign_by", "signed_at", "signed_by", "handler")

    assert {f"hotline_{name}" for name in names} <= set(CaseAdmin.readonly_fields)


def test_the_case_page_include_offers_signing_to_the_office_only(work_order):
    from django.template.loader import render_to_string

    office = render_to_string("cases/_detail_hotline.html", {"case": work_order, "role": "office"})
    supervisor = render_to_string("cases/_detail_hotline.html", {"case": work_order, "role": "supervisor"})

    assert reverse("cases:hotline_sign", args=[work_order.number]) in office
    assert "签收工单" not in supervisor
    assert "GD-001" in supervisor


def test_upload_page_offers_the_formats_and_the_reply_export(office_client, db):
    page = office_client.get(reverse("cases:hotline_upload")).content.decode()

    assert '<option value="guangdong-12345" selected>广东省12345政务服务便民热线</option>' in page
    assert f'formaction="{reverse("cases:hotline_replies_json")}"' in page


def test_preview_of_an_unreadable_file_says_why(office_client, db):
    upload = SimpleUploadedFile("工单.json", b'{"rows": "none"}')
    office_client.post(reverse("cases:hotline_upload"), {"file": upload, "format": "guangdong-12345"})

    page = office_client.get(reverse("cases:hotline_preview")).content.decode()

    assert "文件无法导入" in page
    assert "JSON 文件中找不到工单列表" in page
    assert "cases:hotline_confirm" not in page and reverse("cases:hotline_confirm") not in page


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("2026-12-01 25:00", "签收时限“2026-12-01 25:00”无法识别"),  # a time that does not exist: not midnight
        ("2026.12.01 14:30", "签收时限“2026.12.01 14:30”无法识别"),  # a time in no way of the table
        ("9999-12-31 23:59", "签收时限“9999-12-31 23:59”无法识别"),  # no 500 when a deadline is added to it
        ("2026-11-29 09:00", "签收时限 2026-11-29 09:00 早于来电时间"),
    ],
)
def test_times_that_cannot_be_right_are_refused_with_a_message(town, cell, problem):
    plan = read(as_json([order(签收时限=cell)]), name="工单.json")

    assert [row.problems for row in plan.rows] == [[problem]]


def test_a_dispatch_time_far_in_the_future_is_refused_not_a_500(town):
    plan = read(as_json([order(派单时间="9999-12-31 23:59")]), name="工单.json")

    assert [row.problems for row in plan.rows] == [["派单时间“9999-12-31 23:59”无法识别"]]


def test_an_iso_time_with_its_offset_is_read_as_written(town):
    plan = read(
        as_json([order(来电时间="2026-11-30T09:15:00+08:00", 签收时限="2026-12-01T01:15:00Z")]), name="工单.json"
    )

    (row,) = plan.rows
    assert row.problems == []
    assert (row.values["received_at"], row.values["sign_by"]) == (at("2026-11-30T09:15"), at("2026-12-01T09:15"))
