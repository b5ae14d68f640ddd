"""Settings for the Sanhe liaison case tracker, read from the environment.

Defaults make a fresh clone run locally (SQLite, DEBUG on); production sets
SECRET_KEY, DEBUG=0, ALLOWED_HOSTS and DATABASE_URL.
"""

import os
from datetime import date
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from sanhe.lib.caches import cache_from_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """Read NAME, falling back to DJANGO_NAME, then the default."""
    return os.environ.get(name, os.environ.get(f"DJANGO_{name}", default))


def envbool(name: str, default: str) -> bool:
    value = env(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {value!r}")


def envint(name: str, default: str) -> int:
    value = env(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "1")
# The fallback key is for local use only: production must set SECRET_KEY.
SECRET_KEY = env("SECRET_KEY") or ("insecure-local-only-key" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" + (",testserver" if DEBUG else ""))
# Origins allowed to POST forms when they differ from the host (e.g. https://sanhe.example.org:8443).
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "import_export",
    "villages",
    "teams",
    "cases",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sanhe.lib.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sanhe.lib.replica.ReportsReplicaMiddleware",
]

ROOT_URLCONF = "sanhe.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "teams.context_processors.role",
                "teams.context_processors.town",
            ],
        },
    },
]

WSGI_APPLICATION = "sanhe.wsgi.application"

# DATABASE_URL selects the database; without it, a SQLite file in the project folder.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", "0"),
    )
}
# A read replica (PostgreSQL streaming replication) for the heavy, read-only report queries:
# DATABASE_REPLICA_URL adds the "replica" alias, and the report pages read the ledger from it
# (sanhe/lib/replica.py says which). Without one, everything reads the primary.
if env("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        env("DATABASE_REPLICA_URL"), conn_max_age=envint("DB_CONN_MAX_AGE", "0")
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
REPORTS_DATABASE = "replica" if "replica" in DATABASES else "default"
DATABASE_ROUTERS = ["sanhe.lib.replica.ReportsReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# The programme: cases and visits before this date are refused as typing mistakes.
PROGRAMME_START = date.fromisoformat(env("PROGRAMME_START", "2014-09-01"))
# The town's tracking-number prefix: SH-2015-0001.
CASE_NUMBER_PREFIX = env("CASE_NUMBER_PREFIX", "SH")
TOWN_NAME = env("TOWN_NAME", "三合镇")
TOWN_PHONE = env("TOWN_PHONE", "0750-5524538")

LIST_PAGE_SIZE = envint("LIST_PAGE_SIZE", "50")

# Working days allowed to answer each kind of request (Guangdong's hotline rules), counted on
# China's official calendar; the default due date at triage.
CASE_WORKING_DAY_LIMITS = {"enquiry": 2, "help": 10, "suggestion": 10, "complaint": 15}

# One process by default; production shares one cache among its workers and servers so that
# throttling and cached public pages hold across them: CACHE_URL=db://sanhe_cache (after
# `manage.py createcachetable`) or redis://127.0.0.1:6379/0. See sanhe/lib/caches.py.
CACHES = {"default": cache_from_url(env("CACHE_URL", "locmem://sanhe"))}

# HTTPS. Off with DEBUG on (runserver speaks plain HTTP); on in production unless turned off.
HTTPS_ONLY = envbool("HTTPS_ONLY", "0" if DEBUG else "1")
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1" if HTTPS_ONLY else "0")
# Load balancers ask for /health/ over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
# Behind nginx (or another proxy that terminates TLS and sets X-Forwarded-Proto and X-Real-IP
# itself, never passing on the client's): trust those headers for the scheme and the client's
# address (villages/tracking.py throttles by address). Never set it without such a proxy.
BEHIND_PROXY = envbool("BEHIND_PROXY", "0")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CLIENT_IP_HEADER = env("CLIENT_IP_HEADER", "HTTP_X_REAL_IP" if BEHIND_PROXY else "")
# HSTS: browsers refuse plain HTTP for this long. Start small (HSTS_SECONDS=300) on a new domain,
# then raise it; include-subdomains and preload are commitments for the whole domain.
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", "31536000" if HTTPS_ONLY else "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", "1" if HTTPS_ONLY else "0")
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", "1" if HTTPS_ONLY else "0")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content security policy (sanhe/lib/csp.py): our own scripts, styles and images only.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    # style="…" attributes (sizes computed on the server, e.g. a chart's max-width) may stay;
    # <style> elements and styles from elsewhere may not. Attributes cannot run script.
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
CONTENT_SECURITY_POLICY_REPORT_ONLY = envbool("CSP_REPORT_ONLY", "0")

# Logs go to stdout: JSON lines in production (sanhe/lib/jsonlog.py), plain text while developing.
LOG_FORMAT = env("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
LOG_LEVEL = env("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "sanhe.lib.jsonlog.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers would print a second copy of each request error.
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        # One line per request comes from gunicorn's access log; runserver prints its own.
        "django.server": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}

# Case import and export in the admin (django-import-export): every import runs in one
# transaction, so a file with any bad row writes nothing; importing needs the right to add cases.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
