from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from upstate.throttle.services import sweep


# Every client address and email that tried leaves a row: drop those whose window ended.
@db_periodic_task(crontab(minute="17"))
def sweep_counters() -> int:
    return sweep()
