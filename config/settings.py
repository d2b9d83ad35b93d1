"""Porte-voix settings, read from the environment (see deploy/.env.example).

Defaults serve a newcomer: a SQLite file and an embedded Valkey broker under DATA_DIR (started
by `make run`: config/demo.py), so the demo needs neither Postgres nor a Redis install.
Production mode (PORTE_VOIX_ENV=production) refuses to start without real secrets or a Redis.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from csp.constants import NONCE, NONE, SELF
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


_GENERATE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'  # noqa: S105 (a command, not a secret)
_GENERATE_FERNET = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def _strong_secret(name: str, value: str, *, min_length: int) -> str:
    """Refuse a guessable secret at start-up rather than warn about it in ``check --deploy``.

    16 different characters lets a hex key through (`openssl rand -hex 32`); a repeated
    pattern, a word or Django's "django-insecure-" development key do not pass. The message
    never repeats the value: it would end up in the logs.
    """
    if (
        len(value) < min_length
        or len(set(value)) < 16
        or value.startswith("django-insecure-")
        or value.strip() != value
    ):
        raise ImproperlyConfigured(
            f"{name} is too weak for production: it must be at least {min_length} random "
            "characters (at least 16 different ones, no surrounding spaces, not a "
            f"'django-insecure-' development key). Generate one with: {_GENERATE_SECRET}"
        )
    return value


def _fernet_keys(keys: list[str]) -> list[str]:
    """Each key must open: a bad key would otherwise pass ``check`` and fail at first use."""
    from cryptography.fernet import Fernet

    keys = [key.strip() for key in keys]
    if not keys or not all(keys):
        raise ImproperlyConfigured(
            "FERNET_KEYS must list one or more Fernet keys, comma-separated, none empty (the "
            f"first encrypts, all decrypt). Generate one with: {_GENERATE_FERNET}"
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            # The position, never the key: a half-pasted secret is still a secret.
            raise ImproperlyConfigured(
                f"FERNET_KEYS: key number {position} of {len(keys)} is not a Fernet key (a "
                "Fernet key is 32 random bytes in URL-safe base64: 44 characters ending in "
                f"'='). Generate one with: {_GENERATE_FERNET}"
            ) from None
    return keys


if PRODUCTION:
    SECRET_KEY = _strong_secret("SECRET_KEY", env.str("SECRET_KEY"), min_length=50)
    FERNET_KEYS = _fernet_keys(env.list("FERNET_KEYS"))
    # Signs the audit chain (editorial.audit): kept out of the database, so that someone who
    # can write to it cannot recompute the chain. Not SECRET_KEY: each key has one use.
    AUDIT_HMAC_KEY = _strong_secret("AUDIT_HMAC_KEY", env.str("AUDIT_HMAC_KEY"), min_length=32)
    if AUDIT_HMAC_KEY == SECRET_KEY:
        raise ImproperlyConfigured(
            f"AUDIT_HMAC_KEY must differ from SECRET_KEY. Generate one with: {_GENERATE_SECRET}"
        )
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _dev_secret(
        "dev-secret-key", lambda: secrets.token_urlsafe(50)
    )
    FERNET_KEYS = _fernet_keys(
        env.list("FERNET_KEYS", default=[]) or [_dev_secret("dev-fernet-key", _fernet_key)]
    )
    AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="") or _dev_secret(
        "dev-audit-hmac-key", lambda: secrets.token_urlsafe(32)
    )

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
    # DSFR templates, template tags and static files; widget_tweaks is what its forms use.
    "dsfr",
    "widget_tweaks",
    # Second factor (TOTP + backup codes) and login throttling: their own migrations.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
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
    # request.user.is_verified(): the session names the device that checked its second factor.
    "django_otp.middleware.OTPMiddleware",
    # Sends a signed-in user who must use a second factor to enrolment or verification.
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.cache_control.PrivateCacheMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
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
    # First: refuses every attempt (even the right password) while the client is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Stronger than Django's defaults (8 characters): PASSWORD_MIN_LENGTH (at least 12); a password
# close to the username, name or e-mail, or among the 20,000 most common, is refused.
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=12)
if PASSWORD_MIN_LENGTH < 12:
    raise ImproperlyConfigured("PASSWORD_MIN_LENGTH cannot be below 12.")
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "first_name", "last_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
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
# Browser assets installed from npm at build time (deploy/install_assets.sh, `make assets`):
# FullCalendar. They live in a cache outside the work tree, never committed; without them the
# calendar page falls back to its server-rendered list.
ASSETS_DIR = Path(
    env.str(
        "ASSETS_DIR",
        default=str(
            Path(env.str("PORTE_VOIX_CACHE", default=str(Path.home() / ".cache" / "porte-voix")))
            / "assets"
        ),
    )
).expanduser()
if (ASSETS_DIR / "static").is_dir():
    STATICFILES_DIRS.append(ASSETS_DIR / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# A session lasts a working day (9 hours) from login, not Django's two weeks.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=9 * 3600)
if SESSION_COOKIE_AGE < 300:
    raise ImproperlyConfigured("SESSION_COOKIE_AGE must be at least 300 seconds.")

# Login throttling (django-axes), on the web login and the admin's. A client (a username from
# one IP address) is locked out after LOGIN_FAILURE_LIMIT failures, and a whole IP address after
# LOGIN_IP_FAILURE_LIMIT failures whatever the usernames tried (accounts.lockout). While locked
# out even the right password is refused; the lock lifts LOGIN_COOLOFF_MINUTES after the last
# counted failure (attempts during the lockout do not extend it, so the page can say when).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=50)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
if not 1 <= LOGIN_FAILURE_LIMIT <= LOGIN_IP_FAILURE_LIMIT or LOGIN_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT must be at least 1 and at most LOGIN_IP_FAILURE_LIMIT, and "
        "LOGIN_COOLOFF_MINUTES at least 1."
    )
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Behind the reverse proxy, the client is the address the proxy saw: the X-Forwarded-For entry
# added by the last proxy named in FORWARDED_ALLOW_IPS (the list gunicorn trusts), never one a
# client wrote itself (accounts.lockout.client_ip).
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1", "::1"])
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_VERBOSE = False
# Who must confirm their login with a second factor (accounts.second_factor): reviewers,
# publishers, unit administrators, staff. Authors may enrol; once they have, they verify too.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Porte-voix")
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
# Notification e-mails leave from a Celery worker (editorial.email_delivery), never from a
# request. EMAIL_TIMEOUT bounds each SMTP operation: a server that hangs holds a mail worker
# this long per command, then the e-mail is retried later (a transient failure).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
if EMAIL_TIMEOUT <= 0:
    raise ImproperlyConfigured("EMAIL_TIMEOUT must be a positive number of seconds.")
# Transient failures (refused, timeout, SMTP 4xx) are retried after EMAIL_RETRY_BASE_SECONDS,
# doubled each time (capped at 15 minutes); the EMAIL_MAX_ATTEMPTS-th failure marks the e-mail
# failed (logged; the notification stays in the member's list).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=5)
EMAIL_RETRY_BASE_SECONDS = env.float("EMAIL_RETRY_BASE_SECONDS", default=60.0)
if EMAIL_MAX_ATTEMPTS < 1 or EMAIL_RETRY_BASE_SECONDS < 0:
    raise ImproperlyConfigured(
        "EMAIL_MAX_ATTEMPTS must be at least 1 and EMAIL_RETRY_BASE_SECONDS not negative."
    )
# The sweep (every EMAIL_SWEEP_SECONDS) sends what is still pending this long after it was due
# (its task was never queued: broker down; or lost) and takes back e-mails claimed by a worker
# EMAIL_SENDING_STALE_SECONDS ago that never finished (killed mid-send: sent again, at worst).
EMAIL_SWEEP_SECONDS = env.float("EMAIL_SWEEP_SECONDS", default=30.0)
EMAIL_SWEEP_AFTER_SECONDS = env.float("EMAIL_SWEEP_AFTER_SECONDS", default=60.0)
EMAIL_SENDING_STALE_SECONDS = env.float("EMAIL_SENDING_STALE_SECONDS", default=300.0)
if EMAIL_SENDING_STALE_SECONDS <= 6 * EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        "EMAIL_SENDING_STALE_SECONDS must exceed six EMAIL_TIMEOUTs (an SMTP session is several "
        "commands): an e-mail still being sent would be sent again."
    )
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
# many hours later, the requester (editorial.services.consultations.consultations_escalate_overdue).
CONSULTATION_ESCALATION_HOURS = env.float("CONSULTATION_ESCALATION_HOURS", default=24.0)
if CONSULTATION_ESCALATION_HOURS < 0:
    raise ImproperlyConfigured("CONSULTATION_ESCALATION_HOURS cannot be negative.")
# One queue per network, so a slow or failing network never delays the other: workers
# consume every queue listed here unless started with -Q (e.g. a worker per network).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue("celery"),
    # Notification e-mails: their own worker in production and in the demo (`-Q email`, the
    # others run `-X email`), so a slow mail server never holds a slot the tick needs.
    Queue("email"),
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
    "notification-emails-sweep": {
        "task": "editorial.tasks.sweep_notification_emails",
        "schedule": EMAIL_SWEEP_SECONDS,
        "options": {"queue": "email"},
    },
}
# The audit chain's signed head goes to the log this often (0: never), so that the journal
# keeps heads out of the database for `verify_audit --heads` (docs/operations.md, Audit).
AUDIT_HEAD_LOG_SECONDS = env.float("AUDIT_HEAD_LOG_SECONDS", default=3600.0)
if AUDIT_HEAD_LOG_SECONDS < 0:
    raise ImproperlyConfigured("AUDIT_HEAD_LOG_SECONDS cannot be negative (0 turns it off).")
if AUDIT_HEAD_LOG_SECONDS:
    CELERY_BEAT_SCHEDULE["audit-head-log"] = {
        "task": "editorial.tasks.log_audit_head",
        "schedule": AUDIT_HEAD_LOG_SECONDS,
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

# --- Uploaded images ------------------------------------------------------------------------
# Width x height above which an upload is refused (read from the header, before decoding);
# also Pillow's decompression-bomb guard for every image the app opens.
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)
if IMAGE_MAX_PIXELS < 1:
    raise ImproperlyConfigured("IMAGE_MAX_PIXELS must be a positive number of pixels.")

# --- Content-Security-Policy (django-csp) ---------------------------------------------------
# Scripts and styles from our own static files only: no inline script, no event-handler or
# style attribute, no eval (htmx needs none for what the templates use). Images: ours (the
# attached images are served by the app) and data: URIs (the empty favicon). No framing.
# The accounts page widens form-action for the Mastodon OAuth redirect (publishing.views.connect).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],  # NONCE only where a page reads it (FullCalendar's CSS)
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes logs every failed login (username and address masked) at INFO and WARNING: noise.
    # Lockouts are logged, with them, on porte_voix.security and go to the audit trail.
    "loggers": {"axes": {"level": "ERROR"}},
}
