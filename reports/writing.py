"""Text generated from the figures in the town's own style: the meeting pack's summary and the
draft public notice 通报. The numbers come from reports.analysis; nothing here counts."""

import datetime

from django.utils.translation import gettext as _

from reports.analysis import Period, Row
from reports.figures import percent_text
from sanhe.prose import chinese_number, joined, listed, ordinal, sentence, sentences

__all__ = ["chinese_date", "chinese_number", "notice_body", "notice_title", "summary_paragraphs"]


def chinese_date(day: datetime.date) -> str:
    return _("%(y)d年%(m)d月%(d)d日") % {"y": day.year, "m": day.month, "d": day.day}


def summary_paragraphs(
    *, as_of: datetime.date, totals: dict, categories: list[Row], villages: int, place: str
) -> list[str]:
    """Section one of the town's report ("意见收集的总体情况"), written from the ledger as of AS_OF,
    for PLACE (the town's name, or the county's).

    TOTALS has raised_to_date, closed_to_date and fed_back_to_date; CATEGORIES are the rows of
    reports.analysis.by_category for the period from the programme's start to AS_OF.
    """
    total, closed = totals["raised_to_date"], totals["closed_to_date"]
    fed_back = totals["fed_back_to_date"]
    tops = [row for row in categories if row.dim == "category" and row.count]
    fields = listed(row.name for row in tops[:5])
    # Sentences joined in the reader's language (no space in Chinese, one in English).
    opening = [
        _("%(town)s辖区共有%(villages)d个村（社区），截至%(date)s，直联活动共收集群众意见和问题%(total)d条。")
        % {
            "town": place,
            "villages": villages,
            "date": chinese_date(as_of),
            "total": total,
        }
    ]
    if fields:
        opening.append(_("涉及%(fields)s等多个方面。") % {"fields": fields})
    opening.append(
        _("其中已办结%(closed)d个，办结率为%(rate)s%%。目前正在处理的有%(open)d个。")
        % {"closed": closed, "rate": percent_text(closed, total), "open": total - closed}
    )
    if total and fed_back == total:
        opening.append(_("处理进度和处理结果已经全部向群众反馈。"))
    elif total:
        opening.append(
            _("已向群众反馈处理进度或结果的有%(n)d个（占%(share)s%%），尚未反馈的有%(rest)d个。")
            % {"n": fed_back, "share": percent_text(fed_back, total), "rest": total - fed_back}
        )
    paragraphs = [sentences(opening)]
    largest = max((row.count for row in tops), default=0)
    for number, row in enumerate(tops, start=1):
        paragraphs.append(_category_paragraph(number, row, categories, total, row.count == largest))
    unclassified = next((row for row in categories if row.dim == "unclassified"), None)
    if unclassified and unclassified.count:
        paragraphs.append(
            _("此外，尚未归入上述类别的问题%(n)d条（占%(share)s%%），需进一步核实分类。")
            % {"n": unclassified.count, "share": percent_text(unclassified.count, total)}
        )
    return paragraphs


def _category_paragraph(number: int, row: Row, rows: list[Row], total: int, is_largest: bool) -> str:
    head = _("（%(n)s）%(name)s问题（共%(count)d条，占%(share)s%%）。") % {
        "n": ordinal(number),
        "name": row.name,
        "count": row.count,
        "share": percent_text(row.count, total),
    }
    largest = _("这是群众反映最多的问题。") if is_largest else ""
    index = rows.index(row)
    subs = []
    for sub in rows[index + 1 :]:
        if sub.dim != "subcategory":
            break
        if sub.count:
            subs.append(sub)
    if len(subs) == 1:
        items = [_("主要是%(name)s，此类问题意见有%(n)d条") % {"name": _item(subs[0].name), "n": subs[0].count}]
    else:
        items = [
            _("%(ordinal)s是%(name)s，此类问题意见有%(n)d条")
            % {"ordinal": ordinal(i), "name": _item(sub.name), "n": sub.count}
            for i, sub in enumerate(subs, start=1)
        ]
    rest = row.count - sum(sub.count for sub in subs)
    if rest:
        items.append(_("另有%(n)d条未细分小类") % {"n": rest})
    return sentences([head, largest, sentence(joined(items)) if items else ""])


# -- The draft public notice 通报 -----------------------------------------------------------------


