"""Porte-voix settings, read from the environment (see deploy/.env.example).

Defaults serve a newcomer: a SQLite file and an embedded Valkey broker under DATA_DIR (started
by `make run`: config/demo.py), so the demo needs neither Postgres nor a Redis install.
Production mode (PORTE_VOIX_ENV=production) refuses to start without real secrets or a Redis.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from config import demo

# Lets admin classes be subscripted (ModelAdmin[Post]) at runtime for mypy --strict.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

PORTE_VOIX_ENV = env.str("PORTE_VOIX_ENV", default="development")
if PORTE_VOIX_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("PORTE_VOIX_ENV must be 'development' or 'production'.")
PRODUCTION = PORTE_VOIX_ENV == "production"

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on in production mode.")


def _dev_secret(name: str, generate: object) -> str:
    """A secret generated once per development checkout and kept in DATA_DIR.

    Never used in production mode: there the variable is required.
    """
    path = DATA_DIR / name
    if not path.exists():
        path.write_text(str(generate() if callable(generate) else generate))
        path.chmod(0o600)
    return path.read_text().strip()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    FERNET_KEYS = env.list("FERNET_KEYS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _dev_secret(
        "dev-secret-key", lambda: secrets.token_urlsafe(50)
    )
    FERNET_KEYS = env.list("FERNET_KEYS", default=[]) or [
        _dev_secret("dev-fernet-key", _fernet_key)
    ]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Follows HOST and PORT, as `make run` binds them (config/demo.py).
SITE_URL = env.str("SITE_URL", default="") or demo.local_site_url(
    env.str("HOST", default="127.0.0.1"), env.str("PORT", default="8000")
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "django_htmx",
    "accounts",
    "charter",
    "editorial",
    "publishing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'porte-voix.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Worker, beat and web share the file: wait for locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
):
    # Parameters bound by the server, and a statement run 5 times on a connection prepared
    # there: PostgreSQL then skips parsing and planning the outbox's few hot statements (its
    # CPU per publication fell by a quarter: docs/benchmarks.md). Off behind a pooler that
    # cannot keep prepared statements (PgBouncer in transaction mode before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "editorial:dashboard"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less header in templates
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

# --- Email ----------------------------------------------------------------------------------
# EMAIL_URL (django-environ's form, e.g. smtp+tls://user:password@host:587) or, when it is
# unset, EMAIL_HOST and its companions; neither: emails are printed on the console.
if env.str("EMAIL_URL", default="") or not env.str("EMAIL_HOST", default=""):
    EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
    vars().update(EMAIL_CONFIG)
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# Notification emails leave right after the change commits: a mail server that hangs must
# not hold the request (or the worker) for long. Failures are logged, never retried here.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="porte-voix@localhost")

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
if not CELERY_BROKER_URL:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "Production needs a Redis server as Celery broker: set REDIS_URL "
            "(or CELERY_BROKER_URL)."
        )
    # The embedded Valkey server that `make run` starts and supervises (config/demo.py).
    CELERY_BROKER_URL = demo.broker_url(DATA_DIR)
# Must exceed the longest countdown we ever use: the scheduler never uses long ETAs.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
PUBLISH_TICK_SECONDS = env.float("PUBLISH_TICK_SECONDS", default=1.0)
# A tick also starts what falls due within this many seconds and queues it with an ETA at its
# due time, so posts leave on time rather than up to a tick late. Kept short: an ETA message
# is held unacknowledged by a worker, and Redis redelivers it after the visibility timeout.
PUBLISH_LOOKAHEAD_SECONDS = env.float("PUBLISH_LOOKAHEAD_SECONDS", default=5.0)
if not 0 <= PUBLISH_LOOKAHEAD_SECONDS <= 60:
    raise ImproperlyConfigured("PUBLISH_LOOKAHEAD_SECONDS must be between 0 and 60 seconds.")
# A blocking consultation unanswered at its deadline alerts the consulted unit's head; this
# many hours later, the requester (editorial.consultations.consultations_escalate_overdue).
CONSULTATION_ESCALATION_HOURS = env.float("CONSULTATION_ESCALATION_HOURS", default=24.0)
if CONSULTATION_ESCALATION_HOURS < 0:
    raise ImproperlyConfigured("CONSULTATION_ESCALATION_HOURS cannot be negative.")
# One queue per network, so a slow or failing network never delays the other: workers
# consume every queue listed here unless started with -Q (e.g. a worker per network).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue("celery"),
    Queue("publish.mastodon"),
    Queue("publish.bluesky"),
]
CELERY_BEAT_SCHEDULE = {
    "publishing-tick": {
        "task": "publishing.tasks.tick",
        "schedule": PUBLISH_TICK_SECONDS,
    },
    "consultations-escalate": {
        "task": "editorial.tasks.escalate_consultations",
        "schedule": 60.0,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Publishing -----------------------------------------------------------------------------
# Network calls never park a worker: Mastodon.py's default waits up to 300 s.
# A worker gives freed heap memory back to the system at most this often (0: never).
MEMORY_TRIM_SECONDS = env.float("MEMORY_TRIM_SECONDS", default=10.0)
# Publications of one server due at the same moment go to a worker together, up to this
# many: their records are written together. A slow answer holds up the rest of its batch.
PUBLISH_BATCH_SIZE = env.int("PUBLISH_BATCH_SIZE", default=8)
if not 1 <= PUBLISH_BATCH_SIZE <= 50:
    raise ImproperlyConfigured("PUBLISH_BATCH_SIZE must be between 1 and 50.")
PUBLISH_REQUEST_TIMEOUT = env.float("PUBLISH_REQUEST_TIMEOUT", default=15.0)
PUBLISH_MAX_ATTEMPTS = env.int("PUBLISH_MAX_ATTEMPTS", default=6)
# First retry delay after a transient failure, doubled at each attempt (capped at 15 minutes);
# a server's own Retry-After/rate-limit reset wins when it is later.
PUBLISH_RETRY_BASE_SECONDS = env.float("PUBLISH_RETRY_BASE_SECONDS", default=10.0)
# Lost work is reclaimed by the tick: a publication queued this long ago and never picked up
# (the broker lost the message, a killed worker held it) is queued again; one claimed this
# long ago by a worker that never finished (killed mid-send) is retried after a lookup. The
# second must stay well above a send's duration (a few PUBLISH_REQUEST_TIMEOUTs).
PUBLISH_QUEUE_STALE_SECONDS = env.float("PUBLISH_QUEUE_STALE_SECONDS", default=120.0)
PUBLISH_SENDING_STALE_SECONDS = env.float("PUBLISH_SENDING_STALE_SECONDS", default=300.0)
if PUBLISH_SENDING_STALE_SECONDS <= 2 * PUBLISH_REQUEST_TIMEOUT:
    raise ImproperlyConfigured(
        "PUBLISH_SENDING_STALE_SECONDS must exceed twice PUBLISH_REQUEST_TIMEOUT: a send still "
        "running would be reclaimed."
    )
# Each worker process beats (a row in the database) every PUBLISH_WORKER_HEARTBEAT_SECONDS,
# also while its sends are in flight. A claim whose worker has not beaten for
# PUBLISH_WORKER_DEAD_SECONDS is a dead worker's: it stops holding the account's concurrency and
# is reclaimed (after a lookup) without waiting for PUBLISH_SENDING_STALE_SECONDS, which stays
# for a worker alive but stuck. Worker and beat clocks must agree (NTP) well within it.
PUBLISH_WORKER_HEARTBEAT_SECONDS = env.float("PUBLISH_WORKER_HEARTBEAT_SECONDS", default=5.0)
# 40: above a heartbeat plus two request timeouts (5 + 2 x 15), so that a dead worker's last
# request has landed before its claim is looked up (publishing.checks warns otherwise).
PUBLISH_WORKER_DEAD_SECONDS = env.float("PUBLISH_WORKER_DEAD_SECONDS", default=40.0)
if not 0 < 3 * PUBLISH_WORKER_HEARTBEAT_SECONDS <= PUBLISH_WORKER_DEAD_SECONDS:
    raise ImproperlyConfigured(
        "PUBLISH_WORKER_DEAD_SECONDS must be at least three PUBLISH_WORKER_HEARTBEAT_SECONDS "
        "(a live worker may miss a beat now and then), and both positive."
    )
# A retraction's deletion claimed this long ago and never recorded (the worker died) is tried
# again; a deletion is one or two requests, and deleting twice is harmless on both networks.
PUBLISH_DELETION_STALE_SECONDS = env.float("PUBLISH_DELETION_STALE_SECONDS", default=300.0)
if PUBLISH_DELETION_STALE_SECONDS <= 2 * PUBLISH_REQUEST_TIMEOUT:
    raise ImproperlyConfigured(
        "PUBLISH_DELETION_STALE_SECONDS must exceed twice PUBLISH_REQUEST_TIMEOUT: a deletion "
        "still running would be claimed again."
    )
# Late-post policy: later than this (per account, else this default) a publication waits for
# a publisher's confirmation. A backlog (publications later than the grace) goes out one per
# account every PUBLISH_BACKLOG_PACE_SECONDS, never as a flood.
PUBLISH_LATE_AFTER_MINUTES = env.int("PUBLISH_LATE_AFTER_MINUTES", default=30)
PUBLISH_BACKLOG_GRACE_SECONDS = env.int("PUBLISH_BACKLOG_GRACE_SECONDS", default=60)
PUBLISH_BACKLOG_PACE_SECONDS = env.int("PUBLISH_BACKLOG_PACE_SECONDS", default=30)
# Per account: publications queued or sending at once, and a budget per network ("posts/seconds",
# empty: none) kept under the servers' own limits (Mastodon: 300 statuses per 3 hours;
# Bluesky: 5,000 write points per hour, a post costs 3), so a burst never ends in 429s.
PUBLISH_ACCOUNT_CONCURRENCY = env.int("PUBLISH_ACCOUNT_CONCURRENCY", default=2)
PUBLISH_RATE_LIMITS = {
    "mastodon": env.str("PUBLISH_RATE_MASTODON", default="250/10800"),
    "bluesky": env.str("PUBLISH_RATE_BLUESKY", default="1500/3600"),
}
# Loopback peers (make run, tests) speak plain HTTP; real instances must use HTTPS.
PUBLISH_ALLOW_HTTP = env.bool("PUBLISH_ALLOW_HTTP", default=not PRODUCTION)
# The charter's link check (charter.linkcheck), run by a worker when a draft is saved.
LINKCHECK_TIMEOUT_SECONDS = env.float("LINKCHECK_TIMEOUT_SECONDS", default=5.0)
LINKCHECK_TTL_SECONDS = env.int("LINKCHECK_TTL_SECONDS", default=3600)
LINKCHECK_MAX_PER_POST = env.int("LINKCHECK_MAX_PER_POST", default=10)
# Fetch links to private/loopback addresses: development only (it would let officers probe
# the internal network from the workers).
LINKCHECK_ALLOW_PRIVATE = env.bool("LINKCHECK_ALLOW_PRIVATE", default=not PRODUCTION)
# Connecting Bluesky accounts: where a handle is resolved to its DID, and the did:plc
# directory that names the account's PDS.
BLUESKY_HANDLE_RESOLVER_URL = env.str(
    "BLUESKY_HANDLE_RESOLVER_URL", default="https://public.api.bsky.app"
)
BLUESKY_PLC_URL = env.str("BLUESKY_PLC_URL", default="https://plc.directory")
# Bearer token a Prometheus scraper sends to /metrics; unset, the endpoint answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# A publication (or a scheduled post) this many seconds past its due time counts as overdue.
METRICS_OVERDUE_SECONDS = env.float("METRICS_OVERDUE_SECONDS", default=60.0)
# The health page flags a p50/p95 lateness above this many seconds.
METRICS_LATENESS_WARNING_SECONDS = env.float("METRICS_LATENESS_WARNING_SECONDS", default=5.0)

# --- Urgent procedure -----------------------------------------------------------------------
# A justification shorter than this is refused: it is what the skipped approvers will read.
URGENT_JUSTIFICATION_MIN_LENGTH = env.int("URGENT_JUSTIFICATION_MIN_LENGTH", default=40)
# Hours the skipped approvers have to complete the post-hoc review before it shows as overdue.
POSTHOC_REVIEW_HOURS = env.float("POSTHOC_REVIEW_HOURS", default=48.0)
if URGENT_JUSTIFICATION_MIN_LENGTH < 1 or POSTHOC_REVIEW_HOURS <= 0:
    raise ImproperlyConfigured(
        "URGENT_JUSTIFICATION_MIN_LENGTH must be at least 1 and POSTHOC_REVIEW_HOURS positive."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
