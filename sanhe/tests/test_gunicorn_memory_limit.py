"""gunicorn.conf.py caps each worker's address space (WORKER_MEMORY_LIMIT_MB, RLIMIT_AS): a file
built to take memory in a way the upload limits did not foresee fails one worker's request, not
the server."""

import os
import resource
import subprocess
import sys
from pathlib import Path

from sanhe.tests.test_gunicorn import ROOT, gunicorn_serving

CONF = ROOT / "gunicorn.conf.py"
MEGABYTE = 1024 * 1024

# In a child: this process's limit must stay as it is.
CALL_THE_HOOK = """
import resource, runpy, sys
conf = runpy.run_path(sys.argv[1])
conf["post_fork"](None, None)
print(resource.getrlimit(resource.RLIMIT_AS)[0])
"""


def limit_after_the_hook(value: str | None) -> int:
    env = {name: v for name, v in os.environ.items() if name != "WORKER_MEMORY_LIMIT_MB"}
    if value is not None:
        env["WORKER_MEMORY_LIMIT_MB"] = value
    done = subprocess.run(
        [sys.executable, "-c", CALL_THE_HOOK, str(CONF)], env=env, capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_post_fork_caps_the_address_space_from_the_environment():
    assert limit_after_the_hook("700") == 700 * MEGABYTE


def test_post_fork_caps_at_1536_mb_by_default():
    assert limit_after_the_hook(None) == 1536 * MEGABYTE


def test_post_fork_with_0_sets_no_cap():
    assert limit_after_the_hook("0") == resource.getrlimit(resource.RLIMIT_AS)[0]


def test_gunicorn_worker_runs_the_app_under_its_cap(tmp_path):
    with gunicorn_serving(tmp_path, LOG_FORMAT="text", WORKER_MEMORY_LIMIT_MB="900") as (server, answer, _log):
        status, _body = answer
        workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        limits = [
            line.split()[3:5]  # "Max address space  <soft>  <hard>  bytes"
            for worker in workers
            for line in Path(f"/proc/{worker}/limits").read_text().splitlines()
            if line.startswith("Max address space")
        ]

    assert status == 200
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    assert limits == [[str(900 * MEGABYTE), "unlimited" if hard == resource.RLIM_INFINITY else str(hard)]]
