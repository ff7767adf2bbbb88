from __future__ import annotations

import threading

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from upstate.monitors import services
from upstate.monitors.scheduler import start_thread

_started = threading.Lock()
_stop = threading.Event()
_threads: list[threading.Thread] = []


@HUEY.on_startup()
def _start_scheduler() -> None:
    # Once per worker process: the scheduler's own lease keeps it to one per installation.
    if settings.MONITOR_SCHEDULER and _started.acquire(blocking=False):
        _threads.append(start_thread(_stop))


@HUEY.on_shutdown()
def _stop_scheduler() -> None:
    _stop.set()
    for thread in _threads:  # let it store what it checked and release its lease
        thread.join(timeout=10)


@db_periodic_task(crontab(minute="*"))
def roll_up_results() -> int:
    """Per-minute, hour and day roll-ups of check results, once a minute."""
    return services.roll_up()


@db_periodic_task(crontab(minute="7"))
def prune_results() -> int:
    """Old raw results and fine roll-ups go, once an hour."""
    return services.prune()
