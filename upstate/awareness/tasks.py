from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from upstate.awareness.documents import index_page
from upstate.incidents.models import ACTIVE_STATUSES, Incident


@db_task(retries=3, retry_delay=5)
def index_page_task(page_id: int) -> int:
    """Re-embed the page's changed incidents (their title, updates, components or page name)."""
    return index_page(page_id)


# A re-index that was lost (the worker was down when it was queued) is caught up here; pages
# whose text did not change cost a query and no model run.
@db_periodic_task(crontab(minute="*/10"))
def index_active_pages_task() -> int:
    pages = Incident.objects.filter(status__in=ACTIVE_STATUSES).values_list("page_id", flat=True)
    return sum(index_page(page_id) for page_id in set(pages))
