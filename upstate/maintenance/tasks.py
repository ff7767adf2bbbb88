from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from upstate.audit.services import SYSTEM, acting_as
from upstate.maintenance.services import advance_due_maintenance


@db_periodic_task(crontab(minute="*"))
def advance_maintenance() -> int:
    """Starts and completes maintenance at its window's edges, once a minute."""
    with acting_as(label=SYSTEM):
        return advance_due_maintenance()
