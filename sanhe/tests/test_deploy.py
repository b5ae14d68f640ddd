"""The deployment files: deploy/ examples, gunicorn.conf.py's cache warning, backup-restore's role check."""

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from sanhe.tests.test_gunicorn import free_port, get

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_env_example_reads_the_same_in_systemd_and_the_shell():
    """systemd keeps quotes' contents, spaces and an inline '# …' as part of a value; the shell does not."""
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        assert re.fullmatch(r"[A-Z_]+", name), line
        assert not re.search(r"[\s#'\"$\\`]", value), line


def test_env_example_passes_the_deployment_checks(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    # What the README's install step writes; the database is not needed for the checks.
    env.update(SECRET_KEY=secrets.token_urlsafe(60), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_service_runs_the_checkouts_gunicorn_with_the_environment_file():
    unit = (DEPLOY / "sanhe.service").read_text()
    assert "WorkingDirectory=/srv/sanhe\n" in unit
    assert "EnvironmentFile=/etc/sanhe/env\n" in unit
    assert "ExecStart=/srv/sanhe/.venv/bin/gunicorn\n" in unit
    assert "ExecReload=/bin/kill -HUP $MAINPID\n" in unit


@pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"), reason="nginx or openssl not installed")
def test_nginx_site_is_valid(tmp_path):
    key, cert = tmp_path / "privkey.pem", tmp_path / "fullchain.pem"
    args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=sanhe.example.org"]
    subprocess.run(["openssl", *args, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    site = (DEPLOY / "nginx.conf").read_text().replace("/etc/ssl/sanhe", str(tmp_path))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    if "Permission denied" in result.stderr:
        pytest.skip("nginx -t needs to run as root here")
    assert result.returncode == 0, result.stderr


def start_gunicorn(tmp_path, **extra: str) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="sanhe.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        LOG_FORMAT="json",
        **extra,
    )
    log = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen([str(gunicorn)], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    return server, port, log


def test_gunicorn_warns_once_when_workers_do_not_share_a_cache(tmp_path):
    server, port, log = start_gunicorn(tmp_path, WEB_CONCURRENCY="2", CACHE_URL="locmem://")
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if "per-process cache" in log.read_text():
                break
            time.sleep(0.1)
        # Both workers are up and have had the time to warn, were they to.
        for _ in range(100):
            try:
                get(f"http://127.0.0.1:{port}/health/", "sanhe.example.org")
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=30)

    text = log.read_text()
    assert text.count("Booting worker") == 2, text
    assert text.count("2 workers with a per-process cache") == 1, text


@pytest.mark.django_db(transaction=True)
def test_backup_restore_refuses_a_role_that_may_not_create_databases():
    if connection.vendor != "postgresql":
        pytest.skip("the backup-restore script works on PostgreSQL; CI runs this test in its PostgreSQL pass")
    role = f"sanhe_nocreatedb_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    s = connection.settings_dict
    url = f"postgres://{role}:{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN NOCREATEDB PASSWORD %s", [password])
    try:
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "backup-restore.sh")],
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP ROLE {role}")

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "may not create databases" in result.stderr


def test_gunicorn_reload_serves_the_new_settings(tmp_path):
    """`systemctl reload` after `git pull`: the new workers must load the new sanhe/settings.py too."""
    checkout = tmp_path / "checkout"
    skip = shutil.ignore_patterns(".git", ".venv", "staticfiles", "__pycache__", "*.sqlite3")
    shutil.copytree(ROOT, checkout, ignore=skip)
    settings = checkout / "sanhe" / "settings.py"
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.update(
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
    )
    env.pop("TOWN_PHONE", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen([str(gunicorn)], cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT)

    def town_phone() -> str:
        for _ in range(100):
            try:
                _, body = get(f"http://127.0.0.1:{port}/track/", "127.0.0.1")
                return re.search(r"0750-\d+", body.decode()).group()
            except OSError:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not answer")

    try:
        before = town_phone()
        # What a `git pull` does to the checkout: a setting's default changes.
        new = settings.read_text().replace('"TOWN_PHONE", "0750-5524538"', '"TOWN_PHONE", "0750-1111111"')
        settings.write_text(new)
        server.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        after = before
        while after == before and time.monotonic() < deadline:
            time.sleep(0.2)
            after = town_phone()
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert (before, after) == ("0750-5524538", "0750-1111111")
