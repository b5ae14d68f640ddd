"""A case's photos: uploading, seeing them, making one public, deleting (cases/photos.py does the work).

Every photo is served by a view that asks who is asking, never from MEDIA_URL or a public bucket:
staff see the photos of the cases they may see (cases/access.py), through the same 404 for
outsiders; the notice board's thumbnail view serves a thumbnail only while it is marked public on
a case whose detail is posted and touches nothing sensitive, and 404 otherwise.

Everything is a plain form that posts and comes back to the case page with a message: no script.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from cases import photos
from cases.access import can_edit_cases, cases_for_user, get_case_for_user
from cases.models import CasePhoto

BOARD_CACHE = "public, no-cache"  # a browser keeps the thumbnail but asks again: made private, it goes


def _back(case_number: str) -> HttpResponse:
    return redirect(reverse("cases:detail", args=[case_number]) + "#photos")


def _photo_for(user, key: str, *, for_update: bool = False) -> CasePhoto:
    """The photo KEY if USER may see its case (404 otherwise); PermissionDenied when FOR_UPDATE and
    the user may only read."""
    photo = (
        CasePhoto.objects.select_related("case")
        .filter(key=key, case__in=cases_for_user(user, with_voided=True))
        .first()
    )
    if photo is None:
        raise Http404
    if for_update and not can_edit_cases(user):
        raise PermissionDenied
    return photo


def _refused(request: HttpRequest, refused: ValidationError) -> None:
    for message in refused.messages:
        messages.error(request, message)


def _file(field) -> FileResponse:
    try:
        opened = field.storage.open(field.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    return FileResponse(opened, content_type="image/jpeg")


@login_required
@require_POST
def upload(request: HttpRequest, number: str) -> HttpResponse:
    case = get_case_for_user(request.user, number, for_update=True)
    files = request.FILES.getlist("photos")
    if not files:
        messages.error(request, _("请先选择要上传的照片。"))
        return _back(case.number)
    try:
        added = photos.add_photos(case, files, request.user, public=request.POST.get("public") == "on")
    except ValidationError as refused:
        _refused(request, refused)
    else:
        messages.success(
            request, ngettext("已上传 %(n)s 张照片。", "已上传 %(n)s 张照片。", len(added)) % {"n": len(added)}
        )
    return _back(case.number)


@login_required
@require_safe
def image(request: HttpRequest, key: str) -> HttpResponse:
    """The photo in full, to staff who may see its case (never cached: NoStoreMiddleware)."""
    return _file(_photo_for(request.user, key).image)


@login_required
@require_safe
def thumbnail(request: HttpRequest, key: str) -> HttpResponse:
    return _file(_photo_for(request.user, key).thumbnail)


@require_safe
def board_thumbnail(request: HttpRequest, key: str) -> HttpResponse:
    """The thumbnail for the notice board: only of a photo marked public on a case that may show it."""
    photo = (
        CasePhoto.objects.select_related("case__category", "case__subcategory")
        .filter(key=key, public=True, case__voided_at__isnull=True)
        .first()
    )
    if photo is None or not photos.may_be_public(photo.case):
        raise Http404
    etag = f'"{photo.key}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = _file(photo.thumbnail)
    response["ETag"] = etag
    response["Cache-Control"] = BOARD_CACHE
    return response


@login_required
@require_POST
def set_public(request: HttpRequest, key: str) -> HttpResponse:
    photo = _photo_for(request.user, key, for_update=True)
    public = request.POST.get("public") == "on"
    try:
        photos.set_public(photo, public, request.user)
    except ValidationError as refused:
        _refused(request, refused)
    else:
        messages.success(request, _("照片已设为公示。") if public else _("照片已取消公示。"))
    return _back(photo.case.number)


@login_required
@require_POST
def delete(request: HttpRequest, key: str) -> HttpResponse:
    photo = _photo_for(request.user, key, for_update=True)
    photos.delete_photo(photo, request.user)
    messages.success(request, _("照片已删除。"))
    return _back(photo.case.number)
