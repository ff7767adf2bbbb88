"""Counting the public documents the fast path answers (upstate/public/fastpath.py) without
slowing it down: on granian's event loop, requests go into plain numbers that only the loop
writes (no lock), and the loop moves them into the Prometheus metrics once a second. A
Prometheus metric takes a lock per update, and in multiprocess mode one lock shared by every
metric of the process, which Django's threads would contend for."""

from __future__ import annotations

import asyncio
from bisect import bisect_left

from upstate.metrics.instruments import HTTP_BUCKETS, REQUEST_SECONDS, REQUESTS

FLUSH_SECONDS = 1.0
_BOUNDS = (*HTTP_BUCKETS, float("inf"))
_STATUS = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}


class PublicTally:
    """Public requests not yet in the metrics: written by one thread only."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.statuses = [0] * 6  # by status // 100: 1xx ... 5xx (the fast path answers 2xx, 3xx)
        self.buckets = [0] * len(_BOUNDS)
        self.seconds = 0.0

    def record(self, status: int, seconds: float) -> None:
        self.statuses[status // 100] += 1
        self.buckets[bisect_left(_BOUNDS, seconds)] += 1
        self.seconds += seconds

    def flush(self) -> None:
        """Move what was counted into the metrics (by the tally's own thread)."""
        statuses, buckets, seconds = self.statuses, self.buckets, self.seconds
        if not any(statuses):
            return
        self._reset()
        for key, count in enumerate(statuses):
            if count:
                REQUESTS.labels("public", _STATUS.get(key, "other")).inc(count)
        # Histogram.observe takes one value: add the bucket counts directly (prometheus_client
        # keeps one non-cumulative value per upper bound, as observe would have chosen).
        child = REQUEST_SECONDS.labels("public")
        for index, count in enumerate(buckets):
            if count:
                child._buckets[index].inc(count)
        child._sum.inc(seconds)

    def flush_every(self, loop: asyncio.AbstractEventLoop, seconds: float = FLUSH_SECONDS) -> None:
        """Flush on `loop` every `seconds`, for as long as the loop runs."""

        def tick() -> None:
            self.flush()
            loop.call_later(seconds, tick)

        loop.call_later(seconds, tick)


def record_now(status: int, seconds: float) -> None:
    """A public request answered on a thread of a WSGI server: straight into the metrics."""
    REQUESTS.labels("public", _STATUS.get(status // 100, "other")).inc()
    REQUEST_SECONDS.labels("public").observe(seconds)
