from __future__ import annotations

import threading

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from upstate.audit.services import SYSTEM, acting_as
from upstate.notifications import services


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
    """Re-enqueue work a crashed worker left behind, once a minute."""
    with acting_as(label=SYSTEM):
        return services.sweep()


_started = threading.Lock()


@HUEY.on_startup()
def _recover_on_start() -> None:
    # Once per consumer process: at once for whatever is plainly open, and again when the
    # claims a killed predecessor held have expired.
    if _started.acquire(blocking=False):
        sweep_task.schedule(delay=1)
        sweep_task.schedule(delay=settings.DELIVERY_LEASE + 1)
