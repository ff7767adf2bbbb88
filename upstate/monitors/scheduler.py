"""The check scheduler: one asyncio loop in a thread of the worker process.

* Every active monitor has an entry in a heap ordered by its next planned start; a check is
  started as a task when it is due, so a slow or hanging target only holds its own task (and
  one of `concurrency` slots) until its timeout.
* All HTTP checks share one `httpx.AsyncClient`; a semaphore bounds how many checks run at
  once.
* Results are collected in memory and written in batches (about once a second) by one
  database thread, which also reloads changed monitors, sweeps heartbeats and renews the
  lease. The event loop itself never waits for the database.
* Only the holder of the `SchedulerLease` checks anything, so several worker processes can
  run without checking every target twice; another takes over when the holder stops renewing.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import os
import random
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections
from django.db.models import Q
from django.utils import timezone

from upstate.audit.services import acting_as
from upstate.monitors import services
from upstate.monitors.checks import Spec, new_client, run_check
from upstate.monitors.models import Monitor, MonitorKind, SchedulerLease

log = logging.getLogger(__name__)

LEASE_NAME = "monitors"
LEASE_SECONDS = 30
ACTOR = "monitor"


def acquire_lease(holder: str, *, seconds: int = LEASE_SECONDS) -> bool:
    """Take or renew the scheduler lease; True while `holder` has it."""
    now = timezone.now()
    expires = now + timedelta(seconds=seconds)
    mine_or_free = Q(holder=holder) | Q(expires_at__lt=now)
    leases = SchedulerLease.objects.filter(name=LEASE_NAME)
    if leases.filter(mine_or_free).update(holder=holder, expires_at=expires):
        return True
    if leases.exists():
        return False
    try:
        SchedulerLease.objects.create(name=LEASE_NAME, holder=holder, expires_at=expires)
    except IntegrityError:
        return False
    return True


def release_lease(holder: str) -> None:
    SchedulerLease.objects.filter(name=LEASE_NAME, holder=holder).delete()


def _active_versions() -> dict[int, datetime]:
    rows = Monitor.objects.filter(enabled=True).exclude(kind=MonitorKind.HEARTBEAT)
    return dict(rows.values_list("id", "updated_at"))


def _load(ids: list[int]) -> list[tuple[Spec, datetime, datetime | None]]:
    rows = Monitor.objects.filter(id__in=ids, enabled=True)
    return [(services.spec_of(m), m.updated_at, m.last_checked_at) for m in rows]


class Scheduler:
    def __init__(
        self,
        *,
        concurrency: int | None = None,
        allow_private: bool | None = None,
        ca_file: str | None = None,
        flush_interval: float = 1.0,
        refresh_interval: float = 2.0,
        holder: str | None = None,
    ) -> None:
        self.concurrency = concurrency or settings.MONITOR_CONCURRENCY
        self.allow_private = (
            settings.ALLOW_PRIVATE_TARGETS if allow_private is None else allow_private
        )
        self.ca_file = settings.MONITOR_CA_FILE if ca_file is None else ca_file
        self.flush_interval = flush_interval
        self.refresh_interval = refresh_interval
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="monitors-db")
        self.specs: dict[int, Spec] = {}
        self.versions: dict[int, datetime] = {}
        self.generation: dict[int, int] = {}
        self.heap: list[tuple[float, int, int]] = []  # (planned start, monitor id, generation)
        self.pending: list[services.Result] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.urgent: asyncio.Event | None = None
        self.leader = False
        self.loaded_once = False

    # --- database side (the single db thread) ---------------------------------------------

    async def _db(self, function: Any, *args: Any) -> Any:
        def call() -> Any:
            with acting_as(label=ACTOR):
                return function(*args)

        return await asyncio.get_running_loop().run_in_executor(self.db, call)

    async def refresh(self) -> None:
        """Renew the lease, pick up monitors created, changed or removed, sweep heartbeats."""
        self.leader = await self._db(acquire_lease, self.holder)
        if not self.leader:
            self.specs.clear()
            self.heap.clear()
            return
        versions = await self._db(_active_versions)
        for gone in set(self.specs) - set(versions):
            del self.specs[gone]
            self.generation.pop(gone, None)
            self.versions.pop(gone, None)
        changed = [mid for mid, at in versions.items() if self.versions.get(mid) != at]
        if changed:
            for spec, updated_at, last_checked in await self._db(_load, changed):
                self._place(spec, updated_at, last_checked)
        self.loaded_once = True
        self.pending.extend(await self._db(services.sweep_heartbeats))

    def _place(self, spec: Spec, updated_at: datetime, last_checked: datetime | None) -> None:
        now = time.time()
        old = self.specs.get(spec.id)
        self.specs[spec.id] = spec
        self.versions[spec.id] = updated_at
        if old is not None and old == spec:
            return  # only its state changed
        generation = self.generation.get(spec.id, 0) + 1
        self.generation[spec.id] = generation
        if last_checked is not None and old is None:
            due = max(last_checked.timestamp() + spec.interval, now)
        elif not self.loaded_once:
            # A cold start: spread never-checked monitors over their interval, not one burst.
            due = now + random.uniform(0, spec.interval)
        else:
            due = now  # new or reconfigured: check it at once
        heapq.heappush(self.heap, (due, spec.id, generation))

    async def flush(self) -> None:
        batch, self.pending = self.pending, []
        if batch:
            try:
                await self._db(services.record_results, batch)
            except Exception:
                log.exception("could not store %d check results", len(batch))

    # --- the event loop ---------------------------------------------------------------------

    async def _check(self, spec: Spec, planned: float, client: Any, slots: asyncio.Semaphore):
        async with slots:
            started = time.time()
            outcome = await run_check(spec, client, allow_private=self.allow_private)
        at = datetime.fromtimestamp(started, UTC)
        lag = int((started - planned) * 1000)
        self.pending.append(services.Result(spec.id, at, outcome, lag))
        if not outcome.ok:
            self.urgent.set()  # type: ignore[union-attr]  # a failure may open an incident: store it now, not in a second

    def _start_due(self, client: Any, slots: asyncio.Semaphore) -> None:
        now = time.time()
        while self.heap and self.heap[0][0] <= now:
            planned, monitor_id, generation = heapq.heappop(self.heap)
            spec = self.specs.get(monitor_id)
            if spec is None or self.generation.get(monitor_id) != generation:
                continue  # removed or rescheduled
            following = planned + spec.interval
            if following <= now:  # fell a whole interval behind: skip, never pile up
                following = now + spec.interval
            heapq.heappush(self.heap, (following, monitor_id, generation))
            task = asyncio.create_task(self._check(spec, planned, client, slots))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _flusher(self, stop: threading.Event) -> None:
        assert self.urgent is not None
        while not stop.is_set():
            try:
                await asyncio.wait_for(self.urgent.wait(), self.flush_interval)
            except TimeoutError:
                pass
            self.urgent.clear()
            await self.flush()

    async def _every(self, seconds: float, job: Any, stop: threading.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                await job()
            except Exception:
                log.exception("monitor scheduler: %s failed", job.__name__)
            await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))

    async def run(self, stop: threading.Event) -> None:
        slots = asyncio.Semaphore(self.concurrency)
        self.urgent = asyncio.Event()
        client = new_client(concurrency=self.concurrency, extra_ca_file=self.ca_file)
        helpers = [
            asyncio.create_task(self._every(self.refresh_interval, self.refresh, stop)),
            asyncio.create_task(self._flusher(stop)),
        ]
        try:
            while not stop.is_set():
                self._start_due(client, slots)
                wait = self.heap[0][0] - time.time() if self.heap else 0.2
                await asyncio.sleep(min(max(wait, 0.002), 0.2))
        finally:
            if self.tasks:
                await asyncio.wait(list(self.tasks), timeout=5)
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await self.flush()
            await client.aclose()
            await self._db(release_lease, self.holder)
            await self._db(connections.close_all)
            self.db.shutdown(wait=True)


def start_thread(stop: threading.Event, **options: Any) -> threading.Thread:
    """Run a Scheduler in a daemon thread until `stop` is set."""

    def main() -> None:
        try:
            asyncio.run(Scheduler(**options).run(stop))
        except Exception:
            log.exception("the monitor scheduler stopped")

    thread = threading.Thread(target=main, name="monitor-scheduler", daemon=True)
    thread.start()
    return thread
