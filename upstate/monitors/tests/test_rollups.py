"""Per-minute, hour and day roll-ups of stored results, and pruning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from upstate.monitors.checks import Outcome
from upstate.monitors.models import CheckResult, Period, Rollup
from upstate.monitors.services import Result, create_monitor, prune, record_results, roll_up

NOW = datetime(2026, 3, 10, 12, 30, 20, tzinfo=UTC)


def test_results_roll_up_into_minutes_hours_and_days(org, page):
    monitor = create_monitor(org=org, name="API", kind="tcp", host="db", port=5432, page=page)
    at = NOW - timedelta(minutes=2)
    record_results(
        [
            Result(monitor.id, at, Outcome(True, latency_ms=10)),
            Result(monitor.id, at + timedelta(seconds=30), Outcome(False, "refused", 30)),
            Result(monitor.id, at + timedelta(minutes=1), Outcome(True, latency_ms=20)),
        ]
    )
    roll_up(NOW)
    minutes = Rollup.objects.filter(monitor=monitor, period=Period.MINUTE).order_by("start")
    assert [(r.checks, r.failures, r.latency_max) for r in minutes] == [(2, 1, 30), (1, 0, 20)]
    hour = Rollup.objects.get(monitor=monitor, period=Period.HOUR)
    assert hour.start == datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert (hour.checks, hour.failures, hour.latency_avg) == (3, 1, 20)
    day = Rollup.objects.get(monitor=monitor, period=Period.DAY)
    assert day.start == datetime(2026, 3, 10, tzinfo=UTC)
    assert (day.checks, day.failures) == (3, 1)
    roll_up(NOW)  # idempotent
    assert Rollup.objects.get(monitor=monitor, period=Period.DAY).checks == 3


def test_old_results_and_fine_rollups_are_pruned(org, page):
    monitor = create_monitor(org=org, name="API", kind="tcp", host="db", port=5432, page=page)
    old = NOW - timedelta(days=3)
    record_results([Result(monitor.id, old, Outcome(True, latency_ms=5))])
    roll_up(old + timedelta(minutes=1))
    prune(NOW)
    assert not CheckResult.objects.exists()
    periods = set(Rollup.objects.values_list("period", flat=True))
    assert periods == {Period.HOUR, Period.DAY}
