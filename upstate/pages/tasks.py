from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from upstate.audit.services import SYSTEM, acting_as
from upstate.pages import domains


@db_task()
def check_custom_domain(page_id: int) -> None:
    """One page's domain, on demand ("Check now", a newly claimed domain)."""
    with acting_as(label=SYSTEM):
        domains.check_domain(page_id=page_id)


@db_periodic_task(crontab(minute="*/5"))
def check_custom_domains() -> int:
    """Claims waiting for their TXT record, and verified domains once a day."""
    due = domains.due_for_check()
    with acting_as(label=SYSTEM):
        for page_id in due:
            domains.check_domain(page_id=page_id)
    return len(due)
