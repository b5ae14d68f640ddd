"""The deployment files: deploy/ examples, gunicorn.conf.py's cache warning, backup-restore's role check."""

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from sanhe.tests.servers import first_answer, free_port, get, held_connection, start_gunicorn, stop, wait_for

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


def test_gunicorn_warns_once_when_workers_do_not_share_a_cache(tmp_path):
    port = free_port()
    server, log = start_gunicorn(tmp_path, port, LOG_FORMAT="json", WEB_CONCURRENCY="2", CACHE_URL="locmem://")
    try:
        # A worker accepts connections only after post_worker_init, where the warning is: once
        # both workers have answered, both have had their chance to warn. The first connection
        # sends nothing yet, so it holds the worker that takes it while the other answers.
        with held_connection(server, log, port) as held:
            assert first_answer(server, log, f"http://127.0.0.1:{port}/health/")[0] == 200
            held.sendall(b"GET /health/ HTTP/1.0\r\nHost: sanhe.example.org\r\n\r\n")
            assert held.makefile("rb").readline().split()[1] == b"200"
    finally:
        stop(server)

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
    server, log = start_gunicorn(tmp_path, port, cwd=checkout, DEBUG="1", COUNTY_PHONE=None)
    url = f"http://127.0.0.1:{port}/track/"

    def town_phone(answer: tuple[int, bytes]) -> str:
        return re.search(r"0750-\d+", answer[1].decode()).group()

    try:
        before = town_phone(first_answer(server, log, url))
        # What a `git pull` does to the checkout: a setting's default changes.
        new = settings.read_text().replace('"COUNTY_PHONE", "0750-5524538"', '"COUNTY_PHONE", "0750-1111111"')
        settings.write_text(new)
        server.send_signal(signal.SIGHUP)
        # The old worker may answer until the new one has booted: ask until the new one does.
        wait_for(lambda: town_phone(get(url, "sanhe.example.org")) != before, server, log, "new settings served")
        after = town_phone(get(url, "sanhe.example.org"))
    finally:
        stop(server)

    assert (before, after) == ("0750-5524538", "0750-1111111")
