from __future__ import annotations

import threading
import time

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from upstate.awareness.documents import index_page
from upstate.incidents.models import ACTIVE_STATUSES, Incident

# page id -> whether a change came while the page was being indexed. During a storm of updates
# the worker's threads all indexed the same page at once, each embedding the same new text
# (bench/write_storm.py): now one indexes and goes round again, at most every
# INDEX_INTERVAL, so that the updates of a storm are embedded together; the others return.
INDEX_INTERVAL = 1.0
# A run that took much CPU waits longer before the next, up to MAX_INDEX_INTERVAL, so that
# re-embedding a storm's text takes at most about INDEX_CPU_SHARE of a core: with 20 live
# incidents updated 40 times a second, a run every second was a fifth of a core, more than
# the fan-out of every update (bench/write_storm.py). What lags is the newest update's
# wording; the incident's title and components were matched from its first run.
INDEX_CPU_SHARE = 0.05
MAX_INDEX_INTERVAL = 5.0
_indexing: dict[int, bool] = {}
_indexing_lock = threading.Lock()


def pause_after(cpu_seconds: float) -> float:
    """Seconds from the start of a run that took ``cpu_seconds`` to the start of the next."""
    return min(MAX_INDEX_INTERVAL, max(INDEX_INTERVAL, cpu_seconds / INDEX_CPU_SHARE))


@db_task(retries=3, retry_delay=5)
def index_page_task(page_id: int) -> int:
    """Re-embed the page's changed incidents (their title, updates, components or page name)."""
    with _indexing_lock:
        if page_id in _indexing:
            _indexing[page_id] = True
            return 0
        _indexing[page_id] = False
    total = 0
    try:
        while True:
            started, cpu = time.monotonic(), time.thread_time()
            total += index_page(page_id)
            pause = pause_after(time.thread_time() - cpu)
            with _indexing_lock:
                if not _indexing[page_id]:
                    del _indexing[page_id]
                    return total
                _indexing[page_id] = False
            time.sleep(max(0.0, started + pause - time.monotonic()))
    except BaseException:
        with _indexing_lock:
            _indexing.pop(page_id, None)
        raise


# A re-index that was lost (the worker was down when it was queued) is caught up here; pages
# whose text did not change cost a query and no model run.
@db_periodic_task(crontab(minute="*/10"))
def index_active_pages_task() -> int:
    pages = Incident.objects.filter(status__in=ACTIVE_STATUSES).values_list("page_id", flat=True)
    return sum(index_page(page_id) for page_id in set(pages))
