"""The photos of a case for its page, and the public thumbnails for a notice board, each in one query
(the pages' views stay as they are; their query counts grow by one)."""

from dataclasses import dataclass

from django import template
from django.conf import settings

from cases import photos as service
from cases.access import can_edit_cases
from cases.models import Case, CasePhoto

register = template.Library()

SHOWN_SIDE = 160  # CSS pixels of a thumbnail's long side on the page (the file has twice as many)


@dataclass(frozen=True)
class ShownPhoto:
    photo: CasePhoto
    width: int
    height: int
    deletable: bool


@dataclass(frozen=True)
class PhotoPanel:
    photos: list[ShownPhoto]
    can_upload: bool
    can_publish: bool  # the case may show photos on the board and the user may decide it
    may_be_public: bool
    limit: int
    max_mb: int

    @property
    def full(self) -> bool:
        return len(self.photos) >= self.limit


def _shown_size(photo: CasePhoto) -> tuple[int, int]:
    width, height = photo.width or SHOWN_SIDE, photo.height or SHOWN_SIDE
    scale = SHOWN_SIDE / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


@register.simple_tag
def photo_panel(case: Case, user) -> PhotoPanel:
    """CASE's photos as USER sees them on the case page, with what USER may do with them."""
    editable = can_edit_cases(user)
    public_ok = service.may_be_public(case) and case.voided_at is None
    shown = [
        ShownPhoto(photo, *_shown_size(photo), deletable=editable and service.may_manage(user, photo))
        for photo in CasePhoto.objects.filter(case=case).order_by("uploaded_at", "id")
    ]
    return PhotoPanel(
        photos=shown,
        can_upload=editable and case.voided_at is None,
        can_publish=editable and public_ok,
        may_be_public=public_ok,
        limit=settings.PHOTO_LIMIT_PER_CASE,
        max_mb=settings.PHOTO_MAX_BYTES // (1024 * 1024),
    )


@register.simple_tag
def board_photos(cases) -> dict[str, list[str]]:
    """The keys of the public photos of CASES (the board's PublicCase rows, by number), in one query;
    only of cases whose detail is posted and touches nothing sensitive (cases/photos.py)."""
    numbers = [case.number for case in cases if getattr(case, "posted", False)]
    if not numbers:
        return {}
    rows = (
        CasePhoto.objects.filter(public=True, case__number__in=numbers, case__voided_at__isnull=True)
        .select_related("case__category", "case__subcategory")
        .order_by("uploaded_at", "id")
    )
    found: dict[str, list[str]] = {}
    for photo in rows:
        if service.may_be_public(photo.case):
            found.setdefault(photo.case.number, []).append(photo.key)
    return found


@register.filter
def photos_of(found: dict, number: str) -> list[str]:
    return found.get(number, [])
