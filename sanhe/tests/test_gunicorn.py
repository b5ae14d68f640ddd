"""gunicorn.conf.py: the app served by gunicorn with the production settings, logging JSON lines."""

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, host: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Host": host})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


@contextlib.contextmanager
def gunicorn_serving(tmp_path, **settings):
    """gunicorn from this checkout with the production settings (and SETTINGS), on a free port,
    once it answers /health/; yields (the master process, /health/'s status and body, its log).
    Waits for the answer or the process's exit, not for a fixed time: a busy machine boots slowly."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="sanhe.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        **settings,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = (tmp_path / "gunicorn.log").open("w+")
    server = subprocess.Popen([str(gunicorn)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        while True:
            try:
                answer = get(f"http://127.0.0.1:{port}/health/", "sanhe.example.org")
                break
            except OSError:
                if server.poll() is not None:
                    log.seek(0)
                    raise AssertionError(f"gunicorn stopped before answering: {log.read()[-2000:]}") from None
                time.sleep(0.1)
        yield server, answer, log
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_gunicorn_serves_health_and_logs_json_lines(tmp_path):
    with gunicorn_serving(tmp_path, LOG_FORMAT="json") as (_server, (status, body), log):
        pass

    assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok", "cache": "ok"})
    log.seek(0)
    entries = [json.loads(line) for line in log if line.startswith("{")]
    access = [e for e in entries if e["logger"] == "gunicorn.access"]
    assert [(e["method"], e["path"], e["status"]) for e in access] == [("GET", "/health/", 200)]
    assert any(e["logger"] == "gunicorn.error" and e["message"].startswith("Booting worker") for e in entries)
