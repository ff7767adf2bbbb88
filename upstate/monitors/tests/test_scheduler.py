"""The scheduler running in its thread, as in the worker, against real local targets."""

from __future__ import annotations

import threading
import time

import pytest

from upstate.monitors.models import CheckResult, Monitor, SchedulerLease
from upstate.monitors.scheduler import Scheduler, acquire_lease, start_thread
from upstate.monitors.services import create_monitor
from upstate.monitors.tests.targets import HttpTarget


def wait_until(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def scheduler(transactional_db, settings):
    settings.ALLOW_PRIVATE_TARGETS = True
    stop = threading.Event()
    thread = start_thread(stop, flush_interval=0.1, refresh_interval=0.2, holder="test-a")
    # Monitors created once it has loaded are due at once (not spread over their interval).
    assert wait_until(lambda: SchedulerLease.objects.filter(holder="test-a").exists())
    time.sleep(0.3)
    yield
    stop.set()
    thread.join(timeout=15)
    assert not thread.is_alive()


@pytest.fixture
def slow_target(settings):
    target = HttpTarget().start()
    target.mode = "slow"
    target.delay = 6
    yield target
    target.stop()


def test_a_hanging_target_does_not_delay_the_others(
    scheduler, org, http_target, slow_target, tcp_target
):
    slow = create_monitor(
        org=org,
        name="Hangs",
        kind="http",
        url=slow_target.url(),
        timeout_seconds=5,
        create_incident=False,
    )
    assert wait_until(lambda: slow_target.hits == 1)
    fast = create_monitor(
        org=org, name="Fast", kind="http", url=http_target.url(), create_incident=False
    )
    port = create_monitor(
        org=org,
        name="Port",
        kind="tcp",
        host="127.0.0.1",
        port=tcp_target.port,
        create_incident=False,
    )
    assert wait_until(lambda: CheckResult.objects.filter(monitor__in=[fast, port]).count() == 2)
    # Both were stored while the hanging check was still waiting for its answer.
    assert not CheckResult.objects.filter(monitor=slow).exists()
    assert CheckResult.objects.get(monitor=fast).ok
    assert CheckResult.objects.get(monitor=port).ok
    assert wait_until(lambda: CheckResult.objects.filter(monitor=slow).exists())
    assert CheckResult.objects.get(monitor=slow).reason == "timed out"


def test_a_changed_monitor_is_checked_with_its_new_settings(scheduler, org, http_target):
    from upstate.monitors.services import change_monitor

    monitor = create_monitor(
        org=org, name="API", kind="http", url=http_target.url(), create_incident=False
    )
    assert wait_until(lambda: CheckResult.objects.filter(monitor=monitor).count() == 1)
    change_monitor(monitor=monitor, expected_statuses="204")
    assert wait_until(lambda: CheckResult.objects.filter(monitor=monitor).count() == 2)
    latest = CheckResult.objects.filter(monitor=monitor).first()
    assert latest.reason == "HTTP 200, expected 204"
    # The monitor's state is written just after its results (record_results).
    assert wait_until(lambda: Monitor.objects.get(id=monitor.id).last_ok is False)


def test_only_the_lease_holder_schedules(transactional_db):
    assert acquire_lease("worker-1")
    assert not acquire_lease("worker-2")
    assert acquire_lease("worker-1")  # renewing
    SchedulerLease.objects.update(expires_at="2000-01-01T00:00:00Z")
    assert acquire_lease("worker-2")  # the first stopped renewing
    assert Scheduler(holder="worker-3").holder == "worker-3"


def test_a_withheld_heartbeat_fails_and_opens_its_incident(scheduler, org, page, api_component):
    from upstate.incidents.models import Incident

    monitor = create_monitor(
        org=org,
        name="Nightly backup",
        kind="heartbeat",
        interval_seconds=10,
        grace_seconds=0,
        failures_before_open=1,
        page=page,
        component=api_component,
    )
    # No ping within 10 s: the scheduler's sweep records a failure and the policy opens.
    assert wait_until(lambda: Incident.objects.filter(page=page).exists(), timeout=30)
    result = CheckResult.objects.get(monitor=monitor)
    assert result.reason == "no ping received yet"
