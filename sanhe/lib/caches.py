"""settings.CACHES from one URL, so that production can share a cache among its app servers.

    locmem://              this process only (the default: fine for one process, e.g. runserver)
    db://sanhe_cache       a table in the database (run `manage.py createcachetable` once)
    redis://host:6379/0    Redis, through Django's RedisCache (needs the `redis` package)
    file:///var/cache/sanhe  files in a folder (one machine only)
    dummy://               no cache at all

Throttling and the cached public pages are only right across several gunicorn workers or
several machines with a shared cache: db:// or redis://.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

BACKENDS = {
    "locmem": "django.core.cache.backends.locmem.LocMemCache",
    "db": "django.core.cache.backends.db.DatabaseCache",
    "redis": "django.core.cache.backends.redis.RedisCache",
    "rediss": "django.core.cache.backends.redis.RedisCache",
    "file": "django.core.cache.backends.filebased.FileBasedCache",
    "dummy": "django.core.cache.backends.dummy.DummyCache",
}

# Django culls at 300 entries by default; every village board, page and filter is an entry, and
# a culled board costs a cold render.
MAX_ENTRIES = 20_000


def cache_from_url(url: str, key_prefix: str = "sanhe") -> dict:
    """One entry of settings.CACHES from URL; an unknown scheme fails loudly."""
    if url != url.strip() or any(c.isspace() for c in url):
        # systemd's EnvironmentFile keeps a trailing "# comment" and its spaces as part of the value.
        raise ImproperlyConfigured(f"CACHE_URL must not contain spaces: {url!r}")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in BACKENDS:
        raise ImproperlyConfigured(f"CACHE_URL must start with one of {', '.join(BACKENDS)}, not {url!r}")
    cache = {"BACKEND": BACKENDS[scheme], "KEY_PREFIX": key_prefix}
    if scheme == "locmem":
        cache["LOCATION"] = parts.netloc or "sanhe"
        cache["OPTIONS"] = {"MAX_ENTRIES": MAX_ENTRIES}
    elif scheme == "db":
        if not parts.netloc:
            raise ImproperlyConfigured("CACHE_URL db:// needs a table name: db://sanhe_cache")
        cache["LOCATION"] = parts.netloc
        cache["OPTIONS"] = {"MAX_ENTRIES": MAX_ENTRIES}
    elif scheme in ("redis", "rediss"):
        cache["LOCATION"] = url
    elif scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured("CACHE_URL file:// needs a folder: file:///var/cache/sanhe")
        cache["LOCATION"] = parts.path
    return cache


# Where sessions live (SESSION_STORE): the database by default; "cache" for several app nodes that
# share Redis as their cache (a session then costs no database query, and every node reads it).
SESSION_ENGINES = {
    "db": "django.contrib.sessions.backends.db",
    "cache": "django.contrib.sessions.backends.cache",
    "cached_db": "django.contrib.sessions.backends.cached_db",
}


def session_engine(store: str, cache_url: str) -> str:
    """settings.SESSION_ENGINE for STORE. Sessions in a cache only this process sees (locmem://,
    dummy://) would log users out at random between workers: refused."""
    if store not in SESSION_ENGINES:
        raise ImproperlyConfigured(f"SESSION_STORE must be one of {', '.join(SESSION_ENGINES)}, not {store!r}")
    shared = urlsplit(cache_url).scheme.lower() in ("db", "redis", "rediss")
    if store != "db" and not shared:
        raise ImproperlyConfigured(f"SESSION_STORE={store} needs a shared CACHE_URL (redis:// or db://)")
    return SESSION_ENGINES[store]
