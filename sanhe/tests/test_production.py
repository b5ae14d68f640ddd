"""The production settings: Django's deployment checklist, static files, the security headers."""

import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from sanhe.lib.caches import cache_from_url, session_engine
from sanhe.lib.jsonlog import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def production_env(**extra: str) -> dict[str, str]:
    key = secrets.token_urlsafe(60)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "HSTS_", "HTTPS"))}
    env.update(DEBUG="0", SECRET_KEY=key, ALLOWED_HOSTS="sanhe.example.org", **extra)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_warns_when_hsts_turned_off():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(HSTS_SECONDS="0"))

    assert result.returncode == 1
    assert "security.W004" in result.stderr


def test_settings_refuse_to_start_without_secret_key_in_production():
    env = production_env()
    del env["SECRET_KEY"]

    result = manage("check", env=env)

    assert result.returncode == 1
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_collectstatic_writes_hashed_compressed_files_in_production(tmp_path):
    result = manage("collectstatic", "--noinput", env=production_env(STATIC_ROOT=str(tmp_path)))

    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/app.css"]
    assert hashed.startswith("css/app.") and hashed != "css/app.css"
    assert (tmp_path / hashed).exists()
    assert (tmp_path / f"{hashed}.gz").exists()


@pytest.mark.django_db
def test_pages_carry_content_security_policy(client):
    notice = client.get("/notice/")
    login = client.get("/accounts/login/")

    assert notice["Content-Security-Policy"] == CSP
    assert login["Content-Security-Policy"] == CSP
    assert notice["X-Content-Type-Options"] == "nosniff"
    assert notice["X-Frame-Options"] == "DENY"
    assert notice["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_csp_report_only_header_when_asked(client, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = True

    response = client.get("/notice/")

    assert response["Content-Security-Policy-Report-Only"] == CSP
    assert "Content-Security-Policy" not in response


def test_json_formatter_writes_one_object_with_extra_fields():
    record = logging.LogRecord("sanhe.test", logging.WARNING, __file__, 1, "%s cases late", (3,), None)
    record.team = "第1驻点团队"

    line = JsonFormatter().format(record)

    entry = json.loads(line)
    assert "\n" not in line
    assert {k: entry[k] for k in ("level", "logger", "message", "team")} == {
        "level": "WARNING",
        "logger": "sanhe.test",
        "message": "3 cases late",
        "team": "第1驻点团队",
    }


def test_json_formatter_turns_gunicorn_access_atoms_into_fields():
    atoms = {"h": "10.0.0.5", "m": "GET", "U": "/notice/", "q": "", "s": "200", "B": 5120, "M": 12, "a": "curl"}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '%(h)s "%(r)s"', (atoms,), None)

    entry = json.loads(JsonFormatter().format(record))

    assert {k: v for k, v in entry.items() if k not in ("time", "process")} == {
        "level": "INFO",
        "logger": "gunicorn.access",
        "message": "request",
        "remote_addr": "10.0.0.5",
        "method": "GET",
        "path": "/notice/",
        "status": 200,
        "bytes": 5120,
        "duration_ms": 12,
        "user_agent": "curl",
    }


def test_cache_url_selects_shared_backends():
    assert cache_from_url("db://sanhe_cache") == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "KEY_PREFIX": "sanhe",
        "LOCATION": "sanhe_cache",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
    assert cache_from_url("redis://127.0.0.1:6379/1") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "KEY_PREFIX": "sanhe",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }
    assert cache_from_url("locmem://")["LOCATION"] == "sanhe"


def test_cache_url_refuses_unknown_scheme():
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL must start with one of"):
        cache_from_url("memcache://127.0.0.1")


@pytest.mark.parametrize(
    "url", ["db://sanhe_cache      # shared by the workers", "db://sanhe_cache ", " redis://h:6379/0"]
)
def test_cache_url_refuses_spaces(url):
    with pytest.raises(ImproperlyConfigured, match="must not contain spaces"):
        cache_from_url(url)


def test_session_store_selects_the_engine_and_needs_a_shared_cache():
    assert session_engine("db", "locmem://sanhe") == "django.contrib.sessions.backends.db"
    assert session_engine("cache", "redis://127.0.0.1:6379/0") == "django.contrib.sessions.backends.cache"
    assert session_engine("cached_db", "db://sanhe_cache") == "django.contrib.sessions.backends.cached_db"
    with pytest.raises(ImproperlyConfigured, match="needs a shared CACHE_URL"):
        session_engine("cache", "locmem://sanhe")
    with pytest.raises(ImproperlyConfigured, match="SESSION_STORE must be one of"):
        session_engine("redis", "redis://127.0.0.1:6379/0")


def test_behind_proxy_trusts_the_proxy_for_scheme_and_client_address():
    show = "from django.conf import settings as s; print(s.CLIENT_IP_HEADER, s.SECURE_PROXY_SSL_HEADER)"

    behind = manage("shell", "--no-imports", "-c", show, env=production_env(BEHIND_PROXY="1"))
    direct = manage("shell", "--no-imports", "-c", show, env=production_env())

    assert behind.stdout == "HTTP_X_REAL_IP ('HTTP_X_FORWARDED_PROTO', 'https')\n", behind.stderr
    assert direct.stdout == " None\n", direct.stderr
