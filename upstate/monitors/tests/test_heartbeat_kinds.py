"""Heartbeat pings the way cron wrappers send them: /start, /fail, /<exit code>, with a body
(GET and POST); a failure counts like a missed ping; the dashboard shows the last one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from upstate.api.tests.helpers import Api
from upstate.incidents.models import Incident
from upstate.monitors.models import MonitorStatus
from upstate.monitors.services import MAX_PING_BODY, create_monitor, record_ping


@pytest.fixture
def backup(org, page, api_component):
    return create_monitor(
        org=org,
        name="Nightly backup",
        kind="heartbeat",
        interval_seconds=3600,
        grace_seconds=60,
        failures_before_open=1,
        successes_before_resolve=1,
        page=page,
        component=api_component,
    )


def ping(client, monitor, suffix="", body=None):
    url = f"/api/v1/heartbeat/{monitor.token}{suffix}"
    if body is None:
        return client.get(url)
    return client.post(url, body, content_type="text/plain")


def test_start_then_success_times_the_run(client, backup):
    start = timezone.now()
    record_ping(token=backup.token, kind="start", now=start)
    backup.refresh_from_db()
    assert backup.status == MonitorStatus.PENDING  # a start is neither up nor down
    assert not backup.results.exists()
    record_ping(token=backup.token, now=start + timedelta(seconds=83, milliseconds=500))
    backup.refresh_from_db()
    assert backup.last_run_ms == 83_500
    assert backup.run_started_at is None
    assert backup.status == MonitorStatus.UP
    assert backup.results.get().reason == "ping received (run took 83.5 s)"


def test_a_fail_ping_opens_the_incident_like_a_missed_ping(client, backup, page):
    response = ping(client, backup, "/fail", body="disk full\n")
    assert response.status_code == 200
    assert response.json()["kind"] == "fail"
    backup.refresh_from_db()
    assert backup.status == MonitorStatus.DOWN
    (incident,) = Incident.objects.filter(page=page)
    assert incident.is_active
    assert backup.results.get().reason == "the job reported a failure"
    assert backup.last_ping_body == "disk full\n"
    # The job reported: the next report is due a period from now, not sooner.
    assert backup.ping_deadline_at > timezone.now() + timedelta(seconds=3600)
    assert ping(client, backup, "/0").status_code == 200
    incident.refresh_from_db()
    assert not incident.is_active


@pytest.mark.parametrize(
    ("code", "ok", "reason"),
    [(0, True, "ping received"), (1, False, "the job exited with code 1"), (137, False, None)],
)
def test_exit_codes(client, backup, code, ok, reason):
    assert ping(client, backup, f"/{code}", body="").status_code == 200
    result = backup.results.get()
    assert result.ok is ok
    assert result.reason == (reason or f"the job exited with code {code}")
    backup.refresh_from_db()
    assert (backup.last_ping_kind, backup.last_ping_exit_code) == ("exit", code)


def test_bad_exit_codes_and_tokens(client, backup):
    response = ping(client, backup, "/256")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "exit_code"
    assert not backup.results.exists()
    assert client.get("/api/v1/heartbeat/nope/fail").status_code == 404
    assert client.get("/api/v1/heartbeat/nope/start").status_code == 404
    assert (
        client.post("/api/v1/heartbeat/nope/3", "x", content_type="text/plain").status_code == 404
    )


def test_a_long_body_is_capped_and_binary_is_kept_as_text(client, backup):
    ping(client, backup, "/fail", body="x" * (MAX_PING_BODY + 5000))
    backup.refresh_from_db()
    assert len(backup.last_ping_body) == MAX_PING_BODY
    client.post(
        f"/api/v1/heartbeat/{backup.token}/2",
        b"\xff\x00bad\x00",
        content_type="application/octet-stream",
    )
    backup.refresh_from_db()
    assert backup.last_ping_body == "\ufffdbad"


def test_the_dashboard_shows_the_last_ping_escaped(client, owner, outsider, org, backup):
    start = timezone.now() - timedelta(minutes=5)
    record_ping(token=backup.token, kind="start", now=start)
    record_ping(token=backup.token, body="<script>alert(1)</script> ok", now=timezone.now())
    client.force_login(owner.user)
    page = client.get(f"/dashboard/{org.slug}/monitors/{backup.code}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="last-ping-kind">success<' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ok" in html
    assert "<script>alert(1)" not in html
    assert 'id="last-run">5 min 0 s<' in html
    client.force_login(outsider.user)
    assert client.get(f"/dashboard/{org.slug}/monitors/{backup.code}/").status_code in (403, 404)


def test_the_api_shows_the_last_ping_to_its_org_only(client, owner, outsider, backup):
    ping(client, backup, "/3", body="exit 3")
    mine = Api(client, owner).get(f"/monitors/{backup.code}").json()
    assert mine["last_ping"]["kind"] == "exit"
    assert mine["last_ping"]["exit_code"] == 3
    assert mine["last_ping"]["body"] == "exit 3"
    assert Api(client, outsider).get(f"/monitors/{backup.code}").status_code == 404
