from unittest import mock

import pytest
from django.db import OperationalError, connection


@pytest.mark.django_db
def test_health_ok_when_database_answers(client):
    response = client.get("/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.django_db
def test_health_503_when_database_query_fails(client):
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused")):
        response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "cache": "ok"}


@pytest.mark.django_db
def test_health_503_when_the_cache_fails(client):
    with mock.patch("sanhe.lib.health.cache.get", side_effect=ConnectionError("cache down")):
        response = client.get("/health/")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "error"}


@pytest.mark.django_db
def test_health_503_when_the_cache_table_is_missing(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "no_such"}}

    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["cache"] == "error"


@pytest.mark.django_db
def test_health_refuses_post(client):
    response = client.post("/health/")

    assert response.status_code == 405


@pytest.mark.django_db
def test_health_exempt_from_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    health = client.get("/health/")
    page = client.get("/notice/")

    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert page.status_code == 301
    assert page["Location"] == "https://testserver/notice/"
