"""`upstate doctor`: is this installation configured and running as it should be? Each check
says what it found and, when something is wrong, what to do about it."""

from __future__ import annotations

import os
import shutil
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from enum import StrEnum
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from upstate.lib import secretkey
from upstate.terminal import first_line, table

NETWORK_TIMEOUT = 5.0
# Below this much free space in the data directory SQLite, the task queue and the disk copies
# of public pages start failing; below the warning level it is time to look.
DISK_PROBLEM_BYTES = 200 * 1024 * 1024
DISK_WARNING_BYTES = 2 * 1024 * 1024 * 1024
MIN_SECRET_KEY = 32
LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


class Level(StrEnum):
    OK = "ok"
    NOTE = "note"  # worth knowing, nothing to fix
    WARNING = "warning"  # works, but probably not as intended
    PROBLEM = "problem"  # broken: `doctor` exits 1


@dataclass(frozen=True)
class Finding:
    check: str
    level: Level
    message: str
    fix: str = ""


@dataclass(frozen=True)
class Report:
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not any(f.level is Level.PROBLEM for f in self.findings)

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "checks": [asdict(f) for f in self.findings]}

    def describe(self) -> str:
        rows = [(f.level.value, f.check, f.message) for f in self.findings]
        lines = [table(rows)]
        fixes = [f for f in self.findings if f.fix]
        if fixes:
            lines += ["", "To do:"]
            lines += [f"  {f.check}: {f.fix}" for f in fixes]
        problems = sum(f.level is Level.PROBLEM for f in self.findings)
        warnings = sum(f.level is Level.WARNING for f in self.findings)
        lines += ["", f"{_count(problems, 'problem')}, {_count(warnings, 'warning')}."]
        return "\n".join(lines)


Check = Callable[[], list[Finding]]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _secret_key() -> list[Finding]:
    name = "secret key"
    key = settings.SECRET_KEY
    if key == secretkey.PUBLISHED_DEFAULT:
        fix = "set UPSTATE_SECRET_KEY to a long random secret (or unset it to have one generated)"
        return [Finding(name, Level.PROBLEM, "is the key published in Upstate's source", fix)]
    if len(key) < MIN_SECRET_KEY:
        fix = f"use at least {MIN_SECRET_KEY} random characters, e.g. `openssl rand -base64 48`"
        return [Finding(name, Level.PROBLEM, f"is only {len(key)} characters long", fix)]
    if os.environ.get("UPSTATE_SECRET_KEY") or os.environ.get("UPSTATE_SECRET_KEY_FILE"):
        return [Finding(name, Level.OK, "set in the environment")]
    message = f"generated into {settings.DATA_DIR} (hosts sharing a database must share it)"
    return [Finding(name, Level.NOTE, message)]


def _public_url() -> list[Finding]:
    name = "public URL"
    url = settings.PUBLIC_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fix = (
            "set UPSTATE_PUBLIC_URL to where people reach Upstate, e.g. https://status.example.com"
        )
        return [Finding(name, Level.PROBLEM, f"{url!r} is not an http(s) address", fix)]
    if parts.query or parts.fragment:
        fix = "leave out the query and fragment in UPSTATE_PUBLIC_URL"
        return [Finding(name, Level.PROBLEM, f"{url} has a query or fragment", fix)]
    if parts.hostname in LOOPBACK:
        fix = "set UPSTATE_PUBLIC_URL to the address people use, before sending real emails"
        message = f"{url} reaches this machine only: links in emails work nowhere else"
        return [Finding(name, Level.WARNING, message, fix)]
    if parts.scheme == "http":
        fix = "serve Upstate over HTTPS (a reverse proxy) and set an https:// UPSTATE_PUBLIC_URL"
        return [Finding(name, Level.WARNING, f"{url} is not HTTPS: sign-ins travel in clear", fix)]
    return [Finding(name, Level.OK, url)]


def _database() -> list[Finding]:
    from django.db.migrations.executor import MigrationExecutor

    name = "database"
    where = connection.settings_dict.get("NAME", "")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        fix = "check DATABASE_URL and that the database server is running"
        message = f"{connection.vendor} {where}: unreachable ({first_line(error)})"
        return [Finding(name, Level.PROBLEM, message, fix)]
    if pending:
        fix = "run `upstate migrate` (`upstate serve` runs it too)"
        message = f"{connection.vendor} {where}: {len(pending)} migrations not applied"
        return [Finding(name, Level.PROBLEM, message, fix)]
    return [Finding(name, Level.OK, f"{connection.vendor} {where}, up to date")]


def _redis() -> list[Finding]:
    if not settings.REDIS_URL:
        return [Finding("redis", Level.NOTE, "not configured: the task queue is SQLite")]
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=NETWORK_TIMEOUT,
            socket_connect_timeout=NETWORK_TIMEOUT,
        )
        client.ping()
    except redis.RedisError as error:
        fix = "check REDIS_URL and that Redis is running"
        return [Finding("redis", Level.PROBLEM, f"unreachable ({first_line(error)})", fix)]
    return [Finding("redis", Level.OK, "answers")]


def _smtp_hello() -> None:
    host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
    context = ssl.create_default_context()
    if settings.EMAIL_USE_SSL:
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=NETWORK_TIMEOUT, context=context
        )
    else:
        server = smtplib.SMTP(host, port, timeout=NETWORK_TIMEOUT)
    try:
        server.ehlo()
        if settings.EMAIL_USE_TLS:
            server.starttls(context=context)
            server.ehlo()
        if settings.EMAIL_HOST_USER:
            server.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
    finally:
        try:
            server.quit()
        except smtplib.SMTPException:
            server.close()


