"""The monthly meeting's pack: printable page and Word file."""

import io
import re

import pytest
from django.urls import reverse
from docx import Document

from reports.tests.test_dashboard import _busy_ledger, text

JANUARY = {"month": "2015-01"}


def test_pack_page_has_the_summary_figures_and_decisions_by_team(supervisor_client, ledger):
    page = text(supervisor_client.get(reverse("reports:pack"), JANUARY))
    assert "2015年1月驻点直联工作月度分析会材料" in page
    assert "统计期间 2015-01-01 至 2015-01-31；累计数字截至 2015-01-31" in page
    assert (
        "截至2015年1月31日，直联活动共收集群众意见和问题10条。涉及民生保障、农田水利建设等多个方面。"
        "其中已办结5个，办结率为50.00%。目前正在处理的有5个。"
        "已向群众反馈处理进度或结果的有3个（占30.00%），尚未反馈的有7个。"
    ) in page
    assert (
        "（一）民生保障问题（共6条，占60.00%）。这是群众反映最多的问题。一是低保，此类问题意见有4条；二是就医难，此类问题意见有2条。"
        in page
    )
    assert "（二）农田水利建设问题（共3条，占30.00%）。主要是水渠，此类问题意见有2条；另有1条未细分小类。" in page
    assert "此外，尚未归入上述类别的问题1条（占10.00%），需进一步核实分类。" in page
    assert "共 4 个：尚未分办的、期末逾期的、实施方案在下月底前到期的" in page
    team_a = page.index("第1驻点团队（1）")
    team_b = page.index("第2驻点团队（3）")
    assert team_a < page.index("SH-2015-0005") < team_b < page.index("SH-2014-0002") < page.index("SH-2015-0004")
    assert "SH-2015-0006 乙村 农田水利建设" in page
    assert "实施方案将到期" in page


def test_pack_links_each_case_to_its_page(supervisor_client, ledger):
    html = supervisor_client.get(reverse("reports:pack"), JANUARY).content.decode()
    numbers = re.findall(r'<td><a href="(/cases/[^"]+/)">(SH-[^<]+)</a></td>', html)
    assert numbers == [
        (reverse("cases:detail", args=[n]), n) for n in ("SH-2015-0005", "SH-2014-0002", "SH-2015-0004", "SH-2015-0006")
    ]


def test_pack_summary_can_count_to_another_day(supervisor_client, ledger):
    page = text(supervisor_client.get(reverse("reports:pack"), {**JANUARY, "as_of": "2015-02-05"}))
    # j7 was closed on 5 February.
    assert "截至2015年2月5日，直联活动共收集群众意见和问题10条。" in page
    assert "其中已办结6个，办结率为60.00%。" in page


def test_pack_docx(supervisor_client, ledger):
    response = supervisor_client.get(reverse("reports:pack_docx"), JANUARY)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response["Content-Disposition"] == 'attachment; filename="sanhe-meeting-pack-20150101-20150131.docx"'
    document = Document(io.BytesIO(response.content))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[:2] == ["2015年1月驻点直联工作月度分析会材料", "三合镇"]  # and the town it is about
    assert "一、意见收集的总体情况" in paragraphs
    assert any(p.startswith("三合镇辖区共有2个村（社区），截至2015年1月31日") for p in paragraphs)
    assert "第2驻点团队" in paragraphs
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    assert tables[0][1] == ["收集问题", "7", "3", "+4", "", ""]
    decisions = [row for table in tables for row in table if re.match(r"SH-201[45]-\d{4}", row[0])]
    assert [(row[0], row[-1]) for row in decisions] == [
        ("SH-2015-0005", "逾期"),
        ("SH-2014-0002", "逾期"),
        ("SH-2015-0004", "尚未分办"),
        ("SH-2015-0006", "实施方案将到期"),
    ]


@pytest.mark.parametrize(("teams", "cases"), [(1, 1), (3, 5)])
def test_pack_query_count_is_constant(supervisor_client, db, teams, cases, django_assert_num_queries):
    _busy_ledger(teams, cases)
    with django_assert_num_queries(21):
        supervisor_client.get(reverse("reports:pack"), JANUARY)


def test_decisions_by_team_lists_the_oldest_and_counts_the_rest(ledger):
    from reports.analysis import Period, decisions_by_team
    from reports.behind import needing_decision

    january = Period.month(2015, 1)
    groups = decisions_by_team(january, listed=1)
    assert [(g.team.name, g.total, g.new, g.overdue, g.plan_due, [c.number for c in g.cases]) for g in groups] == [
        ("第1驻点团队", 1, 0, 1, 0, ["SH-2015-0005"]),
        ("第2驻点团队", 3, 1, 1, 1, ["SH-2014-0002"]),
    ]
    assert groups[1].unlisted_note() == (
        "以下只列最早反映的1个，另有2个未列出。全队共3个：尚未分办1个、逾期1个、实施方案将到期1个（一个问题可有几项原因）。"
    )
    # Listing every case gives needing_decision's list, in its order.
    everything = [c.number for g in decisions_by_team(january) for c in g.cases]
    assert everything == [c.number for c in needing_decision(january)]
