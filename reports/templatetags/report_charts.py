"""The analysis pages' charts (SVG drawn on the server: no script, and they print) and figure links."""

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from reports import links

register = template.Library()

LABEL_WIDTH = 210
BAR_SPACE = 230
ROW_HEIGHT = 26


@register.simple_tag
def figure_url(figure, period, row=None) -> str:
    return links.figure_url(figure, period, row)


@register.filter
def pct(value) -> str:
    """A rate as the report writes it: "54.92%", or "—" when there was nothing to divide by."""
    return "—" if value is None else f"{value:.2f}%"


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


@register.filter
def cell(column, row):
    return column.value(row)


@register.simple_tag
def hbar_chart(rows, period, figure="collected") -> dict:
    """A horizontal bar per row (top-level rows only), each bar a link to its cases."""
    rows = [row for row in rows if row.level == 0]
    longest = max((row.counts.get(figure, 0) for row in rows), default=0) or 1
    bars = []
    for index, row in enumerate(rows):
        value = row.counts.get(figure, 0)
        length = round(BAR_SPACE * value / longest)
        bars.append(
            {
                "name": row.name,
                "value": value,
                "share": row.share,
                "url": links.figure_url(figure, period, row),
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
def trend_chart(months) -> dict:
    """Columns of cases collected and closed per month, and a line of the cumulative closure rate
    (right-hand scale, 0–100%). Long spans get narrower columns and a label every few months."""
    step = max(16, min(64, 960 // max(len(months), 1)))
    bar = max(5, step * 5 // 16)
    every = -(-44 // step)  # a month label needs about 44px
    most = max((max(m.collected, m.closed) for m in months), default=0) or 1
    columns, points = [], []
    for index, month in enumerate(months):
        x = TREND_LEFT + index * step
        middle = x + step // 2
        collected = round(TREND_HEIGHT * month.collected / most)
        closed = round(TREND_HEIGHT * month.closed / most)
        rate = month.closure_rate
        rate_y = None if rate is None else TREND_TOP + TREND_HEIGHT - float(rate) * TREND_HEIGHT / 100
        columns.append(
            {
                "month": month,
                "x": middle - bar,
                "closed_x": middle,
                "collected_y": TREND_TOP + TREND_HEIGHT - collected,
                "collected_h": collected,
                "closed_y": TREND_TOP + TREND_HEIGHT - closed,
                "closed_h": closed,
                "middle": middle,
                "half": bar // 2,
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
        "points": " ".join(points),
        "bar": bar,
        "width": right + 50,
        "height": TREND_TOP + TREND_HEIGHT + 44,
        "base_y": TREND_TOP + TREND_HEIGHT,
        "top_y": TREND_TOP,
        "left": TREND_LEFT,
        "right": right,
    }
