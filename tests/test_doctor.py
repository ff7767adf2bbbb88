"""`upstate doctor`: each check against the real thing (a database, an SMTP server on
loopback, Redis, a closed port), and the command itself on a fresh data directory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from upstate.doctor import Level, run_checks
from upstate.notifications.models import Worker
from upstate.notifications.tests.sinks import SmtpSink
from upstate.pages.models import StatusPage
from upstate.public.models import PublicSnapshot

UPSTATE = Path(sys.executable).with_name("upstate")
REDIS_URL = os.environ.get("UPSTATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nobody listens once the socket closes


def _finding(check: str):
    report = run_checks()
    found = [f for f in report.findings if f.check == check]
    assert len(found) == 1, report.describe()
    return found[0], report


def test_it_finds_no_worker_until_one_beats(db):
    finding, report = _finding("worker")
    assert finding.level is Level.PROBLEM
    assert "upstate serve" in finding.fix
    assert not report.ok

    now = timezone.now()
    Worker.objects.create(code="w1", host="here", pid=1, started_at=now, seen_at=now)

    finding, _ = _finding("worker")
    assert finding.level is Level.OK
    assert finding.message.startswith("1 running")


def test_a_worker_silent_for_long_is_not_alive(db):
    long_ago = timezone.now() - timedelta(hours=3)
    Worker.objects.create(code="w1", host="h", pid=1, started_at=long_ago, seen_at=long_ago)

    finding, _ = _finding("worker")

    assert finding.level is Level.PROBLEM
    assert "3 h ago" in finding.message


def test_it_names_a_page_whose_change_no_build_shows(page):
    PublicSnapshot.objects.filter(page_code=page.code).delete()
    StatusPage.objects.filter(id=page.id).update(updated_at=timezone.now() - timedelta(minutes=5))

    finding, report = _finding("public pages")

    assert finding.level is Level.PROBLEM
    assert finding.message.endswith(": acme")
    assert not report.ok


def test_a_change_within_the_stale_seconds_is_not_yet_a_problem(page):
    PublicSnapshot.objects.filter(page_code=page.code).delete()

    finding, _ = _finding("public pages")

    assert finding.level is Level.OK


def test_it_reaches_the_smtp_server_or_says_it_cannot(db, settings):
    sink = SmtpSink().start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        reached, _ = _finding("email")
    finally:
        sink.stop()
    settings.EMAIL_PORT = _closed_port()
    refused, _ = _finding("email")

    assert reached.level is Level.OK
    assert refused.level is Level.PROBLEM
    assert "EMAIL_URL" in refused.fix
    assert sink.count == 0  # nothing was sent


def test_the_console_backend_is_a_warning(db, settings):
    settings.EMAIL_BACKEND = "upstate.notifications.console.EmailBackend"

    finding, _ = _finding("email")

    assert finding.level is Level.WARNING


def test_it_pings_redis_when_configured(db, settings):
    settings.REDIS_URL = REDIS_URL
    reached, _ = _finding("redis")
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    refused, _ = _finding("redis")

    assert reached.level is Level.OK
    assert refused.level is Level.PROBLEM


@pytest.mark.parametrize(
    ("url", "level"),
    [
        ("https://status.example.com", Level.OK),
        ("http://status.example.com", Level.WARNING),
        ("http://127.0.0.1:8000", Level.WARNING),
        ("status.example.com", Level.PROBLEM),
        ("https://status.example.com/?x=1", Level.PROBLEM),
    ],
)
def test_it_judges_the_public_url(db, settings, url, level):
    settings.PUBLIC_URL = url

    finding, _ = _finding("public URL")

    assert finding.level is level


def test_a_short_secret_key_is_a_problem(db, settings):
    settings.SECRET_KEY = "tooshort"

    finding, _ = _finding("secret key")

    assert finding.level is Level.PROBLEM


def test_the_command_reports_json_and_exits_1_when_something_is_broken(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        UPSTATE_DATA_DIR=str(tmp_path / "data"),
        UPSTATE_PUBLIC_URL=f"http://127.0.0.1:{_closed_port()}",
    )

    result = subprocess.run(
        [UPSTATE, "doctor", "--json"], env=env, capture_output=True, text=True, timeout=180
    )

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    levels = {c["check"]: c["level"] for c in report["checks"]}
    assert report["ok"] is False
    assert levels["database"] == "problem"  # a new data directory: not migrated
    assert levels["worker"] == "note"  # not checked without tables
    assert levels["web server"] == "warning"  # nothing listens
    assert levels["disk"] == "ok"
