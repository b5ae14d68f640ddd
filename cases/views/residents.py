"""群众个人信息: the office looks a resident up and downloads all the town holds about them (PIPL
art. 45, a copy of one's personal data). Office staff and administrators only; each download
writes the access log (cases.pipl.log_resident_export)."""

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import pipl
from cases.access import cases_for_user
from cases.resident_forms import ResidentLookupForm
from teams.roles import OFFICE, require_role, towns_of


def _lookup_page(request: HttpRequest, form: ResidentLookupForm, cases=None, status: int = 200) -> HttpResponse:
    rows = [{"case": case, "phone": pipl.mask_phone(case.resident_phone)} for case in cases or []]
    ctx = {"form": form, "rows": rows, "searched": cases is not None, "query": _query(form)}
    return render(request, "cases/residents.html", ctx, status=status)


def _query(form: ResidentLookupForm) -> dict:
    """What the download button sends again: the look-up as typed."""
    return {name: form.data.get(name, "") for name in form.fields} if form.is_bound else {}


@login_required
@require_http_methods(["GET", "POST"])
def resident_lookup(request: HttpRequest) -> HttpResponse:
    """The look-up form and, once sent, the resident's cases (their phone masked). Sent by POST
    though it changes nothing: a phone or a name in a URL would stay in logs and browser history."""
    require_role(request.user, OFFICE)
    if request.method == "GET":
        return _lookup_page(request, ResidentLookupForm(towns=towns_of(request.user)))
    form = ResidentLookupForm(request.POST, towns=towns_of(request.user))
    if not form.is_valid():
        return _lookup_page(request, form, status=400)
    return _lookup_page(request, form, list(_resident_cases(request, form)))


def _resident_cases(request: HttpRequest, form: ResidentLookupForm):
    """The resident's cases in the user's town (the county's staff: every town), voided included."""
    return pipl.resident_cases(**form.lookup(), among=cases_for_user(request.user, with_voided=True))


@login_required
@require_POST
def resident_export(request: HttpRequest) -> HttpResponse:
    """Every case of the resident with its history, as a JSON file; the look-up page when none."""
    require_role(request.user, OFFICE)
    form = ResidentLookupForm(request.POST, towns=towns_of(request.user))
    if not form.is_valid():
        return _lookup_page(request, form, status=400)
    cases = list(_resident_cases(request, form))
    if not cases:
        form.add_error(None, _("没有找到这位群众的问题，未导出。"))
        return _lookup_page(request, form, [], status=404)
    pipl.log_resident_export(request, cases)
    body = json.dumps(pipl.resident_data(cases), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"resident-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
