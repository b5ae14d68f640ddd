"""QR codes (sanhe/lib/qr.py): sized by the page's CSS unless given a module size."""

import re

from sanhe.lib.qr import qr_svg


def test_without_a_module_size_the_page_sizes_the_code():
    svg = qr_svg("http://testserver/track/")
    assert svg.startswith("<svg") and 'class="qr-code"' in svg
    assert not re.search(r"\b(width|height)=", svg.split(">", 1)[0])
    assert 'viewBox="0 0 33 33"' in svg  # 25 modules (version 2 at level M) and a border of 4 each side


def test_a_module_size_gives_the_code_its_own_size():
    svg = qr_svg("http://testserver/track/", module_px=4)
    assert 'width="132"' in svg and 'height="132"' in svg
