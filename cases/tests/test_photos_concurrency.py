"""Uploads to one case at once, on PostgreSQL (SQLite serialises writers): the per-case limit is
counted under the case's row lock, so together they never pass it."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from cases import photos
from cases.models import CasePhoto
from cases.tests.factories import CaseFactory
from cases.tests.photo_files import phone_jpeg, upload
from teams.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
PEOPLE = 6


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (DATABASE_URL=postgres://…)")


def test_uploads_at_once_never_pass_the_limit(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PHOTO_LIMIT_PER_CASE = 4
    case = CaseFactory()
    user = UserFactory(role="office")
    prepared = [photos.prepare(upload(phone_jpeg())) for _ in range(2)]
    barrier, results = threading.Barrier(PEOPLE), [None] * PEOPLE

    def run(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                results[i] = len(photos.store_prepared(case, prepared, user))
        except ValidationError as refused:
            results[i] = refused
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r for r in results if isinstance(r, int)) == [2, 2]
    assert sum(isinstance(r, ValidationError) for r in results) == PEOPLE - 2
    assert CasePhoto.objects.filter(case=case).count() == 4
    assert len(list(tmp_path.rglob("*.jpg"))) == 8  # a refused upload keeps no file
