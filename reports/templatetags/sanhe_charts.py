"""Charts drawn on the server as SVG: no script, nothing to download, and they print."""

from django import template

register = template.Library()

LABEL_WIDTH = 190
BAR_SPACE = 260
ROW_HEIGHT = 28


@register.simple_tag
def bar_chart(bars, extra=None) -> dict:
    """Geometry of a horizontal bar chart of BARS (objects with name and count), EXTRA last."""
    rows = list(bars) + ([extra] if extra is not None and extra.count else [])
    longest = max((row.count for row in rows), default=0) or 1
    drawn = []
    for index, row in enumerate(rows):
        length = round(BAR_SPACE * row.count / longest)
        drawn.append(
            {
                "name": row.name,
                "count": row.count,
                "y": index * ROW_HEIGHT,
                "length": length,
                "text_x": LABEL_WIDTH + length + 6,
            }
        )
    return {
        "bars": drawn,
        "width": LABEL_WIDTH + BAR_SPACE + 50,
        "height": max(len(drawn), 1) * ROW_HEIGHT,
        "label_width": LABEL_WIDTH,
    }
