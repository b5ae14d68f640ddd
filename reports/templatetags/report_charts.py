"""The analysis pages' charts (SVG drawn on the server: no script, and they print) and figure links."""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from reports import links, tables

register = template.Library()

LABEL_WIDTH = 210
BAR_SPACE = 230
ROW_HEIGHT = 26


@register.simple_tag
def figure_url(figure, period, row=None) -> str:
    return links.figure_url(figure, period, row)


@register.filter
def case_url(number: str) -> str:
    """The case page of NUMBER: {% url 'cases:detail' number %} without resolving it for each row."""
    return links.case_url(number)


@register.filter
def pct(value) -> str:
    """A rate as the report writes it: "54.92%", or "—" when there was nothing to divide by."""
    return tables.pct(value)


@register.filter
def change(value, is_rate=False) -> str:
    """The change from the previous period: "+3", "−2", "0"; for rates "+1.25个百分点"."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    number = f"{abs(value):.2f}" if isinstance(value, Decimal) else str(abs(value))
    return sign + number + (_("个百分点") if is_rate else "")


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def hbar_chart(rows, period, figure="collected") -> dict:
    """A horizontal bar per row (top-level rows only), each bar a link to its cases."""
    rows = [row for row in rows if row.level == 0]
    longest = max((row.counts.get(figure, 0) for row in rows), default=0) or 1
    figure_links = links.FigureLinks(period)
    bars = []
    for index, row in enumerate(rows):
        value = row.counts.get(figure, 0)
        length = round(BAR_SPACE * value / longest)
        bars.append(
            {
                "name": row.name,
                "value": value,
                "share": row.share,
                "url": figure_links.url(figure, row),
                "y": index * ROW_HEIGHT,
                "length": length,
                "text_x": LABEL_WIDTH + length + 6,
            }
        )
    return {
        "bars": bars,
        "width": LABEL_WIDTH + BAR_SPACE + 90,
        "height": max(len(bars), 1) * ROW_HEIGHT + 4,
        "label_width": LABEL_WIDTH,
    }


TREND_LEFT, TREND_TOP, TREND_HEIGHT = 40, 24, 180


@register.simple_tag
def trend_chart(rows) -> dict:
    """Columns of cases collected and closed per month, and a line of the cumulative closure rate
    (right-hand scale, 0–100%). Long spans get narrower columns and a label every few months.
    ROWS: reports.tables.trend_rows, whose figures and links the columns reuse; each column's
    coordinates are worked out here, so the template only writes them (a decade is 120 columns)."""
    months = [row["month"] for row in rows]
    step = max(16, min(64, 960 // max(len(months), 1)))
    bar = max(5, step * 5 // 16)
    every = -(-44 // step)  # a month label needs about 44px
    most = max((max(m.collected, m.closed) for m in months), default=0) or 1
    base_y = TREND_TOP + TREND_HEIGHT
    columns, points = [], []
    for index, (row, month) in enumerate(zip(rows, months, strict=True)):
        x = TREND_LEFT + index * step
        middle = x + step // 2
        collected = round(TREND_HEIGHT * month.collected / most)
        closed = round(TREND_HEIGHT * month.closed / most)
        rate = month.closure_rate
        rate_y = None if rate is None else TREND_TOP + TREND_HEIGHT - float(rate) * TREND_HEIGHT / 100
        columns.append(
            {
                "row": row,
                "x": middle - bar,
                "closed_x": middle,
                "collected_y": base_y - collected,
                "collected_h": collected,
                "closed_y": base_y - closed,
                "closed_h": closed,
                "middle": middle,
                "collected_value_x": middle - bar + bar // 2,
                "collected_value_y": base_y - collected - 3,
                "closed_value_x": middle + bar // 2,
                "closed_value_y": base_y - closed - 3,
                "labelled": index % every == 0 or index == len(months) - 1,
                "values": step >= 40,
                "rate_y": rate_y,
            }
        )
        if rate_y is not None:
            points.append(f"{middle},{rate_y:.1f}")
    right = TREND_LEFT + max(len(months), 1) * step
    return {
        "columns": columns,
        "columns_svg": _columns_svg(columns, bar, base_y + 16),
        "points": " ".join(points),
        "bar": bar,
        "width": right + 50,
        "height": TREND_TOP + TREND_HEIGHT + 44,
        "base_y": base_y,
        "top_y": TREND_TOP,
        "left": TREND_LEFT,
        "right": right,
    }


def _columns_svg(columns: list[dict], bar: int, label_y: int) -> str:
    """The trend chart's columns as SVG: a column's dozen numbers written here in one piece, not
    looked up one by one by the template (a decade of months is over a hundred columns)."""
    collected_word, closed_word = _("收集"), pgettext("heading", "办结")
    parts = []
    for col in columns:
        row = col["row"]
        parts.append(
            format_html(
                '<a href="{}"><rect x="{}" y="{}" width="{}" height="{}" class="bar"><title>{} {} {}</title></rect>',
                row["collected_url"],
                col["x"],
                col["collected_y"],
                bar,
                col["collected_h"],
                row["name"],
                collected_word,
                row["collected"],
            )
        )
        if col["values"]:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="value" text-anchor="middle">{}</text>',
                    col["collected_value_x"],
                    col["collected_value_y"],
                    row["collected"],
                )
            )
        parts.append(
            format_html(
                '</a><a href="{}"><rect x="{}" y="{}" width="{}" height="{}" class="bar closed">'
                "<title>{} {} {}</title></rect>",
                row["closed_url"],
                col["closed_x"],
                col["closed_y"],
                bar,
                col["closed_h"],
                row["name"],
                closed_word,
                row["closed"],
            )
        )
        if col["values"]:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="value" text-anchor="middle">{}</text>',
                    col["closed_value_x"],
                    col["closed_value_y"],
                    row["closed"],
                )
            )
        parts.append(mark_safe("</a>\n"))
        if col["labelled"]:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="label" text-anchor="middle">{}</text>\n',
                    col["middle"],
                    label_y,
                    row["name"],
                )
            )
        if col["rate_y"] is not None:
            parts.append(
                format_html('<circle cx="{}" cy="{}" r="3.5" class="point"></circle>\n', col["middle"], col["rate_y"])
            )
    return mark_safe("".join(parts))  # each part is format_html's, escaped
