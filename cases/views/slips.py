"""The resident's slip (登记回执): what a cadre hands over once a problem is registered.

The slip carries what /track/ asks for (the number, and the track code when the case has one),
the village, the date, the town's phone and the /track/ address as a QR code drawn on the server.
It prints on a 58 mm receipt printer or as an A6 card (?size=58mm, ?size=a6: static/css/slip.css
gives each its @page). Who may see it is who may see the case (cases/access.py).

The ready SMS carries the resident's phone in its sms: link, so it follows the case page's rule for
contact details (cases/pipl.py): shown only after a POST, which writes the access log, never by a
link a browser could prefetch; and only to those who may reveal the contact and act on the case
(supervisors read, and do not write to residents).
"""

import re
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import pipl
from cases.access import can_edit_cases, get_case_for_user
from cases.models import Case, ContactAccess
from sanhe.lib.qr import qr_svg

SIZES = ("58mm", "a6")  # the print layouts; anything else is the screen view with both offered
# A mainland mobile number, as an sms: link needs it (pipl.phone_numbers has taken away any +86).
_MOBILE = re.compile(r"1\d{10}")


def track_url(request: HttpRequest) -> str:
    """The absolute /track/ address. Its form takes nothing from the query string, so the QR code
    leads to the plain page and the slip prints the number large beside it."""
    return request.build_absolute_uri(reverse("track:index"))


def mobile_number(phone: str) -> str:
    """The 11-digit mobile number in PHONE ("139 1234 5678", "+86 139…", full-width digits, or the
    mobile of "139… / 0750-…"), or "" for a landline or none."""
    return min((d for d in pipl.phone_numbers(phone) if _MOBILE.fullmatch(d)), default="")


def sms_text(case: Case, url: str) -> str:
    """What the resident is sent: the number, where to follow it and whom to call; nothing about
    the problem itself (a phone is often shared in a household)."""
    return _(
        "【%(town)s】您反映的问题已登记，编号 %(number)s。凭编号和本手机号后四位可在 %(url)s 查询办理进度。"
        "咨询电话 %(phone)s。"
    ) % {"town": case.town.name, "number": case.number, "url": url, "phone": case.town.phone or settings.COUNTY_PHONE}


def sms_href(mobile: str, text: str) -> str:
    """An RFC 5724 sms: link; the body percent-encoded (a + would show as a plus on some phones)."""
    return f"sms:{mobile}?body={quote(text, safe='')}"


def can_send_sms(user, case: Case) -> bool:
    return can_edit_cases(user) and pipl.can_reveal_contact(user, case)


def track_code_shown(code: str) -> str:
    """AB2C-D3EF: the code in two halves, as /track/ accepts it (public/tracking.py)."""
    return f"{code[:4]}-{code[4:]}" if len(code) > 4 else code


def _render_slip(request: HttpRequest, case: Case, *, sms: bool = False) -> HttpResponse:
    size = request.GET.get("size", "")
    url = track_url(request)
    mobile = mobile_number(case.resident_phone)
    ctx = {
        "case": case,
        "size": size if size in SIZES else "",
        "track_url": url,
        # Without a phone or a code /track/ has nothing to ask the resident: no code leads there.
        "qr": qr_svg(url) if case.resident_phone or case.track_code else "",
        "track_code": track_code_shown(case.track_code),
        "can_edit": can_edit_cases(request.user),
        "can_sms": bool(mobile) and can_send_sms(request.user, case),
        "sms_href": sms_href(mobile, sms_text(case, url)) if sms and mobile else "",
    }
    return render(request, "teams/slip.html", ctx)


@login_required
@require_GET
def slip(request: HttpRequest, number: str) -> HttpResponse:
    """The slip of case NUMBER: on screen with both print layouts offered, or laid out for one."""
    return _render_slip(request, get_case_for_user(request.user, number))


@login_required
@require_POST
def slip_sms(request: HttpRequest, number: str) -> HttpResponse:
    """The slip with the ready SMS to the resident's phone; the look at the phone is logged."""
    case = get_case_for_user(request.user, number)
    if not can_send_sms(request.user, case) or not mobile_number(case.resident_phone):
        raise PermissionDenied
    pipl.log_access(request, ContactAccess.What.CONTACT, case=case, fields="resident_phone")
    return _render_slip(request, case, sms=True)
