"""Uptime and response-time figures of monitors, read from roll-ups and recent results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, Sum
from django.utils import timezone

from upstate.monitors.models import CheckResult, Monitor, Period, Rollup

WINDOWS = {
    "24 h": timedelta(hours=24),
    "7 d": timedelta(days=7),
    "30 d": timedelta(days=30),
    "90 d": timedelta(days=90),
}


def uptimes(
    monitor_ids: list[int], now: datetime | None = None
) -> dict[int, dict[str, float | None]]:
    """Monitor id -> {"24 h": percent of checks that passed, ...}; None without checks.
    One query over the hourly roll-ups (at most a minute behind the results)."""
    now = now or timezone.now()
    aggregates = {}
    for label, span in WINDOWS.items():
        since = Q(start__gte=now - span)
        key = label.replace(" ", "")
        aggregates[f"n{key}"] = Sum("checks", filter=since)
        aggregates[f"f{key}"] = Sum("failures", filter=since)
    rows = (
        Rollup.objects.filter(
            monitor_id__in=monitor_ids, period=Period.HOUR, start__gte=now - WINDOWS["90 d"]
        )
        .values("monitor_id")
        .annotate(**aggregates)
    )
    found = {row["monitor_id"]: row for row in rows}
    result = {}
    for monitor_id in monitor_ids:
        row = found.get(monitor_id, {})
        figures: dict[str, float | None] = {}
        for label in WINDOWS:
            key = label.replace(" ", "")
            checks, failures = row.get(f"n{key}") or 0, row.get(f"f{key}") or 0
            figures[label] = 100.0 * (checks - failures) / checks if checks else None
        result[monitor_id] = figures
    return result


@dataclass(frozen=True)
class Point:
    start: datetime
    checks: int
    failures: int
    latency_ms: float | None  # average of the checks that measured one


def response_times(
    monitor: Monitor,
    *,
    hours: int = 24,
    bucket: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
) -> list[Point]:
    """The last `hours` in buckets, from the raw results (kept two days)."""
    now = now or timezone.now()
    since = now - timedelta(hours=hours)
    rows = CheckResult.objects.filter(monitor=monitor, checked_at__gte=since).values_list(
        "checked_at", "ok", "latency_ms"
    )
    size = bucket.total_seconds()
    buckets: dict[int, list[tuple[bool, int | None]]] = {}
    for checked_at, ok, latency in rows:
        index = int((checked_at - since).total_seconds() // size)
        buckets.setdefault(index, []).append((ok, latency))
    points = []
    for index in sorted(buckets):
        items = buckets[index]
        latencies = [latency for _, latency in items if latency is not None]
        points.append(
            Point(
                start=since + index * bucket,
                checks=len(items),
                failures=sum(1 for ok, _ in items if not ok),
                latency_ms=sum(latencies) / len(latencies) if latencies else None,
            )
        )
    return points


def format_uptime(value: float | None) -> str:
    """Two decimals rounded down, so any failure never shows as 100.00 %."""
    if value is None:
        return "No data"
    return f"{int(value * 100) / 100:.2f} %"


def component_checks(page_id: int, since: datetime) -> dict[int, list[tuple[datetime, int, int]]]:
    """Component id -> (hour start, checks, failures) of the monitors measuring it, for the
    public page's uptime bars. One query."""
    rows = Rollup.objects.filter(
        period=Period.HOUR,
        start__gte=since,
        monitor__component__page_id=page_id,
    ).values_list("monitor__component_id", "start", "checks", "failures")
    found: dict[int, list[tuple[datetime, int, int]]] = {}
    for component_id, start, checks, failures in rows:
        found.setdefault(component_id, []).append((start, checks, failures))
    return found
