"""The supervision pages on the demo data: the town's report of 2 February 2015, corrected."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports.analysis import Period, headline, ledger_as_of
from reports.models import StatedCategory, StatedReport
from reports.reconcile import reconcile
from reports.writing import summary_paragraphs
from villages.models import Town

AS_OF = datetime.date(2015, 2, 1)

SECTION_ONE = [
    "三合镇辖区共有10个村（社区），截至2015年2月1日，直联活动共收集群众意见和问题142条。"
    "涉及民生保障、农村基础设施建设、教育教学、农田水利建设、卫生环境、用水用电、政务工作等多个方面。"
    "其中已办结78个，办结率为54.92%。目前正在处理的有64个。处理进度和处理结果已经全部向群众反馈。",
    "（一）民生保障问题（共47条，占33.09%）。这是群众反映最多的问题。一是贫困户帮扶、低保保障，此类问题意见有25条；"
    "二是就医难，此类问题意见有17条；三是生活困难，此类问题意见有5条。",
    "（二）农村基础设施建设、教育教学问题（共19条，占13.38%）。一是村道硬底化，此类问题意见有7条；"
    "二是客车班次、市场整治、危房改造、通讯安装，此类问题意见有5条；三是危房改造、旧屋改建，此类问题意见有4条；"
    "四是上学接送、早餐收费、违规游戏机，此类问题意见有3条。",
    "（三）农田水利建设问题（共30条，占21.12%）。一是水渠年久失修，此类问题意见有24条；"
    "二是水渠硬底化，此类问题意见有6条。",
    "（四）卫生环境问题（共9条，占6.33%）。一是垃圾处理，此类问题意见有2条；二是公厕、改厕补贴，此类问题意见有4条；"
    "三是垃圾桶、市场保洁、禽畜污染，此类问题意见有3条。",
    "（五）用水用电、政务工作问题（共10条，占7.04%）。一是用水，此类问题意见有3条；二是政务，此类问题意见有7条。",
    "（六）治安消防问题（共15条，占10.56%）。主要是警力不足、偷盗，此类问题意见有15条。",
    "（七）其它问题（共8条，占5.63%）。一是耕作收入低、农产品销售难，此类问题意见有4条；"
    "二是电视线安装，此类问题意见有1条；三是占道、电费、挖鱼塘，此类问题意见有3条。",
    "此外，尚未归入上述类别的问题4条（占2.81%），需进一步核实分类。",
]


@pytest.fixture
def demo(db):
    call_command("load_demo", "--county", stdout=io.StringIO())


def sanhe():
    return Town.objects.get(code="SH")


def test_demo_ledger_as_of_2015_02_01(demo):
    ledger = ledger_as_of(AS_OF, sanhe())
    counts = ledger["counts"]
    assert (counts["raised_to_date"], counts["closed_to_date"], counts["fed_back_to_date"]) == (142, 78, 142)
    categories = [(r.name, r.count, str(r.share)) for r in ledger["categories"] if r.dim != "subcategory"]
    assert categories == [
        ("民生保障", 47, "33.09"),
        ("农村基础设施建设、教育教学", 19, "13.38"),
        ("农田水利建设", 30, "21.12"),
        ("卫生环境", 9, "6.33"),
        ("用水用电、政务工作", 10, "7.04"),
        ("治安消防", 15, "10.56"),
        ("其它", 8, "5.63"),
        ("未分类", 4, "2.81"),
    ]


def test_demo_summary_reproduces_section_one_corrected(demo):
    ledger = ledger_as_of(AS_OF, sanhe())
    paragraphs = summary_paragraphs(
        as_of=AS_OF,
        totals=ledger["counts"],
        categories=ledger["categories"],
        villages=ledger["villages"],
        place="三合镇",
    )
    assert paragraphs == SECTION_ONE


def test_demo_january_headline(demo):
    figures = {f.key: f.value for f in headline(Period.month(2015, 1), town=sanhe()).figures}
    assert (figures["collected"], figures["open_at_end"], str(figures["closure_rate"])) == (35, 64, "54.92")


def test_demo_reconciliation_flags_the_report_s_mistakes(demo):
    result = reconcile(StatedReport.objects.get())
    assert [(line.label, line.stated, line.ledger, line.ok) for line in result.totals] == [
        ("收集问题", "142", "142", True),
        ("已办结", "78", "78", True),
        ("正在处理", "64", "64", True),
        ("办结率", "54.92%", "54.92%", True),
    ]
    assert [(line.label, line.stated, line.ledger, line.ok) for line in result.sums] == [
        ("各类合计", "133", "142", False),
        ("未分类", "", "4", None),
    ]
    assert result.sums[0].note == "台账中已归类138条，另有4条未分类。"
    differing = [
        (count.label, count.stated, count.ledger, share.stated, share.ledger)
        for count, share in result.categories
        if count.differs or share.differs
    ]
    assert differing == [
        ("民生保障", "42", "47", "33%", "33.09%"),
        ("治安消防", "15", "15", "10.7%", "10.56%"),
    ]
    assert result.categories[0][1].note == "报告自身不一致：按报告的42条计，应占29.57%。"
    assert result.differences == 3


def test_demo_reconciliation_page(supervisor_client, demo):
    report = StatedReport.objects.get()
    page = supervisor_client.get(reverse("reports:reconcile", args=[report.pk])).content.decode()
    assert "发现 3 处不一致。" in page
    assert "条数不符：报告 42，台账 47" in page
    assert "占比不符：报告 10.7%，台账 10.56%" in page
    assert "不符：报告 133，台账 142" in page
    assert "台账中已归类138条，另有4条未分类。" in page


def test_load_demo_loads_the_stated_report(db):
    call_command("load_demo", "--county", stdout=io.StringIO())
    assert StatedReport.objects.get().total == 142


def test_load_stated_report_is_idempotent_and_has_a_dry_run(db):
    call_command("load_demo", "--county", stdout=io.StringIO())
    StatedReport.objects.all().delete()
    out = io.StringIO()
    call_command("load_stated_report", "--dry-run", stdout=out)
    assert (
        out.getvalue().strip()
        == "load_stated_report: would load “三合镇驻点普遍直接联系群众活动情况报告” as of 2015-02-01, 7 categories"
    )
    assert not StatedReport.objects.exists()
    call_command("load_stated_report", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_stated_report", stdout=out)
    assert "updated" in out.getvalue()
    report = StatedReport.objects.get()
    assert (report.published_on, report.as_of, report.total, report.closure_rate) == (
        datetime.date(2015, 2, 2),
        AS_OF,
        142,
        "54.92",
    )
    assert [(line.category.code, line.count, line.share) for line in StatedCategory.objects.all()] == [
        ("01", 42, "33"),
        ("02", 19, "13.4"),
        ("03", 30, "21.1"),
        ("04", 9, "6.3"),
        ("05", 10, "7"),
        ("06", 15, "10.7"),
        ("07", 8, "5.6"),
    ]


def test_load_stated_report_needs_the_categories(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="run load_demo first"):
        call_command("load_stated_report", stdout=io.StringIO())
