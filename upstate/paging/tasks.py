from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from upstate.audit.services import SYSTEM, acting_as
from upstate.paging import services


@db_periodic_task(crontab(minute="*"))
def escalate_task() -> int:
    """Escalate incidents nobody has acknowledged within their severity's response target."""
    with acting_as(label=SYSTEM):
        return services.escalate_due()
