"""Heartbeats: pings keep them up; a missing ping after period + grace is a failure."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from upstate.incidents.models import Incident
from upstate.monitors.models import MonitorStatus
from upstate.monitors.services import create_monitor, record_ping, record_results, sweep_heartbeats


def heartbeat(org, page, component):
    return create_monitor(
        org=org,
        name="Nightly backup",
        kind="heartbeat",
        interval_seconds=60,
        grace_seconds=30,
        failures_before_open=2,
        successes_before_resolve=1,
        page=page,
        component=component,
    )


def test_withheld_pings_open_an_incident_and_a_ping_resolves_it(org, page, api_component):
    monitor = heartbeat(org, page, api_component)
    start = timezone.now()
    assert record_ping(token=monitor.token, now=start) is not None
    assert sweep_heartbeats(start + timedelta(seconds=80)) == []  # within period + grace
    (missed,) = sweep_heartbeats(start + timedelta(seconds=91))
    assert not missed.outcome.ok
    assert missed.outcome.reason.startswith("no ping received since")
    assert sweep_heartbeats(start + timedelta(seconds=92)) == []  # counted once per period
    record_results([missed])
    assert not Incident.objects.exists()
    record_results(sweep_heartbeats(start + timedelta(seconds=152)))
    monitor.refresh_from_db()
    assert monitor.status == MonitorStatus.DOWN
    (incident,) = Incident.objects.all()
    assert incident.is_active
    record_ping(token=monitor.token, now=start + timedelta(seconds=160))
    incident.refresh_from_db()
    assert not incident.is_active


def test_unknown_or_paused_tokens_are_ignored(org, page, api_component):
    from upstate.monitors.services import change_monitor

    monitor = heartbeat(org, page, api_component)
    assert record_ping(token="nope") is None
    change_monitor(monitor=monitor, enabled=False)
    assert record_ping(token=monitor.token) is None
    assert sweep_heartbeats(timezone.now() + timedelta(days=1)) == []
