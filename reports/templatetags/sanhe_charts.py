"""Charts drawn on the server as SVG: no script, nothing to download, and they print.

The bar chart's words are HTML (they wrap, scale with the reader's text size and are read out
by screen readers); only the bars are SVG, stretched to the width of the row.
"""

from django import template

register = template.Library()

SCALE = 200  # the SVG's width in its own units; a bar's length is out of this


@register.simple_tag
def bar_chart(bars, extra=None) -> dict:
    """Geometry of a horizontal bar chart of BARS (objects with name, count and share), EXTRA last."""
    rows = list(bars) + ([extra] if extra is not None and extra.count else [])
    longest = max((row.count for row in rows), default=0) or 1
    drawn = [
        {
            "name": row.name,
            "count": row.count,
            "share": getattr(row, "share", ""),
            "length": round(SCALE * row.count / longest, 1),
        }
        for row in rows
    ]
    return {"bars": drawn, "scale": SCALE}
