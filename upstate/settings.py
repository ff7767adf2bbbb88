"""Upstate's one settings module: everything comes from the environment, with embedded defaults."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from upstate.lib import emailurl, secretkey
from upstate.lib.env import ConfigError, declare, env_bool, env_float, env_int, env_str
from upstate.lib.tasksigning import TaskSerializer

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(
    env_str(
        "UPSTATE_DATA_DIR",
        "data",
        help="the directory of the SQLite database, the embedded task queue, the file cache and "
        "each host's copies of the public pages (relative paths start at the working directory)",
    )
).resolve()
SNAPSHOT_DIR = DATA_DIR / "snapshots"

DEBUG = env_bool("UPSTATE_DEBUG", False, help="Django's debug mode; never in production")
# Signatures, tokens and encrypted provider secrets derive from this key: without one set, a
# key generated into the data directory (several hosts must set the same one); the key
# published in the source is refused outside debug mode.
SECRET_KEY = env_str("UPSTATE_SECRET_KEY") or secretkey.stored_key(DATA_DIR)
if SECRET_KEY == secretkey.PUBLISHED_DEFAULT and not DEBUG:
    raise ConfigError(
        "UPSTATE_SECRET_KEY is the key published in Upstate's source: set a secret of your own "
        "(or unset it to have one generated into the data directory)"
    )
ALLOWED_HOSTS = ["*"]  # custom domains are looked up per request from the pages' settings
PUBLIC_URL = env_str(
    "UPSTATE_PUBLIC_URL",
    "http://127.0.0.1:8000",
    help="the address people reach Upstate at, used in links, emails, feeds and redirects; "
    "with https:// the session and CSRF cookies are marked Secure",
).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "ninja",  # the API documentation's Swagger UI from our own static files, not a CDN
    "upstate.orgs",
    "upstate.pages",
    "upstate.incidents",
    "upstate.maintenance",
    "upstate.public",
    "upstate.subscribers",
    "upstate.notifications",
    "upstate.paging",
    "upstate.oncall",
    "upstate.audit",
    "upstate.dashboard",
    "upstate.awareness",
    "upstate.monitors",
    "upstate.throttle",
    "upstate.tasks",
]

MIDDLEWARE = [
    # First: it times the whole of Django's answer (upstate/metrics).
    "upstate.metrics.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Hosts other than the public URL's reach only verified custom domains' public pages.
    "upstate.public.hosts.HostMiddleware",
    "upstate.dashboard.headers.SecurityHeadersMiddleware",
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
    url = env_str(
        "DATABASE_URL",
        shown="SQLite in the data directory",
        help="the database, e.g. `postgres://user:password@host:5432/upstate`",
    )
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'upstate.sqlite3'}"
    # Kept on SQLite too: opening one runs the PRAGMAs and registers Django's SQL functions
    # (about 1.5 ms of CPU, a seventh of posting an update), and closing a process's last one
    # checkpoints the WAL (bench/write_storm.py, bench/fanout.py).
    config = dj_database_url.parse(
        url,
        conn_max_age=env_int(
            "UPSTATE_DB_CONN_MAX_AGE",
            60,
            help="seconds a database connection is kept for further requests and tasks "
            "(0: one per request)",
        ),
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "upstate.dbbackend.sqlite3"  # writers queue in the process
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

REDIS_URL = env_str(
    "REDIS_URL",
    shown="unset: tasks queue in SQLite",
    help="e.g. `redis://127.0.0.1:6379/0`: the task queue; needed when workers run on several "
    "hosts",
)
HUEY = {
    "name": env_str(
        "UPSTATE_QUEUE_NAME",
        "upstate",
        help="the task queue's name (its key prefix in Redis): give each installation sharing "
        "a Redis its own",
    ),  # Redis key prefix: one per installation
    "immediate": env_bool(
        "UPSTATE_TASKS_IMMEDIATE",
        False,
        help="run background tasks in the process that queues them, without a worker "
        "(for tests; not for production)",
    ),
    # Nothing reads a task's return value: stored, it cost a write to the queue per task
    # (two per incident update on the SQLite queue: the fan-out and the re-index return counts).
    "results": False,
    # Tasks mostly wait on the network (mail servers, webhooks, providers): a fan-out to a
    # big list needs several in flight (bench/fanout.py).
    "consumer": {
        "workers": env_int(
            "UPSTATE_WORKER_THREADS",
            8,
            help="threads of the background worker (each may hold a database connection)",
        ),
        "worker_type": "thread",
    },
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "tasks.sqlite3")})
    # An idle SQLite queue is polled, with a back-off up to this many seconds (huey's default
    # of 10 would let a notification wait that long after a quiet spell; a poll is one cheap
    # SELECT). Redis needs none: its workers block on the queue.
    HUEY["consumer"]["max_delay"] = env_float(
        "UPSTATE_WORKER_POLL_SECONDS",
        1.0,
        help="on the embedded SQLite queue, the longest an idle worker waits before looking for "
        "new tasks (Redis needs no polling)",
    )

# Tasks are pickled: the worker unpickles only what this installation signed (the SQLite
# queue is a file in the data directory; a Redis may be shared).
HUEY["serializer"] = TaskSerializer(SECRET_KEY)

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
LOGIN_FAILURE_LIMIT = env_int(
    "UPSTATE_LOGIN_FAILURE_LIMIT",
    5,
    help="failed dashboard sign-ins allowed per email and client address in 15 minutes; "
    "further attempts get HTTP 429",
)
LOGIN_FAILURE_WINDOW = 15 * 60
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int(
    "UPSTATE_PASSWORD_RESET_LIMIT_PER_ADDRESS",
    3,
    help="password reset emails sent to one address in an hour; further requests get the same "
    "neutral answer and no email",
)
PASSWORD_RESET_LIMIT_PER_IP = env_int(
    "UPSTATE_PASSWORD_RESET_LIMIT_PER_IP",
    10,
    help="password reset requests from one client address in an hour that send an email",
)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# One URL instead of six EMAIL_* settings; see upstate/lib/emailurl.py for the schemes.
# EMAIL_URL is the documented name; UPSTATE_EMAIL_URL and UPSTATE_EMAIL_FROM are older aliases.
EMAIL_URL = env_str(
    "EMAIL_URL",
    shown="`console://` (emails are printed)",
    help="outgoing email, one URL: `smtp://user:password@host:587?tls=starttls`, "
    "`smtp://user:password@host:465?tls=ssl` (implicit TLS; also `smtps://`), "
    "`file:///path/to/dir`, `console://`; URL-encode `@` in the user as `%40`",
) or env_str("UPSTATE_EMAIL_URL", "console://", help="an older name of `EMAIL_URL`")
globals().update(emailurl.parse(EMAIL_URL))
DEFAULT_FROM_EMAIL = (
    env_str(
        "UPSTATE_FROM_EMAIL",
        shown="`Upstate <upstate@localhost>`",
        help="the sender of password resets and notifications (notifications show the page's name)",
    )
    or env_str("UPSTATE_EMAIL_FROM", help="an older name of `UPSTATE_FROM_EMAIL`")
    or "Upstate <upstate@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_CONSOLE_FULL = env_bool(
    "UPSTATE_EMAIL_CONSOLE_FULL",
    False,
    help="with `console://`, print whole messages (their secret links too) instead of one "
    "line per message (recipients and subject)",
)

# Notifications (upstate/notifications): webhooks and chat/SMS providers may reach private or
# loopback addresses only when allowed; what a worker that vanished held is taken over this
# many seconds after its last heartbeat (a live worker renews its claims five times a lease).
ALLOW_PRIVATE_TARGETS = env_bool(
    "UPSTATE_ALLOW_PRIVATE_TARGETS",
    False,
    help="let webhooks, chat/SMS providers and monitors reach private, loopback and "
    "link-local addresses (checked after DNS resolution)",
)
DELIVERY_LEASE = env_int(
    "UPSTATE_DELIVERY_LEASE",
    10,
    help="seconds a stopped worker's notification work waits before another worker (or the "
    "restarted one) takes it over: a worker's heartbeat renews its claims every fifth of this "
    "(so a send of any length keeps its claim), and what a worker killed or lost held is sent "
    "again within 1.2 leases. Worker hosts' clocks must agree to well within it (NTP)",
)
DELIVERY_BATCH = env_int(
    "UPSTATE_DELIVERY_BATCH",
    200,
    help="deliveries per worker task (one SMTP connection each)",
)
# Provider API bases (changed only to point tests or a proxy at them).
TWILIO_API_URL = env_str(
    "UPSTATE_TWILIO_API_URL",
    "https://api.twilio.com",
    help="where Twilio requests go (a proxy or a test server)",
).rstrip("/")
WHATSAPP_API_URL = env_str(
    "UPSTATE_WHATSAPP_API_URL",
    "https://graph.facebook.com/v21.0",
    help="where WhatsApp Cloud API requests go (a proxy or a test server)",
).rstrip("/")
# The longest request body a web process reads (bytes); longer ones get 413 before Django runs.
MAX_REQUEST_BYTES = env_int(
    "UPSTATE_MAX_REQUEST_BYTES",
    10 * 1024 * 1024,
    help="the longest request body a web process reads; a longer one gets 413 with a JSON "
    "error naming `body`, before Django runs",
)
# The same limit where Django reads the body itself (any WSGI server): 413 naming `body` too.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
# Public documents (upstate/public): what a CDN in front may cache, in seconds (browsers always
# revalidate); how long a web process may go without hearing from the database before
# /healthz calls its public documents stale; a URL told of every changed public address.
CACHE_S_MAXAGE = env_int(
    "UPSTATE_CACHE_S_MAXAGE",
    5,
    help="seconds a CDN may keep a public document (`s-maxage`; browsers always revalidate); "
    "0 leaves the directive out",
)
CACHE_STALE_WHILE_REVALIDATE = env_int(
    "UPSTATE_CACHE_STALE_WHILE_REVALIDATE",
    10,
    help="seconds a CDN may serve a public document while it fetches a newer one; 0 leaves "
    "the directive out",
)
CACHE_STALE_IF_ERROR = env_int(
    "UPSTATE_CACHE_STALE_IF_ERROR",
    86400,
    help="seconds a CDN may serve a public document while Upstate is unreachable; 0 leaves "
    "the directive out",
)
PUBLIC_STALE_SECONDS = env_float(
    "UPSTATE_PUBLIC_STALE_SECONDS",
    15.0,
    help="`/healthz` answers 503 when this process has not heard from the database for this "
    "many seconds",
)
CDN_PURGE_URL = env_str(
    "UPSTATE_CDN_PURGE_URL",
    help="a URL POSTed the changed public addresses after each build of a page",
)
CDN_PURGE_AUTHORIZATION = env_str(
    "UPSTATE_CDN_PURGE_AUTHORIZATION",
    help="the `Authorization` header sent with the purge call",
)
# How long an incident may stay unacknowledged is each organization's response target per
# severity (upstate.oncall), not a setting.

# Rate limits count in the database (upstate.throttle), which every process shares. Django's
# cache is per process memory: nothing is cached in files that someone could plant a pickle in.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

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

SHUTDOWN_GRACE_SECONDS = env_float(
    "UPSTATE_SHUTDOWN_GRACE_SECONDS",
    10.0,
    help="after SIGTERM or Ctrl-C, how long `serve`, `web` and `worker` let requests in "
    "flight and running tasks finish before stopping them (a second signal stops at once)",
)
WORKER_LOG_LEVEL = env_str(
    "UPSTATE_WORKER_LOG_LEVEL",
    "WARNING",
    help="the worker's own log level; `INFO` lists every task it runs",
)
LOG_LEVEL = env_str(
    "UPSTATE_LOG_LEVEL",
    shown="`INFO`",
    help="`DEBUG`, `INFO`, `WARNING`, `ERROR`; once set, the web server's and the task "
    "queue's own start and stop messages show too (at `WARNING` otherwise; `--verbose` on "
    "`serve`, `web` and `worker` sets `INFO`)",
).upper()
if LOG_LEVEL not in ("", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ConfigError(
        f"UPSTATE_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )
# The web server's and the task queue's banners speak to their own operators; a console
# shows what Upstate says (one line when it serves), warnings and errors.
THIRD_PARTY_LOG_LEVEL = LOG_LEVEL or "WARNING"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL or "INFO"},
    # huey logs every task it runs at INFO: too chatty for a console; failures always show.
    "loggers": {
        "huey": {"level": WORKER_LOG_LEVEL},
        "huey.consumer": {"level": THIRD_PARTY_LOG_LEVEL},
        "huey.consumer.Scheduler": {"level": WORKER_LOG_LEVEL},
        # httpx logs every request at INFO: a line per monitor check would drown the log.
        "httpx": {"level": "WARNING"},
    },
}

# Subscribing, per hour: public form requests per client address, confirmation emails per
# email address (form and API together), and API subscriptions that send a confirmation
# email per client address.
SUBSCRIBE_LIMIT_PER_IP = env_int(
    "UPSTATE_SUBSCRIBE_LIMIT_PER_IP",
    10,
    help="public subscribe requests per client address per hour",
)
SUBSCRIBE_LIMIT_PER_ADDRESS = env_int(
    "UPSTATE_SUBSCRIBE_LIMIT_PER_ADDRESS",
    3,
    help="confirmation messages per subscribed address per hour (form and API together)",
)
SUBSCRIBE_API_LIMIT_PER_IP = env_int(
    "UPSTATE_SUBSCRIBE_API_LIMIT_PER_IP",
    100,
    help="API subscriptions that send a confirmation email, per client address per hour",
)
# Reverse proxies in front of Upstate that append the client's address to X-Forwarded-For;
# the subscribe rate limits count the address the outermost trusted one saw.
TRUSTED_PROXIES = env_int(
    "UPSTATE_TRUSTED_PROXIES",
    0,
    help="reverse proxies in front that append to `X-Forwarded-For`; the rate limits "
    "(subscribing, signing in, the *Having trouble?* box) then count the visitor's address, "
    "not the proxy's",
)
# Monitors (upstate/monitors): checks run by the worker's scheduler, at most this many at once;
# extra CA certificates (PEM) trusted by HTTPS checks besides the usual public ones; whether
# the worker runs the scheduler at all.
MONITOR_CONCURRENCY = env_int(
    "UPSTATE_MONITOR_CONCURRENCY", 200, help="monitor checks running at once in a worker"
)
MONITOR_CA_FILE = env_str(
    "UPSTATE_MONITOR_CA_FILE",
    help="extra CA certificates (PEM) HTTPS checks trust, for services with certificates of "
    "your own CA",
)
MONITOR_SCHEDULER = env_bool(
    "UPSTATE_MONITOR_SCHEDULER", True, help="`False` runs a worker without monitor checks"
)
# Prometheus metrics (upstate/metrics): /metrics answers only a scraper holding the token.
METRICS_TOKEN = env_str(
    "UPSTATE_METRICS_TOKEN",
    help="turns on /metrics (Prometheus' format) for requests with `Authorization: Bearer "
    "<token>`; unset, /metrics answers 404",
)
METRICS_DIR = Path(
    env_str(
        "UPSTATE_METRICS_DIR",
        str(DATA_DIR / "metrics"),
        help="where the processes of a host (web workers, the worker under `upstate serve`) "
        "keep their counters for /metrics to add up, when UPSTATE_METRICS_TOKEN is set",
        shown="`metrics` in the data directory",
    )
)
if METRICS_TOKEN:
    # prometheus_client chooses its multiprocess mode when it is first imported: before any
    # app is loaded, and inherited by the web workers granian forks.
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(METRICS_DIR))
# Custom domains (upstate/pages/domains.py): the worker looks their TXT records up here.
DNS_RESOLVER = env_str(
    "UPSTATE_DNS_RESOLVER",
    help="the DNS server custom-domain verification asks (`address` or `address:port`); "
    "unset, the system's resolvers",
    shown="the system's resolvers",
)

# Variables read before Django starts, or whose default is best said in words: described here
# for the documentation's configuration table (upstate/lib/envdoc.py).
declare(
    "UPSTATE_SECRET_KEY",
    default="generated into the data directory",
    file=True,
    help="signs sessions and tokens and hashes API keys; webhook secrets, the conversation "
    "hook's secret and the encryption of provider tokens derive from it. Keep it stable "
    "(changing it invalidates every API key and webhook secret); hosts sharing a database must "
    "all set the same one",
)
declare(
    "UPSTATE_WEB_THREADS",
    kind="integer",
    default="the `--threads` option",
    help="Django threads per web process; `upstate web` and `upstate serve` set it from "
    "their `--threads` option for the server's processes (set the option, not this)",
)
