"""Settings for Fedisocial.

Every setting comes from one environment variable with one meaning (see .env.production.sample).
With none set, the instance is the embedded development one: SQLite, the filesystem Celery broker
and the in-memory channel layer, all state under DATA_DIR.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env(name)
    if not raw:
        return default
    return raw.lower() in {"1", "true", "yes", "on"}


# --- Instance identity -------------------------------------------------------------------------

PORT = int(env("PORT", "8000"))
LOCAL_DOMAIN = env("LOCAL_DOMAIN", f"localhost:{PORT}").lower()
DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

LOCAL_HOSTNAME = LOCAL_DOMAIN.rsplit(":", 1)[0] if not LOCAL_DOMAIN.endswith("]") else LOCAL_DOMAIN


def _is_loopback_host(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


IS_LOOPBACK_DOMAIN = _is_loopback_host(LOCAL_HOSTNAME)
# ids and URLs use https except in the loopback development case (see the federation docs).
LOCAL_HTTPS = env_bool("LOCAL_HTTPS", not IS_LOOPBACK_DOMAIN)
LOCAL_SCHEME = "https" if LOCAL_HTTPS else "http"
ALLOWED_PRIVATE_NETWORKS = [
    n.strip()
    for n in env(
        "ALLOWED_PRIVATE_NETWORKS", "127.0.0.0/8,::1/128" if IS_LOOPBACK_DOMAIN else ""
    ).split(",")
    if n.strip()
]

SITE_TITLE = env("SITE_TITLE", "Fedisocial")
SITE_CONTACT_EMAIL = env("SITE_CONTACT_EMAIL", "")
SITE_DESCRIPTION = env("SITE_DESCRIPTION", "A Fedisocial server")
# Where the source this server runs can be had (the AGPL asks it of network services); by
# default the server serves its own code at /source.tar.gz.
SOURCE_URL = env("SOURCE_URL")
MAX_STATUS_CHARS = int(env("MAX_STATUS_CHARS", "500"))
MAX_POLL_OPTIONS = int(env("MAX_POLL_OPTIONS", "4"))
MAX_POLL_OPTION_CHARS = int(env("MAX_POLL_OPTION_CHARS", "50"))
REGISTRATIONS_MODE = env("REGISTRATIONS_MODE", "open")  # open | approved | none
if REGISTRATIONS_MODE not in {"open", "approved", "none"}:
    raise ValueError("REGISTRATIONS_MODE must be open, approved or none")

FEDISOCIAL_VERSION = "0.1.0"
MASTODON_API_VERSION = 6
MASTODON_COMPAT_VERSION = "4.5.0"

# --- Secrets -----------------------------------------------------------------------------------


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)

ALLOWED_HOSTS = [LOCAL_HOSTNAME.strip("[]"), "localhost", "127.0.0.1", "[::1]", "::1"]
ALLOWED_HOSTS += [h.strip() for h in env("ALLOWED_HOSTS").split(",") if h.strip()]
USE_X_FORWARDED_HOST = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if LOCAL_HTTPS else None

# --- Applications ------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "oauth2_provider",
    "channels",
    "fedisocial",
    "accounts",
    "statuses",
    "timelines",
    "moderation",
    "federation",
    "media",
]

MIDDLEWARE = [
    "fedisocial.middleware.ApiPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
APPEND_SLASH = False

ROOT_URLCONF = "fedisocial.urls"
WSGI_APPLICATION = "fedisocial.wsgi.application"
ASGI_APPLICATION = "fedisocial.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------

DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
    }
    # The statements every request runs (fedisocial.db.prepared_cursor) are prepared once per
    # connection; Django's own queries bind client-side and are never prepared. A connection
    # pooler in transaction mode (PgBouncer < 1.21) cannot keep prepared statements: turn this
    # off behind one.
    # PostgreSQL plans a prepared statement again on every run while it estimates its generic
    # plan dearer than the plans for the values at hand: for the fan-out's statements it always
    # did, and planning cost several times what running them did. The prepared statements are
    # only ours, written for their plan (indexed lookups by id), so they keep the generic one;
    # Django's queries are not prepared and are planned with their values as before.
    prepared = env_bool("DATABASE_PREPARED_STATEMENTS", True)
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["prepare_threshold"] = 5 if prepared else None
    if prepared:
        options["options"] = (
            options.get("options", "") + " -c plan_cache_mode=force_generic_plan"
        ).strip()
else:
    # WAL, a busy timeout and immediate transactions let the server, its in-process worker and a
    # management command run beside it all write to one SQLite file.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=30000;"
                ),
            },
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, broker, channel layer ---------------------------------------------------------

REDIS_URL = env("REDIS_URL")
REDIS_NAMESPACE = env(
    "REDIS_NAMESPACE",
    "fedisocial-" + hashlib.sha1(LOCAL_DOMAIN.encode(), usedforsecurity=False).hexdigest()[:10],
)

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "fedisocial.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_NAMESPACE,
        },
        # Rendered entities (statuses.api.status_cache): keys carry row versions, so any
        # process may share them.
        "render": {
            "BACKEND": "fedisocial.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_NAMESPACE}:r",
            "OPTIONS": {"serializer": "fedisocial.cache.JSONSerializer"},
        },
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_NAMESPACE}:"}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_NAMESPACE}:asgi"},
        }
    }
    # The last rendered entities a web worker read from Redis, kept in its own memory too
    # (fedisocial/local_cache.py): entries (statuses, accounts) of ~1-2 KiB each.
    RENDER_LOCAL_ENTRIES = int(env("RENDER_LOCAL_ENTRIES", "2000"))
else:
    RENDER_LOCAL_ENTRIES = 0  # the render cache is in process memory already
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        },
        # The embedded server is one process: rendered entities stay in its memory (their keys
        # carry row versions, so a change made by another process is never served stale).
        "render": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        },
    }
    _broker = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "processed_folder": str(_broker / "processed"),
        "control_folder": str(_broker / "control"),
        # The filesystem transport polls; a short interval keeps fan-out latency low.
        "polling_interval": 0.1,
        "store_processed": False,
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_TASK_DEFAULT_QUEUE = f"{REDIS_NAMESPACE}.default"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Celery closes Django's database connections around every task unless told to reuse them;
# fedisocial.celery applies Django's own per-request rules (CONN_MAX_AGE, health checks).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Auth and OAuth 2 --------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
OAUTH2_PROVIDER_APPLICATION_MODEL = "accounts.Application"
LOGIN_URL = "/auth/sign_in"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
if env_bool("FAST_PASSWORD_HASHER", False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

from accounts.scopes import ALL_SCOPES  # noqa: E402

OAUTH2_PROVIDER = {
    "SCOPES": ALL_SCOPES,
    "DEFAULT_SCOPES": ["read"],
    # Mastodon tokens do not expire; a century is as good as never.
    "ACCESS_TOKEN_EXPIRE_SECONDS": 100 * 365 * 24 * 3600,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": None,
    "PKCE_REQUIRED": False,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    "OAUTH2_VALIDATOR_CLASS": "accounts.oauth.MastodonOAuth2Validator",
    "OAUTH2_BACKEND_CLASS": "accounts.oauth.FormOrJSONOAuthLibCore",
    "SCOPES_BACKEND_CLASS": "accounts.oauth.MastodonScopes",
    "ALLOWED_SCHEMES": ["http", "https"],
    "REQUEST_APPROVAL_PROMPT": "auto",
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["fedisocial.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["fedisocial.api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "fedisocial.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}

# Mastodon's default API rate limit: 300 requests per 5 minutes per account or IP (0 = off).
RATE_LIMIT_REQUESTS = int(env("RATE_LIMIT_REQUESTS", "300"))
RATE_LIMIT_PERIOD = int(env("RATE_LIMIT_PERIOD", "300"))

# --- E-mail: confirmation is required exactly when an SMTP server is configured ------------------

SMTP_SERVER = env("SMTP_SERVER")
EMAIL_CONFIRMATION_REQUIRED = bool(SMTP_SERVER)
if SMTP_SERVER:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": SMTP_SERVER,
                "port": int(env("SMTP_PORT", "587")),
                "username": env("SMTP_LOGIN"),
                "password": env("SMTP_PASSWORD"),
                "use_tls": env_bool("SMTP_ENABLE_STARTTLS", True),
                "timeout": 15,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env("SMTP_FROM_ADDRESS", f"notifications@{LOCAL_HOSTNAME}")

# --- I18n, static, media -----------------------------------------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/system/"
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # One line per request at INFO: every delivery and fetch would be logged twice.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# Feeds keep the newest entries per home/list feed, as Mastodon keeps 800 in Redis.
# A home page 2,000 statuses deep still reads from the feed table; only older pages take the
# slower fallback query (Mastodon keeps 400 per feed in Redis).
FEED_MAX_ITEMS = int(env("FEED_MAX_ITEMS", "3000"))
# The benchmark's anchor views (/_bench/plain, /_bench/db40); only `make bench` turns them on.
BENCH_ANCHORS = env_bool("BENCH_ANCHORS", False)

# --- Federation ---------------------------------------------------------------------------------

# Authorized fetch (Mastodon's secure mode): GETs of ActivityPub documents must be signed, and
# blocked domains get nothing.
AUTHORIZED_FETCH = env_bool("AUTHORIZED_FETCH", False)
# Deliveries are retried for this long after an activity was queued (Mastodon: about 3 days).
FEDERATION_RETRY_PERIOD = timedelta(seconds=int(env("FEDERATION_RETRY_SECONDS", "259200")))
# The first retry waits this long; each next one twice as long, at most a day.
FEDERATION_RETRY_BASE_SECONDS = float(env("FEDERATION_RETRY_BASE_SECONDS", "60"))
# A domain failing on this many distinct days is marked unavailable (Mastodon's tracker: 7).
FEDERATION_UNAVAILABLE_AFTER_DAYS = int(env("FEDERATION_UNAVAILABLE_AFTER_DAYS", "7"))
# The length of a "day" for that count; only tests make it shorter.
FEDERATION_FAILURE_DAY_SECONDS = int(env("FEDERATION_FAILURE_DAY_SECONDS", "86400"))
# Inboxes one delivery task posts to at once.
FEDERATION_DELIVERY_CONCURRENCY = int(env("FEDERATION_DELIVERY_CONCURRENCY", "16"))
# The largest activity an inbox accepts.
FEDERATION_MAX_BODY_BYTES = 1_048_576

# Periodic work, run by the one Celery beat (in-process under `make run`).
CELERY_BEAT_SCHEDULE = {
    "deliver-due": {"task": "federation.tasks.deliver_due_task", "schedule": 30.0},
    "process-inbox": {"task": "federation.tasks.process_inbox_task", "schedule": 30.0},
    "drain-fan-out-queue": {"task": "timelines.tasks.drain_fan_out_queue_task", "schedule": 30.0},
    "probe-unavailable-domains": {
        "task": "federation.tasks.probe_unavailable_domains_task",
        "schedule": 6 * 3600.0,
    },
    "prune-deliveries": {"task": "federation.tasks.prune_deliveries_task", "schedule": 3600.0},
    "publish-scheduled-statuses": {
        "task": "statuses.tasks.publish_due_scheduled_statuses_task",
        "schedule": 30.0,
    },
    "close-expired-polls": {"task": "statuses.tasks.close_expired_polls_task", "schedule": 60.0},
    "expire-mutes": {"task": "accounts.tasks.expire_mutes_task", "schedule": 60.0},
}
