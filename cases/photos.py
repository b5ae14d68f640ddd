"""Photos of a case: checked, cleaned and stored; made public or private; deleted.

A photo from a phone carries where it was taken (GPS) and with what (make, model, serial): it is
re-encoded from its pixels alone, so nothing but the picture is kept. What is sent is read in a
bounded way and judged by its content, never by its name or declared type: a file that is not a
JPEG, PNG or WebP picture, a damaged one, or one whose header declares a huge image (a few
kilobytes of PNG can unpack to gigabytes) is refused with a message before it is decoded.

Files are written through the photo fields' storage (local files or an S3 bucket, see
sanhe/settings.py) under a random key that says nothing of the case or its resident; they are
never served from a public URL (cases/views/photos.py checks who asks).
"""

import io
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from cases.models import Case, CaseEvent, CasePhoto, photo_path, thumbnail_path
from teams.roles import ADMIN, OFFICE, role_of

# MPO is how Pillow names the multi-picture JPEG many phones write.
ALLOWED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})
JPEG_QUALITY = 85
THUMB_QUALITY = 80
NAME_SHOWN = 40  # characters of a refused file's name in its message


@dataclass(frozen=True)
class Prepared:
    """A photo checked and re-encoded, not yet stored."""

    image: bytes
    thumbnail: bytes
    width: int
    height: int


def _name(uploaded) -> str:
    name = getattr(uploaded, "name", "") or ""
    return name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + "…"


def _not_an_image(uploaded) -> ValidationError:
    return ValidationError(
        _("“%(name)s”不是图片文件，或文件已损坏（只收 JPEG、PNG、WebP 照片）。") % {"name": _name(uploaded)},
        code="not_image",
    )


