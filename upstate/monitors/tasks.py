from __future__ import annotations

import threading

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from upstate.monitors import services
from upstate.monitors.scheduler import start_thread

_lock = threading.Lock()
_stop = threading.Event()
_threads: list[threading.Thread] = []


@HUEY.on_startup()
def _start_scheduler() -> None:
    # Once per worker process: the scheduler's own lease keeps it to one per installation.
    # Huey runs these hooks in each of its threads; one that starts late, after another has
    # stopped, must not start a scheduler that nobody waits for at exit.
    with _lock:
        if settings.MONITOR_SCHEDULER and not _threads and not _stop.is_set():
            _threads.append(start_thread(_stop))


@HUEY.on_shutdown()
def stop_scheduler() -> None:
    """Stop this process's monitor scheduler, letting it store what it checked and release its
    lease (idempotent)."""
    with _lock:
        _stop.set()
        threads = list(_threads)
    for thread in threads:  # let it store what it checked and release its lease
        thread.join(timeout=10)


@db_periodic_task(crontab(minute="*"))
def roll_up_results() -> int:
    """Per-minute, hour and day roll-ups of check results, once a minute."""
    return services.roll_up()


@db_periodic_task(crontab(minute="7"))
def prune_results() -> int:
    """Old raw results and fine roll-ups go, once an hour."""
    return services.prune()
