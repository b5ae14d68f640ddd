"""GET /health/: is this app server up, and can it reach its database? For load balancers and monitors."""

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("sanhe.health")


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 {"status": "ok", "database": "ok"}, or 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: the database did not answer")
        return JsonResponse({"status": "error", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
