"""GET /health/: is this app server up, and can it reach its database and its cache?

For load balancers and monitors. The cache counts: the public boards and /track/'s throttle
live in it, so a broken cache breaks pages while the database is fine."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("sanhe.health")


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: the database did not answer")
        return False
    return True


def cache_answers() -> bool:
    """A read, not a write: monitors ask every few seconds, and a missing cache table or an
    unreachable Redis fails the read just the same."""
    try:
        cache.get("health-check")
    except Exception:
        logger.exception("health check: the cache did not answer")
        return False
    return True


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 {"status": "ok", "database": "ok", "cache": "ok"}, or 503 naming what does not answer."""
    checks = {"database": database_answers(), "cache": cache_answers()}
    ok = all(checks.values())
    body = {"status": "ok" if ok else "error"} | {name: "ok" if up else "error" for name, up in checks.items()}
    return JsonResponse(body, status=200 if ok else 503)