def _read_bounded(uploaded) -> bytes:
    """The upload's bytes, refused as too big by its size before reading and while reading (a
    stream can be longer than it said)."""
    limit = settings.PHOTO_MAX_BYTES
    too_big = ValidationError(
        _("照片太大（最大 %(mb)s MB）：%(name)s") % {"mb": limit // (1024 * 1024), "name": _name(uploaded)},
        code="too_big",
    )
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise too_big
    uploaded.seek(0)
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise too_big
    if not data:
        raise _not_an_image(uploaded)
    return data


def _too_many_pixels(uploaded) -> ValidationError:
    return ValidationError(
        _("照片像素太多（最多 %(mp)s 百万像素）：%(name)s")
        % {"mp": settings.PHOTO_MAX_PIXELS // 1_000_000, "name": _name(uploaded)},
        code="too_many_pixels",
    )


def _check_header(image: Image.Image, uploaded) -> None:
    if image.format not in ALLOWED_FORMATS:
        raise _not_an_image(uploaded)
    width, height = image.size
    if width * height > settings.PHOTO_MAX_PIXELS:
        raise _too_many_pixels(uploaded)
    side = settings.PHOTO_MIN_SIDE
    if min(width, height) < side:
        raise ValidationError(
            _("照片太小（至少 %(side)s×%(side)s 像素）：%(name)s") % {"side": side, "name": _name(uploaded)},
            code="too_small",
        )


def _flattened(image: Image.Image) -> Image.Image:
    """IMAGE's pixels as RGB on white (a transparent PNG's background), in a new image that carries
    no metadata at all (Image.info, EXIF, ICC, XMP stay behind)."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, "white")
        clean.paste(rgba, mask=rgba.getchannel("A"))
        return clean
    clean = Image.new("RGB", image.size)
    clean.paste(image.convert("RGB"))
    return clean


def _jpeg(image: Image.Image, side: int, quality: int) -> tuple[bytes, tuple[int, int]]:
    """IMAGE as JPEG, its long side at most SIDE, and its size."""
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue(), copy.size


def prepare(uploaded) -> Prepared:
    """UPLOADED checked and re-encoded as JPEG without metadata, the long side at most
    PHOTO_MAX_SIDE, with its thumbnail; ValidationError with the reason when refused."""
    data = _read_bounded(uploaded)
    try:
        # Header only first: format and declared size are checked before any pixel is decoded.
        with Image.open(io.BytesIO(data)) as probe:
            _check_header(probe, uploaded)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            _check_header(image, uploaded)
            if image.format in ("JPEG", "MPO"):
                # Decode a large JPEG at a fraction of its size (never below what is kept): less memory.
                image.draft("RGB", (settings.PHOTO_MAX_SIDE, settings.PHOTO_MAX_SIDE))
            image.load()
            clean = _flattened(image)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        # Pillow's own bound (Image.MAX_IMAGE_PIXELS), met on opening a header past twice that.
        raise _too_many_pixels(uploaded) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
        # Pillow's decoders report a damaged or truncated file with any of these.
        raise _not_an_image(uploaded) from None
    image_bytes, (width, height) = _jpeg(clean, settings.PHOTO_MAX_SIDE, JPEG_QUALITY)
    thumbnail_bytes, _size = _jpeg(clean, settings.PHOTO_THUMB_SIDE, THUMB_QUALITY)
    return Prepared(image=image_bytes, thumbnail=thumbnail_bytes, width=width, height=height)


def prepare_all(files) -> list[Prepared]:
    """Every file of FILES prepared; one ValidationError with each refused file's reason."""
    prepared, errors = [], []
    for uploaded in files:
        try:
            prepared.append(prepare(uploaded))
        except ValidationError as refused:
            errors.extend(refused.error_list)
    if errors:
        raise ValidationError(errors)
    return prepared


# -- Rules ------------------------------------------------------------------------------------


def may_be_public(case: Case) -> bool:
    """A photo is on the board only with the case's detail: never for a case not posted, nor for one
    that touches sensitive personal information (even where the office chose to post its text)."""
    return bool(case.public_posting) and not case.private_reason()


def _refuse_public(case: Case) -> None:
    if not may_be_public(case):
        raise ValidationError(
            _("这一问题涉及个人情况或不公示内容，照片不能公示。"),
            code="private_case",
        )


def may_manage(user, photo: CasePhoto) -> bool:
    """Deleting: the office, or whoever uploaded it."""
    return role_of(user) in (OFFICE, ADMIN) or (photo.uploaded_by_id is not None and photo.uploaded_by_id == user.pk)


def _over_limit(have: int | None) -> ValidationError:
    """HAVE: the case's photos already, when they were counted."""
    limit = settings.PHOTO_LIMIT_PER_CASE
    if have is None:
        return ValidationError(_("每个问题最多 %(limit)s 张照片。") % {"limit": limit}, code="limit")
    return ValidationError(
        _("每个问题最多 %(limit)s 张照片，这个问题已有 %(have)s 张。") % {"limit": limit, "have": have},
        code="limit",
    )


def _lock(case: Case, *, adding: bool = False) -> Case:
    """CASE's row, locked until the transaction ends. A voided case takes no new or public photo
    (it is on no board and takes no more work); its photos can still be made private or deleted."""
    locked = Case.with_voided.select_for_update(of=("self",)).select_related("category", "subcategory").get(pk=case.pk)
    if adding and locked.voided_at is not None:
        raise ValidationError(_("这个问题已作废，不能再添加或公示照片。"), code="voided")
    return locked


def _touch(case: Case) -> None:
    """Mark the case's row changed: the village board's version follows the case's row (villages/
    board_sql.py), and a photo shown or taken off the board must not leave an old page cached."""
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())


def _record(case: Case, by, code: str, **values) -> CaseEvent:
    # The line is the system's: cases/history.py renders the code in the reader's language.
    return CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.EDITED, author=by, text="", data={"code": code, **values}, public=False
    )


# -- Adding -----------------------------------------------------------------------------------


