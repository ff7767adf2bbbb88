from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable

from django.db import close_old_connections, connection
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from upstate.audit.services import SYSTEM, acting_as
from upstate.notifications import services

log = logging.getLogger(__name__)


@db_task(retries=5, retry_delay=10)
def fan_out_task(event_id: int) -> int:
    with acting_as(label=SYSTEM):
        return services.fan_out(event_id)


@db_task()
def deliver_task(delivery_ids: list[int]) -> int:
    """Failures are retried by the outbox's own schedule (BACKOFF), not by huey."""
    with acting_as(label=SYSTEM):
        return services.deliver(delivery_ids)


@db_periodic_task(crontab(minute="*"))
def sweep_task() -> dict[str, int]:
    """Re-enqueue work that fell out of the queue, once a minute (what a stopped worker left
    is taken over within seconds by the heartbeats)."""
    with acting_as(label=SYSTEM):
        return services.sweep()


class Heartbeat(threading.Thread):
    """A worker process's heartbeat: every `services.beat_interval()` seconds it tells the
    other workers this one is alive, extends the claims it holds, and takes over what stopped
    workers left (`services.recover`); its first beat, as the worker starts, also sweeps up
    what fell out of the queue while none ran (`services.sweep`).

    A thread rather than a huey task: huey's crontab counts in minutes, a task would wait in
    the queue behind the very deliveries whose claims it must renew (a fan-out to thousands
    queues hundreds of tasks), and a self-rescheduling task is lost with the worker that runs
    it and multiplies with every start. A thread beats at its pace whatever the queue holds,
    and dies with its process, which is what a heartbeat must do."""

    def __init__(self) -> None:
        super().__init__(name="upstate-notifications-heartbeat", daemon=True)
        self.worker = secrets.token_hex(8)
        self.stopping = threading.Event()

    def run(self) -> None:
        recover: Callable[[], object] = services.sweep
        try:
            while not self.stopping.is_set():
                if self.beat(recover):
                    recover = services.recover
                self.stopping.wait(services.beat_interval())
        finally:
            connection.close()

    def beat(self, recover: Callable[[], object]) -> bool:
        # Like huey's db_task around a task: a connection past its age or broken is replaced.
        close_old_connections()
        try:
            with acting_as(label=SYSTEM):
                services.beat(worker=self.worker)
                recover()
        except Exception:
            # A database out of reach for a moment: beat again next time. The claims last a
            # few beats, and the Ledger refuses the sends of any taken over meanwhile.
            log.exception("the notification heartbeat failed")
            connection.close()
            return False
        return True

    def stop(self, *, retire: bool) -> None:
        """Stop beating; `retire` when no task is in flight, so nothing waits to be taken over."""
        self.stopping.set()
        self.join(timeout=10)
        if retire and not self.is_alive():
            services.retire(worker=self.worker)


_lock = threading.Lock()
_heartbeats: list[Heartbeat] = []
_running = [0]  # huey worker threads that started and have not stopped


@HUEY.on_startup()
def _start_heartbeat() -> None:
    # Huey runs start-up hooks in each of its worker threads: one heartbeat per process.
    with _lock:
        _running[0] += 1
        if not _heartbeats:
            _heartbeats.append(Heartbeat())
            _heartbeats[0].start()


@HUEY.on_shutdown()
def _stop_heartbeat() -> None:
    # Each worker thread runs this when its last task is done. The heartbeat renews the claims
    # of the threads still sending, so it stops with the last of them; after an interrupting
    # stop (SIGTERM) huey may run none of these, and the heartbeat dies with the process like
    # a crashed worker's: the others take over what it held.
    with _lock:
        _running[0] -= 1
        last = _running[0] == 0 and bool(_heartbeats)
    if last:
        _heartbeats[0].stop(retire=True)
