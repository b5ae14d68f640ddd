"""gunicorn's configuration: `gunicorn` run from this folder reads it (or `gunicorn -c gunicorn.conf.py`).

Everything can be set from the environment; the defaults suit one machine behind nginx.

    GUNICORN_BIND        where to listen (default 127.0.0.1:8000: nginx on the same machine)
    WEB_CONCURRENCY      worker processes (default 2 × CPU cores + 1)
    GUNICORN_THREADS     threads per worker (default 1: plain sync workers)
    GUNICORN_TIMEOUT     seconds before a stuck worker is restarted (default 120: the office's
                         confirm of a 20,000-row ledger reads and imports it in one request)
    GUNICORN_MAX_REQUESTS  requests before a worker is replaced (default 2000; 0 never)
    GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket (default: none)
    LOG_FORMAT           json (default) or text, like the Django settings
    WORKER_MEMORY_LIMIT_MB  address space of each worker, in MB (default 1536; 0 none): past it an
                         allocation fails (MemoryError) in that worker alone, never the machine
"""

import multiprocessing
import os
import resource

wsgi_app = "sanhe.wsgi:application"
bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")]
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# nginx keeps connections to us open between requests.
keepalive = 5
# Replace each worker now and then (at different times) so a slow leak never grows.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Only nginx on this machine may say that a request came in over HTTPS (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips
# gunicorn's runtime control socket, only where asked for: one shared default path would be
# fought over by several servers on one machine (e.g. a load test beside the real one).
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# Logs to stdout: one JSON object a line (sanhe/lib/jsonlog.py), or gunicorn's plain text.
accesslog = "-"
errorlog = "-"
if os.environ.get("LOG_FORMAT", os.environ.get("DJANGO_LOG_FORMAT", "json")) == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "sanhe.lib.jsonlog.JsonFormatter"}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"},
        },
        "root": {"level": "INFO", "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
    }


# Defence in depth behind the upload limits (UPLOAD_MAX_* in the settings): a file built to take
# memory in a way we did not foresee fails one request in one worker, not the server. A worker
# takes about 100 MB of address space; reading any upload, well under 300 MB more (measured in
# cases/tests/test_hostile_uploads.py).
worker_memory_limit_mb = int(os.environ.get("WORKER_MEMORY_LIMIT_MB", "1536"))


def post_fork(server, worker):
    """Cap this worker's address space (RLIMIT_AS), in the worker, just after the master forked it."""
    if worker_memory_limit_mb > 0:
        limit = worker_memory_limit_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def post_worker_init(worker):
    """Say so, once, when several workers would each keep their own cache.

    This runs in the first worker, after it has loaded the app, never in the master: settings
    imported into the master would be inherited by every worker it forks, so a reload (HUP)
    after an upgrade would go on serving the old settings.
    """
    if worker.age != 1 or worker.cfg.workers < 2:
        return
    from django.conf import settings

    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        worker.log.warning(
            "%d workers with a per-process cache: throttling and cached pages are per worker. "
            "Set CACHE_URL=db://sanhe_cache or redis://… (see README, Production).",
            worker.cfg.workers,
        )
