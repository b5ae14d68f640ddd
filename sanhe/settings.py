"""Settings for the Sanhe liaison case tracker, read from the environment.

Defaults make a fresh clone run locally (SQLite, DEBUG on); production sets
SECRET_KEY, DEBUG=0, ALLOWED_HOSTS and DATABASE_URL.
"""

import os
from datetime import date, timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from sanhe.lib.caches import cache_from_url, session_engine

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
    # The admin site whose pages ask a second factor of those who set one up (teams/otp.py).
    "teams.apps.SanheAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from here, not from a CDN
    "villages",
    "teams",
    "cases",
    "reports",
    "public",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sanhe.lib.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside every middleware that queries (sessions, users): 503 while the database is unreachable.
    "sanhe.lib.dbdown.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "sanhe.lib.badrequest.BadRequestMiddleware",  # NUL bytes, over-long values: 400 before any view
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sanhe.lib.nostore.NoStoreMiddleware",  # Cache-Control: private, no-store where residents' data is
    "django_otp.middleware.OTPMiddleware",
    "teams.security.SessionIdleMiddleware",
    "teams.otp.SecondFactorMiddleware",
    "teams.security.SecurityLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: a panel's form fetched into the page
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sanhe.lib.replica.ReportsReplicaMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
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
        # A kept connection that died with a database restart is replaced, not failed on (with DB_CONN_MAX_AGE > 0).
        conn_health_checks=True,
    )
}
# SQLite through our backend: Django's, whose schema editor keeps triggers through a table's rebuild.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "sanhe.lib.sqlite"
# The meeting pack's index INCLUDEs the columns its counts read (PostgreSQL, production); SQLite, the
# embedded default, builds the same index without them, which is all this warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
# A read replica (PostgreSQL streaming replication) for the heavy, read-only report queries:
# DATABASE_REPLICA_URL adds the "replica" alias, and the report pages read the ledger from it
# (sanhe/lib/replica.py says which). Without one, everything reads the primary.
if env("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        env("DATABASE_REPLICA_URL"), conn_max_age=envint("DB_CONN_MAX_AGE", "0"), conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
REPORTS_DATABASE = "replica" if "replica" in DATABASES else "default"
DATABASE_ROUTERS = ["sanhe.lib.replica.ReportsReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Logins (等保 2.0 level 3). Throttling by django-axes: AXES_FAILURE_LIMIT wrong passwords for one
# account (from any address) or from one address (for any account) lock it for the cool-off
# period. The address is counted as /track/ counts it (CLIENT_IP_HEADER behind nginx; an IPv6 by its /64).
AUTHENTICATION_BACKENDS = [
    "teams.security.LoginThrottleBackend",
    "teams.backends.StaffBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "sanhe.lib.clientip.client_key"
AXES_LOCKOUT_CALLABLE = "teams.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# A success must not clear the failures counted from its address: an attacker would interleave
# logins to an account of their own with guesses at someone else's.
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
# Logins are logged once, in the security log (teams/security.py), not again in axes' own table.
AXES_DISABLE_ACCESS_LOG = True
# Two-factor login (TOTP, django-otp): anyone may set it up from their security page; with this
# on, office staff and administrators must, before anything else (off by default: the demo runs
# without a phone).
OTP_REQUIRED_FOR_STAFF = envbool("OTP_REQUIRED_FOR_STAFF", "0")
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "三合镇驻点直联")
# The admin may delete a lost phone's device, never read its key or QR code (that would let an
# administrator log in as the user).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Sessions end after SESSION_COOKIE_AGE seconds without a request (refreshed at most once a
# minute, teams/security.py) and when the browser closes.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", "1800")
SESSION_EXPIRE_AT_BROWSER_CLOSE = envbool("SESSION_EXPIRE_AT_BROWSER_CLOSE", "1")
# The security log (teams.SecurityEvent) is kept this long; the Cybersecurity Law asks ≥ 6 months.
SECURITY_LOG_RETENTION_DAYS = envint("SECURITY_LOG_RETENTION_DAYS", "400")
if SECURITY_LOG_RETENTION_DAYS < 183:
    raise ImproperlyConfigured("SECURITY_LOG_RETENTION_DAYS must be at least 183 (six months)")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Uploaded files (the cases' photos, cases/photos.py): local files under MEDIA_ROOT, or with
# PHOTO_STORAGE=s3 an S3-compatible bucket (AWS, MinIO, a cloud's object storage). Never served
# from a public URL: every photo goes through a view that checks who asks (cases/views/photos.py),
# so MEDIA_URL is not routed and the bucket stays private.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-served/"
PHOTO_STORAGE = env("PHOTO_STORAGE", "local").strip().lower()
if PHOTO_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured("PHOTO_STORAGE is local or s3")
DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if PHOTO_STORAGE == "s3":
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,  # empty: AWS itself
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID") or None,  # empty: boto3's own lookup (role, profile)
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE") or None,  # "path" for most self-hosted servers
            "default_acl": None,  # the bucket's own (private): no object is ever public-read
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not DEFAULT_STORAGE["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("PHOTO_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# The programme: cases and visits before this date are refused as typing mistakes.
PROGRAMME_START = date.fromisoformat(env("PROGRAMME_START", "2014-09-01"))
# The county the deployment serves: its towns are data (villages.Town: name, short code, phone,
# division code). The county's name heads its own pages; its phone is the one shown where no town
# is known (a public page above the towns, the lock-out page, the 503 page when the database is down).
COUNTY_NAME = env("COUNTY_NAME", "台山市")
COUNTY_PHONE = env("COUNTY_PHONE", "0750-5524538")
# The county's national division code (6 digits): Open311's jurisdiction_id for the whole county.
COUNTY_DIVISION_CODE = env("COUNTY_DIVISION_CODE", "440781")

LIST_PAGE_SIZE = envint("LIST_PAGE_SIZE", "50")
# PIPL: years after a case is closed before `manage.py anonymise_residents` removes its resident's
# name, phone, address and internal notes (figures stay).
RESIDENT_DATA_RETENTION_YEARS = envint("RESIDENT_DATA_RETENTION_YEARS", "3")

# Working days allowed to answer each kind of request (Guangdong's hotline rules), counted on
# China's official calendar; the default due date at triage.
CASE_WORKING_DAY_LIMITS = {"enquiry": 2, "help": 10, "suggestion": 10, "complaint": 15}

# A request refused before any view (sanhe/lib/badrequest.py: a control character, a value too long)
# is answered in the error shape of the machine interface whose root its path is under.
BAD_REQUEST_ANSWERS = {
    "/open311/": "public.open311.formats.bad_request",
    "/api/": "sanhe.api.errors.bad_request",
}

# Open311 GeoReport v2 (public/open311/): reports a client may post per API key per hour.
OPEN311_POSTS_PER_HOUR = envint("OPEN311_POSTS_PER_HOUR", "60")

# 12345 hotline work orders (cases/hotline.py): hours to sign for (签收) a work order when its batch
# gives no deadline of its own.
HOTLINE_SIGN_WITHIN_HOURS = envint("HOTLINE_SIGN_WITHIN_HOURS", "24")

# The JSON API for staff tools (sanhe/api/, docs/api.md): the pages' roles and cases, a token or
# the session, one error shape, cursor pages.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sanhe.api.authentication.TokenAuthentication",  # first: its header makes "no credentials" a 401
        "rest_framework.authentication.SessionAuthentication",  # CSRF checked on writes
    ],
    "DEFAULT_PERMISSION_CLASSES": ["sanhe.api.permissions.IsStaff"],
    "DEFAULT_PAGINATION_CLASS": "sanhe.api.pagination.Cursor",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_ANON_RATE", "60/minute"),
        "user": env("API_USER_RATE", "600/minute"),
    },
    "EXCEPTION_HANDLER": "sanhe.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sanhe liaison case tracker API",
    "DESCRIPTION": "Staff tools' JSON API: the same roles and cases as the pages. See docs/api.md.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["sanhe.api.permissions.IsStaff"],
    "SERVE_AUTHENTICATION": [
        "sanhe.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseChannelEnum": "cases.models.Case.Channel",
        "CaseKindEnum": "cases.models.Case.Kind",
        "CaseStatusEnum": "cases.models.Case.Status",
        "CaseDecisionEnum": "cases.models.Case.Decision",
        "FeedbackChannelEnum": "cases.models.Feedback.Channel",
        "VillageKindEnum": "villages.models.Village.Kind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sanhe.api.schema.add_error_responses",
    ],
}

# One process by default; production shares one cache among its workers and servers so that
# throttling and cached public pages hold across them: CACHE_URL=db://sanhe_cache (after
# `manage.py createcachetable`) or redis://127.0.0.1:6379/0. See sanhe/lib/caches.py.
CACHES = {"default": cache_from_url(env("CACHE_URL", "locmem://sanhe"))}
# Sessions in the database by default; SESSION_STORE=cache keeps them in that shared cache (Redis),
# as several app nodes behind one balancer do (README, "Several app nodes").
SESSION_ENGINE = session_engine(env("SESSION_STORE", "db"), env("CACHE_URL", "locmem://sanhe"))

# HTTPS. Off with DEBUG on (runserver speaks plain HTTP); on in production unless turned off.
HTTPS_ONLY = envbool("HTTPS_ONLY", "0" if DEBUG else "1")
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1" if HTTPS_ONLY else "0")
# Load balancers ask for /health/ over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
# Behind nginx (or another proxy that terminates TLS and sets X-Forwarded-Proto and X-Real-IP
# itself, never passing on the client's): trust those headers for the scheme and the client's
# address (public/tracking.py throttles by address). Never set it without such a proxy.
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

# Uploads (the office's ledger, the admin's case import, a report's stated figures): every
# spreadsheet is checked before it is read and read in a bounded way (cases/ledger_files.py,
# cases/xlsx.py), so that a file built to hurt (one cell at XFD1048576, a styles.xml unpacking
# to gigabytes, a zip of 100,000 entries) is refused with a message, never a worker's memory.
# Django keeps an upload past FILE_UPLOAD_MAX_MEMORY_SIZE in a temporary file, not in memory;
# nginx refuses a request past 64 MB (deploy/nginx.conf).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440  # Django's default, stated: 2.5 MB
# Where an uploaded ledger or batch of work orders waits between its preview and its import
# (cases/uploads.py; a private folder in the system's temporary folder when empty). Several app
# nodes need a folder they all mount: the preview and the import may reach different nodes.
LEDGER_UPLOAD_DIR = env("LEDGER_UPLOAD_DIR", "")
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024))  # the file
UPLOAD_MAX_ROWS = envint("UPLOAD_MAX_ROWS", "20000")  # rows with a value, over the workbook
UPLOAD_MAX_COLUMNS = envint("UPLOAD_MAX_COLUMNS", "200")  # cells further right are ignored
UPLOAD_MAX_CELLS = envint("UPLOAD_MAX_CELLS", "4000000")  # a grid (admin, figures): declared or as read
UPLOAD_MAX_ZIP_ENTRIES = envint("UPLOAD_MAX_ZIP_ENTRIES", "10000")  # an .xlsx is a zip of tens of parts
UPLOAD_MAX_MEMBER_BYTES = envint("UPLOAD_MAX_MEMBER_BYTES", str(100 * 1024 * 1024))  # one part, unpacked
UPLOAD_MAX_UNPACKED_BYTES = envint("UPLOAD_MAX_UNPACKED_BYTES", str(200 * 1024 * 1024))  # the parts read
UPLOAD_MAX_COMPRESSION_RATIO = envint("UPLOAD_MAX_COMPRESSION_RATIO", "200")  # a part past 1 MB unpacked
UPLOAD_MAX_STYLES_BYTES = envint("UPLOAD_MAX_STYLES_BYTES", str(20 * 1024 * 1024))  # styles.xml
# Photos of a case (cases/photos.py): the file as sent, its pixels as declared (a small PNG can
# declare a huge image), the smallest side worth keeping, the sizes kept, and how many per case.
PHOTO_MAX_BYTES = envint("PHOTO_MAX_BYTES", str(10 * 1024 * 1024))
PHOTO_MAX_PIXELS = envint("PHOTO_MAX_PIXELS", str(40_000_000))
PHOTO_MIN_SIDE = envint("PHOTO_MIN_SIDE", "64")
PHOTO_MAX_SIDE = envint("PHOTO_MAX_SIDE", "2048")
PHOTO_THUMB_SIDE = envint("PHOTO_THUMB_SIDE", "320")
PHOTO_LIMIT_PER_CASE = envint("PHOTO_LIMIT_PER_CASE", "6")
UPLOAD_MAX_SHARED_STRINGS_BYTES = envint("UPLOAD_MAX_SHARED_STRINGS_BYTES", str(50 * 1024 * 1024))
UPLOAD_MAX_SHARED_STRINGS = envint("UPLOAD_MAX_SHARED_STRINGS", "1000000")  # distinct texts