def _store(case: Case, prepared: Prepared, by, public: bool) -> CasePhoto:
    """Write the files, then the row; the files go again if the row cannot be written."""
    photo = CasePhoto(case=case, key=secrets.token_hex(16), public=public, uploaded_by=by)
    storage = CasePhoto._meta.get_field("image").storage
    written = []
    try:
        written.append(storage.save(photo_path(photo, ""), ContentFile(prepared.image)))
        written.append(storage.save(thumbnail_path(photo, ""), ContentFile(prepared.thumbnail)))
        # Names and sizes set here: the field would otherwise open the stored file to measure it.
        photo.image.name, photo.thumbnail.name = written
        photo.width, photo.height, photo.size = prepared.width, prepared.height, len(prepared.image)
        photo.save(force_insert=True)
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    return photo


def store_prepared(case: Case, prepared: list[Prepared], by, public: bool = False) -> list[CasePhoto]:
    """Store PREPARED photos of CASE, the per-case limit checked under the case's row lock (two
    uploads at once queue there, the second sees the first's photos). Call in a transaction."""
    if not prepared:
        return []
    locked = _lock(case, adding=True)
    if public:
        _refuse_public(locked)
    have = CasePhoto.objects.filter(case=locked).count()
    if have + len(prepared) > settings.PHOTO_LIMIT_PER_CASE:
        raise _over_limit(have)
    photos = [_store(locked, one, by, public) for one in prepared]
    _record(locked, by, "photo_added", count=len(photos), keys=[p.key for p in photos], public=public)
    if public:
        _touch(locked)
    return photos


@transaction.atomic
def add_photos(case: Case, files, by, public: bool = False) -> list[CasePhoto]:
    """Add FILES to CASE, all or none: ValidationError naming each refused file."""
    files = list(files)
    if len(files) > settings.PHOTO_LIMIT_PER_CASE:  # refused before decoding any of them
        raise _over_limit(None)
    return store_prepared(case, prepare_all(files), by, public)


def add_photo(case: Case, uploaded_file, by, public: bool = False) -> CasePhoto:
    return add_photos(case, [uploaded_file], by, public)[0]


# -- Public or not; deleting ----------------------------------------------------------------------


@transaction.atomic
def set_public(photo: CasePhoto, public: bool, by) -> CasePhoto:
    locked = _lock(photo.case, adding=public)
    row = CasePhoto.objects.select_for_update().get(pk=photo.pk)
    if public:
        _refuse_public(locked)
    if row.public == public:
        return row
    row.public = public
    row.save(update_fields=["public"])
    if public:
        _record(locked, by, "photo_public", key=row.key)
    else:
        _record(locked, by, "photo_private", key=row.key)
    _touch(locked)
    photo.public = public
    return row


@transaction.atomic
def delete_photo(photo: CasePhoto, by) -> None:
    """Delete PHOTO (the office, or its uploader); its files go once the deletion is committed."""
    if not may_manage(by, photo):
        raise PermissionDenied
    locked = _lock(photo.case)
    row = CasePhoto.objects.select_for_update().filter(pk=photo.pk).first()
    if row is None:
        return
    names = [row.image.name, row.thumbnail.name]
    storage = CasePhoto._meta.get_field("image").storage
    row.delete()
    _record(locked, by, "photo_deleted", key=row.key)
    if row.public:
        _touch(locked)
    transaction.on_commit(lambda: [storage.delete(name) for name in names if name])


def forget_private_photos(case_ids: list[int]) -> int:
    """Delete the photos of CASE_IDS that were never posted (cases/pipl.py, anonymising: a photo of a
    doorway or a yard can tell whose it is); the posted ones stay, as the board's text does. The
    files go once the deletion is committed."""
    rows = CasePhoto.objects.filter(case_id__in=case_ids, public=False)
    names = [name for pair in rows.values_list("image", "thumbnail") for name in pair if name]
    deleted, _by_model = rows.delete()
    storage = CasePhoto._meta.get_field("image").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return deleted