def notice_title(period: Period, of_towns: bool = False) -> str:
    if of_towns:
        return _("关于%(period)s各镇（街道）驻点直联工作情况的通报") % {"period": period.label()}
    return _("关于%(period)s驻点团队工作情况的通报") % {"period": period.label()}


def notice_body(
    *,
    period: Period,
    ranking: list,
    weights: dict,
    names: dict,
    count: int,
    today: datetime.date,
    town: str,
    of_towns: bool = False,
) -> str:
    """TOWN's draft commending the COUNT best teams of RANKING and criticising the COUNT worst, naming
    each criticised team's two weakest indicators; OF_TOWNS: the county's (TOWN its name), of its
    towns. The supervisor edits it before publishing."""
    scored = [entry for entry in ranking if entry.score is not None]
    count = max(0, min(count, len(scored) // 2))
    best, worst = scored[:count], scored[len(scored) - count :][::-1] if count else []
    shown = listed(
        _("%(name)s%(value)s%%") % {"name": names[key], "value": weight} for key, weight in weights.items() if weight
    )
    if of_towns:
        lines = [
            _("各镇（街道）："),
            _(
                "根据%(period)s驻点直联工作考评（各镇综合得分按驻点团队考评的指标和以下权重计算：%(weights)s），"
                "全市（县）%(towns)d个镇（街道）的排名见附表。现将有关情况通报如下："
            )
            % {"period": period.label(), "weights": shown, "towns": len(ranking)},
        ]
    else:
        lines = [
            _("各驻点团队："),
            _(
                "根据%(period)s驻点直联工作考评（综合得分按以下权重计算：%(weights)s），全镇%(teams)d个驻点团队的"
                "排名见附表。现将有关情况通报如下："
            )
            % {"period": period.label(), "weights": shown, "teams": len(ranking)},
        ]
    if best:
        lines.append(
            _("一、通报表扬。%(teams)s综合得分位列前%(n)d名，驻点坚持到位，问题收集、办理和反馈及时，予以通报表扬。")
            % {"teams": _team_list(best), "n": len(best)}
        )
    if worst:
        weak = joined(_weak_points(entry, names) for entry in worst)
        if of_towns:
            criticism = _(
                "二、通报批评。%(teams)s综合得分排名靠后（%(weak)s），予以通报批评。请以上镇（街道）认真查找原因，"
                "于下月底前将整改情况报%(county)s委办公室。"
            )
        else:
            criticism = _(
                "二、通报批评。%(teams)s综合得分排名靠后（%(weak)s），予以通报批评。请以上团队认真查找原因，"
                "于下一次驻点前将整改情况报镇党政办。"
            )
        lines.append(criticism % {"teams": _team_list(worst), "weak": weak, "county": town})
    if of_towns:
        lines.append(
            _(
                "各镇（街道）要对照先进、查找不足，督促驻点团队严格落实每周四驻点制度，做到每村每户全覆盖，"
                "确保问题登记、处理、解决、督查、反馈全程记录完整。"
            )
        )
    else:
        lines.append(
            _(
                "各驻点团队要对照先进、查找不足，严格落实每周四驻点制度，做到每村每户全覆盖，"
                "确保问题登记、处理、解决、督查、反馈全程记录完整。"
            )
        )
    lines.append(_("中共%(town)s委员会") % {"town": town})
    lines.append(chinese_date(today))
    return "\n\n".join(lines)


def _team_list(entries) -> str:
    return listed(_("%(team)s（%(score)s分）") % {"team": e.name, "score": e.score} for e in entries)


def _weak_points(entry, names: dict) -> str:
    """The team's two lowest rates (the relative "collected" figure is not a rate and is left out)."""
    values = [(value, key) for key, value in entry.values.items() if value is not None and key != "collected"]
    order = list(names)
    weakest = sorted(values, key=lambda pair: (pair[0], order.index(pair[1])))[:2]
    points = listed(_("%(name)s%(value)s%%") % {"name": names[key], "value": value} for value, key in weakest)
    return _("%(team)s：%(points)s") % {"team": entry.name, "points": points}


def _item(name: str) -> str:
    """A sub-category's short name as prose: 贫困户帮扶/低保保障 → 贫困户帮扶、低保保障."""
    return listed(name.split("/"))
