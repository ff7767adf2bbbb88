from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from upstate.audit.services import SYSTEM, acting_as
from upstate.paging import services


@db_periodic_task(crontab(minute="*"))
def repage_task() -> int:
    """Page again the responders of critical incidents nobody has acknowledged in time."""
    with acting_as(label=SYSTEM):
        return services.repage_due()
