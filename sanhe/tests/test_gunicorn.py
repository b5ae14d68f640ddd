"""gunicorn.conf.py: the app served by gunicorn with the production settings, logging JSON lines."""

import contextlib
import json

from sanhe.tests.servers import ROOT, first_answer, free_port, get, start_gunicorn, stop

__all__ = ["ROOT", "free_port", "get", "gunicorn_serving"]  # what the other server tests import from here


@contextlib.contextmanager
def gunicorn_serving(tmp_path, **settings):
    """gunicorn from this checkout with the production settings (and SETTINGS), on a free port,
    once it answers /health/; yields (the master process, /health/'s status and body, its log).
    Waits for the answer or the process's exit, never for a fixed time (sanhe/tests/servers.py):
    a busy machine boots slowly, and the one request is never sent twice."""
    port = free_port()
    server, log = start_gunicorn(tmp_path, port, **settings)
    try:
        answer = first_answer(server, log, f"http://127.0.0.1:{port}/health/")
        yield server, answer, log
    finally:
        stop(server)


def test_gunicorn_serves_health_and_logs_json_lines(tmp_path):
    with gunicorn_serving(tmp_path, LOG_FORMAT="json") as (_server, (status, body), _log):
        pass

    assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok", "cache": "ok"})
    entries = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines() if line[:1] == "{"]
    access = [e for e in entries if e["logger"] == "gunicorn.access"]
    assert [(e["method"], e["path"], e["status"]) for e in access] == [("GET", "/health/", 200)]
    assert any(e["logger"] == "gunicorn.error" and e["message"].startswith("Booting worker") for e in entries)
