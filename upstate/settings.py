"""Upstate's one settings module: everything comes from the environment, with embedded defaults."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from upstate.lib import emailurl
from upstate.lib.env import env_bool, env_float, env_int, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("UPSTATE_DATA_DIR", "data")).resolve()
SNAPSHOT_DIR = DATA_DIR / "snapshots"

DEBUG = env_bool("UPSTATE_DEBUG", False)
SECRET_KEY = env_str("UPSTATE_SECRET_KEY") or "insecure-development-key-set-UPSTATE_SECRET_KEY"
ALLOWED_HOSTS = ["*"]  # custom domains are looked up per request from the pages' settings
PUBLIC_URL = env_str("UPSTATE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "upstate.orgs",
    "upstate.pages",
    "upstate.incidents",
    "upstate.maintenance",
    "upstate.public",
    "upstate.subscribers",
    "upstate.notifications",
    "upstate.paging",
    "upstate.audit",
    "upstate.dashboard",
    "upstate.awareness",
    "upstate.monitors",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "upstate.audit.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "upstate.urls"
WSGI_APPLICATION = "upstate.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "upstate.dashboard.context.layout",
            ],
        },
    },
]


def _database() -> dict:
    url = env_str("DATABASE_URL")
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'upstate.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=env_int("UPSTATE_DB_CONN_MAX_AGE", 60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "upstate.dbbackend.sqlite3"  # writers queue in the process
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets the public snapshot builder read while a writer commits;
            # IMMEDIATE takes the write lock up front instead of failing mid-transaction.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
        config.setdefault("TEST", {})["NAME"] = str(DATA_DIR / "test.sqlite3")
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
HUEY = {
    "name": env_str("UPSTATE_QUEUE_NAME", "upstate"),  # Redis key prefix: one per installation
    "immediate": env_bool("UPSTATE_TASKS_IMMEDIATE", False),
    # Tasks mostly wait on the network (mail servers, webhooks, providers): a fan-out to a
    # big list needs several in flight (bench/fanout.py).
    "consumer": {"workers": env_int("UPSTATE_WORKER_THREADS", 8), "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "tasks.sqlite3")})
    # An idle SQLite queue is polled, with a back-off up to this many seconds (huey's default
    # of 10 would let a notification wait that long after a quiet spell; a poll is one cheap
    # SELECT). Redis needs none: its workers block on the queue.
    HUEY["consumer"]["max_delay"] = env_float("UPSTATE_WORKER_POLL_SECONDS", 1.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/dashboard/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/dashboard/login/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PUBLIC_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = [PUBLIC_URL]
# Failed sign-ins allowed per email and client address within the window (seconds).
LOGIN_FAILURE_LIMIT = env_int("UPSTATE_LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW = 15 * 60
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# One URL instead of six EMAIL_* settings; see upstate/lib/emailurl.py for the schemes.
# EMAIL_URL is the documented name; UPSTATE_EMAIL_URL and UPSTATE_EMAIL_FROM are older aliases.
EMAIL_URL = env_str("EMAIL_URL") or env_str("UPSTATE_EMAIL_URL", "console://")
globals().update(emailurl.parse(EMAIL_URL))
DEFAULT_FROM_EMAIL = (
    env_str("UPSTATE_FROM_EMAIL") or env_str("UPSTATE_EMAIL_FROM") or "Upstate <upstate@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Notifications (upstate/notifications): webhooks and chat/SMS providers may reach private or
# loopback addresses only when allowed; what a worker that vanished held is taken over this
# many seconds after its last heartbeat (a live worker renews its claims five times a lease).
ALLOW_PRIVATE_TARGETS = env_bool("UPSTATE_ALLOW_PRIVATE_TARGETS", False)
DELIVERY_LEASE = env_int("UPSTATE_DELIVERY_LEASE", 10)
DELIVERY_BATCH = env_int("UPSTATE_DELIVERY_BATCH", 200)
# Provider API bases (changed only to point tests or a proxy at them).
TWILIO_API_URL = env_str("UPSTATE_TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
WHATSAPP_API_URL = env_str("UPSTATE_WHATSAPP_API_URL", "https://graph.facebook.com/v21.0").rstrip(
    "/"
)
# The longest request body a web process reads (bytes); longer ones get 413 before Django runs.
MAX_REQUEST_BYTES = env_int("UPSTATE_MAX_REQUEST_BYTES", 10 * 1024 * 1024)
# Public documents (upstate/public): what a CDN in front may cache, in seconds (browsers always
# revalidate); how long a web process may go without hearing from the database before
# /healthz calls its public documents stale; a URL told of every changed public address.
CACHE_S_MAXAGE = env_int("UPSTATE_CACHE_S_MAXAGE", 5)
CACHE_STALE_WHILE_REVALIDATE = env_int("UPSTATE_CACHE_STALE_WHILE_REVALIDATE", 10)
CACHE_STALE_IF_ERROR = env_int("UPSTATE_CACHE_STALE_IF_ERROR", 86400)
PUBLIC_STALE_SECONDS = env_float("UPSTATE_PUBLIC_STALE_SECONDS", 15.0)
CDN_PURGE_URL = env_str("UPSTATE_CDN_PURGE_URL")
CDN_PURGE_AUTHORIZATION = env_str("UPSTATE_CDN_PURGE_AUTHORIZATION")
# Minutes an unacknowledged critical incident waits before its responders are paged again.
PAGING_RESPONSE_MINUTES = env_int("UPSTATE_PAGING_RESPONSE_MINUTES", 15)

# Login throttling must be shared by all web processes: Redis when there is one, else files.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
# WhiteNoise serves the apps' static files straight from the package (no collectstatic step).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

WORKER_LOG_LEVEL = env_str("UPSTATE_WORKER_LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("UPSTATE_LOG_LEVEL", "INFO")},
    # huey logs every task it runs at INFO: too chatty for a console. Its start and stop
    # lines stay, and failures always show.
    "loggers": {
        "huey": {"level": WORKER_LOG_LEVEL},
        "huey.consumer": {"level": "INFO"},
        "huey.consumer.Scheduler": {"level": WORKER_LOG_LEVEL},
        # httpx logs every request at INFO: a line per monitor check would drown the log.
        "httpx": {"level": "WARNING"},
    },
}

# Subscribing, per hour: public form requests per client address, confirmation emails per
# email address (form and API together), and API subscriptions that send a confirmation
# email per client address.
SUBSCRIBE_LIMIT_PER_IP = env_int("UPSTATE_SUBSCRIBE_LIMIT_PER_IP", 10)
SUBSCRIBE_LIMIT_PER_ADDRESS = env_int("UPSTATE_SUBSCRIBE_LIMIT_PER_ADDRESS", 3)
SUBSCRIBE_API_LIMIT_PER_IP = env_int("UPSTATE_SUBSCRIBE_API_LIMIT_PER_IP", 100)
# Reverse proxies in front of Upstate that append the client's address to X-Forwarded-For;
# the subscribe rate limits count the address the outermost trusted one saw.
TRUSTED_PROXIES = env_int("UPSTATE_TRUSTED_PROXIES", 0)
# Monitors (upstate/monitors): checks run by the worker's scheduler, at most this many at once;
# extra CA certificates (PEM) trusted by HTTPS checks besides the usual public ones; whether
# the worker runs the scheduler at all.
MONITOR_CONCURRENCY = env_int("UPSTATE_MONITOR_CONCURRENCY", 200)
MONITOR_CA_FILE = env_str("UPSTATE_MONITOR_CA_FILE")
MONITOR_SCHEDULER = env_bool("UPSTATE_MONITOR_SCHEDULER", True)