def _email() -> list[Finding]:
    name = "email"
    backend = settings.EMAIL_BACKEND
    if backend.endswith("console.EmailBackend"):
        fix = "set EMAIL_URL (e.g. smtp://user:password@mail.example.com:587?tls=starttls)"
        message = "printed in the server's log, not sent (EMAIL_URL is console://)"
        return [Finding(name, Level.WARNING, message, fix)]
    if not backend.endswith("smtp.EmailBackend"):
        return [Finding(name, Level.NOTE, f"{settings.EMAIL_URL.split(':')[0]}:// (not sent)")]
    where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    try:
        _smtp_hello()
    except (OSError, smtplib.SMTPException) as error:
        fix = "check EMAIL_URL (host, port, tls, user and password) and the mail server"
        return [Finding(name, Level.PROBLEM, f"SMTP {where}: {first_line(error)}", fix)]
    return [Finding(name, Level.OK, f"SMTP {where} answers")]


def _worker() -> list[Finding]:
    from upstate.notifications.models import Worker

    name = "worker"
    now = timezone.now()
    # A live worker beats five times a lease; two leases of silence is not a slow beat.
    alive = Worker.objects.filter(seen_at__gte=now - timedelta(seconds=2 * settings.DELIVERY_LEASE))
    count = alive.count()
    if count:
        return [Finding(name, Level.OK, f"{count} running (heartbeats in the database)")]
    last = Worker.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    seen = "" if last is None else f" (the last heartbeat {_ago(now - last)} ago)"
    fix = "run `upstate serve` (web and worker) or `upstate worker`"
    message = f"none running{seen}: notifications, monitors and maintenance wait"
    return [Finding(name, Level.PROBLEM, message, fix)]


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _public_documents() -> list[Finding]:
    """Each page's newest build against its newest change: a change older than
    UPSTATE_PUBLIC_STALE_SECONDS that no build shows means builds are not happening."""
    from django.db.models import Max

    from upstate.incidents.models import Incident
    from upstate.pages.models import StatusPage
    from upstate.public.models import PublicSnapshot

    name = "public pages"
    now = time.time()
    built = dict(
        PublicSnapshot.objects.values_list("page_code").annotate(at=Max("built_at")).order_by()
    )
    changed = dict(
        Incident.objects.values_list("page_id").annotate(at=Max("updated_at")).order_by()
    )
    behind = []
    pages = list(
        StatusPage.objects.order_by("slug").values_list("id", "code", "slug", "updated_at")
    )
    for page_id, code, slug, updated_at in pages:
        last_change = max(filter(None, (updated_at, changed.get(page_id)))).timestamp()
        built_at = built.get(code)
        if now - last_change <= settings.PUBLIC_STALE_SECONDS:
            continue  # a build may still be on its way
        if built_at is None or built_at < last_change:
            behind.append(slug)
    if behind:
        fix = "make sure a worker or web process runs (they build the pages); see their log"
        message = f"behind their last change for over {settings.PUBLIC_STALE_SECONDS:g} s: "
        return [Finding(name, Level.PROBLEM, message + ", ".join(behind), fix)]
    return [
        Finding(name, Level.OK, f"{_count(len(pages), 'page')}, each built since its last change")
    ]


def _web() -> list[Finding]:
    """The running web server, as /healthz at the public URL reports it."""
    name = "web server"
    url = f"{settings.PUBLIC_URL}/healthz"
    try:
        response = httpx.get(url, timeout=NETWORK_TIMEOUT)
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        fix = "start it with `upstate serve` (or check UPSTATE_PUBLIC_URL and the proxy)"
        message = f"nothing usable answers at {url} ({first_line(error)})"
        return [Finding(name, Level.WARNING, message, fix)]
    if response.status_code == 200:
        return [Finding(name, Level.OK, f"{url}: {body.get('status', 'ok')}")]
    fix = "see the web server's log: its database connection or its page versions lag"
    message = f"{url}: HTTP {response.status_code}, {body.get('status', 'unknown')}"
    return [Finding(name, Level.PROBLEM, message, fix)]


def _disk() -> list[Finding]:
    name = "disk"
    try:
        usage = shutil.disk_usage(settings.DATA_DIR)
    except OSError as error:
        fix = "create the data directory or set UPSTATE_DATA_DIR"
        return [Finding(name, Level.PROBLEM, f"{settings.DATA_DIR}: {error.strerror}", fix)]
    free = f"{usage.free / 1024**3:.1f} GiB free in {settings.DATA_DIR}"
    if usage.free < DISK_PROBLEM_BYTES:
        return [Finding(name, Level.PROBLEM, free, "free space on that disk")]
    if usage.free < DISK_WARNING_BYTES:
        return [Finding(name, Level.WARNING, free, "free space on that disk soon")]
    return [Finding(name, Level.OK, free)]


CHECKS: list[Check] = [
    _secret_key,
    _public_url,
    _database,
    _redis,
    _email,
    _worker,
    _public_documents,
    _web,
    _disk,
]
# Checks that read tables: skipped, with a note, when the database is not ready.
NEEDS_TABLES = {_worker, _public_documents}


def run_checks() -> Report:
    findings: list[Finding] = []
    database_ok = True
    for check in CHECKS:
        if check in NEEDS_TABLES and not database_ok:
            name = "worker" if check is _worker else "public pages"
            findings.append(Finding(name, Level.NOTE, "not checked: the database is not ready"))
            continue
        found = check()
        if check is _database:
            database_ok = all(f.level is not Level.PROBLEM for f in found)
        findings.extend(found)
    return Report(findings)
