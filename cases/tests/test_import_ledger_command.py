"""`python manage.py import_ledger FILE.xlsx [--dry-run] [--only-clean] [--user USERNAME]`."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.management.commands.import_ledger import Command
from cases.models import Case
from cases.tests.test_ledger import LEDGER_HEADER, LEDGER_ROWS, ledger_file, town, xlsx  # noqa: F401 (town: fixture)

# Every test here reads ledgers against the villages, teams and categories of test_ledger's `town`.
pytestmark = pytest.mark.usefixtures("town")

BAD_ROW = ["5", "西山村", "", "", "", "", "", "村道破损", "2015-01-08"]


@pytest.fixture
def ledger(tmp_path):
    path = tmp_path / "三合镇台账.xlsx"
    path.write_bytes(ledger_file())
    return path


@pytest.fixture
def bad_ledger(tmp_path):
    path = tmp_path / "有问题的台账.xlsx"
    path.write_bytes(xlsx(LEDGER_HEADER, [LEDGER_ROWS[0], BAD_ROW]))
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_ledger", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def run_failing(*args) -> tuple[str, str]:
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_ledger", *[str(a) for a in args], stdout=out)
    return out.getvalue(), str(error.value)


def test_import_ledger_command_imports_a_clean_file_and_prints_the_row_report(ledger, office_user):
    out = run(ledger, "--user", office_user.username)

    lines = out.splitlines()
    assert lines[0] == "三合镇台账.xlsx：工作表“台账”，表头在第 3 行"
    assert lines[1] == "第 4 行：将导入"
    assert lines[2] == (
        "    村（社区）：东联村；驻点团队：第2驻点团队；反映日期：2015-01-08；反映人：陈大文；联系电话：13912345678；"
        "住址：东联村东坊8号；收集渠道：入户走访；诉求类型：求助；问题大类：民生保障；问题小类：贫困户帮扶/低保保障；"
        "公示摘要：群众申请低保，询问办理条件；问题内容：陈大文申请低保，询问办理条件；状态：已登记；"
        "办理情况：已上报民政办审核"
    )
    assert "另有 1 行不是问题记录（如合计、落款），已忽略。" in lines
    assert lines[-5:] == [
        "  新登记 SH-2015-0001",
        "  新登记 SH-2015-0002",
        "  新登记 SH-2015-0003",
        "  新登记 SH-2015-0004",
        "import_ledger: 新登记 4 件，0 行已导入过或在文件中重复（跳过），0 行有问题未导入。",
    ]
    assert Case.objects.count() == 4
    assert set(Case.objects.values_list("created_by", flat=True)) == {office_user.pk}


def test_import_ledger_command_prints_each_problem_and_writes_nothing(bad_ledger):
    out, error = run_failing(bad_ledger)

    assert "第 3 行：名称待确认" in out
    assert "    ? 村（社区）“西山村”无法识别" in out
    assert out.splitlines()[-1] == (
        "import_ledger: 共 2 行：1 行可导入，0 行有问题，0 行跳过。另有 1 行的名称待确认。未导入任何内容。"
    )
    assert error == "台账有问题，未导入：改正后重试，或用 --only-clean 只导入没有问题的行。"
    assert Case.objects.count() == 0


def test_import_ledger_command_only_clean_imports_the_clean_rows(bad_ledger):
    out = run(bad_ledger, "--only-clean")

    assert out.splitlines()[-2:] == [
        "  新登记 SH-2015-0001",
        "import_ledger: 新登记 1 件，0 行已导入过或在文件中重复（跳过），1 行有问题未导入。",
    ]
    assert Case.objects.count() == 1


def test_import_ledger_command_only_clean_fails_when_every_row_has_a_problem(tmp_path):
    path = tmp_path / "全错.xlsx"
    path.write_bytes(xlsx(LEDGER_HEADER, [BAD_ROW]))

    _out, error = run_failing(path, "--only-clean")

    assert error == "没有可导入的行：其余每一行都有问题。"
    assert Case.objects.count() == 0


def test_import_ledger_command_dry_run_writes_nothing(ledger):
    out = run(ledger, "--dry-run")

    assert (
        out.splitlines()[-1]
        == "import_ledger: 共 4 行：4 行可导入，0 行有问题，0 行跳过。试运行，未写入（将新登记 4 件）。"
    )
    assert Case.objects.count() == 0


def test_import_ledger_command_dry_run_of_a_file_with_problems_fails(bad_ledger):
    out, error = run_failing(bad_ledger, "--dry-run")

    assert "    ? 村（社区）“西山村”无法识别" in out
    assert error == "台账有问题，未导入：改正后重试，或用 --only-clean 只导入没有问题的行。"


def test_import_ledger_command_twice_creates_no_duplicates(ledger):
    run(ledger)

    out = run(ledger)

    assert "第 4 行：已导入，跳过（SH-2015-0001）" in out
    assert out.splitlines()[-1] == "import_ledger: 新登记 0 件，4 行已导入过或在文件中重复（跳过），0 行有问题未导入。"
    assert Case.objects.count() == 4


def test_import_ledger_command_refuses_a_file_it_cannot_read(tmp_path):
    path = tmp_path / "坏文件.xlsx"
    path.write_bytes(b"not a workbook")

    out, error = run_failing(path)

    assert "文件问题：找不到表头：前 20 行中没有一行同时写有“村（社区）”“反映时间”“问题内容”等列名。" in out
    assert error == "台账有问题，未导入：改正后重试，或用 --only-clean 只导入没有问题的行。"


@pytest.mark.parametrize(
    "args, message",
    [
        (["/nonexistent/台账.xlsx"], "找不到文件 /nonexistent/台账.xlsx"),
        (["LEDGER", "--user", "nobody"], "没有用户 nobody"),
    ],
)
def test_import_ledger_command_refuses_a_missing_file_or_user(ledger, args, message):
    args = [ledger if a == "LEDGER" else a for a in args]

    _out, error = run_failing(*args)

    assert error == message
    assert Case.objects.count() == 0


def test_import_ledger_command_exits_non_zero_on_problems(bad_ledger):
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["manage.py", "import_ledger", str(bad_ledger)])

    assert exit_info.value.code == 1


def test_import_ledger_command_help_says_what_it_does():
    help_text = " ".join(Command().create_parser("manage.py", "import_ledger").format_help().split())

    assert "registers each row as a case" in help_text
    assert "--dry-run" in help_text
    assert "--only-clean" in help_text
    assert "--user" in help_text
