"""The fast path's tally: what it moves into the metrics equals what observing each request
would have recorded, bucket by bucket."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from upstate.metrics.public import PublicTally
from upstate.monitors.tests.conftest import run  # also from a thread Playwright left a loop in


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"surface": "public", **labels}) or 0.0


def test_flush_puts_each_request_in_its_bucket():
    names = [
        ("upstate_http_requests_total", {"status": "2xx"}),
        ("upstate_http_requests_total", {"status": "3xx"}),
        ("upstate_http_request_duration_seconds_bucket", {"le": "0.0005"}),
        ("upstate_http_request_duration_seconds_bucket", {"le": "0.005"}),
        ("upstate_http_request_duration_seconds_bucket", {"le": "10.0"}),
        ("upstate_http_request_duration_seconds_bucket", {"le": "+Inf"}),
        ("upstate_http_request_duration_seconds_count", {}),
        ("upstate_http_request_duration_seconds_sum", {}),
    ]
    before = [_sample(name, **labels) for name, labels in names]
    tally = PublicTally()
    for status, seconds in [(200, 0.0004), (200, 0.0005), (304, 0.003), (301, 20.0)]:
        tally.record(status, seconds)
    assert _sample(*names[0][:1], **names[0][1]) == before[0]  # nothing until the flush
    tally.flush()
    after = [_sample(name, **labels) for name, labels in names]
    grown = [round(b - a, 6) for a, b in zip(before, after, strict=True)]
    # 0.0005 is in the 0.0005 bucket (upper bounds are inclusive, as in observe).
    assert grown == [2, 2, 2, 3, 3, 4, 4, round(0.0004 + 0.0005 + 0.003 + 20.0, 6)]
    tally.flush()  # nothing more to move
    assert [_sample(name, **labels) for name, labels in names] == after


def test_the_event_loop_flushes_every_second():
    tally = PublicTally()

    async def serve() -> float:
        before = _sample("upstate_http_requests_total", status="2xx")
        tally.flush_every(asyncio.get_running_loop(), seconds=0.05)
        tally.record(200, 0.001)
        await asyncio.sleep(0.3)
        return _sample("upstate_http_requests_total", status="2xx") - before

    assert run(serve()) == 1
