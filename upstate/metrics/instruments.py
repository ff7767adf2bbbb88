"""The metrics the processes update as they work. Names follow Prometheus' conventions (the
client adds `_total` to counters); labels carry no tenant data."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

# Public documents take a millisecond or less; dashboard pages and API writes tens.
HTTP_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
CHECK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
MATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

REQUESTS = Counter(
    "upstate_http_requests",
    "HTTP requests answered, by surface (public, api, dashboard, other) and status class",
    ["surface", "status"],
)
REQUEST_SECONDS = Histogram(
    "upstate_http_request_duration_seconds",
    "Time to answer an HTTP request, by surface",
    ["surface"],
    buckets=HTTP_BUCKETS,
)
CHECKS = Counter(
    "upstate_monitor_checks",
    "Monitor check results stored, by kind of monitor and result (ok, failed)",
    ["kind", "result"],
)
CHECK_SECONDS = Histogram(
    "upstate_monitor_check_duration_seconds",
    "Response time of monitor checks that measured one, by kind",
    ["kind"],
    buckets=CHECK_BUCKETS,
)
MATCHES = Counter(
    "upstate_match_requests",
    "Match requests (is this report about a known incident?), by surface (api, public)",
    ["surface"],
)
MATCH_SECONDS = Histogram(
    "upstate_match_duration_seconds",
    "Time to match a report against a page's incidents, by surface",
    ["surface"],
    buckets=MATCH_BUCKETS,
)


@contextmanager
def timed_match(surface: str) -> Iterator[None]:
    """Count one match request on `surface` (api, public) and time it."""
    start = time.perf_counter()
    try:
        yield
    finally:
        MATCHES.labels(surface).inc()
        MATCH_SECONDS.labels(surface).observe(time.perf_counter() - start)


def count_check(kind: str, ok: bool, latency_ms: int | None) -> None:
    CHECKS.labels(kind, "ok" if ok else "failed").inc()
    if latency_ms is not None:
        CHECK_SECONDS.labels(kind).observe(latency_ms / 1000)
