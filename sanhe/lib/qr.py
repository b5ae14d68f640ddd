"""QR codes as inline SVG drawn on the server (segno): no script, no CDN, sharp at any print size."""

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str, *, module_px: int | None = None) -> SafeString:
    """TEXT as a QR code. Without MODULE_PX the SVG has no size of its own and the page's CSS sizes
    it (the slip, the printed board); with it, each module is that many pixels (the two-factor
    set-up's code, shown as it is)."""
    code = segno.make(text, error="m")
    sizing = {"scale": module_px} if module_px else {"scale": 1, "omitsize": True}
    return mark_safe(code.svg_inline(border=4, dark="#000", light="#fff", svgclass="qr-code", **sizing))
