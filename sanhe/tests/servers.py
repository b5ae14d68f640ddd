"""Start gunicorn from a checkout for a test and wait for it the way a busy machine allows.

Readiness, not a clock: the master listens at once, a worker may take many seconds to load the
app on a loaded machine, and a request waiting in the listen queue is answered when it does. So
a request is sent only once something listens, and then waited for until answered; a request
that may have reached the server is never sent again (gunicorn would log it twice). SAFETY is a
bound no healthy machine reaches, only there so that a hung server fails the test instead of
hanging it.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAFETY = 120.0  # seconds
POLL = 0.05  # seconds between looks at something that is not there yet


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, host: str, timeout: float = SAFETY) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Host": host})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def start_gunicorn(
    tmp_path: Path, port: int, *, cwd: Path = ROOT, **settings: str | None
) -> tuple[subprocess.Popen, Path]:
    """gunicorn from CWD with the production settings (and SETTINGS; None unsets one) on PORT,
    logging to a file."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="sanhe.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
    )
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    log = tmp_path / "gunicorn.log"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("w") as out:
        server = subprocess.Popen([str(gunicorn)], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return server, log


def stopped(server: subprocess.Popen, log: Path, what: str) -> AssertionError:
    return AssertionError(f"gunicorn stopped {what} (exit {server.returncode}): {log.read_text()[-2000:]}")


def first_answer(server: subprocess.Popen, log: Path, url: str, host: str = "sanhe.example.org") -> tuple[int, bytes]:
    """URL's answer, sent once the server listens: (status, body). Fails if the server exits first."""
    deadline = time.monotonic() + SAFETY
    while True:
        try:
            return get(url, host, timeout=max(1.0, deadline - time.monotonic()))
        except urllib.error.HTTPError as error:  # an answer all the same
            return error.code, error.read()
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError):
                raise  # the request may have reached the server: never send it twice
        except ConnectionRefusedError:
            pass
        # Nothing listens yet, so nothing was sent.
        if server.poll() is not None:
            raise stopped(server, log, "before answering")
        if time.monotonic() > deadline:
            raise AssertionError(f"gunicorn did not listen within {SAFETY:.0f} s: {log.read_text()[-2000:]}")
        time.sleep(POLL)


def held_connection(server: subprocess.Popen, log: Path, port: int) -> socket.socket:
    """A connection to PORT once the server listens, with nothing sent on it."""
    deadline = time.monotonic() + SAFETY
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=SAFETY)
        except ConnectionRefusedError:
            if server.poll() is not None:
                raise stopped(server, log, "before listening") from None
            if time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not listen within {SAFETY:.0f} s") from None
            time.sleep(POLL)


def wait_for(condition, server: subprocess.Popen, log: Path, what: str) -> None:
    """Until CONDITION() holds; fails if the server exits first (or after SAFETY)."""
    deadline = time.monotonic() + SAFETY
    while not condition():
        if server.poll() is not None:
            raise stopped(server, log, f"before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {SAFETY:.0f} s: {log.read_text()[-2000:]}")
        time.sleep(POLL)


def stop(server: subprocess.Popen) -> None:
    server.terminate()  # SIGTERM to the master we started: it stops its workers
    try:
        server.wait(timeout=SAFETY)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
