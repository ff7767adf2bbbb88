from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from upstate.public.snapshot import rebuild_all


# Uptime bars roll over at midnight and "upcoming" becomes "in progress" with the clock: a
# page whose data did not change still needs a fresh snapshot now and then.
@db_periodic_task(crontab(minute="*/5"))
def rebuild_all_snapshots() -> int:
    return rebuild_all()
