"""Photos of a case (cases/photos.py, cases/views/photos.py): what is kept of a phone's photo (its
pixels, not where or with what it was taken), what is refused and why, the limit per case, who
may see, add, publish and delete them, and that the notice board shows a photo only when it was
marked public on a case that may show it."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from cases import photos
from cases.models import CaseEvent, CasePhoto
from cases.tests.factories import CaseFactory, CategoryFactory
from cases.tests.photo_files import CAMERA, GPS_IFD, phone_jpeg, png, png_declaring, upload
from teams.tests.factories import CadreFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PHOTO_STORAGE = "local"
    return tmp_path


@pytest.fixture
def case(team):
    return CaseFactory(team=team)


@pytest.fixture
def sensitive_case(team):
    return CaseFactory(team=team, category=CategoryFactory(label="低保", sensitive=True), title="申请低保")


def stored(field) -> bytes:
    with field.storage.open(field.name, "rb") as opened:
        return opened.read()


def last_message(response) -> str:
    """The message the request added (the client shows no page, so earlier ones are still queued)."""
    return [str(m) for m in response.wsgi_request._messages][-1]


def refusal(files) -> str:
    with pytest.raises(ValidationError) as refused:
        photos.prepare_all(files)
    return " ".join(refused.value.messages)


# -- What is kept ---------------------------------------------------------------------------------


def test_a_phones_jpeg_is_kept_without_its_gps_and_camera(case, office_user):
    sent = phone_jpeg((3000, 2000))
    with Image.open(io.BytesIO(sent)) as original:  # the test's own premise: the photo has them
        assert original.getexif().get_ifd(GPS_IFD)
        assert CAMERA in original.getexif().values()

    photo = photos.add_photo(case, upload(sent), office_user)

    for field in (photo.image, photo.thumbnail):
        data = stored(field)
        assert CAMERA.encode() not in data and b"SanheTestMaker" not in data
        with Image.open(io.BytesIO(data)) as kept:
            assert kept.format == "JPEG"
            assert not kept.getexif()
            assert not kept.getexif().get_ifd(GPS_IFD)
            assert "exif" not in kept.info
    with Image.open(io.BytesIO(stored(photo.image))) as kept:
        assert kept.size == (2048, 1365)  # the long side brought down
    with Image.open(io.BytesIO(stored(photo.thumbnail))) as thumb:
        assert max(thumb.size) == 320
    assert (photo.width, photo.height) == (2048, 1365)
    assert photo.size == len(stored(photo.image))
    assert re.fullmatch(r"photos/[0-9a-f]{32}\.jpg", photo.image.name)
    assert photo.thumbnail.name == f"photos/{photo.key}-thumb.jpg"


def test_the_photo_is_turned_the_way_the_phone_was_held(case, office_user):
    # Orientation 6: the sensor's 800×600 picture is shown turned a quarter, 600 wide and 800 high.
    photo = photos.add_photo(case, upload(phone_jpeg((800, 600), orientation=6)), office_user)
    with Image.open(io.BytesIO(stored(photo.image))) as kept:
        assert kept.size == (600, 800)


def test_a_transparent_png_is_kept_as_a_jpeg(case, office_user):
    photo = photos.add_photo(case, upload(png(), "screen.png", "image/png"), office_user)
    with Image.open(io.BytesIO(stored(photo.image))) as kept:
        assert (kept.format, kept.mode, kept.size) == ("JPEG", "RGB", (300, 200))


def test_adding_records_a_private_line_of_history(case, office_user):
    photos.add_photos(case, [upload(phone_jpeg()), upload(phone_jpeg())], office_user)
    event = CaseEvent.objects.get(case=case, data__code="photo_added")
    assert (event.kind, event.public, event.author, event.data["count"]) == ("edited", False, office_user, 2)
    assert (event.text, event.shown_text) == ("", "上传照片 2 张")


# -- What is refused --------------------------------------------------------------------------------


def test_a_text_file_named_jpg_is_refused():
    assert "不是图片文件" in refusal([upload(b"not a picture, just words\n" * 20, "canal.jpg")])


def test_a_truncated_jpeg_is_refused():
    whole = phone_jpeg((640, 480), colour=(12, 200, 90))
    assert "不是图片文件" in refusal([upload(whole[: len(whole) // 2], "cut.jpg")])


@pytest.mark.parametrize(
    ("width", "height"),
    [(8000, 8000), (100_000, 100_000)],  # past our bound; past Pillow's own (a bomb)
)
def test_a_png_declaring_a_huge_image_is_refused_before_decoding(width, height):
    bomb = png_declaring(width, height)
    assert len(bomb) < 1000
    assert "像素太多" in refusal([upload(bomb, "bomb.png", "image/png")])


def test_a_tiny_image_is_refused():
    assert "照片太小" in refusal([upload(png((20, 20)), "icon.png", "image/png")])


def test_a_gif_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (200, 200)).save(out, "GIF")
    assert "不是图片文件" in refusal([upload(out.getvalue(), "a.gif", "image/gif")])


def test_a_file_too_big_is_refused_by_its_size_before_it_is_read(settings):
    settings.PHOTO_MAX_BYTES = 5 * 1024 * 1024

    class Unreadable(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("read a file already known to be too big")

    big = Unreadable("IMG_0002.jpg", b"\xff\xd8" + b"0" * (6 * 1024 * 1024), content_type="image/jpeg")
    assert "照片太大（最大 5 MB）" in refusal([big])


def test_a_stream_longer_than_it_said_is_refused(settings):
    settings.PHOTO_MAX_BYTES = 1024
    lying = upload(phone_jpeg())
    lying.size = 100
    assert "照片太大" in refusal([lying])


def test_every_refused_file_is_named_and_nothing_is_kept(case, office_user, media):
    with pytest.raises(ValidationError) as refused:
        photos.add_photos(case, [upload(phone_jpeg()), upload(b"x" * 100, "notes.jpg")], office_user)
    assert "notes.jpg" in " ".join(refused.value.messages)
    assert not CasePhoto.objects.exists()
    assert not list(media.rglob("*.jpg"))


# -- The limit per case -----------------------------------------------------------------------------


def test_the_limit_per_case(settings, case, office_user):
    settings.PHOTO_LIMIT_PER_CASE = 2
    photos.add_photos(case, [upload(phone_jpeg()), upload(phone_jpeg())], office_user)
    with pytest.raises(ValidationError, match="最多 2 张照片，这个问题已有 2 张"):
        photos.add_photo(case, upload(phone_jpeg()), office_user)
    assert case.photos.count() == 2


def test_more_files_than_the_limit_are_refused_before_any_is_decoded(settings, case, office_user, monkeypatch):
    settings.PHOTO_LIMIT_PER_CASE = 2
    monkeypatch.setattr(photos, "prepare", lambda uploaded: pytest.fail("decoded a file of a refused batch"))
    with pytest.raises(ValidationError, match="最多 2 张照片"):
        photos.add_photos(case, [upload(b"a"), upload(b"b"), upload(b"c")], office_user)


# -- Public or not ----------------------------------------------------------------------------------


def test_a_photo_of_a_sensitive_case_is_never_public(sensitive_case, office_user):
    photo = photos.add_photo(sensitive_case, upload(phone_jpeg()), office_user)
    with pytest.raises(ValidationError, match="照片不能公示"):
        photos.set_public(photo, True, office_user)
    with pytest.raises(ValidationError, match="照片不能公示"):
        photos.add_photo(sensitive_case, upload(phone_jpeg()), office_user, public=True)
    photo.refresh_from_db()
    assert not photo.public


def test_a_photo_of_a_case_not_posted_is_never_public(team, office_user):
    case = CaseFactory(team=team, public_posting=False)
    photo = photos.add_photo(case, upload(phone_jpeg()), office_user)
    with pytest.raises(ValidationError):
        photos.set_public(photo, True, office_user)


def test_making_public_and_private_is_recorded(case, office_user):
    photo = photos.add_photo(case, upload(phone_jpeg()), office_user)
    photos.set_public(photo, True, office_user)
    photos.set_public(photo, False, office_user)
    codes = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("data__code", "public"))
    assert codes == [("photo_added", False), ("photo_public", False), ("photo_private", False)]


def test_the_board_thumbnail_only_for_a_public_photo_of_a_case_that_may_show_it(
    client, case, sensitive_case, office_user
):
    shown = photos.add_photo(case, upload(phone_jpeg()), office_user)
    unmarked = photos.add_photo(case, upload(phone_jpeg()), office_user)
    photos.set_public(shown, True, office_user)
    hidden = photos.add_photo(sensitive_case, upload(phone_jpeg()), office_user)
    CasePhoto.objects.filter(pk=hidden.pk).update(public=True)  # marked by SQL or an old rule

    response = client.get(f"/cases/photos/{shown.key}/board.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == stored(shown.thumbnail)
    assert response["Cache-Control"] == "public, no-cache"
    assert client.get(f"/cases/photos/{shown.key}/board.jpg", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client.get(f"/cases/photos/{unmarked.key}/board.jpg").status_code == 404
    assert client.get(f"/cases/photos/{hidden.key}/board.jpg").status_code == 404
    assert client.get("/cases/photos/0123456789abcdef0123456789abcdef/board.jpg").status_code == 404
    # The full image and the staff thumbnail are never public.
    assert client.get(f"/cases/photos/{shown.key}.jpg").status_code == 302
    assert client.get(f"/cases/photos/{shown.key}/thumb.jpg").status_code == 302


# -- Who may do what --------------------------------------------------------------------------------


def post_photo(client, case, *contents, **extra):
    files = [upload(content, f"IMG_{i}.jpg") for i, content in enumerate(contents)]
    return client.post(f"/cases/{case.number}/photos/", {"photos": files, **extra})


@pytest.mark.parametrize(
    ("who", "upload_status", "view_status"),
    [
        ("office_client", 302, 200),
        ("cadre_client", 302, 200),  # a cadre of the case's team
        ("other_cadre_client", 404, 404),
        ("supervisor_client", 403, 200),
    ],
)
def test_who_may_add_and_see_photos(request, who, upload_status, view_status, case, office_user):
    client = request.getfixturevalue(who)
    response = post_photo(client, case, phone_jpeg())
    assert response.status_code == upload_status
    assert case.photos.count() == (1 if upload_status == 302 else 0)

    photo = photos.add_photo(case, upload(phone_jpeg()), office_user)
    for field, url in (
        (photo.image, f"/cases/photos/{photo.key}.jpg"),
        (photo.thumbnail, f"/cases/photos/{photo.key}/thumb.jpg"),
    ):
        response = client.get(url)
        assert response.status_code == view_status
        if view_status == 200:
            assert response["Content-Type"] == "image/jpeg"
            assert response["Cache-Control"].startswith("private")
            assert b"".join(response.streaming_content) == stored(field)


@pytest.fixture
def other_cadre_client(client_class):
    client = client_class()
    client.force_login(CadreFactory(user=UserFactory(role="cadre"), team=TeamFactory()).user)
    return client


def test_anonymous_users_go_to_the_login_page(client, case, office_user):
    photo = photos.add_photo(case, upload(phone_jpeg()), office_user)
    for response in (
        post_photo(client, case, phone_jpeg()),
        client.get(f"/cases/photos/{photo.key}.jpg"),
        client.get(f"/cases/photos/{photo.key}/thumb.jpg"),
        client.post(f"/cases/photos/{photo.key}/public/", {"public": "on"}),
        client.post(f"/cases/photos/{photo.key}/delete/"),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert CasePhoto.objects.count() == 1


def test_uploading_comes_back_to_the_case_page_with_a_message(cadre_client, case):
    response = post_photo(cadre_client, case, phone_jpeg(), phone_jpeg())
    assert response["Location"] == f"/cases/{case.number}/#photos"
    assert last_message(response) == "已上传 2 张照片。"
    assert case.photos.count() == 2


def test_a_refused_upload_comes_back_with_the_reason(cadre_client, case):
    response = post_photo(cadre_client, case, b"plain text")
    assert response.status_code == 302
    assert "不是图片文件" in last_message(response)
    assert not case.photos.exists()
    response = cadre_client.post(f"/cases/{case.number}/photos/", {})
    assert last_message(response) == "请先选择要上传的照片。"


def test_the_public_box(cadre_client, case, sensitive_case, cadre_user):
    photo = photos.add_photo(case, upload(phone_jpeg()), cadre_user)
    response = cadre_client.post(f"/cases/photos/{photo.key}/public/", {"public": "on"})
    assert response["Location"] == f"/cases/{case.number}/#photos"
    photo.refresh_from_db()
    assert photo.public
    cadre_client.post(f"/cases/photos/{photo.key}/public/", {})
    photo.refresh_from_db()
    assert not photo.public

    private = photos.add_photo(sensitive_case, upload(phone_jpeg()), cadre_user)
    response = cadre_client.post(f"/cases/photos/{private.key}/public/", {"public": "on"})
    assert "照片不能公示" in last_message(response)
    private.refresh_from_db()
    assert not private.public


def test_deleting_the_office_or_the_uploader(
    client_class, case, team, office_user, cadre_user, django_capture_on_commit_callbacks, media
):
    teammate = CadreFactory(user=UserFactory(role="cadre"), team=team).user
    mine = photos.add_photo(case, upload(phone_jpeg()), cadre_user)
    theirs = photos.add_photo(case, upload(phone_jpeg()), teammate)
    cadre, office, supervisor = client_class(), client_class(), client_class()
    cadre.force_login(cadre_user)
    office.force_login(office_user)
    supervisor.force_login(CadreFactory(user=UserFactory(role="supervisor"), team=None, town=team.town).user)

    assert cadre.post(f"/cases/photos/{theirs.key}/delete/").status_code == 403
    assert supervisor.post(f"/cases/photos/{mine.key}/delete/").status_code == 403
    files = [media / mine.image.name, media / mine.thumbnail.name]
    assert all(path.exists() for path in files)
    with django_capture_on_commit_callbacks(execute=True):
        response = cadre.post(f"/cases/photos/{mine.key}/delete/")
    assert response["Location"] == f"/cases/{case.number}/#photos"
    assert not any(path.exists() for path in files)
    with django_capture_on_commit_callbacks(execute=True):
        assert office.post(f"/cases/photos/{theirs.key}/delete/").status_code == 302
    assert not case.photos.exists()
    assert not list(media.rglob("*.jpg"))
    assert CaseEvent.objects.filter(case=case, data__code="photo_deleted").count() == 2


# -- The case page ----------------------------------------------------------------------------------


def test_the_case_page_shows_the_photos_and_the_upload_form(cadre_client, case, cadre_user):
    added = photos.add_photos(case, [upload(phone_jpeg()) for _ in range(2)], cadre_user)
    html = cadre_client.get(f"/cases/{case.number}/").content.decode()
    for photo in added:
        assert f'href="/cases/photos/{photo.key}.jpg"' in html
        assert f'src="/cases/photos/{photo.key}/thumb.jpg"' in html
        assert f'action="/cases/photos/{photo.key}/public/"' in html
        assert f'action="/cases/photos/{photo.key}/delete/"' in html
    assert 'name="photos" accept="image/*" capture="environment" multiple' in html
    assert 'enctype="multipart/form-data"' in html


def test_a_supervisor_sees_the_photos_and_no_form(supervisor_client, case, office_user):
    photo = photos.add_photo(case, upload(phone_jpeg()), office_user)
    html = supervisor_client.get(f"/cases/{case.number}/").content.decode()
    assert f'src="/cases/photos/{photo.key}/thumb.jpg"' in html
    assert "/photos/delete/" not in html and f"/cases/{case.number}/photos/" not in html
    assert "/public/" not in html


def test_the_case_page_of_a_sensitive_case_offers_no_public_box(office_client, sensitive_case, office_user):
    photos.add_photo(sensitive_case, upload(phone_jpeg()), office_user)
    html = office_client.get(f"/cases/{sensitive_case.number}/").content.decode()
    assert 'name="public"' not in html
    assert "不在村公开栏公示" in html


def test_the_case_page_reads_its_photos_in_one_query(office_client, case, office_user, django_assert_max_num_queries):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert office_client.get(f"/cases/{case.number}/").status_code == 200
        return len(queries)

    count()  # the session's first request writes what later ones do not
    none = count()
    photos.add_photos(case, [upload(phone_jpeg()) for _ in range(3)], office_user)
    assert count() == none
    with django_assert_max_num_queries(11):  # the page's bound (test_case_page.py) and the photos
        response = office_client.get(f"/cases/{case.number}/")
    assert response.content.decode().count("/thumb.jpg") == 3


# -- The notice board -------------------------------------------------------------------------------


def test_the_board_shows_a_public_photo_and_never_a_private_one(client, case, team, sensitive_case, office_user):
    shown = photos.add_photo(case, upload(phone_jpeg()), office_user)
    unmarked = photos.add_photo(case, upload(phone_jpeg()), office_user)
    sensitive = photos.add_photo(sensitive_case, upload(phone_jpeg()), office_user)
    CasePhoto.objects.filter(pk=sensitive.pk).update(public=True)
    not_posted = CaseFactory(team=team, public_posting=False)
    hidden = photos.add_photo(not_posted, upload(phone_jpeg()), office_user)
    CasePhoto.objects.filter(pk=hidden.pk).update(public=True)

    board = f"/notice/{case.village.code}/"
    before = client.get(board).content.decode()
    assert shown.key not in before
    photos.set_public(shown, True, office_user)  # the board's cached page must not hide it
    html = client.get(board).content.decode()
    assert f'src="/cases/photos/{shown.key}/board.jpg"' in html
    for private in (unmarked, sensitive, hidden):
        assert private.key not in html
    assert "/thumb.jpg" not in html and f"/cases/photos/{shown.key}.jpg" not in html

    photos.set_public(shown, False, office_user)
    assert shown.key not in client.get(board).content.decode()


# -- The cadre's problem form at the visit ----------------------------------------------------------


@pytest.fixture
def visit(team):
    from cases.visit_forms import default_visit_date
    from teams.tests.factories import VisitFactory

    return VisitFactory(team=team, date=default_visit_date())


def problem(nonce: str, **changes) -> dict:
    data = {
        "resident_name": "陈大伯",
        "resident_phone": "13912345678",
        "channel": "household",
        "kind": "help",
        "category_choice": "",
        "title": "村口水渠破损",
        "public_posting": "on",
        "result": "",
        "nonce": nonce,
    }
    return data | changes


def test_the_problem_form_registers_the_case_with_its_photos(cadre_client, visit):
    html = cadre_client.get(f"/visits/{visit.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert re.search(r'<input type="file" name="photos"[^>]*accept="image/\*"[^>]*multiple', html)

    sent = problem("p" * 32, photos=[upload(phone_jpeg(), "a.jpg"), upload(png(), "b.png", "image/png")])
    response = cadre_client.post(f"/visits/{visit.pk}/problems/", sent)
    assert response.status_code == 302
    case = visit.cases.get()
    assert case.photos.count() == 2
    assert not any(p.public for p in case.photos.all())


def test_the_problem_form_works_without_a_photo(cadre_client, visit):
    assert cadre_client.post(f"/visits/{visit.pk}/problems/", problem("q" * 32)).status_code == 302
    assert visit.cases.get().photos.count() == 0


def test_a_refused_photo_is_a_form_error_and_no_case(cadre_client, visit, media):
    sent = problem("r" * 32, photos=[upload(phone_jpeg(), "good.jpg"), upload(b"words", "bad.jpg")])
    response = cadre_client.post(f"/visits/{visit.pk}/problems/", sent)
    assert response.status_code == 200
    assert "“bad.jpg”不是图片文件" in response.content.decode()
    assert not visit.cases.exists()
    assert not list(media.rglob("*.jpg"))


def test_a_photo_refused_when_storing_leaves_no_case(cadre_client, visit, settings, monkeypatch, media):
    def refuse(*args, **kwargs):
        raise ValidationError("每个问题最多 0 张照片。")

    monkeypatch.setattr(photos, "store_prepared", refuse)
    sent = problem("s" * 32, photos=[upload(phone_jpeg(), "good.jpg")])
    response = cadre_client.post(f"/visits/{visit.pk}/problems/", sent)
    assert response.status_code == 200
    assert "每个问题最多 0 张照片" in response.content.decode()
    assert not visit.cases.exists()


def test_photos_sent_with_possible_duplicates_are_asked_for_again(cadre_client, visit):
    category = CategoryFactory()
    CaseFactory(team=visit.team, village=visit.village, category=category)
    sent = problem("t" * 32, category_choice=str(category.pk), photos=[upload(phone_jpeg(), "a.jpg")])
    html = cadre_client.post(f"/visits/{visit.pk}/problems/", sent).content.decode()
    assert "确认不是重复" in html
    assert "照片尚未保存，请重新选择后再提交。" in html
    assert not CasePhoto.objects.exists()
    html = cadre_client.post(f"/visits/{visit.pk}/problems/", problem("u" * 32, title="")).content.decode()
    assert "照片尚未保存" not in html  # none was sent


def test_a_voided_case_keeps_its_photos_and_takes_no_new_one(office_client, case, office_user):
    from cases.voiding import void_case

    photo = photos.add_photo(case, upload(phone_jpeg()), office_user)
    void_case(case=case, reason="重复登记", by=office_user)

    assert office_client.get(f"/cases/photos/{photo.key}.jpg").status_code == 200
    response = post_photo(office_client, case, phone_jpeg())
    assert "已作废" in last_message(response)
    with pytest.raises(ValidationError, match="已作废"):
        photos.set_public(photo, True, office_user)
    assert case.photos.count() == 1
    html = office_client.get(f"/cases/{case.number}/").content.decode()
    assert f'src="/cases/photos/{photo.key}/thumb.jpg"' in html
    assert f"/cases/{case.number}/photos/" not in html
