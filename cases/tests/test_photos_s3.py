"""Photos in an S3-compatible bucket (PHOTO_STORAGE=s3, django-storages): a real S3 server on this
machine (moto's, on a free port of 127.0.0.1), a private bucket, a photo added through
cases/photos.py, then read back through the staff view and deleted."""

import io
import socket

import pytest
from PIL import Image

from cases import photos
from cases.models import CasePhoto
from cases.tests.factories import CaseFactory
from cases.tests.photo_files import CAMERA, GPS_IFD, phone_jpeg, upload

moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed (requirements-dev.txt)")
boto3 = pytest.importorskip("boto3", reason="boto3 is not installed (requirements.txt)")
pytest.importorskip("storages.backends.s3", reason="django-storages is not installed (requirements.txt)")

pytestmark = pytest.mark.django_db
BUCKET = "sanhe-photos-test"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(endpoint, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    client = boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.MEDIA_ROOT = tmp_path  # must stay empty: nothing is written locally
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "region_name": CREDENTIALS["region_name"],
                "addressing_style": "path",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    yield client
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def object_bytes(client, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_a_photo_goes_to_the_bucket_and_back_through_the_view(
    bucket, team, office_user, office_client, client, tmp_path, django_capture_on_commit_callbacks
):
    case = CaseFactory(team=team)
    photo = photos.add_photo(case, upload(phone_jpeg((2400, 1800))), office_user)
    assert type(CasePhoto._meta.get_field("image").storage._wrapped).__name__ == "S3Storage"

    keys = sorted(item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert keys == sorted([photo.image.name, photo.thumbnail.name])
    assert not list(tmp_path.rglob("*"))
    kept = object_bytes(bucket, photo.image.name)
    assert CAMERA.encode() not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (2048, 1536)
        assert not image.getexif().get_ifd(GPS_IFD)
    # Private: the bucket gives nothing to a request without credentials.
    acl = bucket.get_object_acl(Bucket=BUCKET, Key=photo.image.name)
    assert not [g for g in acl["Grants"] if g["Grantee"].get("URI", "").endswith("AllUsers")]

    response = office_client.get(f"/cases/photos/{photo.key}.jpg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == kept
    thumb = office_client.get(f"/cases/photos/{photo.key}/thumb.jpg")
    assert b"".join(thumb.streaming_content) == object_bytes(bucket, photo.thumbnail.name)
    assert client.get(f"/cases/photos/{photo.key}.jpg").status_code == 302  # anonymous: the login page

    photos.set_public(photo, True, office_user)
    board = client.get(f"/cases/photos/{photo.key}/board.jpg")
    assert b"".join(board.streaming_content) == object_bytes(bucket, photo.thumbnail.name)

    with django_capture_on_commit_callbacks(execute=True):
        assert office_client.post(f"/cases/photos/{photo.key}/delete/").status_code == 302
    assert bucket.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
